// T12: the control domain's hypercalls from a domU are -EPERM (XSM_PRIV), a device model's
// call for a domain it does not serve is -EPERM (XSM_DM_PRIV), another domain's grant table
// is GNTST_permission_denied, a global VIRQ dom0 may own is -EBUSY, and numbers with no
// hypercall behind them (or no number at all) are -ENOSYS.
import { describe, expect, it } from 'vitest';
import { EBUSY, ENOSYS, EPERM } from '../../hypervisor/public/errno';
import { GNTST } from '../../hypervisor/public/grant_table';
import { isolation } from './harness';

describe('T12: privileged and unknown hypercalls from a domU', () => {
  it('get -EPERM and -ENOSYS, and change nothing', () => {
    const iso = isolation({ attack: 'T12' });
    const o = iso.lab.hostile!.log.outcomes;
    expect(o['domctl']).toBe(-EPERM);
    expect(o['sysctl']).toBe(-EPERM);
    expect(o['dm_op.other']).toBe(-EPERM);
    expect(o['dm_op.self']).toBe(-EPERM);
    expect(o['unknown']).toEqual(Array(9).fill(-ENOSYS));
    expect(o['unmodelled']).toEqual(Array(5).fill(-ENOSYS));
    expect(o['xen_version']).toBeGreaterThan(0);
    expect(o['setup_table.other']).toBe(GNTST.permission_denied);
    expect(o['query_size.other']).toBe(GNTST.permission_denied);
    expect(o['bind_virq.domExc']).toBe(-EBUSY);
    expect(o['evtchn.reset.other']).toBe(-EPERM);
  });
});
