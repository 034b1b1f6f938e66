// The scheduler interface: a table of operations, like Xen's `struct scheduler`, that every
// policy fills in (credit, rr, ...), so policies are interchangeable. The scheduling core
// (core.ts) owns runstates, timers, context switches and the execution of guest programs;
// a policy only decides who runs where and for how long.
import type { Domain } from '../domain';
import type { Vcpu } from '../vcpu';
import type { Trace } from '../trace';

export interface SchedDecision {
  /** The vCPU to run next, or null for the idle vCPU. */
  readonly next: Vcpu | null;
  /** How long it may run before the next decision; Infinity = until something happens. */
  readonly sliceNs: number;
  /** Why this choice, for traces and narration ("BOOST after wake", "stolen from pCPU1"). */
  readonly why: string;
  /** The previous vCPU simply continues (ratelimit): its run is not restarted. */
  readonly continuing?: boolean;
}

/** What the core offers a policy. */
export interface SchedCore {
  readonly nrPcpus: number;
  readonly trace: Trace;
  now(): number;
  /** How many pCPUs run idle now. */
  readonly idlePcpus: number;
  /** The vCPU running on a pCPU, or null when it runs idle. */
  current(pcpu: number): Vcpu | null;
  /** Asks a pCPU to run its scheduler soon (raise SCHEDULE_SOFTIRQ, by IPI if remote). `why`
   *  goes to the trace only: callers build it when `trace.on`, and pass '' otherwise. */
  tickle(pcpu: number, why: string): void;
  /** Takes a vCPU off the CPUs / lets it back (credit parks capped vCPUs this way). */
  pauseVcpu(v: Vcpu): void;
  unpauseVcpu(v: Vcpu): void;
  /** A periodic callback every `periodNs` (accounting). */
  every(periodNs: number, fn: () => void, phaseNs?: number): void;
  /** A per-pCPU tick every `periodNs`, on multiples of the period, suspended while the pCPU
   *  runs idle (Xen's sched_tick_suspend/sched_tick_resume around the idle loop's sleep). */
  pcpuTick(periodNs: number, fn: (pcpu: number) => void): void;
}

export interface SchedParams {
  weight?: number;
  cap?: number;
}

export interface Scheduler {
  readonly name: string;
  attach(core: SchedCore): void;
  insertDomain(d: Domain): void;
  removeDomain(d: Domain): void;
  insertVcpu(v: Vcpu): void;
  removeVcpu(v: Vcpu): void;
  /** `v` stopped being runnable (blocked, paused): take it off any runqueue. */
  sleep(v: Vcpu): void;
  /** `v` became runnable: queue it and tickle a pCPU if it should run soon. */
  wake(v: Vcpu): void;
  /** `v` called SCHEDOP_yield. */
  yield(v: Vcpu): void;
  /** Chooses the pCPU a vCPU should be queued on. */
  pickCpu(v: Vcpu): number;
  /** The decision on `pcpu`. `prev` ran until now; `prevRunnable` says whether it may go on.
   *  A policy may return the same object from every call, filled in anew: read it before the
   *  next call. */
  schedule(pcpu: number, prev: Vcpu | null, prevRunnable: boolean, prevRanNs: number): SchedDecision;
  /** Sets per-domain parameters; returns 0 or -errno. */
  adjust(d: Domain, p: SchedParams): number;
  /** One line on a vCPU's scheduling state, for narration ("UNDER, credit 120"). */
  describe(v: Vcpu): string;
}
