// A CFS-like fair scheduler (Linux's kernel/sched/fair.c, REFERENCE §10.2): the host scheduler
// of a KVM host, where every vCPU is an ordinary host thread, as are QEMU's I/O threads and the
// vhost workers. It fills the same table of operations as credit and rr.
//
//   - Each thread has a virtual runtime: the time it ran, scaled by NICE_0_LOAD / its weight,
//     so a heavier thread's clock runs slower. Each pCPU runs the queued thread whose virtual
//     runtime is smallest, for a slice of the scheduling period in proportion to its weight,
//     never less than the minimum granularity.
//   - Weights come from the thread's control group: cgroup v1 `cpu.shares` (1024 by default),
//     which libvirt sets per VM. A group's shares are split between its threads that are
//     runnable at the moment (an approximation of group scheduling: exact on one pCPU, close on
//     several). A thread belongs to its domain's group unless `setGroup` puts it in a VM's
//     (a QEMU I/O thread or a vhost worker is charged to the VM it serves, as libvirt does).
//   - A thread that wakes is placed no further back than half a latency period behind the
//     runqueue's minimum (sleeper fairness), and preempts the running thread when its virtual
//     runtime is behind by more than the wake-up granularity (wake-up preemption).
//   - A pCPU with nothing to run pulls a queued thread from another pCPU (idle balancing); a
//     waking thread goes to an idle pCPU of its affinity when its own is busy.
// Domain.weight holds the group's cpu.shares here (credit's weight on a Xen host), so
// `adjust(d, {weight})` is virsh schedinfo's cpu_shares. Bandwidth control (cpu.cfs_quota_us,
// libvirt's vcpu_quota) is not modelled: a cap is refused with -EINVAL.
import { EINVAL } from '../public/errno';
import type { Domain } from '../domain';
import type { Vcpu } from '../vcpu';
import type { Scheduler, SchedCore, SchedDecision, SchedParams } from './scheduler';

/** sysctl_sched_latency: the period in which every runnable thread should run once (before scaling). */
export const CFS_SCHED_LATENCY_NS = 6_000_000;
/** sysctl_sched_min_granularity: the shortest slice (before scaling). */
export const CFS_MIN_GRANULARITY_NS = 750_000;
/** sysctl_sched_wakeup_granularity: how far behind a waking thread must be to preempt (before scaling). */
export const CFS_WAKEUP_GRANULARITY_NS = 1_000_000;
/** The load weight of a nice-0 task, and the default cpu.shares of a cgroup. */
export const NICE_0_LOAD = 1024;
export const CFS_DEFAULT_SHARES = 1024;
/** cpu.shares limits (kernel/sched/sched.h MIN_SHARES, MAX_SHARES). */
export const CFS_MIN_SHARES = 2;
export const CFS_MAX_SHARES = 1 << 18;
/** SCHED_TUNABLESCALING_LOG counts at most 8 CPUs. */
const SCALING_MAX_CPUS = 8;

interface Entity {
  readonly v: Vcpu;
  vruntime: number;
  group: Domain;
  /** Queued on a runqueue, or running: counts in its group's runnable threads. */
  onRq: boolean;
  queued: boolean;
  /** When it was last picked; its running time since is not yet in vruntime. */
  execStart: number;
  everRan: boolean;
  seq: number;
}

interface Group {
  nrRunning: number;
}

interface RunQueue {
  readonly id: number;
  /** Queued threads, ascending (vruntime, seq): the leftmost is next. The running one is not here. */
  queue: Entity[];
  curr: Entity | null;
  minVruntime: number;
  assigned: number;
}

const ent = (v: Vcpu): Entity => v.sched as Entity;
const grp = (d: Domain): Group => d.sched as Group;

export class CfsScheduler implements Scheduler {
  readonly name = 'cfs';
  private core!: SchedCore;
  private rqs: RunQueue[] = [];
  private seq = 0;
  /** The tunables after scaling by 1 + log2(pCPUs), as Linux scales them. */
  latencyNs = CFS_SCHED_LATENCY_NS;
  minGranularityNs = CFS_MIN_GRANULARITY_NS;
  wakeupGranularityNs = CFS_WAKEUP_GRANULARITY_NS;
  /** Counters, always on. */
  readonly stats = { wakeupPreemptions: 0, pulls: 0, migrations: 0 };

  attach(core: SchedCore): void {
    this.core = core;
    const factor = 1 + Math.floor(Math.log2(Math.min(core.nrPcpus, SCALING_MAX_CPUS)));
    this.latencyNs = CFS_SCHED_LATENCY_NS * factor;
    this.minGranularityNs = CFS_MIN_GRANULARITY_NS * factor;
    this.wakeupGranularityNs = CFS_WAKEUP_GRANULARITY_NS * factor;
    for (let p = 0; p < core.nrPcpus; p++) this.rqs.push({ id: p, queue: [], curr: null, minVruntime: 0, assigned: 0 });
  }

