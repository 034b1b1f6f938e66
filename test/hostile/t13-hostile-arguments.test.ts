// T13: hostile hypercall arguments. A count that lies (huge, negative, fractional, past the
// list) refuses the whole call before anything happens; frames outside the guest's memory are
// GNTST_bad_page; in a half-failing batch every element gets its own status and a refused one
// changes nothing; structs of the wrong shape are -EFAULT; sub-ops that do not exist -ENOSYS.
// (The scheduling side of T13, malformed guest operations, is malformed-ops.test.ts.)
import { describe, expect, it } from 'vitest';
import { EFAULT, EINVAL, ENOENT, ENOSYS } from '../../hypervisor/public/errno';
import { GNTST } from '../../hypervisor/public/grant_table';
import { isolation } from './harness';

describe('T13: hostile hypercall arguments', () => {
  it('are refused per call or per element, and a refused element changes nothing', () => {
    const iso = isolation({ attack: 'T13' });
    const o = iso.lab.hostile!.log.outcomes;
    expect(o['count.huge']).toBe(-EINVAL);
    expect(o['count.negative']).toBe(-EINVAL);
    expect(o['count.fraction']).toBe(-EINVAL);
    expect(o['count.pastTheList']).toBe(-EFAULT);
    expect(o['count.overBatchLimit']).toBe(-EINVAL);
    expect(o['count.statusesWritten']).toBe(0); // none of those calls touched an element
    expect(o['list.notAList']).toBe(-EFAULT);
    expect(o['count.zero']).toBe(0);
    expect(o['map.framePastMemory']).toBe(GNTST.bad_page);
    expect(o['copy.gfnPastMemory']).toBe(GNTST.bad_page);
    for (const n of ['65', '1000000000', '-1']) expect(o[`setup_table.${n}`], n).toBe(GNTST.general_error);
    expect(o['setup_table.2.5']).toBe(-EFAULT);
    const NOT_A_STRUCT = 1; // the attack's marker for an element with no status field
    expect(o['mapBatch.statuses']).toEqual([GNTST.okay, GNTST.bad_gntref, GNTST.okay, NOT_A_STRUCT, GNTST.general_error, GNTST.okay]);
    expect(o['mapBatch.mapped']).toBe(3);
    expect(o['unmapBatch.statuses']).toEqual([GNTST.okay, GNTST.okay, GNTST.okay, GNTST.bad_handle, NOT_A_STRUCT]);
    expect(o['copyBatch.statuses']).toEqual([GNTST.okay, GNTST.bad_copy_arg, GNTST.bad_copy_arg, GNTST.bad_gntref, GNTST.permission_denied]);
    expect(o['copyBatch.refusedLeftDestinationsAlone']).toBe(true);
    expect(o['copyBatch.validCopied']).toBe(true);
    expect(o['evtchn.argNotAStruct']).toBe(-EFAULT);
    expect(o['evtchn.argNull']).toBe(-EFAULT);
    expect(o['evtchn.fieldMissing']).toBe(-EFAULT);
    expect(o['evtchn.fieldAString']).toBe(-EFAULT);
    expect(o['evtchn.cmdNotANumber']).toBe(-EFAULT);
    expect(o['evtchn.unknownCmd']).toBe(-ENOSYS);
    expect(o['evtchn.fifoCmd']).toBe(-ENOSYS);
    expect(o['evtchn.hugePort']).toBe(-EINVAL);
    expect(o['evtchn.vcpuPastTheEnd']).toBe(-ENOENT);
    expect(o['gnttab.unknownCmd']).toBe(-ENOSYS);
    expect(o['gnttab.cmdNotANumber']).toBe(-EFAULT);
    expect(o['gnttab.unmodelledCmd']).toBe(-ENOSYS);
    expect(iso.lab.w.hv.grants.liveMappings().filter((m) => m.mapper === iso.lab.hostile!.domain.id)).toEqual([]);
  });
});
