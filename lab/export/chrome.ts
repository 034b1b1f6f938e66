// A run as a Chrome Trace Event Format file (the JSON object form), which Perfetto and
// chrome://tracing open. Layout:
//   - process "pCPUs": one track per pCPU; complete ('X') slices name what ran, `d1v0` or `idle`;
//   - one process per domain ("d1 light"): one track per vCPU with its runstate slices
//     (running / runnable / blocked / offline), and a credit counter ('C') per vCPU;
//   - instant events ('i') for hypercalls, tickles, domain operations and notes;
//   - flow arrows ('s' -> 'f') from an event-channel send to the wake or dispatch of a vCPU of
//     the receiving domain (or to its running vCPU, if one is on a CPU at the send);
//   - metadata ('M') naming and ordering every process and track.
// Slices come from the recorder's timeline, which is built from state changes, so slices on
// one track never overlap. Timestamps are microseconds (ns / 1000), as the format says;
// displayTimeUnit stays 'ms' because Perfetto once read 'ns' as the unit of the timestamps.
// Every other event type is mapped by one entry of EVENT_MAP: a new TraceEvent type adds one
// entry there.
import { writeFileSync } from 'node:fs';
import { EXIT_REASON_NAME } from '../../hypervisor/public/hvm/ioreq';
import type { TraceEvent } from '../../hypervisor/trace';
import type { DomainReport, RunReport } from '../run/report';
import type { TraceRecorder } from './recorder';
import { vcpuKey, vcpuName, type Timeline, type VcpuRef } from './timeline';

export interface ChromeEvent {
  name: string;
  ph: 'X' | 'i' | 'C' | 's' | 'f' | 'M';
  ts: number;
  pid: number;
  tid: number;
  cat?: string;
  dur?: number;
  /** Instant scope: thread, process or global. */
  s?: 't' | 'p' | 'g';
  id?: number;
  /** Flow binding point: 'e' binds a flow end to the enclosing slice. */
  bp?: 'e';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeEvent[];
  displayTimeUnit: 'ns' | 'ms';
  otherData: Record<string, unknown>;
}

/** The process holding the pCPU tracks. */
export const PCPUS_PID = 1;
/** Domain `d` is process DOMAIN_PID_BASE + d, so its id reads in the pid. */
export const DOMAIN_PID_BASE = 1000;
/** Track (thread) ids are the pCPU or vCPU id plus one: tid 0 stays unused, as some viewers
 *  read it as the process itself. */
export const pcpuTid = (pcpu: number): number => pcpu + 1;
export const vcpuTid = (vcpu: number): number => vcpu + 1;
export const domainPid = (dom: number): number => DOMAIN_PID_BASE + dom;

/** What the trace takes from the run's report: a RunReport fits. */
export type ChromeReportPart = Pick<RunReport, 'scenario' | 'seed' | 'simulatedNs'> & {
  readonly domains: readonly Pick<DomainReport, 'id' | 'name' | 'type' | 'weight'>[];
};

const us = (ns: number): number => ns / 1000;

/** The state the log pass carries: what runs where, open flows, tracks in use. */
interface Ctx {
  readonly out: ChromeEvent[];
  readonly tl: Timeline;
  readonly running: Map<string, VcpuRef>;
  readonly flows: Map<number, ChromeEvent[]>;
  nextFlowId: number;
}

type Of<K extends TraceEvent['type']> = Extract<TraceEvent, { type: K }>;
type Mapper<E> = (e: E, x: Ctx) => void;

