import { describe, expect, it } from 'vitest';
import { XS, xsRequest } from '../../../hypervisor/public/io/xs_wire';
import { err, Harness, OK } from './harness';

function frontendAndBackend() {
  const h = new Harness();
  const dom0 = h.client(0);
  dom0.mkdir('/local/domain/7/device/vbd/51712');
  dom0.setPerms('/local/domain/7/device/vbd/51712', 'n7', 'r0');
  return { h, dom0, guest: h.client(7), dir: '/local/domain/7/device/vbd/51712' };
}

describe('transactions', () => {
  it('keep their writes private until commit, then apply them all', () => {
    const { dom0, guest, dir } = frontendAndBackend();
    const tx = guest.start();
    guest.write(`${dir}/ring-ref`, '8', tx);
    guest.write(`${dir}/event-channel`, '3', tx);
    expect(guest.read(`${dir}/ring-ref`, tx)).toEqual({ value: '8' });
    expect(dom0.read(`${dir}/ring-ref`)).toEqual(err('ENOENT'));
    expect(guest.end(tx, true)).toEqual(OK);
    expect(dom0.read(`${dir}/ring-ref`)).toEqual({ value: '8' });
    expect(dom0.read(`${dir}/event-channel`)).toEqual({ value: '3' });
  });

  it('fail with EAGAIN when a node they read was changed by someone else', () => {
    const { dom0, guest, dir } = frontendAndBackend();
    dom0.write(`${dir}/state`, '1');
    const tx = guest.start();
    expect(guest.read(`${dir}/state`, tx)).toEqual({ value: '1' });
    dom0.write(`${dir}/state`, '2');
    guest.write(`${dir}/ring-ref`, '8', tx);
    expect(guest.end(tx, true)).toEqual(err('EAGAIN'));
    expect(dom0.read(`${dir}/ring-ref`)).toEqual(err('ENOENT'));
  });

  it('succeed when retried after EAGAIN', () => {
    const { dom0, guest, dir } = frontendAndBackend();
    dom0.write(`${dir}/state`, '1');
    const first = guest.start();
    guest.read(`${dir}/state`, first);
    dom0.write(`${dir}/state`, '2');
    guest.write(`${dir}/ring-ref`, '8', first);
    expect(guest.end(first, true)).toEqual(err('EAGAIN'));
    const retry = guest.start();
    expect(guest.read(`${dir}/state`, retry)).toEqual({ value: '2' });
    guest.write(`${dir}/ring-ref`, '8', retry);
    expect(guest.end(retry, true)).toEqual(OK);
    expect(dom0.read(`${dir}/ring-ref`)).toEqual({ value: '8' });
    expect(dom0.h.xs.stats()).toMatchObject({ transactionsConflicted: 1, transactionsCommitted: 1 });
  });

  it('conflict when a node they found absent is created meanwhile', () => {
    const { dom0, guest, dir } = frontendAndBackend();
    const tx = guest.start();
    expect(guest.read(`${dir}/feature`, tx)).toEqual(err('ENOENT'));
    dom0.write(`${dir}/feature`, '1');
    guest.write(`${dir}/x`, '1', tx);
    expect(guest.end(tx, true)).toEqual(err('EAGAIN'));
  });

  it('conflict with each other when both add a child to the same directory', () => {
    const { dom0, guest, dir } = frontendAndBackend();
    const a = guest.start();
    const b = dom0.start();
    guest.write(`${dir}/a`, '1', a);
    dom0.write(`${dir}/b`, '1', b);
    expect(dom0.end(b, true)).toEqual(OK);
    expect(guest.end(a, true)).toEqual(err('EAGAIN'));
  });

  it('do not conflict over nodes the other never touched', () => {
    const { dom0, guest, dir } = frontendAndBackend();
    dom0.write('/elsewhere', '0');
    const tx = guest.start();
    guest.write(`${dir}/ring-ref`, '8', tx);
    dom0.write('/elsewhere', '1');
    expect(guest.end(tx, true)).toEqual(OK);
  });

  it('are discarded by an abort', () => {
    const { dom0, guest, dir } = frontendAndBackend();
    const tx = guest.start();
    guest.write(`${dir}/ring-ref`, '8', tx);
    guest.rm(dir, tx);
    expect(guest.end(tx, false)).toEqual(OK);
    expect(dom0.read(`${dir}/ring-ref`)).toEqual(err('ENOENT'));
    expect(dom0.read(dir)).toEqual({ value: '' });
    expect(guest.read(dir, tx)).toEqual(err('ENOENT')); // the id names nothing any more
  });

  it('fire watches only at commit, once per changed node', () => {
    const { dom0, guest, dir } = frontendAndBackend();
    dom0.watch(dir, 'be');
    dom0.events();
    const tx = guest.start();
    guest.write(`${dir}/ring-ref`, '8', tx);
    guest.write(`${dir}/ring-ref`, '9', tx);
    guest.write(`${dir}/event-channel`, '3', tx);
    expect(dom0.events()).toEqual([]);
    guest.end(tx, true);
    expect(dom0.events().map((e) => e.path)).toEqual([`${dir}/ring-ref`, `${dir}/event-channel`]);
  });

  it('fire no watches when aborted or refused', () => {
    const { dom0, guest, dir } = frontendAndBackend();
    dom0.watch(dir, 'be');
    dom0.events();
    const aborted = guest.start();
    guest.write(`${dir}/ring-ref`, '8', aborted);
    guest.end(aborted, false);
    expect(dom0.events()).toEqual([]);
    const refused = guest.start();
    guest.read(`${dir}/state`, refused);
    guest.write(`${dir}/ring-ref`, '8', refused);
    dom0.h.xs.handle(0, xsRequest.write(`${dir}/state`, '5'));
    dom0.events();
    expect(guest.end(refused, true)).toEqual(err('EAGAIN'));
    expect(dom0.events()).toEqual([]);
  });

  it('commit an rm of a subtree, firing for the removed nodes', () => {
    const { dom0, dir } = frontendAndBackend();
    dom0.write(`${dir}/a`, '1');
    dom0.watch(`${dir}/a`, 'a');
    dom0.events();
    const tx = dom0.start();
    dom0.rm(dir, tx);
    expect(dom0.read(`${dir}/a`)).toEqual({ value: '1' });
    expect(dom0.end(tx, true)).toEqual(OK);
    expect(dom0.read(dir)).toEqual(err('ENOENT'));
    expect(dom0.events()).toEqual([{ path: `${dir}/a`, token: 'a' }]);
  });

  it('echo the transaction id in replies', () => {
    const { guest, dir } = frontendAndBackend();
    const tx = guest.start();
    const reply = guest.send(xsRequest.write(`${dir}/k`, 'v', { reqId: 44, txId: tx }));
    expect(reply).toMatchObject({ type: XS.WRITE, reqId: 44, txId: tx });
  });

  it('answer ENOENT for an id that names no transaction, and refuse nesting with EBUSY', () => {
    const { guest, dir } = frontendAndBackend();
    expect(guest.read(dir, 12345)).toEqual(err('ENOENT'));
    expect(guest.end(0, true)).toEqual(err('ENOENT'));
    const tx = guest.start();
    const nested = guest.send(xsRequest.transactionStart({ txId: tx }));
    expect(nested.payload).toEqual(new TextEncoder().encode('EBUSY\0'));
  });

  it('hand out distinct ids for concurrent transactions', () => {
    const { guest } = frontendAndBackend();
    const ids = [guest.start(), guest.start(), guest.start()];
    expect(new Set(ids).size).toBe(3);
    expect(ids).not.toContain(0);
  });

  it('ignore the transaction id of WATCH', () => {
    const dom0 = new Harness().client(0);
    expect(dom0.send(xsRequest.watch('/w', 't', { txId: 999 })).type).toBe(XS.WATCH);
  });
});
