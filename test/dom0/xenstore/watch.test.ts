import { describe, expect, it } from 'vitest';
import { XS, xsRequest } from '../../../hypervisor/public/io/xs_wire';
import { err, Harness, OK } from './harness';

function guestWithHome(h: Harness, domid: number) {
  const dom0 = h.client(0);
  dom0.mkdir(`/local/domain/${domid}/data`);
  dom0.setPerms(`/local/domain/${domid}`, 'n0', `r${domid}`);
  dom0.setPerms(`/local/domain/${domid}/data`, `n${domid}`);
  return h.client(domid);
}

describe('watches', () => {
  it('fire once immediately on registration, after the reply, with the watched path', () => {
    const dom0 = new Harness().client(0);
    const out = dom0.h.xs.handle(0, xsRequest.watch('/backend', 'tok', { reqId: 9 }));
    expect(out.map((m) => m.type)).toEqual([XS.WATCH, XS.WATCH_EVENT]);
    expect(out[0]!.reqId).toBe(9);
    expect(out[1]!.reqId).toBe(0);
  });

  it('fire on a change at the watched path and anywhere below it', () => {
    const dom0 = new Harness().client(0);
    dom0.watch('/a', 't');
    dom0.events();
    dom0.write('/a', '1');
    dom0.write('/a/b/c', '2');
    expect(dom0.events()).toEqual([
      { path: '/a', token: 't' },
      { path: '/a/b/c', token: 't' },
    ]);
  });

  it('do not fire for a sibling that merely shares a prefix', () => {
    const dom0 = new Harness().client(0);
    dom0.watch('/a/b', 't');
    dom0.events();
    dom0.write('/a/bc', 'x');
    dom0.write('/a/c', 'x');
    expect(dom0.events()).toEqual([]);
  });

  it('fire for mkdir and set_perms, but not for mkdir of an existing node', () => {
    const dom0 = new Harness().client(0);
    dom0.mkdir('/m');
    dom0.watch('/m', 't');
    dom0.events();
    dom0.mkdir('/m/n');
    dom0.mkdir('/m/n');
    dom0.setPerms('/m/n', 'n0', 'r3');
    expect(dom0.events().map((e) => e.path)).toEqual(['/m/n', '/m/n']);
  });

  it('on rm, report the removed node to watchers above and each removed watched node exactly', () => {
    const dom0 = new Harness().client(0);
    dom0.write('/r/x/y', '1');
    dom0.write('/r/x/z', '2');
    dom0.watch('/r', 'above');
    dom0.watch('/r/x/y', 'inside');
    dom0.watch('/r/x/nonexistent', 'ghost');
    dom0.events();
    dom0.rm('/r/x');
    expect(dom0.events()).toEqual([
      { path: '/r/x/y', token: 'inside' },
      { path: '/r/x', token: 'above' },
    ]);
  });

  it('reach other connections through the outbox, not the writer’s reply', () => {
    const h = new Harness();
    const dom0 = h.client(0);
    const guest = guestWithHome(h, 5);
    guest.watch('data', 'mine');
    guest.events();
    h.xs.drainEvents();
    const out = h.xs.handle(0, xsRequest.write('/local/domain/5/data/k', 'v'));
    expect(out.map((m) => m.type)).toEqual([XS.WRITE]);
    const queued = h.xs.drainEvents();
    expect(queued.map((e) => e.domid)).toEqual([5]);
    expect(dom0.events()).toEqual([]);
  });

  it('report relative paths for a watch registered relatively', () => {
    const h = new Harness();
    const guest = guestWithHome(h, 5);
    guest.watch('data', 'rel');
    expect(guest.events()).toEqual([{ path: 'data', token: 'rel' }]);
    guest.write('data/x', '1');
    expect(guest.events()).toEqual([{ path: 'data/x', token: 'rel' }]);
  });

  it('are delivered only to domains that may read the node or its parent', () => {
    const h = new Harness();
    const dom0 = h.client(0);
    const spy = guestWithHome(h, 6);
    spy.watch('/', 'all');
    spy.events();
    dom0.write('/secret/inner/key', 'x');
    expect(spy.events()).toEqual([]);
    dom0.write('/local/domain/6/name', 'visible');
    expect(spy.events()).toEqual([{ path: '/local/domain/6/name', token: 'all' }]);
  });

  it('tell a watcher about a node it could read before its permissions were taken away', () => {
    const h = new Harness();
    const dom0 = h.client(0);
    const guest = guestWithHome(h, 6);
    dom0.write('/shared/k', 'v');
    dom0.setPerms('/shared/k', 'r0');
    guest.watch('/shared/k', 't');
    guest.events();
    dom0.setPerms('/shared/k', 'n0');
    expect(guest.events()).toEqual([{ path: '/shared/k', token: 't' }]);
    dom0.write('/shared/k', 'w');
    expect(guest.events()).toEqual([]);
  });

  it('stop after unwatch; unwatching twice is ENOENT', () => {
    const dom0 = new Harness().client(0);
    dom0.watch('/u', 't');
    expect(dom0.unwatch('/u', 't')).toEqual(OK);
    dom0.events();
    dom0.write('/u', 'x');
    expect(dom0.events()).toEqual([]);
    expect(dom0.unwatch('/u', 't')).toEqual(err('ENOENT'));
  });

  it('refuse the same path and token twice with EEXIST, but allow another token', () => {
    const dom0 = new Harness().client(0);
    expect(dom0.watch('/w', 't')).toEqual(OK);
    expect(dom0.watch('/w', 't')).toEqual(err('EEXIST'));
    expect(dom0.watch('/w', 't2')).toEqual(OK);
  });

  it('are all forgotten after RESET_WATCHES', () => {
    const dom0 = new Harness().client(0);
    dom0.watch('/a', 't');
    dom0.send(xsRequest.resetWatches());
    dom0.events();
    dom0.write('/a', 'x');
    expect(dom0.events()).toEqual([]);
  });
});

