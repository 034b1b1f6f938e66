// T15: a frontend that never reads its responses. It keeps its block ring full, fills its
// xenstore quotas (nodes: ENOSPC, watches: E2BIG), then floods xenstored with requests whose
// replies and watch events it never reads: xenstored stops reading its requests and keeps a
// bounded backlog (back-pressure). Destroyed with requests in flight, it leaves nothing:
// every pool is back to what it is in the run without it.
import { describe, expect, it } from 'vitest';
import { E2BIG, ENOSPC } from '../../hypervisor/public/errno';
import { DEFAULT_QUOTAS } from '../../dom0/xenstore/quota';
import { XS_MAX_QUEUED_BYTES } from '../../dom0/xenstore/service';
import { destroyHostile, expectCleanedUp, isolation, MS, runLab, settle } from './harness';

describe('T15: a frontend that never consumes, floods xenstore, and dies with requests in flight', () => {
  it('meets its quotas and xenstored back-pressure, and on destroy every pool returns to baseline', () => {
    let inFlightAtDestroy = 0;
    let backlog = { messages: 0, bytes: 0 };
    let ownedAtDestroy = 0;
    const iso = isolation({ attack: 'T15', attackOpts: { durationNs: 200 * MS } }, (lab) => {
      const h = lab.hostile!;
      const flooding = (): boolean => ((h.log.outcomes['flood.ringFull'] as number | undefined) ?? 0) > 50;
      lab.checker.runUntil(flooding, 150 * MS);
      backlog = lab.w.dom0.xs.queued(h.domain.id);
      ownedAtDestroy = lab.w.dom0.xs.xsd.nodesOwnedBy(h.domain.id);
      inFlightAtDestroy = lab.w.hv.grants.liveMappings().filter((m) => m.granter === h.domain.id && m.mapper === 0).length;
      destroyHostile(lab);
      h.log.done = true;
      runLab(lab);
      settle(lab);
    });
    const h = iso.lab.hostile!;
    const o = h.log.outcomes;
    const owned = iso.lab.w.dom0.xs.xsd.nodesOwnedBy(h.domain.id);
    expect(owned).toBe(0);
    expect(o['nodes.refusedWith']).toBe(ENOSPC);
    expect(ownedAtDestroy).toBe(DEFAULT_QUOTAS.maxNodesPerDomain);
    expect(o['nodes.created']).toBeGreaterThan(0.9 * DEFAULT_QUOTAS.maxNodesPerDomain);
    expect(o['watches.registered']).toBe(DEFAULT_QUOTAS.maxWatchesPerDomain - 1); // its frontend holds one
    expect(o['watches.refusedWith']).toBe(E2BIG);
    // Its request ring filled up because xenstored stopped reading it: back-pressure.
    expect(o['flood.ringFull']).toBeGreaterThan(50);
    expect(iso.lab.w.dom0.xs.backPressure.stalls).toBeGreaterThan(0);
    expect(backlog.bytes).toBeLessThanOrEqual(XS_MAX_QUEUED_BYTES);
    expect(o['ring.inFlight']).toBe(32);
    expect(inFlightAtDestroy).toBeGreaterThan(1); // the ring and data pages were still mapped
    expectCleanedUp(iso, h.domain.id);
  });
});
