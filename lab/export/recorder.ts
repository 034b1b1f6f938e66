// The trace recorder: subscribes to a world's trace stream (`hv.trace.events`), keeps the
// events (up to an optional bound, counting what it drops), and builds the timeline they
// imply: what each pCPU ran, and each vCPU's runstate, from when to when (timeline.ts).
// The exporters (chrome.ts, xentrace.ts) read a stopped recorder.
//
// Runstates. When the hypervisor publishes 'runstate' events, they are the vCPU timeline.
// Until it does, the recorder infers runstate changes from what it sees: a vCPU dispatched
// on a pCPU becomes running; the one it replaces leaves as the schedule's reason says
// (blocked, offline, or else runnable); pausing, shutting down and unpausing a domain take
// its queued vCPUs offline and back. Inferred changes are marked `inferred` in the log. What
// inference cannot see is a wake-up itself: a blocked vCPU that is woken shows as blocked
// until it is dispatched. The first published 'runstate' event switches inference off.
//
// Bound. With `maxEvents`, the recorder keeps the first events and then stops: later events
// are counted (per pCPU where they have one) but neither kept nor applied, and the timeline
// ends at the first dropped event (`truncatedAt`), so what it shows stays consistent.
import type { Subscription } from 'rxjs';
import type { Runstate } from '../../hypervisor/public/xen';
import type { SchedReason, TraceEvent } from '../../hypervisor/trace';
import type { World } from '../run/world';
import { Timeline, vcpuKey, type DomainInfo, type TimelineStart, type VcpuRef } from './timeline';

export interface RecorderOptions {
  /** Keep at most this many events; the rest are dropped and counted. Default: no bound. */
  maxEvents?: number;
}

/** A domain as the recorder first sees it: pause count and shutdown drive inference. */
export interface DomainStart extends DomainInfo {
  paused: number;
  stopped: boolean;
}

export interface RecorderStart extends TimelineStart {
  readonly domains: readonly DomainStart[];
}

/** One event, in the order things happened, placed on the pCPU it happened on. */
export interface LogEntry {
  readonly e: TraceEvent;
  /** The pCPU it happened on; -1 when it belongs to none (a domain operation, accounting). */
  readonly pcpu: number;
  /** Made by the recorder (an inferred or corrected runstate change), not by the hypervisor. */
  readonly inferred: boolean;
  /** For 'sched' and 'idle': what the pCPU ran just before (null: idle). */
  readonly prev?: VcpuRef | null;
}

/** What the recorder can ask the world it records. */
export interface RecorderSource {
  now(): number;
  /** A domain's name, type and number of vCPUs, for domains created after recording began. */
  describe(dom: number): (DomainInfo & { vcpus: number }) | undefined;
  /** What each pCPU runs right now. */
  running(): (VcpuRef | null)[];
}

type Of<K extends TraceEvent['type']> = Extract<TraceEvent, { type: K }>;

/** The pCPU each kind of event happens on (-1: none), one entry per event type. */
const PCPU_OF: { [K in TraceEvent['type']]: (e: Of<K>, tl: Timeline) => number } = {
  sched: (e) => e.pcpu,
  idle: (e) => e.pcpu,
  tickle: (e) => e.pcpu,
  runstate: (e) => e.pcpu,
  hypercall: (e, tl) => tl.pcpuOf(e),
  'credit-acct': () => -1,
  domain: () => -1,
  evtchn: () => -1,
  note: () => -1,
  guest: (e, tl) => tl.pcpuOf(e),
  vmexit: () => -1,
};

function pcpuOf(e: TraceEvent, tl: Timeline): number {
  return (PCPU_OF[e.type] as (e: TraceEvent, tl: Timeline) => number)(e, tl);
}

