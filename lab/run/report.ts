// The report of one run: a plain, JSON-ready view of what happened, with no wall-clock value
// in it, so the same scenario and seed always give byte-identical JSON. Terminal tables and
// other formats are views of this object.
import type { Domain } from '../../hypervisor/domain';
import { Histogram } from '../../hw/histogram';
import type { World } from './world';

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
  workload: Record<string, unknown>;
}

export interface RunReport {
  scenario: string;
  seed: number;
  simulatedNs: number;
  events: number;
  host: { pcpus: number; platform: string; scheduler: { name: string; tsliceNs: number; ratelimitNs: number } };
  domains: DomainReport[];
  pcpus: { id: number; guestUserNs: number; guestKernelNs: number; hypervisorNs: number; idleNs: number }[];
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
    domains: w.guests.filter((g) => g.domain.life !== 'dead').map((g) => domainReport(w, g.domain, g.workload.stats())),
    pcpus: w.hv.core.pcpus.map((p) => ({ id: p.id, guestUserNs: p.time.guestUser, guestKernelNs: p.time.guestKernel, hypervisorNs: p.time.hypervisor, idleNs: p.time.idle })),
  };
}

function domainReport(w: World, d: Domain, workload: Record<string, unknown>): DomainReport {
  const now = w.engine.now;
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
    type: d.config.type,
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
    workload,
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
