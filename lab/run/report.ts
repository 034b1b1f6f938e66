// The report of one run: a plain, JSON-ready view of what happened, with no wall-clock value
// in it, so the same scenario and seed always give byte-identical JSON. Terminal tables and
// other formats are views of this object.
import { Histogram } from '../../hw/histogram';
import { kvmDomainReport, kvmNotifications, type KvmDomainReport } from './kvm';
import type { GuestEntry, World } from './world';
import { netReport, type NetReport } from './net-report';
import { timelineOf, type TimelineEntry } from './timeline';
import { devidToVdev } from '../../dom0/xenstore/paths';
import { EXIT_REASON_NAME } from '../../hypervisor/public/hvm/ioreq';

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface DomainReport {
  id: number;
  name: string;
  type: string;
  vcpus: number;
  memory: number;
  weight: number;
  cap: number;
  state: string;
  /** Percent of one pCPU over the run. */
  cpuPct: number;
  runstate: { runningNs: number; runnableNs: number; blockedNs: number; offlineNs: number };
  wakeLatencyNs: LatencySummary;
  cpuNs: { user: number; kernel: number; hypervisor: number };
  hypercalls: Record<string, number>;
  /** Event-channel sends this domain made, and ring pushes that needed none. */
  notifications: { sent: number; suppressed: number };
  /** Requests (or responses, for a backend) per ring push. */
  ringBatchMean: number;
  devices: DeviceReport[];
  /** How it runs: native, pv, hvm, bt, tcg, pvhvm, pvh (dom0 for Domain-0). */
  mode: string;
  /** VM exits by Xen's reason name, ioreqs sent to the device model, interrupts injected. */
  vmexits: Record<string, number>;
  ioreqs: number;
  interruptsInjected: number;
  /** A VM on a KVM host: where its exits ended and its notifications (lab/run/kvm.ts). */
  kvm?: KvmDomainReport;
  /** Its network interface and what went through it, when it has one. */
  network?: NetReport;
  workload: Record<string, unknown>;
}

export interface DeviceReport {
  vdev: string;
  /** For dom0's entries: which guest the backend serves. */
  frontend?: string;
  ops: number;
  bytes: number;
  iops: number;
  latencyNs: { mean: number; p50: number; p99: number };
}

export interface RunReport {
  scenario: string;
  seed: number;
  simulatedNs: number;
  events: number;
  host: { pcpus: number; platform: string; scheduler: { name: string; tsliceNs: number; ratelimitNs: number } };
  domains: DomainReport[];
  pcpus: { id: number; guestUserNs: number; guestKernelNs: number; hypervisorNs: number; idleNs: number }[];
  /** The timeline's commands and what they printed (only when the scenario has `events:`). */
  timeline?: TimelineEntry[];
}

export function summarize(h: Histogram): LatencySummary {
  return { count: h.count, p50: h.quantile(0.5), p99: h.quantile(0.99), max: h.count ? h.max : 0 };
}

export function buildReport(w: World): RunReport {
  const now = w.engine.now;
  w.hv.core.settleAll();
  const s = w.scenario;
  return {
    scenario: s.name,
    seed: s.seed,
    simulatedNs: now,
    events: w.engine.eventsRun - w.engine.staleEvents,
    host: { pcpus: s.host.pcpus, platform: w.profile.name, scheduler: { name: s.scheduler.name, tsliceNs: s.scheduler.tslice, ratelimitNs: s.scheduler.ratelimit } },
    domains: w.guests.filter((g) => g.domain.life !== 'dead').map((g) => domainReport(w, g)),
    pcpus: w.hv.core.pcpus.map((p) => ({ id: p.id, guestUserNs: p.time.guestUser, guestKernelNs: p.time.guestKernel, hypervisorNs: p.time.hypervisor, idleNs: p.time.idle })),
    ...timelineReport(w),
  };
}

function timelineReport(w: World): Pick<RunReport, 'timeline'> {
  const log = timelineOf(w);
  return log ? { timeline: log.map((e) => ({ ...e })) } : {};
}

