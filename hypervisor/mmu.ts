// Memory virtualisation as the CPU sees it (REFERENCE §9): what a guest kernel's MMU work and
// system-call entries cost under each paging mode, and what they make the hypervisor do.
//   native — the bare machine: the hardware primitive of the platform profile.
//   pv     — direct paging: page-table updates are hypercalls the kernel makes itself
//            (hypercalls/mmu-op.ts); here only what reaches Xen without one: a PTE store with
//            writable page tables on (a trap, emulated and validated: "ptwr"), faults (Xen
//            takes them and bounces them into the guest kernel), and system calls, which
//            bounce through Xen unless the platform has the 32-bit fast trap.
//   shadow — VT-x without nested paging (hap=0): every guest PTE write, CR3 load and INVLPG
//            exits, and so does every guest page fault; TLB misses walk the shadow natively.
//   hap    — VT-x with EPT/NPT: no exits; each TLB miss is a two-dimensional walk.
//   bt     — binary translation: the translator's costs for the kernel's privileged work,
//            shadow page tables kept in software; no hardware exits.
//   tcg    — emulation: everything is the native work, slowed by the emulator.
// Mechanism only: every cost is a field of the platform profile.
import type { PlatformProfile } from '../hw/platforms/profile';
import type { Domain } from './domain';
import type { Hypervisor } from './hypervisor';
import type { GuestOp, MmuOpKind } from './public/guest';
import { EXIT_REASON } from './public/hvm/ioreq';
import type { Vcpu } from './vcpu';

export type PagingMode = 'native' | 'pv' | 'shadow' | 'hap' | 'bt' | 'tcg';

/** Counts of what the domain's kernel made the MMU and the hypervisor do. */
export class MmuCounters {
  pteWrites = 0;
  cr3Loads = 0;
  invlpgs = 0;
  pageFaults = 0;
  protFaults = 0;
  tlbMisses = 0;
  syscalls = 0;
  /** Shadow paging: exits by their cause. */
  readonly shadowExits = { pteWrite: 0, cr3: 0, invlpg: 0, fault: 0 };
  /** PV: PTE stores trapped and emulated (writable page tables). */
  ptwrTraps = 0;
  /** PV: faults and system calls Xen took and bounced into the guest kernel. */
  bounces = 0;
  /** PV: mmu_update entries validated, tables pinned, base pointers loaded. */
  mmuUpdateEntries = 0;
  pins = 0;
}

export function pagingMode(d: Domain): PagingMode {
  const h = d.hvm;
  if (!h) return 'pv';
  switch (h.accel) {
    case 'bare': return 'native';
    case 'bt': return 'bt';
    case 'tcg': return 'tcg';
    case 'vtx': return h.hap ? 'hap' : 'shadow';
  }
}

/** What one unit of an operation costs: guest time, hypervisor time, and the exit it takes. */
interface Charge {
  guestNs: number;
  hvNs: number;
  exit?: number;
}

const FAULT_KINDS: ReadonlySet<MmuOpKind> = new Set(['page-fault', 'prot-fault']);
const KINDS: ReadonlySet<string> = new Set(['pte-write', 'cr3', 'invlpg', 'page-fault', 'prot-fault', 'tlb-miss']);

/** The native work of one operation: what the bare machine spends. */
function nativeNs(kind: MmuOpKind, p: PlatformProfile): number {
  const m = p.mmu;
  switch (kind) {
    case 'pte-write': return m.pteWriteNs;
    case 'cr3': return 0; // the load itself is part of the kernel's process switch
    case 'invlpg': return m.invlpgNs;
    case 'page-fault': return m.pageFaultNs;
    case 'prot-fault': return m.protectionFaultNs;
    case 'tlb-miss': return m.tlbMissWalkNs;
  }
}

/** The charge of one `kind` under `mode`, or undefined when the mode forbids it (a PV kernel
 *  loading CR3, executing INVLPG, or storing to a read-only page table). */
export function chargeOf(mode: PagingMode, kind: MmuOpKind, p: PlatformProfile, writablePt: boolean): Charge | undefined {
  const native = nativeNs(kind, p);
  const m = p.mmu;
  switch (mode) {
    case 'native':
      return { guestNs: native, hvNs: 0 };
    case 'tcg':
      return { guestNs: native * p.virt.tcgSlowdown, hvNs: 0 };
    case 'hap':
      return { guestNs: kind === 'tlb-miss' ? Math.round(native * m.nestedWalkSlowdown) : native, hvNs: 0 };
    case 'shadow':
      return shadowCharge(kind, native, p);
    case 'bt':
      return btCharge(kind, native, p);
    case 'pv':
      if (kind === 'cr3' || kind === 'invlpg' || (kind === 'pte-write' && !writablePt)) return undefined;
      if (kind === 'pte-write') return { guestNs: 0, hvNs: m.pvPtwrEmulateNs };
      return { guestNs: native, hvNs: FAULT_KINDS.has(kind) ? p.hypervisor.upcallNs : 0 };
  }
}

