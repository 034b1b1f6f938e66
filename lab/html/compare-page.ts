// The report page of a comparison (`pvlab compare ... --html report.html`): the table, the score
// of each mode relative to native, where the CPU time went in each mode, the guest's latency
// distribution per mode, the VM exits and hypercalls per operation, and one pCPU timeline per
// mode, so the reasons behind the numbers can be seen.
import type { CompareResult } from '../compare';
import type { TraceRecorder } from '../export/recorder';
import type { RunReport } from '../run/report';
import type { World } from '../run/world';
import { barChart, percentileChart, stackedBars, timelineChart, type Series } from './charts';
import { latencyOf, PERCENTILE_LABELS, percentileSeries } from './latency';
import type { PageChart, PageModel, PageSection, TimelineData } from './model';
import { countsChart } from './run-page';
import { timelineData } from './timeline';

/** What the page needs of one mode's run besides its row, taken as soon as the run ends, so
 *  the run itself (its world and its trace recording) need not be kept for the page. */
export interface ModeView {
  mode: string;
  report: RunReport;
  /** The varied guest's domain id. */
  guest: number;
  latency: { series: Series | undefined; what: 'I/O' | 'wake' };
  timeline: { data: TimelineData; note?: string };
}

/** One mode's view, from its world and a recorder attached for the whole run. */
export function modeView(mode: string, world: World, report: RunReport, recorder: TraceRecorder): ModeView {
  const guest = world.guests.find((g) => g.spec === world.scenario.domains[0])?.domain.id ?? 1;
  const lat = latencyOf(world, guest);
  const names = new Map(report.domains.map((d) => [d.id, d.name]));
  return {
    mode, report, guest,
    latency: { series: lat.series.count > 0 ? percentileSeries(mode, lat.series) : undefined, what: lat.what },
    timeline: timelineData(recorder, names),
  };
}

export function comparePage(c: CompareResult, runs: readonly ModeView[]): PageModel {
  const notices = [...new Set(c.rows.flatMap((r) => r.notices))];
  return {
    title: `pvlab compare: ${c.workload}`,
    subtitle: `${c.workload} under ${c.rows.length} modes on the ${c.platform} platform, seed ${c.seed}`,
    sections: [tableSection(c), timeSection(c), latencySection(runs), countsSection(runs), timelineSection(runs)],
    footer: [...notices.map((n) => `note: ${n.replace(/\n/g, '; ')}`), 'Made by pvlab; charts drawn with Apache ECharts, inlined, so this page works offline.'],
  };
}

function tableSection(c: CompareResult): PageSection {
  const rows = c.rows.map((r) => [
    r.mode, r.score, r.unit, r.relativeToNative === null ? '-' : `${r.relativeToNative.toFixed(2)}x`,
    r.exitsPerOp, r.hypercallsPerOp, r.notificationsPerOp, `${r.dom0CpuPct.toFixed(1)}%`,
  ]);
  const header = ['Mode', 'Score', 'Unit', 'vs native', 'Exits/op', 'Hypercalls/op', 'Notifications/op', 'dom0 CPU'];
  const modes = c.rows.map((r) => r.mode);
  const relative = c.rows.map((r) => r.relativeToNative ?? 0);
  const chart: PageChart = c.rows.some((r) => r.relativeToNative !== null)
    ? { id: 'relative', title: 'Score relative to native (1.0 = as fast as bare hardware)', kind: 'plain', height: 90 + 34 * modes.length, option: barChart(modes, relative, { axis: '× native', mark: 1 }) }
    : { id: 'relative', title: `Score (${c.rows[0]?.unit ?? ''})`, kind: 'plain', height: 90 + 34 * modes.length, option: barChart(modes, c.rows.map((r) => r.score), { axis: c.rows[0]?.unit ?? '' }) };
  return { title: 'Comparison', tables: [{ title: 'One row per mode', header, rows, numeric: [1, 3, 4, 5, 6, 7] }], charts: [chart] };
}

function timeSection(c: CompareResult): PageSection {
  const total = (t: CompareResult['rows'][number]['timeNs']): number => t.guest + t.hypervisor + t.backend + t.deviceModel + t.idle;
  const share = (get: (t: CompareResult['rows'][number]['timeNs']) => number): number[] =>
    c.rows.map((r) => (total(r.timeNs) > 0 ? Math.round((1000 * get(r.timeNs)) / total(r.timeNs)) / 10 : 0));
  const series: Series[] = [
    { name: 'guest', values: share((t) => t.guest) },
    { name: 'hypervisor', values: share((t) => t.hypervisor) },
    { name: 'dom0 backend', values: share((t) => t.backend) },
    { name: 'device model', values: share((t) => t.deviceModel) },
    { name: 'idle', values: share((t) => t.idle) },
  ];
  const modes = c.rows.map((r) => r.mode);
  const chart: PageChart = { id: 'where-time-went', title: 'Where the CPU time went, per mode', kind: 'plain', height: 100 + 34 * modes.length, option: stackedBars(modes, series, { axis: '% of all pCPU time', max: 100 }) };
  return { title: 'Where the time went', charts: [chart] };
}

function latencySection(runs: readonly ModeView[]): PageSection {
  const whats = new Set(runs.map((r) => r.latency.what));
  const what = whats.size > 1 ? 'I/O (or wake-up)' : whats.has('I/O') ? 'I/O request' : 'vCPU wake-up';
  const series = runs.flatMap((r) => (r.latency.series ? [r.latency.series] : []));
  const chart: PageChart = { id: 'latency', title: `The guest's ${what} latency by percentile, per mode`, kind: 'plain', height: 360, option: percentileChart(PERCENTILE_LABELS, series, 'µs') };
  return { title: 'Latency distribution', charts: [chart] };
}

function countsSection(runs: readonly ModeView[]): PageSection {
  const modes = runs.map((r) => r.mode);
  const perOp = (counts: Record<string, number>, ops: number): Record<string, number> =>
    Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, ops > 0 ? Math.round((1000 * v) / ops) / 1000 : v]));
  const guests = runs.map((r) => {
    const g = r.report.domains.find((d) => d.id === r.guest);
    const ops = Number(g?.workload['ops'] ?? 0);
    return { exits: perOp(g?.vmexits ?? {}, ops), calls: perOp(g?.hypercalls ?? {}, ops) };
  });
  const charts: PageChart[] = [
    countsChart('vmexits', 'The guest\'s VM exits per operation, by reason', modes, guests.map((g) => g.exits), 'per operation'),
    countsChart('hypercalls', 'The guest\'s hypercalls per operation, by op', modes, guests.map((g) => g.calls), 'per operation'),
  ];
  return { title: 'VM exits and hypercalls', charts };
}

function timelineSection(runs: readonly ModeView[]): PageSection {
  const charts = runs.map((r) => timelineChart(`timeline-${r.mode}`, r.mode, r.timeline.data, r.timeline.note));
  return { title: 'pCPU timelines', text: 'What each physical CPU ran in each mode; blank is idle. Drag or scroll to zoom.', charts };
}
