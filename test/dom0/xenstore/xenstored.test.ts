import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMessage, encodeMessage, latin1Bytes, replyErrno, splitStrings, XS, xsErrorName, type XsMessage, xsMessage,
  xsRequest,
} from '../../../hypervisor/public/io/xs_wire';
import { Xenstored } from '../../../dom0/xenstore/xenstored';
import { Harness } from './harness';

const errorOf = (reply: XsMessage): string | undefined => {
  const e = replyErrno(reply);
  return e === undefined ? undefined : xsErrorName(e);
};

describe('xenstored request handling', () => {
  it('answers an unknown or server-only message type with ENOSYS', () => {
    const dom0 = new Harness().client(0);
    for (const type of [XS.WATCH_EVENT, XS.ERROR, 20, XS.GET_QUOTA, 999]) {
      expect(errorOf(dom0.send(xsMessage(type, latin1Bytes('x\0'))))).toBe('ENOSYS');
    }
  });

  it('answers privileged-only requests from a domU with EACCES', () => {
    const h = new Harness();
    const guest = h.client(2);
    for (const msg of [xsRequest.isDomainIntroduced(2), xsRequest.resume(2), xsRequest.setTarget(2, 3), xsRequest.control('check')]) {
      expect(errorOf(guest.send(msg))).toBe('EACCES');
    }
  });

  it('answers malformed payloads with EINVAL', () => {
    const dom0 = new Harness().client(0);
    const cases: XsMessage[] = [
      xsMessage(XS.READ, latin1Bytes('/a')), // no NUL
      xsMessage(XS.READ, latin1Bytes('/a\0/b\0')), // two strings
      xsMessage(XS.READ, new Uint8Array(0)),
      xsMessage(XS.WRITE, latin1Bytes('/no-nul-at-all')),
      xsMessage(XS.WATCH, latin1Bytes('/a\0')), // no token
      xsMessage(XS.WATCH, latin1Bytes('/a\0t\0extra\0')),
      xsMessage(XS.SET_PERMS, latin1Bytes('/a\0')),
      xsMessage(XS.TRANSACTION_END, latin1Bytes('maybe\0')),
      xsMessage(XS.GET_DOMAIN_PATH, latin1Bytes('seven\0')),
      xsMessage(XS.INTRODUCE, latin1Bytes('3\0')),
    ];
    cases.forEach((msg, i) => expect(errorOf(dom0.send(msg)), `case ${i}`).toBe('EINVAL'));
  });

  it('echoes req_id and tx_id in replies and errors alike', () => {
    const dom0 = new Harness().client(0);
    expect(dom0.send(xsRequest.read('/tool', { reqId: 77 }))).toMatchObject({ type: XS.READ, reqId: 77, txId: 0 });
    expect(dom0.send(xsRequest.read('/none', { reqId: 78 }))).toMatchObject({ type: XS.ERROR, reqId: 78 });
  });

  it('refuses to introduce dom0 or a reserved domid', () => {
    const xs = new Xenstored();
    expect(xs.introduceDomain(0)).toEqual({ ok: false, errno: 22 });
    expect(xs.introduceDomain(0x7ff0)).toEqual({ ok: false, errno: 22 });
    expect(xs.releaseDomain(5)).toEqual({ ok: false, errno: 2 });
  });

  it('lets dom0 make a device model act for its guest with SET_TARGET', () => {
    const h = new Harness();
    const dom0 = h.client(0);
    const guest = h.client(5);
    const dm = h.client(6);
    dom0.mkdir('/local/domain/5/data');
    dom0.setPerms('/local/domain/5/data', 'n5');
    guest.write('/local/domain/5/data/x', 'v');
    expect(errorOf(dm.send(xsRequest.read('/local/domain/5/data/x')))).toBe('EACCES');
    expect(dom0.send(xsRequest.setTarget(6, 5)).type).toBe(XS.SET_TARGET);
    expect(dm.read('/local/domain/5/data/x')).toEqual({ value: 'v' });
  });

  it('counts requests by type, errors by name and watch events', () => {
    const h = new Harness();
    const dom0 = h.client(0);
    dom0.watch('/c', 't');
    dom0.write('/c/x', '1');
    dom0.read('/c/none');
    const s = h.xs.stats();
    expect(s.requestsByType).toMatchObject({ WATCH: 1, WRITE: 1, READ: 1 });
    expect(s.errorsByName).toEqual({ ENOENT: 1 });
    expect(s.watchEventsFired).toBe(2);
    expect(s.connections).toBe(1);
  });

  it('handles a whole XenBus connect handshake between a frontend and a backend', () => {
    const h = new Harness();
    const dom0 = h.client(0);
    const guest = h.client(9);
    const fe = '/local/domain/9/device/vbd/51712';
    const be = '/local/domain/0/backend/vbd/9/51712';
    dom0.write(`${fe}/state`, '1');
    dom0.write(`${be}/state`, '1');
    dom0.setPerms(fe, 'n9', 'r0');
    dom0.setPerms(`${fe}/state`, 'n9', 'r0');
    dom0.setPerms(be, 'n0', 'r9');
    dom0.watch(`${fe}/state`, 'fe-state');
    guest.watch(`${be}/state`, 'be-state');
    dom0.events();
    guest.events();
    dom0.write(`${be}/state`, '2');
    expect(guest.events()).toEqual([{ path: `${be}/state`, token: 'be-state' }]);
    const tx = guest.start();
    guest.write(`${fe}/ring-ref`, '8', tx);
    guest.write(`${fe}/event-channel`, '5', tx);
    guest.write(`${fe}/state`, '3', tx);
    expect(guest.end(tx, true)).toEqual({ value: 'OK\0' });
    expect(dom0.events()).toEqual([{ path: `${fe}/state`, token: 'fe-state' }]);
    expect(dom0.read(`${fe}/ring-ref`)).toEqual({ value: '8' });
  });
});

