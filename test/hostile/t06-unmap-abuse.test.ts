// T6: unmapping what one does not hold: bogus, malformed, stale and double handles get
// GNTST_bad_handle, a device map unmapped at the wrong address GNTST_bad_dev_addr; pin counts
// equal live mappings at every step (the checker walks them), and the grant can be revoked
// exactly when its last mapping is gone.
import { describe, expect, it } from 'vitest';
import { GNTST } from '../../hypervisor/public/grant_table';
import { isolation } from './harness';

describe('T6: unmap abuse', () => {
  it('gets GNTST_bad_handle for every handle it does not hold, and pins always equal mappings', () => {
    const iso = isolation({ attack: 'T6', checker: { every: 1 } });
    const o = iso.lab.hostile!.log.outcomes;
    const bad = GNTST.bad_handle;
    expect(o['map.twice']).toEqual([GNTST.okay, GNTST.okay]);
    expect(o['bogus']).toEqual([bad, bad, bad, bad]);
    expect(o['malformed']).toEqual([bad, bad, bad]);
    expect(o['first']).toEqual([GNTST.okay]);
    expect(o['revokeWithOneLeft']).toBe(false);
    expect(o['double']).toEqual([bad]);
    expect(o['second']).toEqual([GNTST.okay]);
    expect(o['flagsAfter']).toBe(0);
    expect(o['revokeWhenUnmapped']).toBe(true);
    expect(o['wrongDevAddr']).toBe(GNTST.bad_dev_addr);
    expect(o['devUnmap']).toEqual([GNTST.okay]);
    expect(iso.lab.w.hv.grants.liveMappings().filter((m) => m.mapper === iso.lab.hostile!.domain.id)).toEqual([]);
  });
});