describe('domain introduction and release', () => {
  it('@introduceDomain fires when a domain is introduced, once', () => {
    const h = new Harness();
    const dom0 = h.client(0);
    dom0.watch('@introduceDomain', 'intro');
    dom0.events();
    dom0.send(xsRequest.introduce(3, 1234, 5));
    dom0.send(xsRequest.introduce(3, 1234, 5));
    expect(dom0.events()).toEqual([{ path: '@introduceDomain', token: 'intro' }]);
    expect(dom0.send(xsRequest.isDomainIntroduced(3)).payload).toEqual(new Uint8Array([84, 0]));
  });

  it('@releaseDomain fires on release, and the domain’s watches are gone', () => {
    const h = new Harness();
    const dom0 = h.client(0);
    const guest = guestWithHome(h, 4);
    dom0.watch('@releaseDomain', 'rel');
    guest.watch('/local/domain/4', 'g');
    dom0.events();
    guest.events();
    expect(h.xs.releaseDomain(4)).toEqual({ ok: true, value: undefined });
    h.pump();
    expect(dom0.events()).toEqual([{ path: '@releaseDomain', token: 'rel' }]);
    dom0.write('/local/domain/4/name', 'x');
    h.pump();
    expect(guest.events()).toEqual([]);
    expect(h.xs.isConnected(4)).toBe(false);
    expect(h.xs.handle(4, xsRequest.read('data'))).toEqual([]);
    expect(h.xs.stats().requestsUnconnected).toBe(1);
  });

  it('release deletes the nodes the domain owned and drops its open transactions', () => {
    const h = new Harness();
    const dom0 = h.client(0);
    const guest = guestWithHome(h, 4);
    guest.write('data/k', 'v');
    guest.start();
    dom0.watch('/local/domain/4', 'w');
    dom0.events();
    dom0.send(xsRequest.release(4));
    expect(dom0.read('/local/domain/4/data')).toEqual(err('ENOENT'));
    expect(dom0.read('/local/domain/4')).toEqual({ value: '' });
    expect(dom0.events().map((e) => e.path)).toEqual(['/local/domain/4/data']);
    expect(h.xs.nodesOwnedBy(4)).toBe(0);
  });

  it('release forgets the domain in other nodes’ permission lists', () => {
    const h = new Harness();
    const dom0 = h.client(0);
    h.client(4);
    dom0.write('/shared', 'v');
    dom0.setPerms('/shared', 'n0', 'r4', 'w5');
    h.xs.releaseDomain(4);
    expect(dom0.getPerms('/shared')).toEqual(['n0', 'w5']);
  });

  it('special watches are not delivered to a domU unless dom0 lets it read them', () => {
    const h = new Harness();
    const dom0 = h.client(0);
    const guest = guestWithHome(h, 4);
    guest.watch('@releaseDomain', 'r');
    guest.events();
    h.client(9);
    h.xs.releaseDomain(9);
    h.pump();
    expect(guest.events()).toEqual([]);
    dom0.setPerms('@releaseDomain', 'n0', 'r4');
    guest.events();
    h.client(10);
    h.xs.releaseDomain(10);
    h.pump();
    expect(guest.events()).toEqual([{ path: '@releaseDomain', token: 'r' }]);
  });

  it('introduce and release are dom0’s alone', () => {
    const h = new Harness();
    const guest = guestWithHome(h, 4);
    expect(guest.send(xsRequest.introduce(8, 1, 1)).type).toBe(XS.ERROR);
    expect(guest.send(xsRequest.release(8)).payload).toEqual(new TextEncoder().encode('EACCES\0'));
  });
});
