// A suite as terminal tables: one row per benchmark, one column per mode with its score and how
// it compares with native (always "higher is better"); then, per benchmark and mode, the counts
// per operation that explain the difference.
import type { PerOp, SuiteResult } from '../suite';

const pad = (s: string, n: number, right = false): string => (right ? s.padStart(n) : s.padEnd(n));

function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  return x >= 1000 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** exits / hypercalls / system calls / faults / switches / PTE writes per operation. */
function counts(p: PerOp | undefined): string {
  if (!p) return '-';
  const n = (x: number): string => (x >= 100 ? Math.round(x).toString() : x >= 10 ? Number(x.toFixed(1)).toString() : Number(x.toFixed(2)).toString());
  return [p.exits, p.hypercalls, p.syscalls, p.pageFaults, p.contextSwitches, p.pteWrites].map(n).join('/');
}

export function renderSuite(r: SuiteResult): string {
  const out: string[] = [];
  out.push(`${r.suite} on ${r.platform} (seed ${r.seed}): each mode's score, and "x" relative to native (higher is better)`);
  out.push('');
  const scores = r.rows.map((row) => r.modes.map((m) => {
    const rel = row.relativeToNative[m];
    return `${fmt(row.results[m])} ${rel === null || rel === undefined ? '' : `${rel.toFixed(2)}x`}`.trimEnd();
  }));
  table(out, r, ['unit', ...r.modes], r.rows.map((row, i) => [row.benchmark, row.unit, ...scores[i]!]));
  out.push('');
  out.push('Per operation: VM exits / hypercalls / system calls / page faults / context switches / PTE writes');
  table(out, r, r.modes, r.rows.map((row) => [row.benchmark, ...r.modes.map((m) => counts(row.perOp[m]))]));
  const errors = r.rows.flatMap((row) => Object.entries(row.errors ?? {}).map(([m, e]) => `${row.benchmark} under ${m}: ${e}`));
  if (errors.length > 0) out.push('', ...errors.map((e) => `error: ${e}`));
  if (r.notices.length > 0) out.push('', ...r.notices.map((n) => `note: ${n.replace(/\n/g, '; ')}`));
  return out.join('\n');
}

/** Rows under a header, the first column left-aligned, the others right-aligned to fit. */
function table(out: string[], r: SuiteResult, head: readonly string[], rows: readonly string[][]): void {
  const first = Math.max(9, ...r.rows.map((x) => x.benchmark.length)) + 2;
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j + 1]!.length)) + 2);
  out.push(pad('benchmark', first) + head.map((h, j) => pad(h, widths[j]!, true)).join(''));
  for (const row of rows) out.push(pad(row[0]!, first) + row.slice(1).map((c, j) => pad(c, widths[j]!, true)).join(''));
}
