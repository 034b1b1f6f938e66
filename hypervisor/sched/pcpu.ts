// Per-pCPU scheduling state and its time accounting: what the pCPU did with every
// nanosecond (guest user, guest kernel, hypervisor, idle), and the progress of the vCPU it
// runs. `settle(now)` pays the pCPU's debts in order: switch overhead, the vCPU's owed
// hypervisor time, then the guest's compute. Also the policy's per-pCPU tick, which the
// scheduling core stops while the pCPU idles.
import type { Engine, Handler, Timer } from '../../hw/engine';
import type { Vcpu } from '../vcpu';

export interface PcpuTime {
  guestUser: number;
  guestKernel: number;
  hypervisor: number;
  idle: number;
}

export class PcpuState {
  current: Vcpu | null = null;
  softirq!: Timer;
  runTimer!: Timer;
  /** The policy's tick, if it has one (suspended while the pCPU idles). */
  ticker: PcpuTicker | null = null;
  sliceEnd = Infinity;
  dispatchedAt = 0;
  /** Start of the stretch not yet accounted. */
  segStart = 0;
  overheadNs = 0;
  yielding = false;
  private idleSince = 0;
  private idle = true;
  readonly time: PcpuTime = { guestUser: 0, guestKernel: 0, hypervisor: 0, idle: 0 };

  constructor(readonly id: number) {}

  /** Accounts the time since the last settle against the running vCPU's debts. */
  settle(now: number): void {
    let e = now - this.segStart;
    this.segStart = now;
    if (e <= 0) return;
    const v = this.current!;
    const dom = v.domain;
    let take = Math.min(e, this.overheadNs);
    this.overheadNs -= take;
    this.time.hypervisor += take;
    e -= take;
    take = Math.min(e, v.hvOwedNs);
    v.hvOwedNs -= take;
    this.time.hypervisor += take;
    v.ranHypervisor += take;
    dom.cpuHypervisor += take;
    e -= take;
    take = Math.min(e, v.remainingNs);
    v.remainingNs -= take;
    if (v.mode === 'user') {
      this.time.guestUser += take;
      dom.cpuUser += take;
      v.ranUser += take;
    } else {
      this.time.guestKernel += take;
      dom.cpuKernel += take;
      v.ranKernel += take;
    }
  }

  enterIdle(now: number, overhead: number): void {
    this.time.hypervisor += overhead;
    this.idle = true;
    this.idleSince = now + overhead;
  }

  leaveIdle(now: number): void {
    if (!this.idle) return;
    this.idle = false;
    if (now > this.idleSince) this.time.idle += now - this.idleSince;
    this.segStart = now;
  }

  get isIdle(): boolean {
    return this.current === null;
  }
}

/**
 * A policy's per-pCPU tick, stopped while the pCPU idles, as Xen's idle loop does: before the
 * pCPU sleeps, sched_tick_suspend() stops credit's ticker (csched_tick_suspend), and when it
 * wakes sched_tick_resume() re-arms it on the tick grid, at the next multiple of the period.
 * An idle pCPU has nothing to account, so the only change is that no event is spent on it.
 *
 * Suspending does not remove the queued event: one still pending when the pCPU goes idle
 * fires and is dropped, and one still pending when it wakes again is kept, since it already
 * lies on the grid. Either way no stale event is left behind.
 */
export class PcpuTicker implements Handler {
  private queued = false;
  private on = false;

  constructor(
    private readonly engine: Engine,
    private readonly periodNs: number,
    private readonly fn: (pcpu: number) => void,
    private readonly pcpu: number,
  ) {}

  resume(): void {
    this.on = true;
    if (this.queued) return;
    this.queued = true;
    const now = this.engine.now;
    this.engine.at(now + this.periodNs - (now % this.periodNs), this);
  }

  suspend(): void {
    this.on = false;
  }

  fire(): void {
    this.queued = false;
    if (!this.on) return;
    this.fn(this.pcpu);
    this.queued = true;
    this.engine.after(this.periodNs, this);
  }
}