export class TraceRecorder {
  /** The events kept, as published. */
  readonly events: TraceEvent[] = [];
  /** The kept events with inferred runstate changes in place, each on its pCPU. */
  readonly log: LogEntry[] = [];
  readonly timeline: Timeline;
  /** Where the vCPU runstates come from. */
  runstates: 'inferred' | 'published' = 'inferred';
  dropped = 0;
  /** Dropped events per pCPU (those that happen on one). */
  readonly droppedByPcpu: number[];
  /** When the first event was dropped; the timeline ends there. */
  truncatedAt: number | undefined;
  /** When recording stopped (the end of the run, even when truncated). */
  endNs: number | undefined;
  /** What each pCPU ran when recording stopped. */
  endRunning: (VcpuRef | null)[] = [];
  private readonly max: number;
  private readonly paused = new Map<number, number>();
  private readonly stopped = new Set<number>();
  /** vCPUs whose program ended: unpausing their domain does not make them runnable. */
  private readonly down = new Set<string>();
  private subscription: Subscription | undefined;

  constructor(start: RecorderStart, opts: RecorderOptions = {}, private readonly source?: RecorderSource) {
    this.timeline = new Timeline({ ...start, domains: start.domains.map(({ id, name, type }) => ({ id, name, type })) });
    this.max = opts.maxEvents ?? Infinity;
    this.droppedByPcpu = start.pcpus.map(() => 0);
    for (const d of start.domains) {
      this.paused.set(d.id, d.paused);
      if (d.stopped) this.stopped.add(d.id);
    }
  }

  /** Starts recording `world` now: call it before time starts (RunHooks.onWorld). */
  static attach(world: World, opts: RecorderOptions = {}): TraceRecorder {
    const rec = new TraceRecorder(snapshot(world), opts, worldSource(world));
    rec.subscription = world.hv.trace.events.subscribe((e) => rec.record(e));
    return rec;
  }

  get recording(): boolean {
    return this.endNs === undefined;
  }

  /** Takes one event (the subscription calls this; tests may feed events directly). */
  record(e: TraceEvent): void {
    if (!this.recording) return;
    if (this.events.length >= this.max) return this.drop(e);
    this.events.push(e);
    switch (e.type) {
      case 'sched':
        return this.onSchedule(e, e.pcpu, { dom: e.dom, vcpu: e.vcpu }, e.reason);
      case 'idle':
        return this.onSchedule(e, e.pcpu, null, e.reason);
      case 'runstate':
        return this.onRunstate(e);
      case 'domain':
        return this.onDomain(e);
      default:
        this.log.push({ e, pcpu: pcpuOf(e, this.timeline), inferred: false });
    }
  }

  /** Stops recording at `t` (default: the world's now) and closes the timeline. Idempotent. */
  stop(t?: number): void {
    if (!this.recording) return;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    const end = t ?? this.source?.now() ?? this.truncatedAt ?? this.timeline.startNs;
    this.endNs = end;
    this.endRunning = this.source?.running() ?? this.timeline.pcpus.map((p) => this.timeline.current(p.pcpu));
    this.timeline.close(Math.min(end, this.truncatedAt ?? end));
  }

  private drop(e: TraceEvent): void {
    this.dropped++;
    this.truncatedAt ??= e.t;
    const p = pcpuOf(e, this.timeline);
    if (p >= 0 && p < this.droppedByPcpu.length) this.droppedByPcpu[p]!++;
  }

  private onSchedule(e: Of<'sched'> | Of<'idle'>, pcpu: number, next: VcpuRef | null, reason: SchedReason): void {
    const tl = this.timeline;
    const prev = tl.current(pcpu);
    const infer = this.runstates === 'inferred';
    const switching = tl.switchPcpu(e.t, pcpu, next);
    if (switching && infer && prev) this.infer(e.t, prev, this.leftAs(prev, reason), pcpu);
    this.log.push({ e, pcpu, inferred: false, prev });
    if (!switching || !infer || !next) return;
    if (tl.runstate(next) !== 'runnable') this.infer(e.t, next, 'runnable', pcpu);
    this.infer(e.t, next, 'running', pcpu);
  }

