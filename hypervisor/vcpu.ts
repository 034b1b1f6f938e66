// A virtual CPU: its runstate with the time spent in each (RUNSTATE_running / runnable /
// blocked / offline, as VCPUOP_get_runstate_info reports them), the guest program it runs,
// and the progress of that program's current operation. Scheduling policy lives in the
// scheduler; moving between runstates lives in the scheduling core (sched/core.ts).
import type { GuestProgram, GuestOp, CpuMode } from './public/guest';
import type { Runstate } from './public/xen';
import { Histogram } from '../hw/histogram';
import type { Handler } from '../hw/engine';
import type { Domain } from './domain';

export class Vcpu implements Handler {
  runstate: Runstate = 'offline';
  private since = 0;
  /** Time in each runstate up to `since`. Fields rather than an object of their own, like the
   *  running time below: they change on every runstate change. */
  private tRunning = 0;
  private tRunnable = 0;
  private tBlocked = 0;
  private tOffline = 0;
  /** The pCPU it runs on or is queued for (Xen's v->processor). */
  processor: number;
  /** Hard affinity: the pCPUs it may run on, as a list and as a bitmap for O(1) membership:
   *  pCPUs 0-63 in two words of the vCPU itself, any beyond in an array. */
  private affinityList: number[] = [];
  private affLo = 0;
  private affHi = 0;
  private affBeyond: Uint8Array | null = null;
  /** Guest state: blocked in SCHEDOP_block, program ended (down), paused by the scheduler (parked). */
  blocked = false;
  /** Waiting for an I/O instruction to complete (an ioreq at the device model). */
  waitingIo = false;
  /** Interrupt lines pending for this vCPU (its virtual interrupt controller). */
  irqPending = 0;
  down = false;
  /** Taken offline by the toolstack (`xl vcpu-set`, virDomainSetVcpus): Xen's _VPF_down. pvlab's
   *  guest kernels honour the request at once rather than through their xenstore watch. */
  unplugged = false;
  schedPaused = false;
  /** When it last became runnable from blocked; -1 when not waiting after a wake. */
  wokeAt = -1;
  readonly wakeLatency = new Histogram();
  /** Execution of the current operation. */
  program: GuestProgram | undefined;
  remainingNs = 0;
  mode: CpuMode = 'user';
  /** Hypervisor time owed by hypercalls made since the last op, burned before the next. */
  hvOwedNs = 0;
  lastResult = 0;
  /** An upcall was flagged while it was not blocked (Xen sends it an IPI): an interruptible
   *  computation is cut short for its upcall handler. Cleared as it enters an upcall. */
  eventsDue = false;
  /** The current operation is an interruptible computation. */
  interruptible = false;
  /** Its kernel's event callback (VcpuEnv.setUpcallHandler). */
  upcallHandler: (() => GuestProgram) | undefined;
  /** While the handler runs: the program and computation it interrupted. */
  interruptedCtx: { program: GuestProgram; remainingNs: number; mode: CpuMode } | undefined;
  /** An operation waiting for the owed hypervisor time to be paid first. */
  pendingOp: GuestOp | number | undefined;
  blockTimerAt = -1;
  /** What its one-shot timer's expiry does (set by SchedulingCore.armBlockTimer). */
  onTimer: ((v: Vcpu) => void) | undefined;
  /** Running time by mode, for where-the-time-went reports (added by the pCPU's accounting). */
  ranUser = 0;
  ranKernel = 0;
  ranHypervisor = 0;
  /** Scheduler-private data (credit, priority, queue links). */
  sched: unknown;

  constructor(
    readonly domain: Domain,
    readonly id: number,
    processor: number,
    affinity: number[],
  ) {
    this.processor = processor;
    this.affinity = affinity;
  }

  get affinity(): number[] {
    return this.affinityList;
  }

  set affinity(cpus: number[]) {
    this.affinityList = cpus;
    this.affLo = 0;
    this.affHi = 0;
    const top = cpus.reduce((m, p) => Math.max(m, p + 1), 0);
    this.affBeyond = top > 64 ? new Uint8Array(top) : null;
    for (const p of cpus) {
      if (!Number.isInteger(p) || p < 0) continue;
      if (p < 32) this.affLo |= 1 << p;
      else if (p < 64) this.affHi |= 1 << (p - 32);
      else this.affBeyond![p] = 1;
    }
  }

  get name(): string {
    return `d${this.domain.id}v${this.id}`;
  }

  /** Runnable in Xen's sense: not paused, not blocked, not down. */
  get runnable(): boolean {
    return !this.blocked && !this.waitingIo && !this.down && !this.unplugged && !this.schedPaused && this.domain.pauseCount === 0 && !this.domain.isDead;
  }

  /** Running time by mode, as of the last accounting. */
  get ran(): { user: number; kernel: number; hypervisor: number } {
    return { user: this.ranUser, kernel: this.ranKernel, hypervisor: this.ranHypervisor };
  }

  setRunstate(to: Runstate, now: number): void {
    const d = now - this.since;
    switch (this.runstate) {
      case 'running': this.tRunning += d; break;
      case 'runnable': this.tRunnable += d; break;
      case 'blocked': this.tBlocked += d; break;
      case 'offline': this.tOffline += d; break;
    }
    this.runstate = to;
    this.since = now;
  }

  /** Runstate times including the current stretch, as of `now`. */
  runstateAt(now: number): { running: number; runnable: number; blocked: number; offline: number } {
    const t = { running: this.tRunning, runnable: this.tRunnable, blocked: this.tBlocked, offline: this.tOffline };
    t[this.runstate] += now - this.since;
    return t;
  }

  canRunOn(pcpu: number): boolean {
    if (pcpu < 32) return pcpu >= 0 && ((this.affLo >>> pcpu) & 1) === 1;
    if (pcpu < 64) return ((this.affHi >>> (pcpu - 32)) & 1) === 1;
    return this.affBeyond !== null && this.affBeyond[pcpu] === 1;
  }

  /** Its one-shot timer's engine event; the tag is the deadline it was armed for, so a timer
   *  re-armed or cleared since is recognised as stale. The vCPU is the handler itself, so the
   *  event touches no object of its own. */
  fire(deadline: number): void {
    if (this.blockTimerAt === deadline) this.onTimer!(this);
  }
}
