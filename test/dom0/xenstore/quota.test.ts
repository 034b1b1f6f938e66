import { describe, expect, it } from 'vitest';
import { DEFAULT_QUOTAS, nodeSizeBytes } from '../../../dom0/xenstore/quota';
import type { XenstoredOptions } from '../../../dom0/xenstore/xenstored';
import { err, Harness, OK } from './harness';

/** A guest that owns /local/domain/<id>/data, under the given quotas. */
function guestUnder(opts: XenstoredOptions = {}) {
  const h = new Harness(opts);
  const dom0 = h.client(0);
  dom0.mkdir('/local/domain/3/data');
  dom0.setPerms('/local/domain/3/data', 'n3');
  return { h, dom0, guest: h.client(3) };
}

describe('quotas', () => {
  it('use xenstored’s default numbers', () => {
    expect(DEFAULT_QUOTAS).toMatchObject({
      maxNodesPerDomain: 1000,
      maxWatchesPerDomain: 128,
      maxTransactionsPerDomain: 10,
      maxNodeBytes: 2048,
    });
  });

  it('stop a domU from owning more nodes than its quota: ENOSPC', () => {
    const { h, guest } = guestUnder({ quotas: { maxNodesPerDomain: 5 } });
    expect(h.xs.nodesOwnedBy(3)).toBe(1); // data
    for (let i = 0; i < 4; i++) expect(guest.write(`data/k${i}`, 'v')).toEqual(OK);
    expect(guest.write('data/one-too-many', 'v')).toEqual(err('ENOSPC'));
    expect(guest.write('data/k0', 'rewrite is fine')).toEqual(OK);
  });

  it('count every node a write creates, refusing all of them if they do not fit', () => {
    const { h, guest } = guestUnder({ quotas: { maxNodesPerDomain: 3 } });
    expect(guest.write('data/a/b/c', 'v')).toEqual(err('ENOSPC'));
    expect(guest.read('data/a')).toEqual(err('ENOENT'));
    expect(h.xs.nodesOwnedBy(3)).toBe(1);
  });

  it('give back quota when nodes are removed', () => {
    const { guest } = guestUnder({ quotas: { maxNodesPerDomain: 2 } });
    guest.write('data/a', 'v');
    expect(guest.write('data/b', 'v')).toEqual(err('ENOSPC'));
    guest.rm('data/a');
    expect(guest.write('data/b', 'v')).toEqual(OK);
  });

  it('apply the node quota to a transaction at commit too', () => {
    const { dom0, guest } = guestUnder({ quotas: { maxNodesPerDomain: 3 } });
    dom0.mkdir('/local/domain/3/other');
    dom0.setPerms('/local/domain/3/other', 'n3');
    const tx = guest.start();
    expect(guest.write('data/t1', 'v', tx)).toEqual(OK); // the 3rd node, as the transaction sees it
    expect(guest.write('other/x', 'v')).toEqual(OK); // the 3rd node outside it
    expect(guest.end(tx, true)).toEqual(err('ENOSPC'));
    expect(guest.read('data/t1')).toEqual(err('ENOENT'));
  });

  it('refuse more watches than the quota with E2BIG', () => {
    const { guest } = guestUnder({ quotas: { maxWatchesPerDomain: 3 } });
    for (let i = 0; i < 3; i++) expect(guest.watch('data', `t${i}`)).toEqual(OK);
    expect(guest.watch('data', 't3')).toEqual(err('E2BIG'));
    guest.unwatch('data', 't0');
    expect(guest.watch('data', 't3')).toEqual(OK);
  });

  it('refuse more open transactions than the quota with ENOSPC', () => {
    const { guest } = guestUnder({ quotas: { maxTransactionsPerDomain: 2 } });
    const a = guest.start();
    guest.start();
    expect(() => guest.start()).toThrow(/ENOSPC/);
    guest.end(a, false);
    expect(guest.start()).toBeGreaterThan(0);
  });

  it('refuse a transaction that touches too many nodes', () => {
    const { guest } = guestUnder({ quotas: { maxNodesPerTransaction: 4 } });
    const tx = guest.start();
    for (let i = 0; i < 3; i++) guest.write(`data/n${i}`, 'v', tx);
    expect(guest.write('data/n3', 'v', tx)).toEqual(err('ENOSPC'));
    expect(guest.end(tx, true)).toEqual(err('ENOSPC'));
  });

  it('refuse a domU node bigger than the node-size quota: ENOSPC', () => {
    const { guest } = guestUnder();
    const largest = 2048 - 16 - 8; // header, one permission entry
    expect(guest.write('data/fits', 'x'.repeat(largest))).toEqual(OK);
    expect(guest.write('data/too-big', 'x'.repeat(largest + 1))).toEqual(err('ENOSPC'));
  });

  it('count child names in the node size', () => {
    expect(nodeSizeBytes({ value: new Uint8Array(10), perms: [1, 2], children: ['ab', 'c'] })).toBe(16 + 16 + 10 + 5);
  });

  it('refuse more permission entries than the quota with ENOSPC', () => {
    const { guest } = guestUnder();
    guest.write('data/p', 'v');
    expect(guest.setPerms('data/p', 'n3', 'r1', 'r2', 'r4', 'r5')).toEqual(OK);
    expect(guest.setPerms('data/p', 'n3', 'r1', 'r2', 'r4', 'r5', 'r6')).toEqual(err('ENOSPC'));
  });

  it('do not bind dom0', () => {
    const { dom0 } = guestUnder({ quotas: { maxNodesPerDomain: 2, maxWatchesPerDomain: 1, maxTransactionsPerDomain: 1 } });
    for (let i = 0; i < 5; i++) expect(dom0.write(`/many/k${i}`, 'v'.repeat(3000))).toEqual(OK);
    expect(dom0.watch('/a', '1')).toEqual(OK);
    expect(dom0.watch('/a', '2')).toEqual(OK);
    dom0.start();
    expect(dom0.start()).toBeGreaterThan(0);
  });
});
