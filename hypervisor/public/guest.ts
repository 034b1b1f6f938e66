// What a guest kernel sees of the machine it runs on: the operations a vCPU's code can yield
// (compute, block, yield, shut down) and the synchronous interface it calls (hypercalls, its
// own memory). Guest code is a generator per vCPU: it reads like the program it models.
//
// `yield 5000` (a plain number) is shorthand for computing 5000 ns in guest user mode.
import type { ShutdownReason } from './xen';

export type CpuMode = 'user' | 'kernel';

export type GuestOp =
  /** Occupy the vCPU for `ns` of running time (it may be preempted and resumed). */
  | { readonly op: 'compute'; readonly ns: number; readonly mode: CpuMode }
  /** SCHEDOP_block: sleep until an event is pending; with `until`, a one-shot timer
   *  (set_timer_op) raises VIRQ_TIMER at that absolute time. Resumes with the wake time. */
  | { readonly op: 'block'; readonly until?: number }
  /** SCHEDOP_yield: give up the pCPU but stay runnable. */
  | { readonly op: 'yield' }
  /** SCHEDOP_shutdown with a reason. The vCPU never resumes. */
  | { readonly op: 'shutdown'; readonly reason: ShutdownReason };

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
}

/** A kernel's entry point: one program per vCPU. */
export type GuestKernel = (env: VcpuEnv) => GuestProgram;

export const compute = (ns: number, mode: CpuMode = 'user'): GuestOp => ({ op: 'compute', ns, mode });
export const block = (until?: number): GuestOp => (until === undefined ? BLOCK : { op: 'block', until });
export const YIELD: GuestOp = { op: 'yield' };
const BLOCK: GuestOp = { op: 'block' };
