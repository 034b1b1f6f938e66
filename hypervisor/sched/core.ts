// The scheduling core, Xen's sched/core.c in spirit: per-pCPU state, the SCHEDULE softirq,
// context switches, runstate changes, wake-ups and the execution of each vCPU's guest
// program. The policy (credit, rr) is consulted through the Scheduler interface.
//
// Execution model: while a vCPU runs, the pCPU works through three debts in order: switch
// overhead (hypervisor time of the pCPU), hypervisor time owed by the vCPU's hypercalls,
// then the guest's current compute operation. One timer per pCPU fires at the next point
// where something must happen: the debts are paid, or the slice ends.
import { Timer, type Engine, type Handler } from '../../hw/engine';
import type { PlatformProfile } from '../../hw/platforms/profile';
import { malformedGuestOp, type GuestOp } from '../public/guest';
import type { Trace, SchedReason } from '../trace';
import type { Runstate } from '../public/xen';
import type { Vcpu } from '../vcpu';
import type { Scheduler, SchedCore } from './scheduler';
import { PcpuState, PcpuTicker } from './pcpu';

/** Hooks the hypervisor supplies: what "an event is pending" means, and shutdown. */
export interface CoreHooks {
  eventsPending(v: Vcpu): boolean;
  /** The vCPU enters its event upcall (the guest's handler clears upcall_pending). */
  enterUpcall(v: Vcpu): void;
  shutdown(v: Vcpu, op: GuestOp & { op: 'shutdown' }): void;
  /** The guest's code yielded an impossible operation (malformedGuestOp): crash its domain. */
  crash(v: Vcpu, why: string): void;
  /** A one-shot timer (set_timer_op) expired: raise VIRQ_TIMER for the vCPU. */
  timerExpired(v: Vcpu): void;
  /** The vCPU made a sched_op hypercall (block, yield, shutdown): count it. */
  schedOp(v: Vcpu): void;
  /** An I/O instruction: returns the value read, or IO_PENDING when the vCPU must wait for
   *  the device model (the hypervisor wakes it with `completeIo`). */
  io(v: Vcpu, op: GuestOp & { op: 'io' }): number;
  /** The vCPU executes HLT / SCHEDOP_block with nothing pending (an HVM guest exits). */
  halt(v: Vcpu): void;
  /** Memory-management work or system-call entries of the guest kernel: the hypervisor charges
   *  them (guest kernel time and hypervisor time) as the domain's paging mode makes them cost. */
  mmu(v: Vcpu, op: GuestOp & { op: 'mmu' | 'syscall' }): void;
}

/** What `CoreHooks.io` returns when the access went to a device model and the vCPU waits. */
export const IO_PENDING = -1;

export class SchedulingCore implements SchedCore {
  readonly pcpus: PcpuState[];
  /** The pCPU whose event is being processed (-1: a device or timer outside any pCPU). */
  private executing = -1;
  /** How many pCPUs run idle (Xen's idlers mask, as a count: wake-ups skip the search when 0). */
  idlePcpus: number;
  /** A vCPU's one-shot timer expired (one function shared by every vCPU). */
  private readonly timerExpired = (v: Vcpu): void => this.hooks.timerExpired(v);

  constructor(
    private readonly engine: Engine,
    readonly sched: Scheduler,
    readonly profile: PlatformProfile,
    readonly trace: Trace,
    nrPcpus: number,
    private readonly hooks: CoreHooks,
  ) {
    this.pcpus = [];
    this.idlePcpus = nrPcpus;
    for (let i = 0; i < nrPcpus; i++) {
      const pc = new PcpuState(i);
      pc.softirq = new Timer(engine, () => this.runSoftirq(pc));
      pc.runTimer = new Timer(engine, () => this.onRunTimer(pc));
      this.pcpus.push(pc);
    }
    sched.attach(this);
  }

  get nrPcpus(): number {
    return this.pcpus.length;
  }

  now(): number {
    return this.engine.now;
  }

  current(pcpu: number): Vcpu | null {
    return this.pcpus[pcpu]!.current;
  }

