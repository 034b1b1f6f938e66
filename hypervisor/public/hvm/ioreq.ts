// The ioreq protocol between Xen and an HVM guest's device model (public/hvm/ioreq.h,
// REFERENCE §6.2): one slot per vCPU in a shared page, the state machine
// NONE 0 → READY 1 (Xen filled it) → INPROCESS 2 (the DM took it) → IORESP_READY 3 (the DM
// answered) → NONE 0 (Xen completed the instruction), and an event channel per vCPU.
// The vCPU stays blocked while the slot is in READY or INPROCESS.

import { readU32, writeU32 } from '../le';

export const STATE_IOREQ_NONE = 0;
export const STATE_IOREQ_READY = 1;
export const STATE_IOREQ_INPROCESS = 2;
export const STATE_IORESP_READY = 3;

export const IOREQ_TYPE_PIO = 0;
export const IOREQ_TYPE_COPY = 1; // MMIO
export const IOREQ_READ = 1;
export const IOREQ_WRITE = 0;

/** Slot layout (32 bytes): addr u64, data u64, count u32, size u32, vp_eport u32, state u8,
 *  flags u8 (bit 0 data_is_ptr, bit 1 dir, bit 2 df), type u8. */
export const IOREQ_SIZE = 32;
export const IOREQ_OFF = { addr: 0, data: 8, count: 16, size: 20, vpEport: 24, state: 28, flags: 29, type: 30 } as const;

export interface Ioreq {
  addr: number;
  data: number;
  count: number;
  size: number;
  vpEport: number;
  state: number;
  dir: number;
  type: number;
}

export function readIoreq(page: Uint8Array, vcpu: number): Ioreq {
  const at = vcpu * IOREQ_SIZE;
  return {
    addr: readU32(page, at + IOREQ_OFF.addr) + readU32(page, at + IOREQ_OFF.addr + 4) * 0x100000000,
    data: readU32(page, at + IOREQ_OFF.data),
    count: readU32(page, at + IOREQ_OFF.count),
    size: readU32(page, at + IOREQ_OFF.size),
    vpEport: readU32(page, at + IOREQ_OFF.vpEport),
    state: page[at + IOREQ_OFF.state]!,
    dir: (page[at + IOREQ_OFF.flags]! >> 1) & 1,
    type: page[at + IOREQ_OFF.type]!,
  };
}

export function writeIoreq(page: Uint8Array, vcpu: number, r: Ioreq): void {
  const at = vcpu * IOREQ_SIZE;
  writeU32(page, at + IOREQ_OFF.addr, r.addr >>> 0);
  writeU32(page, at + IOREQ_OFF.addr + 4, Math.floor(r.addr / 0x100000000));
  writeU32(page, at + IOREQ_OFF.data, r.data >>> 0);
  writeU32(page, at + IOREQ_OFF.data + 4, 0);
  writeU32(page, at + IOREQ_OFF.count, r.count);
  writeU32(page, at + IOREQ_OFF.size, r.size);
  writeU32(page, at + IOREQ_OFF.vpEport, r.vpEport);
  page[at + IOREQ_OFF.flags] = (r.dir & 1) << 1;
  page[at + IOREQ_OFF.type] = r.type;
  page[at + IOREQ_OFF.state] = r.state; // state last: the slot is complete before it is READY
}

export function setIoreqState(page: Uint8Array, vcpu: number, state: number): void {
  page[vcpu * IOREQ_SIZE + IOREQ_OFF.state] = state;
}

export function setIoreqData(page: Uint8Array, vcpu: number, data: number): void {
  writeU32(page, vcpu * IOREQ_SIZE + IOREQ_OFF.data, data >>> 0);
}

/** VMX basic exit reasons pvlab counts (Intel SDM Appendix C, as Xen's vmx.h names them). */
export const EXIT_REASON = {
  /** An exception or NMI: under shadow paging, the #PF of a write to a guest page table, or a
   *  guest page fault the hypervisor must see first. */
  EXCEPTION_NMI: 0,
  EXTERNAL_INTERRUPT: 1,
  CPUID: 10,
  HLT: 12,
  INVLPG: 14,
  VMCALL: 18,
  CR_ACCESS: 28,
  IO_INSTRUCTION: 30,
  APIC_ACCESS: 44,
  EPT_VIOLATION: 48,
} as const;
export type ExitReasonName = keyof typeof EXIT_REASON;
export const EXIT_REASON_NAME: Record<number, ExitReasonName> = Object.fromEntries(
  Object.entries(EXIT_REASON).map(([k, v]) => [v, k as ExitReasonName]),
) as Record<number, ExitReasonName>;
