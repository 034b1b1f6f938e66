// The timeline a trace implies: for every pCPU, which vCPU ran on it (or idle) from when to
// when; for every vCPU, its runstate (running, runnable, blocked, offline) from when to when.
// It is built from state changes only, so the slices of one track follow each other without
// overlapping, and together cover the recorded time. The TraceRecorder feeds it; the
// exporters read it. Zero-length slices are not kept: they carry no time.
import type { Runstate } from '../../hypervisor/public/xen';

export interface VcpuRef {
  readonly dom: number;
  readonly vcpu: number;
}

export interface Slice<T> {
  readonly start: number;
  readonly end: number;
  readonly value: T;
}

/** What a pCPU ran; `null` is the idle vCPU. */
export interface PcpuTrack {
  readonly pcpu: number;
  readonly slices: Slice<VcpuRef | null>[];
}

export interface VcpuTrack extends VcpuRef {
  readonly slices: Slice<Runstate>[];
}

export interface DomainInfo {
  readonly id: number;
  name: string;
  /** 'pv', 'hvm', ... ; '' when the recorder never saw the domain's configuration. */
  type: string;
}

/** Where everything stood when recording began. */
export interface TimelineStart {
  readonly t: number;
  /** What each pCPU runs (null: idle), indexed by pCPU id. */
  readonly pcpus: readonly (VcpuRef | null)[];
  readonly vcpus: readonly { ref: VcpuRef; state: Runstate; pcpu: number }[];
  readonly domains: readonly DomainInfo[];
}

interface VcpuNow {
  track: VcpuTrack;
  state: Runstate;
  since: number;
  /** The pCPU it runs on, or last ran or was queued on. */
  pcpu: number;
}

export function vcpuKey(r: VcpuRef): string {
  return `${r.dom}.${r.vcpu}`;
}

export function sameVcpu(a: VcpuRef | null, b: VcpuRef | null): boolean {
  return a === b || (a !== null && b !== null && a.dom === b.dom && a.vcpu === b.vcpu);
}

/** `d1v0`, the name Xen's tools give a vCPU; `idle` for a pCPU's idle vCPU. */
export function vcpuName(r: VcpuRef | null): string {
  return r === null ? 'idle' : `d${r.dom}v${r.vcpu}`;
}

export class Timeline {
  readonly startNs: number;
  /** Where everything stood when recording began. */
  readonly start: TimelineStart;
  /** Set by close(): the end of the recorded time. */
  endNs: number | undefined;
  readonly pcpus: PcpuTrack[] = [];
  readonly domains = new Map<number, DomainInfo>();
  private readonly running: (VcpuRef | null)[] = [];
  private readonly runningSince: number[] = [];
  private readonly vcpuNow = new Map<string, VcpuNow>();
  /** The latest time the timeline was told about. */
  private lastT: number;

  constructor(start: TimelineStart) {
    this.startNs = start.t;
    this.start = start;
    this.lastT = start.t;
    start.pcpus.forEach((r, id) => {
      this.pcpus.push({ pcpu: id, slices: [] });
      this.running.push(r);
      this.runningSince.push(start.t);
    });
    for (const d of start.domains) this.domains.set(d.id, { ...d });
    for (const v of start.vcpus) this.vcpuNow.set(vcpuKey(v.ref), this.newVcpu(v.ref, v.state, start.t, v.pcpu));
  }

  get nrPcpus(): number {
    return this.pcpus.length;
  }

  /** The vCPU tracks, ordered by domain then vCPU. */
  get vcpus(): VcpuTrack[] {
    return [...this.vcpuNow.values()].map((n) => n.track).sort((a, b) => a.dom - b.dom || a.vcpu - b.vcpu);
  }

  /** What `pcpu` runs now (null: idle). */
  current(pcpu: number): VcpuRef | null {
    return this.running[pcpu] ?? null;
  }

  runstate(r: VcpuRef): Runstate {
    return this.vcpu(r).state;
  }

  /** The pCPU a vCPU runs on, or last ran or was queued on; -1 if unknown. */
  pcpuOf(r: VcpuRef): number {
    return this.vcpuNow.get(vcpuKey(r))?.pcpu ?? -1;
  }

  /** The vCPUs of one domain that the timeline knows, in vCPU order. */
  vcpusOf(dom: number): VcpuRef[] {
    return this.vcpus.filter((v) => v.dom === dom).map(({ dom: d, vcpu }) => ({ dom: d, vcpu }));
  }

  domain(id: number): DomainInfo {
    let d = this.domains.get(id);
    if (!d) this.domains.set(id, (d = { id, name: `d${id}`, type: '' }));
    return d;
  }

  /** Makes a vCPU known from `t` on (offline), if it is not known yet. */
  touch(t: number, r: VcpuRef): void {
    this.lastT = t;
    this.vcpu(r);
  }

  /** `pcpu` switches to `next` at `t`. Returns false when `next` was already running there. */
  switchPcpu(t: number, pcpu: number, next: VcpuRef | null): boolean {
    this.lastT = t;
    const prev = this.current(pcpu);
    if (sameVcpu(prev, next)) return false;
    this.push(this.pcpus[pcpu]!.slices, this.runningSince[pcpu]!, t, prev);
    this.running[pcpu] = next;
    this.runningSince[pcpu] = t;
    if (next) this.vcpu(next).pcpu = pcpu;
    return true;
  }

  /** A vCPU changes runstate at `t`. Returns the state it left, or undefined if no change. */
  setRunstate(t: number, r: VcpuRef, to: Runstate, pcpu: number): Runstate | undefined {
    this.lastT = t;
    const n = this.vcpu(r);
    if (n.state === to) return undefined;
    const from = n.state;
    this.push(n.track.slices, n.since, t, from);
    n.state = to;
    n.since = t;
    if (pcpu >= 0) n.pcpu = pcpu;
    return from;
  }

  /** Ends every open slice at `t`; the timeline then covers [startNs, t]. */
  close(t: number): void {
    if (this.endNs !== undefined) return;
    this.endNs = t;
    this.pcpus.forEach((p, id) => this.push(p.slices, this.runningSince[id]!, t, this.running[id] ?? null));
    for (const n of this.vcpuNow.values()) this.push(n.track.slices, n.since, t, n.state);
  }

  private vcpu(r: VcpuRef): VcpuNow {
    const key = vcpuKey(r);
    let n = this.vcpuNow.get(key);
    if (!n) {
      // First seen after recording began: a new domain's vCPUs start offline (created paused).
      this.domain(r.dom);
      this.vcpuNow.set(key, (n = this.newVcpu(r, 'offline', this.lastT, -1)));
    }
    return n;
  }

  private newVcpu(r: VcpuRef, state: Runstate, since: number, pcpu: number): VcpuNow {
    return { track: { dom: r.dom, vcpu: r.vcpu, slices: [] }, state, since, pcpu };
  }

  private push<T>(slices: Slice<T>[], start: number, end: number, value: T): void {
    if (end > start) slices.push({ start, end, value });
  }
}