describe('xenstored facing hostile guests', () => {
  const path = fc.constantFrom(
    '/', '/a', '/a/b', '/a/b/c', 'data', 'data/x', 'data/x/y', '/local/domain/1/data/k', '/local/domain/2/data',
    '/local/domain/1', '@releaseDomain', '@introduceDomain', 'bad path', '', '/a/', 'x'.repeat(2100),
  );
  const value = fc.constantFrom('', 'v', 'x'.repeat(2030), 'y'.repeat(4000));
  const token = fc.constantFrom('t1', 't2', '');
  const perm = fc.constantFrom('n0', 'b1', 'r2', 'w3', 'n1', 'q9', 'r');
  const domid = fc.constantFrom(0, 1, 2, 3, 4, 0x7ff0, 70000);
  const wellFormed: fc.Arbitrary<XsMessage> = fc.oneof(
    path.map((p) => xsRequest.read(p)),
    fc.tuple(path, value).map(([p, v]) => xsRequest.write(p, v)),
    path.map((p) => xsRequest.mkdir(p)),
    path.map((p) => xsRequest.rm(p)),
    path.map((p) => xsRequest.directory(p)),
    fc.tuple(path, fc.nat(40)).map(([p, o]) => xsRequest.directoryPart(p, o)),
    path.map((p) => xsRequest.getPerms(p)),
    fc.tuple(path, fc.array(perm, { maxLength: 7 })).map(([p, ps]) => xsRequest.setPerms(p, ps)),
    fc.tuple(path, token).map(([p, t]) => xsRequest.watch(p, t)),
    fc.tuple(path, token).map(([p, t]) => xsRequest.unwatch(p, t)),
    fc.constant(xsRequest.transactionStart()),
    fc.boolean().map((c) => xsRequest.transactionEnd(c)),
    fc.constant(xsRequest.resetWatches()),
    domid.map((d) => xsRequest.introduce(d, 1, 1)),
    domid.map((d) => xsRequest.release(d)),
    fc.tuple(domid, domid).map(([d, t]) => xsRequest.setTarget(d, t)),
    domid.map((d) => xsRequest.getDomainPath(d)),
  );
  const junk: fc.Arbitrary<XsMessage> = fc
    .record({ type: fc.nat(40), payload: fc.uint8Array({ maxLength: 24 }) })
    .map(({ type, payload }) => xsMessage(type, payload));
  const step = fc.record({
    from: fc.constantFrom(0, 1, 2, 3),
    msg: fc.oneof({ weight: 4, arbitrary: wellFormed }, { weight: 1, arbitrary: junk }),
    txId: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: fc.nat(0xffffffff) }),
    admin: fc.nat(15),
  });

  function boot(): Xenstored {
    const xs = new Xenstored({ quotas: { maxNodesPerDomain: 8, maxWatchesPerDomain: 3, maxTransactionsPerDomain: 2 } });
    xs.connect(0);
    for (const d of [1, 2]) {
      xs.introduceDomain(d);
      xs.handle(0, xsRequest.mkdir(`/local/domain/${d}/data`));
      xs.handle(0, xsRequest.setPerms(`/local/domain/${d}`, ['n0', `r${d}`]));
      xs.handle(0, xsRequest.setPerms(`/local/domain/${d}/data`, [`n${d}`]));
    }
    xs.drainEvents();
    return xs;
  }

  it('never throws on any sequence of messages from several domains, and always replies', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 60, size: 'max' }), (steps) => {
        const xs = boot();
        for (const { from, msg, txId, admin } of steps) {
          if (admin === 0) xs.releaseDomain(from === 0 ? 1 : from);
          if (admin === 1) xs.introduceDomain(from === 0 ? 2 : from);
          const out = xs.handle(from, { ...msg, reqId: 1, txId });
          if (xs.isConnected(from)) expect(out.filter((m) => m.type !== XS.WATCH_EVENT)).toHaveLength(1);
          for (const m of [...out, ...xs.drainEvents().map((e) => e.msg)]) {
            expect(decodeMessage(encodeMessage(m)).kind).toBe('message');
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every stored node reachable from its parent after random operations', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 40, size: 'max' }), (steps) => {
        const xs = boot();
        for (const { from, msg, txId, admin } of steps) {
          if (admin === 0) xs.releaseDomain(from === 0 ? 1 : from);
          xs.handle(from, { ...msg, txId });
        }
        expect(walk(xs, '/')).toBe(xs.stats().nodes - 2); // all but the two special nodes
      }),
      { numRuns: 200 },
    );
  });
});

/** Counts the nodes reachable from `path` through child lists, checking each exists. */
function walk(xs: Xenstored, path: string): number {
  const node = xs.inspect(path);
  expect(node, path).toBeDefined();
  let n = 1;
  for (const c of node!.children) n += walk(xs, path === '/' ? `/${c}` : `${path}/${c}`);
  return n;
}

describe('GET_PERMS on special paths', () => {
  it('shows dom0 owning @releaseDomain with no access for others', () => {
    const dom0 = new Harness().client(0);
    expect(splitStrings(dom0.send(xsRequest.getPerms('@releaseDomain')).payload)).toEqual(['n0']);
  });
});
