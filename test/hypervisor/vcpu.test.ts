import { describe, expect, it } from 'vitest';
import { Vcpu } from '../../hypervisor/vcpu';
import type { Domain } from '../../hypervisor/domain';

describe('a vCPU', () => {
  it('answers hard-affinity membership for pCPUs below 32, from 32 to 63 and beyond 64', () => {
    const pinned = [0, 5, 31, 32, 40, 63, 64, 100];
    const v = new Vcpu({} as Domain, 0, 0, pinned);
    for (let p = 0; p < 128; p++) expect(v.canRunOn(p)).toBe(pinned.includes(p));
    expect(v.canRunOn(-1)).toBe(false);
    // A new affinity replaces the old one entirely (xl vcpu-pin).
    v.affinity = [1, 33];
    for (let p = 0; p < 128; p++) expect(v.canRunOn(p)).toBe(p === 1 || p === 33);
    expect(v.affinity).toEqual([1, 33]);
  });

  it('keeps the time of each runstate, and counts the current stretch up to the time asked', () => {
    const v = new Vcpu({} as Domain, 0, 0, [0]);
    v.setRunstate('runnable', 100);
    v.setRunstate('running', 250);
    v.setRunstate('blocked', 1_000);
    v.setRunstate('running', 1_600);
    expect(v.runstateAt(2_000)).toEqual({ offline: 100, runnable: 150, running: 750 + 400, blocked: 600 });
  });
});
