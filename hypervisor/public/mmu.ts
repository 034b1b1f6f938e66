// PV direct paging's ABI (public/xen.h): mmu_update requests, mmuext_op commands, vm_assist
// types, the x86 PTE flag bits, and typed wrappers over the calls in the spirit of Linux's
// HYPERVISOR_mmu_update / HYPERVISOR_mmuext_op. A PV kernel's page tables hold machine frame
// numbers; every update is validated by Xen (REFERENCE §9.1).
import type { VcpuEnv } from './guest';
import { HYPERCALL, DOMID_SELF } from './xen';

/** mmu_update commands, in the low two bits of `ptr`. */
export const MMU_NORMAL_PT_UPDATE = 0;
export const MMU_MACHPHYS_UPDATE = 1;
export const MMU_PT_UPDATE_PRESERVE_AD = 2;
export const MMU_PT_UPDATE_NO_TRANSLATE = 3;

/** One mmu_update request: `ptr` is the machine address of the PTE (| command), `val` the new entry. */
export interface MmuUpdate {
  ptr: number;
  val: number;
}

/** mmuext_op commands. */
export const MMUEXT = {
  PIN_L1_TABLE: 0, PIN_L2_TABLE: 1, PIN_L3_TABLE: 2, PIN_L4_TABLE: 3, UNPIN_TABLE: 4,
  NEW_BASEPTR: 5, TLB_FLUSH_LOCAL: 6, INVLPG_LOCAL: 7, TLB_FLUSH_MULTI: 8, INVLPG_MULTI: 9,
  TLB_FLUSH_ALL: 10, INVLPG_ALL: 11, FLUSH_CACHE: 12, SET_LDT: 13, NEW_USER_BASEPTR: 15,
  CLEAR_PAGE: 16, COPY_PAGE: 17,
} as const;

/** One mmuext_op: `mfn` for pins and base pointers, `linear_addr` for INVLPG. */
export interface MmuextOp {
  cmd: number;
  mfn?: number;
  linear_addr?: number;
}

/** vm_assist commands and the writable-page-tables assist. */
export const VMASST_CMD_enable = 0;
export const VMASST_CMD_disable = 1;
export const VMASST_TYPE_writable_pagetables = 2;

/** x86 page-table entry bits pvlab's kernels use. */
export const PTE_PRESENT = 1;
export const PTE_RW = 2;
export const PTE_USER = 4;

export const PAGE_BYTES = 4096;

/** One multicall entry (public/xen.h multicall_entry): Xen writes `result`. */
export interface MulticallEntry {
  op: number;
  args: unknown[];
  result?: number;
}

/** HYPERVISOR_mmu_update over `reqs`: 0 or the first failure's -errno; `done` counts those applied. */
export function mmuUpdate(env: VcpuEnv, reqs: readonly MmuUpdate[]): { rc: number; done: number } {
  const pdone = { done: 0 };
  const rc = env.hypercall(HYPERCALL.mmu_update, reqs, reqs.length, pdone, DOMID_SELF);
  return { rc, done: pdone.done };
}

/** HYPERVISOR_mmuext_op over `ops`. */
export function mmuextOp(env: VcpuEnv, ops: readonly MmuextOp[]): { rc: number; done: number } {
  const pdone = { done: 0 };
  const rc = env.hypercall(HYPERCALL.mmuext_op, ops, ops.length, pdone, DOMID_SELF);
  return { rc, done: pdone.done };
}

/** HYPERVISOR_multicall: returns 0 or -errno for the list itself; each entry's `result` is set. */
export function multicall(env: VcpuEnv, entries: MulticallEntry[]): number {
  return env.hypercall(HYPERCALL.multicall, entries, entries.length);
}
