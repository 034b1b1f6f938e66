// The credit scheduler (credit1, REFERENCE §7.1), written from its documented behaviour:
// proportional share by weight, caps enforced by parking, BOOST for vCPUs waking while UNDER,
// per-pCPU runqueues ordered BOOST > UNDER > OVER (FIFO within a priority), work stealing of
// strictly higher-priority work only, a ratelimit that keeps a vCPU on for at least 1 ms.
//
// Credit is kept in nanoseconds of entitlement: 10 credits per ms means one credit is 100 µs,
// so burning is "subtract the ns run" and the ±300-credit clamp is ± one timeslice.
import { EINVAL } from '../public/errno';
import type { Domain } from '../domain';
import type { Vcpu } from '../vcpu';
import type { Scheduler, SchedCore, SchedDecision, SchedParams } from './scheduler';
import { Fifo, Link, Occupancy } from './runq';

export const CSCHED_DEFAULT_TSLICE_MS = 30;
export const CSCHED_TICKS_PER_TSLICE = 3;
export const CSCHED_DEFAULT_RATELIMIT_US = 1000;
export const CSCHED_DEFAULT_WEIGHT = 256;
const NS_PER_MS = 1_000_000;

/** Priorities, as in Xen: higher is better. */
export const PRI = { BOOST: 0, UNDER: -1, OVER: -2, IDLE: -64 } as const;
const PRI_NAME: Record<number, string> = { 0: 'BOOST', [-1]: 'UNDER', [-2]: 'OVER', [-64]: 'IDLE' };
/** Runqueue lists in priority order: index 0 BOOST, 1 UNDER, 2 OVER. */
const LISTS = 3;
const listOf = (pri: number): number => -pri;

/** Credit's state of a vCPU. It is also the vCPU's runqueue link, so that a decision touches
 *  one object per vCPU rather than two. */
class CVcpu extends Link<Vcpu> {
  creditNs = 0;
  pri: number = PRI.UNDER;
  active = false;
  parked = false;
  yieldFlag = false;
  lastBurn = 0;
}

interface CDom {
  active: Vcpu[];
}

export interface CreditOptions {
  tsliceNs?: number;
  ratelimitNs?: number;
}

export class CreditScheduler implements Scheduler {
  readonly name = 'credit';
  readonly tsliceNs: number;
  readonly ratelimitNs: number;
  readonly tickNs: number;
  private core!: SchedCore;
  private runqs: Fifo<Vcpu>[][] = [];
  /** vCPUs queued at each priority level, over all pCPUs. */
  private readonly queuedAt = new Int32Array(LISTS);
  /** Which pCPUs have a vCPU queued at each priority level: stealing visits only those. */
  private occupancy = new Occupancy(LISTS, 0);
  private readonly activeDoms: Domain[] = [];
  private assigned: number[] = [];
  /** Counters, always on. */
  readonly stats = { boosts: 0, steals: 0, ratelimited: 0, parks: 0, accts: 0, ticks: 0 };
  /** The decision `schedule` returns, filled in anew by every call: one object, not one per call. */
  private readonly decision: { -readonly [K in keyof SchedDecision]-?: SchedDecision[K] } = { next: null, sliceNs: 0, why: '', continuing: false };
  /** The vCPUs of the runqueue being re-sorted (kept to be reused). */
  private readonly sorting: CVcpu[] = [];

  constructor(opts: CreditOptions = {}) {
    this.tsliceNs = opts.tsliceNs ?? CSCHED_DEFAULT_TSLICE_MS * NS_PER_MS;
    this.ratelimitNs = opts.ratelimitNs ?? CSCHED_DEFAULT_RATELIMIT_US * 1000;
    // The tick is a third of the timeslice; below 3 ms there is a single tick per slice.
    this.tickNs = this.tsliceNs < 3 * NS_PER_MS ? this.tsliceNs : Math.floor(this.tsliceNs / CSCHED_TICKS_PER_TSLICE);
  }