  every(periodNs: number, fn: () => void, phaseNs = periodNs): void {
    const engine = this.engine;
    const h: Handler = { fire: () => { fn(); engine.after(periodNs, h); } };
    engine.after(phaseNs, h);
  }

  pcpuTick(periodNs: number, fn: (pcpu: number) => void): void {
    for (const pc of this.pcpus) {
      pc.ticker = new PcpuTicker(this.engine, periodNs, fn, pc.id);
      if (pc.current !== null) pc.ticker.resume();
    }
  }

  tickle(pcpu: number, why: string): void {
    const pc = this.pcpus[pcpu]!;
    const remote = this.executing !== pcpu;
    const at = this.engine.now + (remote ? this.profile.sched.ipiNs : 0);
    if (pc.softirq.armed && pc.softirq.deadline <= at) return;
    if (this.trace.on) {
      const c = pc.current;
      this.trace.emit({ type: 'tickle', t: this.engine.now, pcpu, dom: c?.domain.id ?? -1, vcpu: c?.id ?? -1, why });
    }
    pc.softirq.set(at);
  }

  /** Moves a vCPU to another runstate, accounting the time, and traces the change. */
  setRunstate(v: Vcpu, to: Runstate, pcpu = v.processor): void {
    const from = v.runstate;
    if (from === to) return;
    v.setRunstate(to, this.engine.now);
    if (this.trace.on) this.trace.emit({ type: 'runstate', t: this.engine.now, dom: v.domain.id, vcpu: v.id, from, to, pcpu });
  }

  // ---- vCPU state changes requested by the hypervisor ----

  /** A blocked or paused vCPU may have become runnable. */
  wake(v: Vcpu): void {
    if (!v.runnable || v.runstate === 'running' || v.runstate === 'runnable') return;
    if (v.runstate === 'blocked') v.wokeAt = this.engine.now;
    this.setRunstate(v, 'runnable');
    this.sched.wake(v);
  }

  /** A vCPU stopped being runnable (paused, parked, domain shut down). */
  sleep(v: Vcpu): void {
    if (v.runstate === 'runnable') {
      this.sched.sleep(v);
      this.setRunstate(v, v.blocked ? 'blocked' : 'offline');
    } else if (v.runstate === 'running') {
      this.tickle(v.processor, 'sleep');
    }
  }

  pauseVcpu(v: Vcpu): void {
    v.schedPaused = true;
    this.sleep(v);
  }

  unpauseVcpu(v: Vcpu): void {
    v.schedPaused = false;
    this.wake(v);
  }

  /** An event arrived for `v`: wake it if it is blocked in SCHEDOP_block. */
  kick(v: Vcpu): void {
    if (!v.blocked) {
      v.eventsDue = true;
      // Xen's IPI: a vCPU running interruptible code stops now, for its upcall handler.
      if (v.interruptible && v.upcallHandler && v.runstate === 'running') {
        const pc = this.pcpus[v.processor]!;
        if (pc.current === v && pc.runTimer.deadline !== this.engine.now) pc.runTimer.set(this.engine.now);
      }
      return;
    }
    v.blocked = false;
    v.eventsDue = false;
    v.blockTimerAt = -1;
    v.lastResult = this.engine.now;
    this.hooks.enterUpcall(v); // it resumes in its event upcall
    this.wake(v);
  }

  /** The vCPU's one-shot timer. */
  armBlockTimer(v: Vcpu, at: number): void {
    v.blockTimerAt = at;
    // The event's tag is the deadline: a timer re-armed or cleared since is recognised as stale.
    v.onTimer ??= this.timerExpired;
    this.engine.at(Math.max(at, this.engine.now), v, at);
  }

  // ---- the per-pCPU machinery ----

  private runSoftirq(pc: PcpuState): void {
    this.executing = pc.id;
    this.schedule(pc, 'preempted');
    this.executing = -1;
  }

  private onRunTimer(pc: PcpuState): void {
    this.executing = pc.id;
    const v = pc.current!;
    pc.settle(this.engine.now);
    if (this.engine.now >= pc.sliceEnd) this.schedule(pc, 'slice-expired');
    else this.continueVcpu(pc, v);
    this.executing = -1;
  }

