// What a guest kernel sees of the machine it runs on: the operations a vCPU's code can yield
// (compute, block, yield, shut down) and the synchronous interface it calls (hypercalls, its
// own memory). Guest code is a generator per vCPU: it reads like the program it models.
//
// `yield 5000` (a plain number) is shorthand for computing 5000 ns in guest user mode.
import { SHUTDOWN, type ShutdownReason } from './xen';
import type { GuestNote } from './notes';

export type CpuMode = 'user' | 'kernel';

export type GuestOp =
  /** Occupy the vCPU for `ns` of running time (it may be preempted and resumed). An
   *  `interruptible` computation (user code) is interrupted by an event for the vCPU when its
   *  kernel has registered an upcall handler (`VcpuEnv.setUpcallHandler`): Xen bounces the
   *  vCPU into the handler, which runs to its end, and the computation then goes on where it
   *  stopped. */
  | { readonly op: 'compute'; readonly ns: number; readonly mode: CpuMode; readonly interruptible?: boolean }
  /** SCHEDOP_block: sleep until an event is pending; with `until`, a one-shot timer
   *  (set_timer_op) raises VIRQ_TIMER at that absolute time. Resumes with the wake time. */
  | { readonly op: 'block'; readonly until?: number }
  /** SCHEDOP_yield: give up the pCPU but stay runnable. */
  | { readonly op: 'yield' }
  /** SCHEDOP_shutdown with a reason. The vCPU never resumes. */
  | { readonly op: 'shutdown'; readonly reason: ShutdownReason }
  /** An I/O instruction or a load/store to device memory: in/out on a port, or MMIO.
   *  Resumes with the value read (0 for a write). Natively it reaches the device; in an HVM
   *  guest it traps. */
  | { readonly op: 'io'; readonly space: 'pio' | 'mmio'; readonly dir: 'in' | 'out'; readonly addr: number; readonly size: 1 | 2 | 4; readonly value: number }
  /** Memory-management work of the kernel, `count` times over: what the MMU does natively and a
   *  hypervisor may have to see (shadow paging traps PTE writes, CR3 loads and INVLPG). A PV
   *  kernel makes hypercalls instead (mmu_update, mmuext_op); it yields `pte-write` only with
   *  writable page tables on, and faults and TLB misses. Resumes with 0. */
  | { readonly op: 'mmu'; readonly kind: MmuOpKind; readonly count: number }
  /** `count` system calls' entries into the kernel and returns to user mode (the work of the
   *  call itself is a kernel compute). */
  | { readonly op: 'syscall'; readonly count: number };

/** pte-write: a store to a page-table entry; cr3: loading the page-table base; invlpg: one TLB
 *  entry flushed; page-fault: a fault the kernel resolves (not-present or copy-on-write);
 *  prot-fault: a protection fault delivered to the process as a signal; tlb-miss: a page walk. */
export type MmuOpKind = 'pte-write' | 'cr3' | 'invlpg' | 'page-fault' | 'prot-fault' | 'tlb-miss';

export type GuestProgram = Generator<GuestOp | number, void, number>;

/** The synchronous side of a vCPU: what kernel code can call between yields. */
export interface VcpuEnv {
  readonly domid: number;
  readonly vcpu: number;
  /** Current simulated time in ns. */
  now(): number;
  /** Invokes hypercall `nr` (HYPERCALL.*). Its cost is charged to this vCPU as hypervisor
   *  time before the program's next operation runs. Returns 0/positive or -errno. */
  hypercall(nr: number, ...args: unknown[]): number;
  /** True when an event upcall is pending for this vCPU (evtchn_upcall_pending). */
  upcallPending(): boolean;
  /** The upcall flagged while the vCPU ran, taken now: Xen bounces a vCPU with
   *  evtchn_upcall_pending set into its event callback as it returns to the guest, clearing the
   *  flag, and the bounce is hypervisor time. False (and no cost) when none is pending. */
  takeUpcall(): boolean;
  /** CALLBACKOP_register's event callback, as a program: an event for the vCPU while it runs an
   *  interruptible computation makes Xen clear evtchn_upcall_pending and bounce the vCPU into
   *  a run of `handler()` at once (its own events wait until it ends). Undefined unregisters. */
  setUpcallHandler(handler: (() => GuestProgram) | undefined): void;
  /** The domain's shared_info page: event-channel pending/mask bits and vcpu_info. */
  readonly sharedInfo: Uint8Array;
  /** Pages of the domain's own pseudo-physical memory. */
  readonly nrPages: number;
  /** A page of its own memory by frame number, or undefined past the end. */
  page(gfn: number): Uint8Array | undefined;
  /** A machine frame the domain owns (its grant-table frames after GNTTABOP_setup_table). */
  machinePage(mfn: number): Uint8Array | undefined;
  /** A PV guest's P2M (start_info's mfn_list): the machine frame behind its page `gfn`, which
   *  is what its page-table entries hold. -1 for other guests and for gfns past the end. */
  machineFrame(gfn: number): number;
  /** A page granted by another domain and mapped here (the handle from map_grant_ref). */
  mappedPage(handle: number): { page: Uint8Array; writable: boolean } | undefined;
  /** Privileged foreign mapping of another domain's page (the toolstack, a device model). */
  foreignPage(domid: number, gfn: number): Uint8Array | undefined;
  /** Interrupt lines raised for this vCPU since the last call (the kernel's IRQ entry takes
   *  and acknowledges them; an EOI to the local APIC). */
  takeInterrupts(): number;
  /** True while somebody watches the trace stream: check it before building a note. */
  readonly tracing?: boolean;
  /** Reports a narration point (./notes): free, and changing nothing in the model. */
  note?(n: GuestNote): void;
}

