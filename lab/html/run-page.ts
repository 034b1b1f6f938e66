// The report page of one run (`pvlab run s.yaml --html report.html`): the domains as `xl list`
// shows them, where each domain's time went (runstates) and each pCPU's (guest, hypervisor,
// idle), wake and I/O latency distributions, the pCPU timeline, and the VM exits and
// hypercalls each domain made.
import type { TraceRecorder } from '../export/recorder';
import type { DomainReport, RunReport } from '../run/report';
import type { World } from '../run/world';
import { percentileChart, stackedBars, timelineChart, type Series } from './charts';
import { PERCENTILE_LABELS, percentileSeries, wakeHistogram } from './latency';
import type { PageChart, PageModel, PageSection } from './model';
import { timelineData } from './timeline';

export interface RunPageInput {
  report: RunReport;
  world: World;
  /** A recorder attached for the whole run, for the pCPU timeline. */
  recorder: TraceRecorder;
  notices?: string[];
}

const pct = (x: number, of: number): number => (of > 0 ? Math.round((1000 * x) / of) / 10 : 0);
const us = (ns: number): string => (ns / 1000).toFixed(1);

export function runPage(input: RunPageInput): PageModel {
  const r = input.report;
  const secs = (r.simulatedNs / 1e9).toFixed(3);
  return {
    title: `pvlab run: ${r.scenario}`,
    subtitle: `${secs} s simulated on ${r.host.pcpus} pCPU(s), platform ${r.host.platform}, scheduler ${r.host.scheduler.name}, seed ${r.seed}, ${r.events} events`,
    sections: [domainsSection(r), timeSection(r), latencySection(input), timelineSection(input), countsSection(r)],
    footer: [...(input.notices ?? []), 'Made by pvlab; charts drawn with Apache ECharts, inlined, so this page works offline.'],
  };
}

function domainsSection(r: RunReport): PageSection {
  const rows = r.domains.map((d) => [
    d.name, d.id, d.type, d.mode, d.vcpus, d.memory, d.weight, d.state, d.cpuPct,
    d.wakeLatencyNs.count ? us(d.wakeLatencyNs.p50) : '-', d.wakeLatencyNs.count ? us(d.wakeLatencyNs.p99) : '-',
    `${String(d.workload['kind'] ?? '')} ${String(d.workload['ops'] ?? '')} ${String(d.workload['unit'] ?? '')}`.trim(),
  ]);
  const header = ['Name', 'ID', 'Type', 'Mode', 'VCPUs', 'Mem (MiB)', 'Weight', 'State', 'CPU%', 'Wake p50 (µs)', 'Wake p99 (µs)', 'Workload'];
  return { title: 'Domains', tables: [{ title: 'As xl list shows them, with CPU share and wake latency', header, rows, numeric: [1, 4, 5, 6, 8, 9, 10] }] };
}

function timeSection(r: RunReport): PageSection {
  const names = r.domains.map((d) => d.name);
  const rs = (get: (d: DomainReport) => number): number[] => r.domains.map((d) => pct(get(d), r.simulatedNs * d.vcpus));
  const runstates: Series[] = [
    { name: 'running', values: rs((d) => d.runstate.runningNs) },
    { name: 'runnable', values: rs((d) => d.runstate.runnableNs) },
    { name: 'blocked', values: rs((d) => d.runstate.blockedNs) },
    { name: 'offline', values: rs((d) => d.runstate.offlineNs) },
  ];
  const total = (p: RunReport['pcpus'][number]): number => p.guestUserNs + p.guestKernelNs + p.hypervisorNs + p.idleNs;
  const pc = (get: (p: RunReport['pcpus'][number]) => number): number[] => r.pcpus.map((p) => pct(get(p), total(p)));
  const pcpus: Series[] = [
    { name: 'guest user', values: pc((p) => p.guestUserNs) },
    { name: 'guest kernel', values: pc((p) => p.guestKernelNs) },
    { name: 'hypervisor', values: pc((p) => p.hypervisorNs) },
    { name: 'idle', values: pc((p) => p.idleNs) },
  ];
  const charts: PageChart[] = [
    { id: 'runstates', title: 'Where each domain\'s vCPU time went (runstates)', kind: 'plain', height: 90 + 36 * names.length, option: stackedBars(names, runstates, { axis: '% of vCPU time', max: 100 }) },
    { id: 'pcpu-time', title: 'Where each pCPU\'s time went', kind: 'plain', height: 90 + 36 * r.pcpus.length, option: stackedBars(r.pcpus.map((p) => `pCPU ${p.id}`), pcpus, { axis: '% of pCPU time', max: 100 }) },
  ];
  return { title: 'Where the time went', charts };
}

function latencySection(input: RunPageInput): PageSection {
  const series: Series[] = [];
  for (const d of input.report.domains) {
    const h = wakeHistogram(input.world, d.id);
    if (h.count > 0) series.push(percentileSeries(`${d.name} wake`, h));
  }
  for (const g of input.world.guests) {
    if (g.fio && g.fio.latency.count > 0) series.push(percentileSeries(`${g.domain.name} I/O`, g.fio.latency));
  }
  const chart: PageChart = { id: 'latency', title: 'Latency distribution: wake-up (runnable to running) and I/O requests', kind: 'plain', height: 340, option: percentileChart(PERCENTILE_LABELS, series, 'µs') };
  return { title: 'Latency', charts: [chart] };
}

function timelineSection(input: RunPageInput): PageSection {
  const names = new Map(input.report.domains.map((d) => [d.id, d.name]));
  const { data, note } = timelineData(input.recorder, names);
  return { title: 'pCPU timeline', text: 'What each physical CPU ran; blank is idle. Drag or scroll to zoom.', charts: [timelineChart('timeline', 'pCPUs', data, note)] };
}

function countsSection(r: RunReport): PageSection {
  const names = r.domains.map((d) => d.name);
  const charts: PageChart[] = [
    countsChart('vmexits', 'VM exits by reason', names, r.domains.map((d) => d.vmexits)),
    countsChart('hypercalls', 'Hypercalls by operation', names, r.domains.map((d) => d.hypercalls)),
  ];
  return { title: 'VM exits and hypercalls', charts };
}

/** Stacked counts: one bar per row, one segment per key (a reason or an op). */
export function countsChart(id: string, title: string, rows: string[], counts: Record<string, number>[], axis = 'count'): PageChart {
  const keys = [...new Set(counts.flatMap((c) => Object.keys(c)))].sort();
  const series: Series[] = keys.map((k) => ({ name: k, values: counts.map((c) => c[k] ?? 0) }));
  const note = keys.length === 0 ? 'none in this run' : undefined;
  return { id, title, note, kind: 'plain', height: 100 + 36 * rows.length, option: stackedBars(rows, series, { axis }) };
}