  /** Runs the policy on `pc` and switches to its choice. */
  private schedule(pc: PcpuState, reason: SchedReason): void {
    const now = this.engine.now;
    pc.softirq.cancel();
    pc.runTimer.cancel();
    const prev = pc.current;
    let ran = 0;
    if (prev) {
      pc.settle(now);
      ran = now - pc.dispatchedAt;
    } else {
      pc.leaveIdle(now);
    }
    // A vCPU whose affinity no longer includes this pCPU may not go on here (it is requeued below).
    const prevRunnable = prev !== null && prev.runnable && !pc.yielding && prev.canRunOn(pc.id);
    const yielded = pc.yielding;
    pc.yielding = false;
    const d = this.sched.schedule(pc.id, prev, prevRunnable || (yielded && prev!.runnable && prev!.canRunOn(pc.id)), ran);
    const next = d.next;
    // The native baseline has no hypervisor: its CPU halts and resumes at no scheduling cost.
    const bare = (next ?? prev)?.domain.hvm?.accel === 'bare';
    let overhead = bare ? 0 : this.profile.sched.scheduleDecisionNs;
    if (next !== prev) {
      if (prev) this.setRunstate(prev, prev.runnable ? 'runnable' : prev.blocked || prev.waitingIo ? 'blocked' : 'offline', pc.id);
      if (prev && prev.runnable && !prev.canRunOn(pc.id)) this.sched.wake(prev);
      if (!bare) overhead += this.profile.sched.contextSwitchNs;
    }
    if (this.trace.on) this.emitDecision(pc, next, reason, d.why);
    if (next === null) {
      if (pc.current !== null) {
        this.idlePcpus++;
        pc.ticker?.suspend();
      }
      pc.current = null;
      pc.enterIdle(now, overhead);
      return;
    }
    if (next !== prev) {
      this.setRunstate(next, 'running', pc.id);
      next.processor = pc.id;
    }
    if (!d.continuing) pc.dispatchedAt = now;
    if (pc.current === null) {
      this.idlePcpus--;
      pc.ticker?.resume();
    }
    pc.current = next;
    pc.overheadNs += overhead;
    if (next.wokeAt >= 0) {
      next.wakeLatency.record(now + overhead - next.wokeAt);
      next.wokeAt = -1;
    }
    pc.sliceEnd = d.sliceNs === Infinity ? Infinity : now + d.sliceNs;
    this.continueVcpu(pc, next);
  }