/** A kernel's entry point: one program per vCPU. */
export type GuestKernel = (env: VcpuEnv) => GuestProgram;

export const compute = (ns: number, mode: CpuMode = 'user'): GuestOp => ({ op: 'compute', ns, mode });
/** User code an event may interrupt (see `compute`). */
export const interruptible = (ns: number): GuestOp => ({ op: 'compute', ns, mode: 'user', interruptible: true });
export const block = (until?: number): GuestOp => (until === undefined ? BLOCK : { op: 'block', until });
export const YIELD: GuestOp = { op: 'yield' };
export const pio = (dir: 'in' | 'out', addr: number, size: 1 | 2 | 4, value = 0): GuestOp => ({ op: 'io', space: 'pio', dir, addr, size, value });
export const mmio = (dir: 'in' | 'out', addr: number, size: 1 | 2 | 4, value = 0): GuestOp => ({ op: 'io', space: 'mmio', dir, addr, size, value });
export const mmuOp = (kind: MmuOpKind, count = 1): GuestOp => ({ op: 'mmu', kind, count });
export const syscall = (count = 1): GuestOp => ({ op: 'syscall', count });
const BLOCK: GuestOp = { op: 'block' };

/**
 * Why `op` is not an operation a vCPU can carry out, or undefined when it is well formed.
 * Times are integer nanoseconds (DESIGN.md), so a NaN, negative, fractional or infinite
 * duration is malformed, as are an unknown operation, mode, shutdown reason or I/O space.
 * The scheduling core crashes a domain whose code yields one, as Xen crashes a PV guest that
 * hands it something impossible; it never throws.
 */
export function malformedGuestOp(op: unknown): string | undefined {
  if (typeof op === 'number') return isTime(op) ? undefined : `compute for ${op} ns`;
  if (typeof op !== 'object' || op === null) return `not an operation: ${typeof op}`;
  const o = op as Record<string, unknown>;
  switch (o['op']) {
    case 'compute':
      if (!isTime(o['ns'])) return `compute for ${String(o['ns'])} ns`;
      if (o['interruptible'] !== undefined && typeof o['interruptible'] !== 'boolean') return `compute, interruptible ${String(o['interruptible'])}`;
      return o['mode'] === 'user' || o['mode'] === 'kernel' ? undefined : `compute in mode ${String(o['mode'])}`;
    case 'block':
      return o['until'] === undefined || isTime(o['until']) ? undefined : `block until ${String(o['until'])}`;
    case 'yield':
      return undefined;
    case 'shutdown':
      return typeof o['reason'] === 'string' && Object.hasOwn(SHUTDOWN, o['reason']) ? undefined : `shutdown for reason ${String(o['reason'])}`;
    case 'io':
      return (o['space'] === 'pio' || o['space'] === 'mmio') && (o['dir'] === 'in' || o['dir'] === 'out') ? undefined : 'I/O with no such space or direction';
    case 'mmu':
    case 'syscall':
      return Number.isSafeInteger(o['count']) && (o['count'] as number) >= 0 ? undefined : `${String(o['op'])} ${String(o['count'])} times`;
    default: // a new kind of operation must be added above, or its guests are crashed
      return `no operation called ${String(o['op'])}`;
  }
}

/** A point or span of simulated time: an integer number of ns, not negative. */
export function isTime(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}
