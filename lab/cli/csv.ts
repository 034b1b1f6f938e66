// Reports as CSV for spreadsheets: one header row, then one row per domain (a run), per mode
// (a comparison) or per point and domain (a sweep). RFC 4180: fields separated by commas,
// records by CRLF; a field holding a comma, a double quote or a line break is put in double
// quotes, with its quotes doubled. Numbers are written in full (nanoseconds as integers), so a
// spreadsheet reads them as numbers; names of columns are snake_case with their unit.
import type { CompareResult } from '../compare';
import type { DomainReport, RunReport } from '../run/report';

export type Cell = string | number | boolean | null | undefined;

/** One field, quoted when RFC 4180 says it must be. */
export function csvField(v: Cell): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A whole CSV text: the header, then the rows, each line ended by CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',') + '\r\n').join('');
}

const total = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

const RUN_COLUMNS: [string, (r: RunReport, d: DomainReport) => Cell][] = [
  ['scenario', (r) => r.scenario],
  ['seed', (r) => r.seed],
  ['simulated_ns', (r) => r.simulatedNs],
  ['domain_id', (_, d) => d.id],
  ['domain', (_, d) => d.name],
  ['type', (_, d) => d.type],
  ['mode', (_, d) => d.mode],
  ['vcpus', (_, d) => d.vcpus],
  ['memory_mib', (_, d) => d.memory],
  ['weight', (_, d) => d.weight],
  ['cap', (_, d) => d.cap],
  ['state', (_, d) => d.state],
  ['cpu_pct', (_, d) => d.cpuPct],
  ['running_ns', (_, d) => d.runstate.runningNs],
  ['runnable_ns', (_, d) => d.runstate.runnableNs],
  ['blocked_ns', (_, d) => d.runstate.blockedNs],
  ['offline_ns', (_, d) => d.runstate.offlineNs],
  ['wake_count', (_, d) => d.wakeLatencyNs.count],
  ['wake_p50_ns', (_, d) => d.wakeLatencyNs.p50],
  ['wake_p99_ns', (_, d) => d.wakeLatencyNs.p99],
  ['wake_max_ns', (_, d) => d.wakeLatencyNs.max],
  ['cpu_user_ns', (_, d) => d.cpuNs.user],
  ['cpu_kernel_ns', (_, d) => d.cpuNs.kernel],
  ['cpu_hypervisor_ns', (_, d) => d.cpuNs.hypervisor],
  ['hypercalls', (_, d) => total(d.hypercalls)],
  ['notifications_sent', (_, d) => d.notifications.sent],
  ['notifications_suppressed', (_, d) => d.notifications.suppressed],
  ['vmexits', (_, d) => total(d.vmexits)],
  ['ioreqs', (_, d) => d.ioreqs],
  ['interrupts_injected', (_, d) => d.interruptsInjected],
  ['workload', (_, d) => String(d.workload['kind'] ?? '')],
  ['workload_ops', (_, d) => d.workload['ops'] as Cell],
  ['workload_unit', (_, d) => d.workload['unit'] as Cell],
];

export const RUN_HEADER: readonly string[] = RUN_COLUMNS.map(([name]) => name);

/** A run's rows, one per domain, in RUN_HEADER's order. */
export function runRows(r: RunReport): Cell[][] {
  return r.domains.map((d) => RUN_COLUMNS.map(([, get]) => get(r, d)));
}

export function runCsv(r: RunReport): string {
  return toCsv(RUN_HEADER, runRows(r));
}

export const COMPARE_HEADER = [
  'workload', 'platform', 'seed', 'mode', 'score', 'unit', 'relative_to_native', 'exits_per_op', 'hypercalls_per_op',
  'notifications_per_op', 'dom0_cpu_pct', 'guest_ns', 'hypervisor_ns', 'backend_ns', 'device_model_ns', 'idle_ns',
] as const;

export function compareCsv(c: CompareResult): string {
  const rows = c.rows.map((r) => [
    c.workload, c.platform, c.seed, r.mode, r.score, r.unit, r.relativeToNative, r.exitsPerOp, r.hypercallsPerOp,
    r.notificationsPerOp, r.dom0CpuPct, r.timeNs.guest, r.timeNs.hypervisor, r.timeNs.backend, r.timeNs.deviceModel, r.timeNs.idle,
  ]);
  return toCsv(COMPARE_HEADER, rows);
}