/** How each trace event type appears, besides the slices built from the timeline. */
const EVENT_MAP: { [K in TraceEvent['type']]: Mapper<Of<K>> | null } = {
  sched: null, // the pCPU slices
  idle: null, // the pCPU slices
  runstate: (e, x) => onRunstate(e, x),
  'credit-acct': (e, x) =>
    x.out.push({ name: `credit ${vcpuName(e)}`, ph: 'C', cat: 'credit', ts: us(e.t), pid: domainPid(e.dom), tid: vcpuTid(e.vcpu), args: { credit: e.credit } }),
  hypercall: (e, x) =>
    x.out.push(instant(`hypercall ${e.name}`, 'hypercall', e.t, domainPid(e.dom), vcpuTid(e.vcpu), { op: e.op, rc: e.rc })),
  tickle: (e, x) =>
    x.out.push(instant('tickle', 'sched', e.t, PCPUS_PID, pcpuTid(e.pcpu), { why: e.why, current: e.dom < 0 ? 'idle' : vcpuName(e) })),
  domain: (e, x) => x.out.push(domainInstant(x, e.dom, e.what, 'domain', e.t, { name: e.name })),
  evtchn: (e, x) => onEvtchn(e, x),
  note: (e, x) => x.out.push(domainInstant(x, e.dom, e.what, 'note', e.t, {})),
  guest: (e, x) => x.out.push(instant(`${e.note.kind}`, 'guest', e.t, domainPid(e.dom), vcpuTid(e.vcpu), { ...e.note })),
  vmexit: (e, x) =>
    x.out.push(instant(`vmexit ${EXIT_REASON_NAME[e.reason] ?? e.reason}`, 'vmexit', e.t, domainPid(e.dom), vcpuTid(e.vcpu), { port: `0x${e.addr.toString(16)}`, dir: e.dir, size: e.size })),
};

function instant(name: string, cat: string, t: number, pid: number, tid: number, args: Record<string, unknown>): ChromeEvent {
  return { name, ph: 'i', s: 't', cat, ts: us(t), pid, tid, args };
}

/** A domain-wide instant, drawn on the domain's first vCPU track. */
function domainInstant(x: Ctx, dom: number, name: string, cat: string, t: number, args: Record<string, unknown>): ChromeEvent {
  const v = x.tl.vcpusOf(dom)[0]?.vcpu ?? 0;
  return { ...instant(name, cat, t, domainPid(dom), vcpuTid(v), args), s: 'p' };
}

/** An event-channel send opens a flow into the receiving domain. */
function onEvtchn(e: Of<'evtchn'>, x: Ctx): void {
  const from = runningOf(x, e.dom)[0] ?? { dom: e.dom, vcpu: 0 };
  x.out.push(instant(`evtchn ${e.what} port ${e.port}`, 'evtchn', e.t, domainPid(e.dom), vcpuTid(from.vcpu), { ...e.peer }));
  if (e.what !== 'send' || !e.peer) return;
  const name = `evtchn d${e.dom}:${e.port} -> d${e.peer.dom}:${e.peer.port}`;
  const start: ChromeEvent = { name, ph: 's', cat: 'evtchn', id: x.nextFlowId++, ts: us(e.t), pid: domainPid(e.dom), tid: vcpuTid(from.vcpu) };
  const target = runningOf(x, e.peer.dom)[0];
  if (target) return finishFlow(x, start, target, e.t);
  const waiting = x.flows.get(e.peer.dom) ?? [];
  waiting.push(start);
  x.flows.set(e.peer.dom, waiting);
}

/** A vCPU waking or being dispatched ends the flows waiting for its domain. */
function onRunstate(e: Of<'runstate'>, x: Ctx): void {
  const key = vcpuKey(e);
  if (e.to === 'running') x.running.set(key, { dom: e.dom, vcpu: e.vcpu });
  else x.running.delete(key);
  if (e.to !== 'runnable' && e.to !== 'running') return;
  const waiting = x.flows.get(e.dom);
  if (!waiting) return;
  x.flows.delete(e.dom);
  for (const start of waiting) finishFlow(x, start, e, e.t);
}

function finishFlow(x: Ctx, start: ChromeEvent, to: VcpuRef, t: number): void {
  x.out.push(start, { name: start.name, ph: 'f', bp: 'e', cat: 'evtchn', id: start.id!, ts: us(t), pid: domainPid(to.dom), tid: vcpuTid(to.vcpu) });
}

function runningOf(x: Ctx, dom: number): VcpuRef[] {
  return [...x.running.values()].filter((v) => v.dom === dom).sort((a, b) => a.vcpu - b.vcpu);
}