  /** The runstate a vCPU leaves its pCPU in, as far as the schedule's reason tells. */
  private leftAs(v: VcpuRef, reason: SchedReason): Runstate {
    if (reason === 'blocked') return 'blocked';
    const held = (this.paused.get(v.dom) ?? 0) > 0 || this.stopped.has(v.dom);
    if (reason === 'offline' && !held) this.down.add(vcpuKey(v));
    return reason === 'offline' || reason === 'paused' || held ? 'offline' : 'runnable';
  }

  private infer(t: number, v: VcpuRef, to: Runstate, pcpu: number): void {
    const from = this.timeline.setRunstate(t, v, to, pcpu);
    if (from === undefined) return;
    const e: TraceEvent = { type: 'runstate', t, dom: v.dom, vcpu: v.vcpu, from, to, pcpu };
    this.log.push({ e, pcpu, inferred: true });
  }

  private onRunstate(e: Of<'runstate'>): void {
    this.runstates = 'published';
    const from = this.timeline.setRunstate(e.t, e, e.to, e.pcpu);
    if (from === undefined) return; // already there: inferred just before inference stopped
    const fixed = from === e.from ? e : { ...e, from };
    this.log.push({ e: fixed, pcpu: e.pcpu, inferred: fixed !== e });
  }

  private onDomain(e: Of<'domain'>): void {
    const info = this.timeline.domain(e.dom);
    const known = this.source?.describe(e.dom);
    info.name = e.name;
    info.type ||= known?.type ?? '';
    for (let v = 0; v < (known?.vcpus ?? 0); v++) this.timeline.touch(e.t, { dom: e.dom, vcpu: v });
    this.log.push({ e, pcpu: -1, inferred: false });
    if (this.runstates === 'inferred') this.inferDomain(e.t, e.dom, e.what);
  }

  /** Pause, shutdown and unpause move a domain's vCPUs that are not on a pCPU. */
  private inferDomain(t: number, dom: number, what: string): void {
    const count = this.paused.get(dom) ?? 0;
    if (what.startsWith('created')) this.paused.set(dom, 1);
    else if (what === 'paused') this.paused.set(dom, count + 1);
    else if (what === 'unpaused') this.paused.set(dom, Math.max(0, count - 1));
    else if (/^(shutdown|dying|destroyed)/.test(what)) this.stopped.add(dom);
    const held = (this.paused.get(dom) ?? 0) > 0 || this.stopped.has(dom);
    for (const v of this.timeline.vcpusOf(dom)) {
      const state = this.timeline.runstate(v);
      const pcpu = this.timeline.pcpuOf(v);
      if (held && state === 'runnable') this.infer(t, v, 'offline', pcpu);
      if (!held && state === 'offline' && !this.down.has(vcpuKey(v))) this.infer(t, v, 'runnable', pcpu);
    }
  }
}

function ref(v: { domain: { id: number }; id: number }): VcpuRef {
  return { dom: v.domain.id, vcpu: v.id };
}

/** Where everything in `world` stands now. */
export function snapshot(world: World): RecorderStart {
  const doms = world.hv.list();
  return {
    t: world.engine.now,
    pcpus: world.hv.core.pcpus.map((p) => (p.current ? ref(p.current) : null)),
    vcpus: doms.flatMap((d) => d.vcpus.map((v) => ({ ref: ref(v), state: v.runstate, pcpu: v.processor }))),
    domains: doms.map((d) => ({ id: d.id, name: d.name, type: d.config.type, paused: d.pauseCount, stopped: d.isDead })),
  };
}

function worldSource(world: World): RecorderSource {
  return {
    now: () => world.engine.now,
    describe: (id) => {
      const d = world.hv.domain(id);
      return d ? { id, name: d.name, type: d.config.type, vcpus: d.vcpus.length } : undefined;
    },
    running: () => world.hv.core.pcpus.map((p) => (p.current ? ref(p.current) : null)),
  };
}
