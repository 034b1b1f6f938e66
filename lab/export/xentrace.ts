// A recorded run as a binary xentrace file, which Xen's analyser reads:
//     xenalyze --cpu-hz=1G --summary run.xentrace
// What is written, per pCPU, in the order it happened (xentrace-format.ts has the layouts):
//   - at the start, TRC_SCHED_CONTINUE_RUNNING for what each pCPU runs, so the analyser knows
//     who is on every CPU from the first timestamp;
//   - every runstate change (TRC_SCHED_RUNSTATE_CHANGE), including those of each pCPU's idle
//     vCPU (domain 32767, vCPU = pCPU id), which is how Xen shows a CPU going idle;
//   - for every context switch, TRC_SCHED_SWITCH_INFPREV, _INFNEXT and TRC_SCHED_SWITCH,
//     and TRC_SCHED_CONTINUE_RUNNING when schedule() keeps the running vCPU;
//   - hypercalls of PV domains (TRC_PV_HYPERCALL_V2; an HVM guest's calls are VM exits, which
//     get their entry in ENCODE, TRC_HVM_VMEXIT64, once pvlab traces exits), and domain
//     creation and destruction (TRC_SCHED_DOM_ADD/_REM, written on pCPU 0);
//   - at the end, TRC_SCHED_CONTINUE_RUNNING again, so the last stretch is accounted; or, on a
//     pCPU that lost events to the recorder's bound, TRC_LOST_RECORDS as Xen writes it.
// TSC = TSC_ORIGIN + ns * cpuHz / 1e9; tell xenalyze the same frequency (xenalyzeArgs).
// Records go out in windows of `windowNs` simulated time per pCPU, as xentrace drains each
// CPU's buffer every 100 ms. Event types map to records through ENCODE, one entry per type.
import { writeFileSync } from 'node:fs';
import { DOMID_IDLE, HYPERCALL, RUNSTATE, type HypercallName, type Runstate } from '../../hypervisor/public/xen';
import type { TraceEvent } from '../../hypervisor/trace';
import type { LogEntry, TraceRecorder } from './recorder';
import { sameVcpu, vcpuKey, type VcpuRef } from './timeline';
import { TRC, encodeFile, pvHypercallArg32, type XenRecord, type XenWindow } from './xentrace-format';

export interface XentraceOptions {
  /** The TSC frequency the file is written at. Default 1 GHz, so one cycle is one ns. */
  cpuHz?: number;
  /** Simulated time per window (xentrace's poll interval). Default 100 ms. */
  windowNs?: number;
}

export const DEFAULT_CPU_HZ = 1_000_000_000;
export const DEFAULT_WINDOW_NS = 100_000_000;
/** The TSC at simulated time 0. Not 0: xenalyze reads a zero TSC as "no timestamp". */
export const TSC_ORIGIN = 1_000_000n;

/** The xenalyze flags that match a file written with `opts`. */
export function xenalyzeArgs(opts: XentraceOptions = {}): string[] {
  return [`--cpu-hz=${opts.cpuHz ?? DEFAULT_CPU_HZ}`];
}

/** A record with the simulated time it was written at (for cutting windows). */
interface TimedRecord extends XenRecord {
  readonly t: number;
}

/** The encoding pass: what each pCPU runs as far as the file has said, and the output. */
interface Enc {
  readonly out: TimedRecord[][];
  readonly running: (VcpuRef | null)[];
  readonly since: number[];
  readonly runnableSince: Map<string, number>;
  readonly tsc: (ns: number) => bigint;
  readonly domType: (dom: number) => string;
}

type Of<K extends TraceEvent['type']> = Extract<TraceEvent, { type: K }>;
type Encoder<E> = (e: E, x: Enc, entry: LogEntry) => void;

/** How each trace event type is written; null: Xen has no record for it, or pvlab's event
 *  lacks what the record needs. A new TraceEvent type adds one entry. */