  attach(core: SchedCore): void {
    this.core = core;
    const occ = (this.occupancy = new Occupancy(LISTS, core.nrPcpus));
    for (let p = 0; p < core.nrPcpus; p++) {
      this.runqs.push(Array.from({ length: LISTS }, (_, i) => new Fifo<Vcpu>(this.queuedAt, i, occ.bits, occ.bit(i, p))));
      this.assigned.push(0);
    }
    core.pcpuTick(this.tickNs, (p) => this.tick(p));
    core.every(this.tsliceNs, () => this.acct());
  }

  insertDomain(d: Domain): void {
    d.sched = { active: [] } satisfies CDom;
  }

  removeDomain(d: Domain): void {
    const i = this.activeDoms.indexOf(d);
    if (i >= 0) this.activeDoms.splice(i, 1);
  }

  insertVcpu(v: Vcpu): void {
    v.sched = new CVcpu(v);
    v.processor = this.leastLoaded(v);
    this.assigned[v.processor]!++;
  }

  removeVcpu(v: Vcpu): void {
    this.dequeue(v);
    this.deactivate(v);
    this.assigned[v.processor]!--;
  }

  sleep(v: Vcpu): void {
    this.dequeue(v);
  }

  wake(v: Vcpu): void {
    const s = cv(v);
    if (s.queue !== null) return;
    if (s.pri === PRI.UNDER && !s.parked) {
      s.pri = PRI.BOOST;
      this.stats.boosts++;
    }
    if (!v.canRunOn(v.processor)) v.processor = this.pickCpu(v);
    this.enqueue(v);
    this.tickleFor(v);
  }

  yield(v: Vcpu): void {
    cv(v).yieldFlag = true;
  }

  pickCpu(v: Vcpu): number {
    for (const p of v.affinity) if (this.core.current(p) === null) return p;
    return v.canRunOn(v.processor) ? v.processor : v.affinity[0]!;
  }

  schedule(pcpu: number, prev: Vcpu | null, prevRunnable: boolean, prevRanNs: number): SchedDecision {
    const now = this.core.now();
    const tracing = this.core.trace.on; // the decision's explanation is built only for the trace
    if (prev) this.burn(prev, now);
    if (prev && prevRunnable && !cv(prev).yieldFlag && prevRanNs < this.ratelimitNs) {
      this.stats.ratelimited++;
      return this.decide(prev, this.ratelimitNs - prevRanNs, tracing ? `ratelimit: ran ${fmtUs(prevRanNs)} < ${fmtUs(this.ratelimitNs)}` : '', true);
    }
    if (prev && prevRunnable) this.enqueue(prev);
    let next = this.head(pcpu);
    let stolen = false;
    if (next === null || cv(next).pri <= PRI.OVER) {
      const s = this.steal(pcpu, next === null ? PRI.IDLE : cv(next).pri);
      if (s) {
        next = s;
        stolen = true;
      }
    }
    if (next === null) return this.decide(null, Infinity, tracing ? 'nothing runnable' : '', false);
    const s = cv(next);
    let why = '';
    if (tracing) {
      why = s.pri === PRI.BOOST ? 'BOOST after wake' : stolen ? `${PRI_NAME[s.pri]} stolen from pCPU${next.processor}` : PRI_NAME[s.pri]!;
      why = `${why} (credit ${credits(s.creditNs)})`;
    }
    this.dequeue(next);
    if (next.processor !== pcpu) this.migrate(next, pcpu);
    s.yieldFlag = false;
    s.lastBurn = now;
    return this.decide(next, this.tsliceNs, why, false);
  }

  /** Fills in the one decision object this policy returns (see Scheduler.schedule). */
  private decide(next: Vcpu | null, sliceNs: number, why: string, continuing: boolean): SchedDecision {
    const d = this.decision;
    d.next = next;
    d.sliceNs = sliceNs;
    d.why = why;
    d.continuing = continuing;
    return d;
  }

  adjust(d: Domain, p: SchedParams): number {
    if (p.weight !== undefined && (!Number.isInteger(p.weight) || p.weight < 1 || p.weight > 65535)) return -EINVAL;
    if (p.cap !== undefined && (!Number.isInteger(p.cap) || p.cap < 0 || p.cap > 100 * this.core.nrPcpus)) return -EINVAL;
    if (p.weight !== undefined) d.weight = p.weight;
    if (p.cap !== undefined) d.cap = p.cap;
    return 0;
  }

