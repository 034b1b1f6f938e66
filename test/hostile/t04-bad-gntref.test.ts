// T4: grant references past the end of any table get GNTST_bad_gntref (GNTST_bad_domain where
// the domain does not exist), by map and by copy, and nothing is pinned.
import { describe, expect, it } from 'vitest';
import { GNTST } from '../../hypervisor/public/grant_table';
import { isolation } from './harness';

describe('T4: grant refs out of range', () => {
  it('get GNTST_bad_gntref by map and by copy, and leave nothing pinned', () => {
    const iso = isolation({ attack: 'T4' });
    const { hv } = iso.lab.w;
    const h = iso.lab.hostile!;
    const o = h.log.outcomes;
    expect(o['map.okay']).toBe(0);
    expect(o['map.self']).toBe(GNTST.bad_gntref);
    expect(o['map.statuses']).toEqual([GNTST.bad_gntref, GNTST.bad_domain]);
    expect(o['copy.fromBadRef']).toBe(GNTST.bad_gntref);
    expect(hv.grants.liveMappings().filter((m) => m.mapper === h.domain.id)).toEqual([]);
    // Five refs at itself, dom0 and the victim, then one more map and the copy.
    expect(hv.grants.counters.failuresByReason['ref-out-of-range']).toBe(3 * 5 + 2);
    expect(hv.grants.checkInvariants()).toEqual([]);
  });
});