  /** Advances `v`'s program until it has time to burn, then arms the run timer. */
  private continueVcpu(pc: PcpuState, v: Vcpu): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (v.eventsDue && v.interruptible) this.interrupt(v);
      if (pc.overheadNs > 0 || v.hvOwedNs > 0 || v.remainingNs > 0) {
        const end = pc.segStart + pc.overheadNs + v.hvOwedNs + v.remainingNs;
        pc.runTimer.set(Math.min(end, pc.sliceEnd));
        return;
      }
      const op = this.nextOp(v);
      if (op === 'run') continue;
      this.schedule(pc, op);
      return;
    }
    // A million operations with no time passing is a spin no CPU can do: the guest is crashed,
    // as a watchdog would, and the pCPU goes on with someone else. The simulator does not throw.
    this.hooks.crash(v, 'a million operations without time passing');
    this.schedule(pc, 'offline');
  }

  /** Bounces `v`, in an interruptible computation with an upcall due, into its upcall handler
   *  (Xen's event callback), keeping what it interrupted to resume when the handler ends. */
  private interrupt(v: Vcpu): void {
    v.eventsDue = false;
    if (!v.upcallHandler || v.interruptedCtx || !this.hooks.eventsPending(v)) return;
    v.interruptedCtx = { program: v.program!, remainingNs: v.remainingNs, mode: v.mode };
    v.remainingNs = 0;
    v.interruptible = false;
    this.hooks.enterUpcall(v);
    v.program = v.upcallHandler();
    v.lastResult = 0;
  }

  /** Takes the program's next operation. Returns 'run' when there is time to burn,
   *  otherwise why the vCPU leaves the pCPU. */
  private nextOp(v: Vcpu): 'run' | SchedReason {
    if (v.pendingOp !== undefined) return this.apply(v, v.pendingOp);
    const r = v.program!.next(v.lastResult);
    if (r.done) {
      const ctx = v.interruptedCtx;
      if (ctx) { // the handler has returned: the interrupted computation goes on
        v.interruptedCtx = undefined;
        v.program = ctx.program;
        v.remainingNs = ctx.remainingNs;
        v.mode = ctx.mode;
        v.interruptible = true;
        v.lastResult = 0;
        return 'run';
      }
      v.down = true;
      return 'offline';
    }
    const op = r.value;
    const bad = malformedGuestOp(op);
    if (bad !== undefined) {
      this.hooks.crash(v, bad);
      return 'offline';
    }
    if (v.hvOwedNs > 0 && typeof op !== 'number' && op.op !== 'compute') {
      v.pendingOp = op; // the hypercalls made before this op are paid first
      return 'run';
    }
    return this.apply(v, op);
  }

  private apply(v: Vcpu, op: GuestOp | number): 'run' | SchedReason {
    v.pendingOp = undefined;
    if (typeof op !== 'number' && (op.op === 'block' || op.op === 'yield' || op.op === 'shutdown') && v.domain.config.type === 'pv') {
      this.hooks.schedOp(v);
      this.pcpus[v.processor]!.overheadNs += this.profile.hypervisor.hypercallNs;
    }
    if (typeof op === 'number') {
      v.remainingNs = v.domain.hvm?.accel === 'tcg' ? op * this.profile.virt.tcgSlowdown : op;
      v.mode = 'user';
      v.interruptible = false;
      return 'run';
    }
    v.interruptible = op.op === 'compute' && op.interruptible === true;
    switch (op.op) {
      case 'compute':
        // Under pure emulation every guest instruction is interpreted: the same work takes longer.
        v.remainingNs = v.domain.hvm?.accel === 'tcg' ? op.ns * this.profile.virt.tcgSlowdown : op.ns;
        v.mode = op.mode;
        return 'run';
      case 'block':
        if (this.hooks.eventsPending(v)) {
          v.eventsDue = false;
          this.hooks.enterUpcall(v);
          v.lastResult = this.engine.now;
          return 'run';
        }
        v.blocked = true;
        if (op.until !== undefined) this.armBlockTimer(v, op.until);
        this.hooks.halt(v);
        return 'blocked';
      case 'yield':
        this.pcpus[v.processor]!.yielding = true;
        this.sched.yield(v);
        return 'yield';
      case 'shutdown':
        this.hooks.shutdown(v, op);
        return 'offline';
      case 'io': {
        const value = this.hooks.io(v, op);
        if (value === IO_PENDING) {
          v.waitingIo = true;
          return 'blocked';
        }
        v.lastResult = value;
        return 'run';
      }
      case 'mmu':
      case 'syscall':
        this.hooks.mmu(v, op);
        v.lastResult = 0;
        return 'run';
    }
  }

  /** The device model answered: the vCPU completes its I/O instruction with `value`. */
  completeIo(v: Vcpu, value: number): void {
    if (!v.waitingIo) return;
    v.waitingIo = false;
    v.lastResult = value;
    this.wake(v);
  }

  private emitDecision(pc: PcpuState, next: Vcpu | null, reason: SchedReason, why: string): void {
    const t = this.engine.now;
    if (next === null) this.trace.emit({ type: 'idle', t, pcpu: pc.id, reason });
    else this.trace.emit({ type: 'sched', t, pcpu: pc.id, dom: next.domain.id, vcpu: next.id, reason, detail: why });
  }

  /** Settles every pCPU's accounting up to now (for reports taken mid-run). */
  settleAll(): void {
    const now = this.engine.now;
    for (const pc of this.pcpus) {
      if (pc.current) pc.settle(now);
      else pc.leaveIdle(now), pc.enterIdle(now, 0);
    }
  }
}