  insertDomain(d: Domain): void {
    d.sched = { nrRunning: 0 } satisfies Group;
  }

  removeDomain(_d: Domain): void {}

  insertVcpu(v: Vcpu): void {
    v.sched = { v, vruntime: 0, group: v.domain, onRq: false, queued: false, execStart: 0, everRan: false, seq: this.seq++ } satisfies Entity;
    let best = v.affinity[0]!;
    for (const p of v.affinity) if (this.rqs[p]!.assigned < this.rqs[best]!.assigned) best = p;
    v.processor = best;
    this.rqs[best]!.assigned++;
  }

  removeVcpu(v: Vcpu): void {
    this.sleep(v);
    const e = ent(v);
    const rq = this.rqs[v.processor]!;
    if (rq.curr === e) rq.curr = null;
    this.leaveRq(e);
    rq.assigned--;
  }

  /** Puts a thread in another control group (a VM's), whose cpu.shares it then shares. */
  setGroup(v: Vcpu, group: Domain): void {
    const e = ent(v);
    if (e.onRq) {
      grp(e.group).nrRunning--;
      grp(group).nrRunning++;
    }
    e.group = group;
  }

  sleep(v: Vcpu): void {
    const e = ent(v);
    if (!e.queued) return;
    this.dequeue(this.rqs[v.processor]!, e);
    this.leaveRq(e);
  }

  wake(v: Vcpu): void {
    const e = ent(v);
    if (e.queued || this.rqs[v.processor]!.curr === e) return;
    const from = this.rqs[v.processor]!;
    const to = this.rqs[this.pickCpu(v)]!;
    if (to !== from) this.migrate(e, from, to);
    this.place(to, e);
    this.joinRq(e);
    this.enqueue(to, e);
    this.checkPreemptWakeup(to, e);
  }

  yield(v: Vcpu): void {
    // sched_yield: go behind every thread queued on this pCPU (Linux marks a skip buddy).
    const e = ent(v);
    const rq = this.rqs[v.processor]!;
    const last = rq.queue[rq.queue.length - 1];
    if (last && last.vruntime > e.vruntime) e.vruntime = last.vruntime;
  }

  pickCpu(v: Vcpu): number {
    if (v.canRunOn(v.processor) && this.isIdle(v.processor)) return v.processor;
    for (const p of v.affinity) if (this.isIdle(p)) return p;
    return v.canRunOn(v.processor) ? v.processor : v.affinity[0]!;
  }

  schedule(pcpu: number, prev: Vcpu | null, prevRunnable: boolean, prevRanNs: number): SchedDecision {
    const rq = this.rqs[pcpu]!;
    if (prev) this.putPrev(rq, ent(prev), prevRunnable, prevRanNs);
    let e: Entity | undefined = rq.queue[0];
    let why = 'smallest vruntime';
    if (e === undefined) {
      e = this.pull(rq);
      why = e ? `pulled from pCPU${e.v.processor} (idle balance)` : 'nothing runnable';
    }
    if (e === undefined) return { next: null, sliceNs: Infinity, why };
    this.dequeue(rq, e);
    const slice = this.slice(rq, e);
    rq.curr = e;
    e.execStart = this.core.now();
    e.everRan = true;
    e.v.processor = pcpu;
    this.updateMin(rq);
    return { next: e.v, sliceNs: slice, why: `${why}: vruntime ${fmtMs(e.vruntime)}, weight ${Math.round(this.weight(e))}` };
  }

  adjust(d: Domain, p: SchedParams): number {
    if (p.cap !== undefined && p.cap !== 0) return -EINVAL; // CFS bandwidth control is not modelled
    if (p.weight !== undefined) {
      if (!Number.isInteger(p.weight) || p.weight < CFS_MIN_SHARES || p.weight > CFS_MAX_SHARES) return -EINVAL;
      d.weight = p.weight;
    }
    return 0;
  }

  describe(v: Vcpu): string {
    const e = ent(v);
    const n = grp(e.group).nrRunning;
    return `vruntime ${fmtMs(e.vruntime)}, weight ${Math.round(this.weight(e))} (cpu.shares ${e.group.weight}${n > 1 ? ` over ${n} runnable threads` : ''})`;
  }

  /** The effective load weight: the group's shares over its runnable threads. */
  weight(e: Entity): number {
    return Math.max(CFS_MIN_SHARES, e.group.weight / Math.max(1, grp(e.group).nrRunning));
  }