function domainReport(w: World, g: GuestEntry): DomainReport {
  const d = g.domain;
  const now = w.engine.now;
  const io = ioReport(w, g);
  const kv = kvmNotifications(w, g);
  const kvm = kvmDomainReport(w, g);
  const rs = { runningNs: 0, runnableNs: 0, blockedNs: 0, offlineNs: 0 };
  const wake = new Histogram();
  for (const v of d.vcpus) {
    const t = v.runstateAt(now);
    rs.runningNs += t.running;
    rs.runnableNs += t.runnable;
    rs.blockedNs += t.blocked;
    rs.offlineNs += t.offline;
    wake.merge(v.wakeLatency);
  }
  const calls = w.hv.hypercalls.perDomain.get(d.id) ?? new Map<string, number>();
  return {
    id: d.id,
    name: d.name,
    type: g.spec?.type ?? d.config.type,
    vcpus: d.vcpus.length,
    memory: d.config.memoryMiB,
    weight: d.weight,
    cap: d.cap,
    state: d.stateLetters(),
    cpuPct: now > 0 ? round2((100 * rs.runningNs) / now) : 0,
    runstate: rs,
    wakeLatencyNs: summarize(wake),
    cpuNs: { ...d.cpu },
    hypercalls: Object.fromEntries([...calls.entries()].sort(([a], [b]) => a.localeCompare(b))),
    notifications: { sent: (w.hv.counters.evtchnSends.get(d.id) ?? 0) + kv.sent, suppressed: io.suppressed + kv.suppressed },
    ringBatchMean: io.batches + kv.batches > 0 ? round2((io.items + kv.items) / (io.batches + kv.batches)) : 0,
    devices: io.devices,
    mode: g.mode,
    vmexits: exitsByName(d),
    ioreqs: d.hvm?.counters.ioreqs ?? 0,
    interruptsInjected: d.hvm?.counters.interruptsInjected ?? 0,
    ...(kvm ? { kvm } : {}),
    ...(g.net?.stack ? { network: netReport(g) } : {}),
    workload: g.workload.stats(),
  };
}

/** A guest's disks as its frontends and workload saw them; dom0's as its backends did. */
function ioReport(w: World, g: GuestEntry): { devices: DeviceReport[]; suppressed: number; batches: number; items: number } {
  const secs = w.engine.now / 1e9;
  const out = { devices: [] as DeviceReport[], suppressed: 0, batches: 0, items: 0 };
  if (g.domain.id === 0) {
    for (const gg of w.guests) {
      for (const bb of gg.backends) {
        const h = bb.stats.latencyNs;
        out.devices.push({ vdev: bb.vdev, frontend: gg.domain.name, ops: bb.stats.responses, bytes: bb.stats.bytes, iops: round2(bb.stats.responses / secs), latencyNs: lat(h) });
        out.suppressed += bb.stats.pushesSuppressed;
        out.batches += bb.stats.notificationsSent + bb.stats.pushesSuppressed;
        out.items += bb.stats.responses;
      }
    }
    return out;
  }
  if ((g.native?.disk || g.native?.virtio) && g.fio) {
    out.devices.push({ vdev: g.spec?.disk[0]?.vdev ?? 'hda', ops: g.fio.ops, bytes: g.fio.bytes, iops: round2(g.fio.ops / secs), latencyNs: lat(g.fio.latency) });
  }
  for (const bf of g.kernel?.disks ?? []) {
    const fio = g.fio;
    const h = fio ?? undefined;
    out.devices.push({
      vdev: devidToVdev(bf.devid) ?? String(bf.devid), ops: bf.stats.responses, bytes: fio ? fio.bytes : 0, iops: round2(bf.stats.responses / secs),
      latencyNs: h ? lat(h.latency) : { mean: 0, p50: 0, p99: 0 },
    });
    out.suppressed += bf.stats.pushesSuppressed;
    out.batches += bf.stats.batches;
    out.items += bf.stats.requests;
  }
  return out;
}

function lat(h: Histogram): { mean: number; p50: number; p99: number } {
  return { mean: Math.round(h.mean), p50: h.quantile(0.5), p99: h.quantile(0.99) };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function exitsByName(d: GuestEntry['domain']): Record<string, number> {
  const out: Record<string, number> = {};
  const entries = [...(d.hvm?.counters.exits ?? new Map<number, number>()).entries()].sort(([a], [b]) => a - b);
  for (const [reason, n] of entries) out[EXIT_REASON_NAME[reason] ?? String(reason)] = n;
  return out;
}
