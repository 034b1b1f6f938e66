// PV direct paging's hypercalls (REFERENCE §1.1, §9.1): mmu_update (#1), mmuext_op (#26),
// vm_assist (#21) and iret (#23). Each request is copied out of the guest's list once, then
// validated by pvmm.ts. Batches stop at the first failure: the call returns its -errno and
// `*pdone` counts the requests applied before it, as Xen does. Cost: the trap (charged by the
// hypercall table) plus the per-entry validation of the platform profile.
import { EFAULT, EINVAL, ENOSYS, EPERM } from '../public/errno';
import { MMUEXT, VMASST_CMD_disable, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables } from '../public/mmu';
import { DOMID_SELF } from '../public/xen';
import type { Hypervisor } from '../hypervisor';
import type { PvPaging } from '../pvmm';
import type { Vcpu } from '../vcpu';

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** The common prologue of mmu_update and mmuext_op: the list, its count, `foreigndom`. */
function batchArgs(v: Vcpu, args: readonly unknown[]): { list: readonly unknown[]; count: number; pdone: Record<string, unknown> | undefined } | number {
  const [list, count, pdone, foreigndom] = args;
  if (!Array.isArray(list) || !isInt(count) || count > list.length) return -EFAULT;
  // Mapping another domain's frames (foreigndom) is the toolstack's privilege; pvlab's
  // toolstack does not need it, so it is refused to everyone else and not modelled.
  if (foreigndom !== undefined && foreigndom !== DOMID_SELF && foreigndom !== v.domain.id) return v.domain.privileged ? -ENOSYS : -EPERM;
  return { list, count, pdone: typeof pdone === 'object' && pdone !== null ? (pdone as Record<string, unknown>) : undefined };
}

function field(o: unknown, k: string): number | undefined {
  if (typeof o !== 'object' || o === null) return undefined;
  const x = (o as Record<string, unknown>)[k];
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined;
}

/** mmu_update(req[], count, pdone, foreigndom). */
export function mmuUpdateOp(hv: Hypervisor) {
  const m = hv.profile.mmu;
  return (v: Vcpu, args: readonly unknown[]): number => {
    const pv = v.domain.pv;
    const a = batchArgs(v, args);
    if (typeof a === 'number' || !pv) return typeof a === 'number' ? a : -ENOSYS;
    let done = 0;
    let rc = 0;
    for (; done < a.count; done++) {
      const ptr = field(a.list[done], 'ptr');
      const val = field(a.list[done], 'val');
      rc = ptr === undefined || val === undefined ? -EFAULT : pv.update(ptr, val);
      if (rc < 0) break;
    }
    v.domain.mmu.mmuUpdateEntries += done;
    // The trap itself is the table's hypercall charge; the base beyond it (none on pvlab's
    // platforms) and each request's validation are charged here, the failing one included.
    v.hvOwedNs += Math.max(0, m.pvMmuUpdateBaseNs - hv.profile.hypervisor.hypercallNs) + (done + (rc < 0 ? 1 : 0)) * m.pvMmuUpdatePerEntryNs;
    if (a.pdone) a.pdone['done'] = done;
    return rc;
  };
}

/** mmuext_op(op[], count, pdone, foreigndom). */
export function mmuextOp(hv: Hypervisor) {
  return (v: Vcpu, args: readonly unknown[]): number => {
    const pv = v.domain.pv;
    const a = batchArgs(v, args);
    if (typeof a === 'number' || !pv) return typeof a === 'number' ? a : -ENOSYS;
    let done = 0;
    let rc = 0;
    for (; done < a.count; done++) {
      rc = extOne(hv, v, pv, a.list[done]);
      if (rc < 0) break;
    }
    if (a.pdone) a.pdone['done'] = done;
    return rc;
  };
}

function extOne(hv: Hypervisor, v: Vcpu, pv: PvPaging, op: unknown): number {
  const cmd = field(op, 'cmd');
  const mfn = field(op, 'mfn');
  const m = hv.profile.mmu;
  const c = v.domain.mmu;
  if (cmd === undefined) return -EFAULT;
  switch (cmd) {
    case MMUEXT.PIN_L1_TABLE:
    case MMUEXT.PIN_L2_TABLE:
    case MMUEXT.PIN_L3_TABLE:
    case MMUEXT.PIN_L4_TABLE:
      if (mfn === undefined) return -EFAULT;
      v.hvOwedNs += m.pvMmuUpdatePerEntryNs;
      c.pins++;
      return pv.pin(mfn, cmd - MMUEXT.PIN_L1_TABLE + 1);
    case MMUEXT.UNPIN_TABLE:
      if (mfn === undefined) return -EFAULT;
      v.hvOwedNs += m.pvMmuUpdatePerEntryNs;
      return pv.unpin(mfn);
    case MMUEXT.NEW_BASEPTR:
    case MMUEXT.NEW_USER_BASEPTR: {
      if (mfn === undefined) return -EFAULT;
      if (cmd === MMUEXT.NEW_USER_BASEPTR && pv.levels !== 4) return -EINVAL; // x86-64 only
      v.hvOwedNs += m.pvMmuUpdatePerEntryNs;
      const rc = pv.newBaseptr(mfn, cmd === MMUEXT.NEW_USER_BASEPTR);
      if (rc === 0 && cmd === MMUEXT.NEW_BASEPTR) c.cr3Loads++;
      return rc;
    }
    case MMUEXT.TLB_FLUSH_LOCAL:
    case MMUEXT.INVLPG_LOCAL:
      v.hvOwedNs += m.invlpgNs;
      c.invlpgs++;
      return 0;
    default:
      return -ENOSYS;
  }
}

/** vm_assist(cmd, type): only the writable-page-tables assist is modelled. */
export function vmAssistOp() {
  return (v: Vcpu, args: readonly unknown[]): number => {
    const [cmd, type] = args;
    const pv = v.domain.pv;
    if (!pv || (cmd !== VMASST_CMD_enable && cmd !== VMASST_CMD_disable)) return -EINVAL;
    if (type !== VMASST_TYPE_writable_pagetables) return -EINVAL;
    pv.writablePageTables = cmd === VMASST_CMD_enable;
    return 0;
  };
}

/** iret: a 64-bit PV kernel's return to user mode after a bounced trap (nothing to check here). */
export function iretOp() {
  return (): number => 0;
}