  // ---- small steps ----

  private isIdle(p: number): boolean {
    return this.core.current(p) === null && this.rqs[p]!.queue.length === 0;
  }

  /** update_curr for the thread leaving the pCPU, then back in the tree if it may go on. */
  private putPrev(rq: RunQueue, e: Entity, runnable: boolean, ranNs: number): void {
    if (rq.curr === e) {
      e.vruntime += (ranNs * NICE_0_LOAD) / this.weight(e);
      rq.curr = null;
    }
    if (runnable && !e.queued) this.enqueue(rq, e);
    else if (!runnable) this.leaveRq(e);
    this.updateMin(rq);
  }

  /** sched_slice: the period (latency, or min granularity per thread when crowded) by weight. */
  private slice(rq: RunQueue, e: Entity): number {
    const nr = rq.queue.length + 1;
    const nrLatency = Math.floor(this.latencyNs / this.minGranularityNs);
    const period = nr > nrLatency ? nr * this.minGranularityNs : this.latencyNs;
    let total = this.weight(e);
    for (const q of rq.queue) total += this.weight(q);
    return Math.max(this.minGranularityNs, Math.round((period * this.weight(e)) / total));
  }

  /** place_entity for a wake-up: a sleeper gets at most half a latency period of credit. */
  private place(rq: RunQueue, e: Entity): void {
    const floor = e.everRan ? rq.minVruntime - this.latencyNs / 2 : rq.minVruntime;
    if (e.vruntime < floor) e.vruntime = floor;
  }

  /** check_preempt_wakeup: an idle pCPU runs it; a busy one if it is far enough behind. */
  private checkPreemptWakeup(rq: RunQueue, e: Entity): void {
    const curr = rq.curr;
    if (this.core.current(rq.id) === null || curr === null) return this.core.tickle(rq.id, `${e.v.name} woke`);
    const currVruntime = curr.vruntime + ((this.core.now() - curr.execStart) * NICE_0_LOAD) / this.weight(curr);
    const gran = (this.wakeupGranularityNs * NICE_0_LOAD) / this.weight(e);
    if (currVruntime - e.vruntime > gran) {
      this.stats.wakeupPreemptions++;
      this.core.tickle(rq.id, `${e.v.name} woke ${fmtMs(currVruntime - e.vruntime)} behind ${curr.v.name}: wake-up preemption`);
    }
  }

  /** Idle balancing: the first queued thread elsewhere that may run here. */
  private pull(rq: RunQueue): Entity | undefined {
    const n = this.rqs.length;
    for (let k = 1; k < n; k++) {
      const src = this.rqs[(rq.id + k) % n]!;
      const e = src.queue.find((q) => q.v.canRunOn(rq.id));
      if (e === undefined) continue;
      this.dequeue(src, e);
      this.migrate(e, src, rq);
      this.enqueue(rq, e);
      this.stats.pulls++;
      return e;
    }
    return undefined;
  }

  /** Keeps vruntime relative to the runqueue's minimum across a move. */
  private migrate(e: Entity, from: RunQueue, to: RunQueue): void {
    e.vruntime = e.vruntime - from.minVruntime + to.minVruntime;
    from.assigned--;
    to.assigned++;
    e.v.processor = to.id;
    this.stats.migrations++;
  }

  private enqueue(rq: RunQueue, e: Entity): void {
    const q = rq.queue;
    let i = q.length;
    while (i > 0 && (q[i - 1]!.vruntime > e.vruntime || (q[i - 1]!.vruntime === e.vruntime && q[i - 1]!.seq > e.seq))) i--;
    q.splice(i, 0, e);
    e.queued = true;
  }

  private dequeue(rq: RunQueue, e: Entity): void {
    const i = rq.queue.indexOf(e);
    if (i >= 0) rq.queue.splice(i, 1);
    e.queued = false;
  }

  private joinRq(e: Entity): void {
    if (e.onRq) return;
    e.onRq = true;
    grp(e.group).nrRunning++;
  }

  private leaveRq(e: Entity): void {
    if (!e.onRq) return;
    e.onRq = false;
    grp(e.group).nrRunning--;
  }

  /** min_vruntime only moves forward: the smaller of the running and the leftmost thread's. */
  private updateMin(rq: RunQueue): void {
    const c = rq.curr?.vruntime ?? Infinity;
    const l = rq.queue[0]?.vruntime ?? Infinity;
    const m = Math.min(c, l);
    if (m !== Infinity && m > rq.minVruntime) rq.minVruntime = m;
  }
}

function fmtMs(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}