const ENCODE: { [K in TraceEvent['type']]: Encoder<Of<K>> | null } = {
  sched: (e, x, entry) => onSchedule(x, entry, { dom: e.dom, vcpu: e.vcpu }),
  idle: (_e, x, entry) => onSchedule(x, entry, null),
  runstate: (e, x) => onRunstate(x, e),
  hypercall: (e, x, entry) => onHypercall(x, e, entry.pcpu),
  domain: (e, x) => {
    const event = e.what.startsWith('created') ? TRC.SCHED_DOM_ADD : e.what === 'destroyed' ? TRC.SCHED_DOM_REM : undefined;
    if (event !== undefined) emit(x, 0, e.t, event, [e.dom]);
  },
  'credit-acct': null, // credit's own records (TRC_CSCHED_ACCOUNT_*) carry no per-vCPU credit
  tickle: null, // TRC_CSCHED_TICKLE needs the credit scheduler's view; not written yet
  evtchn: null, // Xen has no event-channel trace record
  note: null,
  guest: null, // a kernel's own narration: Xen never sees ring indices or xenbus states
  vmexit: null, // TRC_HVM_VMEXIT needs the guest's rip; pvlab's exits carry the port instead
};

const idleVcpu = (pcpu: number): VcpuRef => ({ dom: DOMID_IDLE, vcpu: pcpu });
const vcpuWord = (v: VcpuRef): number => ((v.dom << 16) | (v.vcpu & 0xffff)) >>> 0;

function emit(x: Enc, pcpu: number, t: number, event: number, words: number[]): void {
  x.out[pcpu]?.push({ t, event, tsc: x.tsc(t), words });
}

function runstateRecord(x: Enc, pcpu: number, t: number, v: VcpuRef, from: Runstate, to: Runstate): void {
  emit(x, pcpu, t, TRC.SCHED_RUNSTATE_CHANGE | (RUNSTATE[from] << 8) | (RUNSTATE[to] << 4), [vcpuWord(v)]);
}

function onRunstate(x: Enc, e: Of<'runstate'>): void {
  if (e.to === 'runnable') x.runnableSince.set(vcpuKey(e), e.t);
  runstateRecord(x, Math.max(0, e.pcpu), e.t, e, e.from, e.to);
}

/** A context switch, the records Xen writes around it, and the idle vCPU's own changes. */
function onSchedule(x: Enc, entry: LogEntry, nextGuest: VcpuRef | null): void {
  const { pcpu, e } = entry;
  const t = e.t;
  const prevGuest = entry.prev ?? null;
  const prev = prevGuest ?? idleVcpu(pcpu);
  const next = nextGuest ?? idleVcpu(pcpu);
  if (sameVcpu(prevGuest, nextGuest)) return emit(x, pcpu, t, TRC.SCHED_CONTINUE_RUNNING, [vcpuWord(next)]);
  const waited = nextGuest ? t - (x.runnableSince.get(vcpuKey(nextGuest)) ?? t) : 0;
  emit(x, pcpu, t, TRC.SCHED_SWITCH_INFPREV, [prev.dom, prev.vcpu, clampU32(t - x.since[pcpu]!)]);
  emit(x, pcpu, t, TRC.SCHED_SWITCH_INFNEXT, [next.dom, next.vcpu, clampU32(waited), 0]); // pvlab's event has no slice
  emit(x, pcpu, t, TRC.SCHED_SWITCH, [prev.dom, prev.vcpu, next.dom, next.vcpu]);
  // The guest vCPUs' own changes are runstate entries of the log, around this one.
  if (!prevGuest) runstateRecord(x, pcpu, t, prev, 'running', 'runnable');
  if (!nextGuest) runstateRecord(x, pcpu, t, next, 'runnable', 'running');
  x.running[pcpu] = nextGuest;
  x.since[pcpu] = t;
}

