// T1: a frontend that moves req_prod more than a ring ahead of the responses, or back behind
// what the backend consumed, loses that device (error node, Closing) and nothing else; the
// legal twin, a ring whose free-running indices wrap past 2^32 - 1, keeps working.
import { describe, expect, it } from 'vitest';
import { XenbusState } from '../../hypervisor/public/io/xs_wire';
import { isolation } from './harness';

describe('T1: ring producer overrun', () => {
  it('closes only the overrun devices, keeps a wrapping ring working, and the victim does not notice', () => {
    const iso = isolation({ attack: 'T1', hostileDisks: 3 });
    const h = iso.lab.hostile!;
    const o = h.log.outcomes;
    for (const step of ['ahead', 'behind']) {
      expect(o[`${step}.backendState`], step).toBe(XenbusState.Closing);
      expect(o[`${step}.error`], step).toMatch(/frontend provided bogus ring requests/);
    }
    expect(h.backends.map((b) => b.failed !== undefined)).toEqual([true, true, false]);
    // 128 requests one at a time from index 2^32 - 8: req_prod wrapped to 120, all answered.
    expect(o['wrap.roundTrips']).toBe(64);
    expect(o['wrap.finalReqProd']).toBe(120);
    expect(h.backends[2]!.state).toBe(XenbusState.Connected);
  });
});
