// T7: a page dom0 has mapped for a read in flight cannot be revoked, and when its granter is
// destroyed meanwhile the frame stays allocated (still the dead domain's, in nobody's p2m)
// until dom0 unmaps it; then it is freed and nothing of the domain is left.
import { describe, expect, it } from 'vitest';
import { destroyHostile, expectCleanedUp, isolation, runLab, RUN_LIMIT_NS, settle } from './harness';

describe('T7: revoking a grant the backend has mapped, then dying', () => {
  it('is refused, and the frame is not reused until dom0 unmaps it', () => {
    let mfn = -1;
    let ownerAfterDestroy = -2;
    let mappedAfterDestroy = 0;
    const iso = isolation({ attack: 'T7' }, (lab) => {
      const h = lab.hostile!;
      lab.checker.runUntil(() => h.log.outcomes['waitingToBeDestroyed'] === true, RUN_LIMIT_NS);
      mfn = h.domain.p2m[h.log.outcomes['page.gfn'] as number]!;
      destroyHostile(lab);
      lab.checker.step(); // the hypervisor finishes the destroy at once
      ownerAfterDestroy = lab.w.hv.memory.owner(mfn);
      mappedAfterDestroy = lab.w.hv.grants.liveMappings().filter((m) => m.mfn === mfn).length;
      runLab(lab);
      settle(lab);
    });
    const h = iso.lab.hostile!;
    const o = h.log.outcomes;
    expect(o['mappedByBackend']).toBe(true);
    expect(o['revokeWhileMapped']).toBe(false);
    expect(o['entryAfterRevoke']).toBe(true);
    expect(h.domain.life).toBe('dead');
    expect(ownerAfterDestroy).toBe(h.domain.id); // kept, not handed to anyone
    expect(mappedAfterDestroy).toBeGreaterThan(0);
    // Freed at the last unmap: now free, or handed (scrubbed) to whoever allocated next.
    expect(iso.lab.w.hv.memory.owner(mfn)).not.toBe(h.domain.id);
    expect(iso.lab.w.hv.grants.liveMappings().filter((m) => m.mfn === mfn)).toEqual([]);
    expectCleanedUp(iso, h.domain.id);
  });
});