  describe(v: Vcpu): string {
    const s = cv(v);
    return `${PRI_NAME[s.pri]} (credit ${credits(s.creditNs)}${s.parked ? ', parked' : ''})`;
  }

  // ---- runqueues ----

  private enqueue(v: Vcpu): void {
    const s = cv(v);
    const q = this.runqs[v.processor]!;
    const list = q[listOf(s.pri)]!;
    if (s.yieldFlag) {
      // Behind one lower-priority vCPU, if there is one: the first of the next non-empty list.
      for (let i = listOf(s.pri) + 1; i < LISTS; i++) {
        const h = q[i]!.head;
        if (h) return q[i]!.insertAfter(h, s);
      }
    }
    list.push(s);
  }

  private dequeue(v: Vcpu): void {
    const l = cv(v);
    l.queue?.remove(l);
  }

  private head(pcpu: number): Vcpu | null {
    for (const list of this.runqs[pcpu]!) if (list.head) return list.head.item;
    return null;
  }

  /** Steals the first queued vCPU of strictly higher priority than `pri` from a peer. */
  private steal(pcpu: number, pri: number): Vcpu | null {
    let above = 0; // the lists above `pri`
    let candidates = 0; // queued anywhere above `pri` (this pCPU's own lists hold none)
    for (; above < LISTS && -above > pri; above++) candidates += this.queuedAt[above]!;
    if (candidates === 0) return null;
    // Peers in the order pcpu+1, …, n-1, 0, …, pcpu-1, skipping those with nothing queued above `pri`.
    const n = this.core.nrPcpus;
    const occ = this.occupancy;
    for (let peer = occ.next(pcpu + 1, n, above); peer >= 0; peer = occ.next(peer + 1, n, above)) {
      const v = this.stealFrom(peer, pcpu, above);
      if (v !== null) return v;
    }
    for (let peer = occ.next(0, pcpu, above); peer >= 0; peer = occ.next(peer + 1, pcpu, above)) {
      const v = this.stealFrom(peer, pcpu, above);
      if (v !== null) return v;
    }
    return null;
  }

  /** The first vCPU queued on `peer` in its lists 0 … above-1 that may run on `pcpu`. */
  private stealFrom(peer: number, pcpu: number, above: number): Vcpu | null {
    const q = this.runqs[peer]!;
    for (let i = 0; i < above; i++) {
      for (let l = q[i]!.head; l !== null; l = l.next) {
        if (l.item.canRunOn(pcpu)) {
          this.stats.steals++;
          return l.item;
        }
      }
    }
    return null;
  }

  private migrate(v: Vcpu, to: number): void {
    this.assigned[v.processor]!--;
    this.assigned[to]!++;
    v.processor = to;
  }

  private leastLoaded(v: Vcpu): number {
    let best = v.affinity[0]!;
    for (const p of v.affinity) if (this.assigned[p]! < this.assigned[best]!) best = p;
    return best;
  }

  /** Tickling: an idle pCPU in the vCPU's affinity, else preempt its pCPU if it outranks. */
  private tickleFor(v: Vcpu): void {
    const core = this.core;
    const cur = core.current(v.processor);
    const tracing = core.trace.on;
    if (cur === null) return core.tickle(v.processor, tracing ? `${v.name} woke on idle pCPU` : '');
    if (core.idlePcpus > 0) {
      for (const p of v.affinity) {
        if (core.current(p) === null) return core.tickle(p, tracing ? `idle pCPU${p} can take ${v.name}` : '');
      }
    }
    if (cv(v).pri > cv(cur).pri) core.tickle(v.processor, tracing ? `${v.name} ${PRI_NAME[cv(v).pri]} preempts ${cur.name} ${PRI_NAME[cv(cur).pri]}` : '');
  }

  // ---- credit ----

  private burn(v: Vcpu, now: number): void {
    const s = cv(v);
    s.creditNs -= now - s.lastBurn;
    s.lastBurn = now;
  }

  /** The per-pCPU tick: burn the running vCPU's credit, make it active, end its BOOST. The
   *  core suspends it while the pCPU idles (csched_tick_suspend). */
  private tick(pcpu: number): void {
    this.stats.ticks++;
    const v = this.core.current(pcpu);
    if (v === null) return;
    const s = cv(v);
    this.burn(v, this.core.now());
    if (!s.active) this.activate(v);
    if (s.pri === PRI.BOOST) s.pri = PRI.UNDER;
  }