function onHypercall(x: Enc, e: Of<'hypercall'>, pcpu: number): void {
  if (pcpu < 0 || x.domType(e.dom) !== 'pv') return; // HVM guests' calls are VM exits in Xen's trace
  const nr = Object.hasOwn(HYPERCALL, e.name) ? HYPERCALL[e.name as HypercallName] : Number(/^#(\d+)$/.exec(e.name)?.[1] ?? NaN);
  if (!Number.isInteger(nr)) return;
  const arg = /^-?\d+$/.test(e.op) ? Number(e.op) : undefined;
  const words = arg === undefined ? [nr & 0xfffff] : [(nr & 0xfffff) | pvHypercallArg32(0), arg >>> 0];
  emit(x, pcpu, e.t, TRC.PV_HYPERCALL_V2, words);
}

function clampU32(n: number): number {
  return Math.max(0, Math.min(0xffff_ffff, Math.round(n)));
}

/** Closes each pCPU: the current vCPU continues to the end, or the pCPU lost records. */
function finish(x: Enc, rec: TraceRecorder, end: number): void {
  x.running.forEach((v, pcpu) => {
    const lost = rec.droppedByPcpu[pcpu] ?? 0;
    if (lost === 0) return emit(x, pcpu, end, TRC.SCHED_CONTINUE_RUNNING, [vcpuWord(v ?? idleVcpu(pcpu))]);
    const cur = rec.endRunning[pcpu] ?? idleVcpu(pcpu);
    const first = x.tsc(rec.truncatedAt ?? end);
    const at = x.tsc(end) > first ? x.tsc(end) : first + 1n;
    const words = [lost, ((cur.vcpu << 16) | (cur.dom & 0xffff)) >>> 0, Number(first & 0xffff_ffffn), Number(first >> 32n)];
    x.out[pcpu]!.push({ t: end, event: TRC.LOST_RECORDS, tsc: at, words });
  });
}

/** Cuts each pCPU's records into windows of `windowNs`, in file order. */
function windows(out: TimedRecord[][], start: number, windowNs: number): XenWindow[] {
  const epochOf = (t: number): number => Math.floor((t - start) / windowNs);
  const last = out.reduce((m, recs) => Math.max(m, recs.length ? epochOf(recs[recs.length - 1]!.t) : 0), 0);
  const cursor = out.map(() => 0);
  const result: XenWindow[] = [];
  for (let k = 0; k <= last; k++) {
    out.forEach((recs, cpu) => {
      const from = cursor[cpu]!;
      let to = from;
      while (to < recs.length && epochOf(recs[to]!.t) <= k) to++;
      cursor[cpu] = to;
      if (to > from) result.push({ cpu, records: recs.slice(from, to) });
    });
  }
  return result;
}

/** The xentrace file of a recorded run (stops the recorder if it still records). */
export function xentrace(rec: TraceRecorder, opts: XentraceOptions = {}): Uint8Array {
  rec.stop();
  const tl = rec.timeline;
  const hz = BigInt(opts.cpuHz ?? DEFAULT_CPU_HZ);
  const x: Enc = {
    out: tl.pcpus.map(() => []),
    running: tl.start.pcpus.map((r) => r),
    since: tl.pcpus.map(() => tl.startNs),
    runnableSince: new Map(tl.start.vcpus.filter((v) => v.state === 'runnable').map((v) => [vcpuKey(v.ref), tl.startNs])),
    tsc: (ns) => TSC_ORIGIN + (BigInt(Math.round(ns)) * hz) / 1_000_000_000n,
    domType: (dom) => tl.domains.get(dom)?.type ?? '',
  };
  x.running.forEach((v, pcpu) => emit(x, pcpu, tl.startNs, TRC.SCHED_CONTINUE_RUNNING, [vcpuWord(v ?? idleVcpu(pcpu))]));
  for (const entry of rec.log) (ENCODE[entry.e.type] as Encoder<TraceEvent> | null)?.(entry.e, x, entry);
  finish(x, rec, rec.endNs ?? tl.endNs ?? tl.startNs);
  return encodeFile(windows(x.out, tl.startNs, opts.windowNs ?? DEFAULT_WINDOW_NS));
}

export function writeXentrace(path: string, rec: TraceRecorder, opts: XentraceOptions = {}): void {
  writeFileSync(path, xentrace(rec, opts));
}