function sliceEvents(tl: Timeline, out: ChromeEvent[]): void {
  for (const p of tl.pcpus) {
    for (const s of p.slices) {
      const args = s.value ? { dom: s.value.dom, vcpu: s.value.vcpu } : {};
      out.push({ name: vcpuName(s.value), ph: 'X', cat: 'pcpu', ts: us(s.start), dur: us(s.end - s.start), pid: PCPUS_PID, tid: pcpuTid(p.pcpu), args });
    }
  }
  for (const v of tl.vcpus) {
    for (const s of v.slices) {
      out.push({ name: s.value, ph: 'X', cat: 'runstate', ts: us(s.start), dur: us(s.end - s.start), pid: domainPid(v.dom), tid: vcpuTid(v.vcpu) });
    }
  }
}

function logEvents(rec: TraceRecorder, out: ChromeEvent[]): void {
  const tl = rec.timeline;
  const x: Ctx = { out, tl, running: new Map(), flows: new Map(), nextFlowId: 1 };
  for (const v of tl.start.vcpus) if (v.state === 'running') x.running.set(vcpuKey(v.ref), v.ref);
  for (const { e } of rec.log) (EVENT_MAP[e.type] as Mapper<TraceEvent> | null)?.(e, x);
}

function meta(name: string, pid: number, tid: number, args: Record<string, unknown>): ChromeEvent {
  return { name, ph: 'M', ts: 0, pid, tid, args };
}

/** Names and sort indexes for every process and every track that carries an event. */
function metadata(tl: Timeline, report: ChromeReportPart, events: readonly ChromeEvent[]): ChromeEvent[] {
  const out = [meta('process_name', PCPUS_PID, 0, { name: 'pCPUs' }), meta('process_sort_index', PCPUS_PID, 0, { sort_index: 0 })];
  const tracks = new Map<string, { pid: number; tid: number }>();
  for (const p of tl.pcpus) tracks.set(`${PCPUS_PID}/${pcpuTid(p.pcpu)}`, { pid: PCPUS_PID, tid: pcpuTid(p.pcpu) });
  for (const e of events) tracks.set(`${e.pid}/${e.tid}`, { pid: e.pid, tid: e.tid });
  const pids = new Set([...tracks.values()].map((t) => t.pid).filter((pid) => pid !== PCPUS_PID));
  for (const d of tl.domains.values()) pids.add(domainPid(d.id));
  for (const pid of [...pids].sort((a, b) => a - b)) {
    const dom = pid - DOMAIN_PID_BASE;
    out.push(meta('process_name', pid, 0, { name: domainLabel(tl, report, dom) }), meta('process_sort_index', pid, 0, { sort_index: dom + 1 }));
  }
  for (const { pid, tid } of tracks.values()) {
    const name = pid === PCPUS_PID ? `pCPU ${tid - 1}` : `vCPU ${tid - 1}`;
    out.push(meta('thread_name', pid, tid, { name }), meta('thread_sort_index', pid, tid, { sort_index: tid - 1 }));
  }
  return out;
}

function domainLabel(tl: Timeline, report: ChromeReportPart, dom: number): string {
  const r = report.domains.find((d) => d.id === dom);
  const info = tl.domains.get(dom);
  const name = r?.name ?? info?.name ?? '';
  const type = r?.type ?? info?.type ?? '';
  const extra = [type, r ? `weight ${r.weight}` : ''].filter(Boolean).join(', ');
  return `d${dom} ${name}${extra ? ` (${extra})` : ''}`;
}

/** The Chrome trace of a recorded run (stops the recorder if it still records). */
export function chromeTrace(rec: TraceRecorder, report: ChromeReportPart): ChromeTrace {
  rec.stop();
  const events: ChromeEvent[] = [];
  sliceEvents(rec.timeline, events);
  logEvents(rec, events);
  const otherData = {
    generator: 'pvlab',
    scenario: report.scenario,
    seed: report.seed,
    simulatedNs: report.simulatedNs,
    recordedFromNs: rec.timeline.startNs,
    recordedToNs: rec.timeline.endNs,
    runstates: rec.runstates,
    events: rec.events.length,
    dropped: rec.dropped,
  };
  return { traceEvents: [...metadata(rec.timeline, report, events), ...events], displayTimeUnit: 'ms', otherData };
}

export function writeChromeTrace(path: string, rec: TraceRecorder, report: ChromeReportPart): void {
  writeFileSync(path, JSON.stringify(chromeTrace(rec, report)));
}