  private activate(v: Vcpu): void {
    const s = cv(v);
    s.active = true;
    const d = cd(v.domain);
    d.active.push(v);
    if (d.active.length === 1) this.activeDoms.push(v.domain);
  }

  private deactivate(v: Vcpu): void {
    const s = cv(v);
    if (!s.active) return;
    s.active = false;
    const d = cd(v.domain);
    d.active.splice(d.active.indexOf(v), 1);
    if (d.active.length === 0) this.activeDoms.splice(this.activeDoms.indexOf(v.domain), 1);
  }

  /** The accounting period: share the pool by weight among active domains, then reprioritize. */
  private acct(): void {
    this.stats.accts++;
    let weightTotal = 0;
    for (const d of this.activeDoms) weightTotal += d.weight * cd(d).active.length;
    if (weightTotal === 0) return;
    let pool = this.tsliceNs * this.core.nrPcpus;
    let weightLeft = weightTotal;
    for (const d of [...this.activeDoms]) {
      const n = cd(d).active.length;
      weightLeft -= d.weight * n;
      let peak = n * this.tsliceNs;
      const capNs = d.cap > 0 ? Math.ceil((d.cap * this.tsliceNs) / 100) : 0;
      if (capNs > 0 && capNs < peak) peak = capNs;
      let fair = Math.ceil((pool * d.weight * n) / weightTotal);
      if (fair > peak) {
        // Surplus this domain cannot use goes to the domains after it, by weight.
        if (weightLeft > 0) pool += Math.ceil(((fair - peak) * weightTotal) / weightLeft);
        fair = peak;
      }
      const perVcpu = Math.ceil(fair / n);
      const capPerVcpu = capNs > 0 ? Math.ceil(capNs / n) : 0;
      for (const v of [...cd(d).active]) this.reprioritize(v, perVcpu, capPerVcpu);
    }
    for (let p = 0; p < this.core.nrPcpus; p++) this.sortRunq(p);
  }

  private reprioritize(v: Vcpu, earnedNs: number, capPerVcpu: number): void {
    const s = cv(v);
    s.creditNs += earnedNs;
    if (s.creditNs < 0) {
      s.pri = PRI.OVER;
      if (capPerVcpu > 0 && s.creditNs < -capPerVcpu && !s.parked) {
        s.parked = true;
        this.stats.parks++;
        this.core.pauseVcpu(v);
      }
      if (s.creditNs < -this.tsliceNs) s.creditNs = -this.tsliceNs;
    } else {
      s.pri = PRI.UNDER;
      if (s.parked) {
        s.parked = false;
        this.core.unpauseVcpu(v);
      }
      if (s.creditNs > this.tsliceNs) {
        // Stops earning; halved so it restarts a little ahead.
        this.deactivate(v);
        s.creditNs = Math.trunc(s.creditNs / 2);
      }
    }
    if (this.core.trace.on) {
      this.core.trace.emit({ type: 'credit-acct', t: this.core.now(), dom: v.domain.id, vcpu: v.id, credit: credits(s.creditNs), pri: PRI_NAME[s.pri]!, parked: s.parked });
    }
  }

  /** Re-sorts a runqueue after priorities changed, keeping FIFO order within a priority. */
  private sortRunq(pcpu: number): void {
    const q = this.runqs[pcpu]!;
    const all = this.sorting;
    for (const list of q) {
      for (let l = list.head; l !== null; l = l.next) all.push(l as CVcpu);
    }
    for (const s of all) this.dequeue(s.item);
    for (const s of all) q[listOf(s.pri)]!.push(s);
    all.length = 0;
  }
}

function cv(v: Vcpu): CVcpu {
  return v.sched as CVcpu;
}
function cd(d: Domain): CDom {
  return d.sched as CDom;
}
/** Credits as Xen counts them (10 per ms). */
export function credits(ns: number): number {
  return Math.trunc(ns / 100_000);
}
function fmtUs(ns: number): string {
  return `${Math.round(ns / 1000)}us`;
}