function shadowCharge(kind: MmuOpKind, native: number, p: PlatformProfile): Charge {
  const m = p.mmu;
  switch (kind) {
    case 'pte-write': return { guestNs: 0, hvNs: m.shadowPteWriteNs, exit: EXIT_REASON.EXCEPTION_NMI };
    case 'cr3': return { guestNs: 0, hvNs: m.shadowCr3LoadNs, exit: EXIT_REASON.CR_ACCESS };
    case 'invlpg': return { guestNs: 0, hvNs: m.shadowInvlpgNs, exit: EXIT_REASON.INVLPG };
    case 'page-fault':
    case 'prot-fault':
      // The fault exits first; the hypervisor finds it is the guest's own and reflects it.
      return { guestNs: native, hvNs: m.shadowGuestPageFaultNs, exit: EXIT_REASON.EXCEPTION_NMI };
    case 'tlb-miss': return { guestNs: native, hvNs: 0 };
  }
}

function btCharge(kind: MmuOpKind, native: number, p: PlatformProfile): Charge {
  const v = p.virt;
  switch (kind) {
    case 'pte-write': return { guestNs: 0, hvNs: v.btPteWriteNs };
    case 'cr3': return { guestNs: 0, hvNs: v.btCalloutNs };
    case 'invlpg': return { guestNs: native, hvNs: v.btCalloutNs };
    case 'page-fault':
    case 'prot-fault': return { guestNs: native, hvNs: v.btGuestPageFaultNs };
    case 'tlb-miss': return { guestNs: native, hvNs: 0 };
  }
}

/** A system call's entry and return under `mode`. */
export function syscallCharge(mode: PagingMode, p: PlatformProfile): Charge {
  const k = p.kernel.syscallNs;
  switch (mode) {
    case 'native':
    case 'shadow':
    case 'hap':
      return { guestNs: k, hvNs: 0 };
    case 'tcg':
      return { guestNs: k * p.virt.tcgSlowdown, hvNs: 0 };
    case 'bt':
      return { guestNs: k, hvNs: Math.max(0, p.virt.btSyscallNs - k) };
    case 'pv':
      // Without the fast trap Xen takes the syscall and bounces it (the return is the guest's
      // iret hypercall, counted by the hypercall table).
      return { guestNs: k, hvNs: p.hypervisor.pvSyscallFastTrap ? 0 : p.hypervisor.upcallNs };
  }
}

/** The scheduling core's hook: charges an `mmu` or `syscall` operation to the vCPU. */
export function mmuOp(hv: Hypervisor, v: Vcpu, op: GuestOp & { op: 'mmu' | 'syscall' }): void {
  const d = v.domain;
  const mode = pagingMode(d);
  const n = Math.max(0, Math.floor(op.count));
  const c = d.mmu;
  let charge: Charge | undefined;
  if (op.op === 'syscall') {
    charge = syscallCharge(mode, hv.profile);
    c.syscalls += n;
    if (mode === 'pv' && charge.hvNs > 0) c.bounces += n;
  } else {
    if (!KINDS.has(op.kind)) return void hv.crash(d.id, `no MMU operation called ${String(op.kind)}`);
    charge = chargeOf(mode, op.kind, hv.profile, d.pv?.writablePageTables ?? false);
    if (charge === undefined) {
      hv.crash(d.id, `a PV kernel may not ${op.kind === 'pte-write' ? 'write a page table without writable page tables' : `execute a privileged ${op.kind === 'cr3' ? 'CR3 load' : 'INVLPG'}`}`);
      return;
    }
    count(c, mode, op.kind, n, charge);
  }
  if (charge.exit !== undefined && n > 0) d.hvm?.exit(charge.exit, n);
  v.remainingNs += n * charge.guestNs;
  v.hvOwedNs += n * charge.hvNs;
  v.mode = op.op === 'mmu' && op.kind === 'tlb-miss' ? 'user' : 'kernel';
}

function count(c: MmuCounters, mode: PagingMode, kind: MmuOpKind, n: number, charge: Charge): void {
  switch (kind) {
    case 'pte-write': c.pteWrites += n; break;
    case 'cr3': c.cr3Loads += n; break;
    case 'invlpg': c.invlpgs += n; break;
    case 'page-fault': c.pageFaults += n; break;
    case 'prot-fault': c.protFaults += n; break;
    case 'tlb-miss': c.tlbMisses += n; break;
  }
  if (mode === 'shadow' && charge.exit !== undefined) {
    const cause = kind === 'pte-write' ? 'pteWrite' : kind === 'cr3' ? 'cr3' : kind === 'invlpg' ? 'invlpg' : 'fault';
    c.shadowExits[cause] += n;
  }
  if (mode === 'pv' && kind === 'pte-write') c.ptwrTraps += n;
  if (mode === 'pv' && FAULT_KINDS.has(kind)) c.bounces += n;
}
