// A sweep as a terminal table (one row per point: its values, then each domain's CPU share and
// wake latency) and as CSV (one row per point and domain: the point's values, then the run
// columns of csv.ts). JSON is the SweepResult itself.
import type { SweepResult } from '../sweep/sweep';
import { pad } from '../run/xl';
import { RUN_HEADER, runRows, toCsv, type Cell } from './csv';
import { fmtNs } from './format';

export function renderSweep(s: SweepResult): string {
  const keys = s.axes.map((a) => a.key);
  const doms = s.points[0]?.report.domains.filter((d) => d.id !== 0).map((d) => d.name) ?? [];
  const width = (k: string): number => Math.max(k.length, ...s.points.map((p) => (p.set[k] ?? '').length)) + 2;
  const head = pad('point', 7) + keys.map((k) => pad(k, width(k))).join('') + doms.map((d) => pad(`${d} CPU%`, 14, true) + pad(`wake p99`, 11, true)).join('');
  const lines = s.points.map((p) => {
    const cells = doms.map((name) => {
      const d = p.report.domains.find((x) => x.name === name);
      const wake = d && d.wakeLatencyNs.count > 0 ? fmtNs(d.wakeLatencyNs.p99) : '-';
      return pad(d ? d.cpuPct.toFixed(1) : '-', 14, true) + pad(wake, 11, true);
    });
    return pad(String(p.index), 7) + keys.map((k) => pad(p.set[k] ?? '', width(k))).join('') + cells.join('');
  });
  const shard = s.shard ? `, shard ${s.shard.index}/${s.shard.count}` : '';
  return [`${s.scenario}: ${s.points.length} of ${s.totalPoints} points${shard}`, '', head, ...lines].join('\n');
}

export function sweepCsv(s: SweepResult): string {
  const keys = s.axes.map((a) => a.key);
  const rows: Cell[][] = s.points.flatMap((p) => runRows(p.report).map((r) => [p.index, ...keys.map((k) => p.set[k] ?? ''), ...r]));
  // Axis columns are named `set <key>`, so `--set seed=1,2` does not clash with the run's own seed column.
  return toCsv(['point', ...keys.map((k) => `set ${k}`), ...RUN_HEADER], rows);
}
