// `pvlab compare --suite lmbench|macro`: every benchmark of a suite under each mode, on the
// same host and seed, one row per benchmark and one column per mode, relative to native. Each
// result comes with the counts that explain it, per operation of the benchmark, taken between
// the benchmark's own start and end marks: VM exits, traps into the hypervisor (hypercalls),
// page faults, context switches, PTE writes, system calls and block I/Os.
import { LMBENCH_TESTS } from '../guests/workloads/lmbench';
import { benchOf, type Snapshot } from './run/bench';
import { buildWorld } from './run/world';
import { baseScenario, withMode, type CompareMode } from './compare';
import type { Scenario } from './scenario/types';

export const SUITES = {
  lmbench: LMBENCH_TESTS,
  macro: ['specint', 'kernel-build', 'dbench', 'oltp', 'web', 'forkwait'],
} as const;
export type SuiteName = keyof typeof SUITES;

/** The modes a suite can run: compare's, and HVM forced onto shadow paging (hap: 0). */
export type SuiteMode = CompareMode | 'hvm-shadow';
export const SUITE_MODES: readonly SuiteMode[] = ['native', 'pv', 'hvm', 'hvm-shadow', 'hvm-ahci', 'bt', 'tcg', 'pvhvm', 'pvh'];
export const SUITE_DEFAULT_MODES: SuiteMode[] = ['native', 'pv', 'hvm', 'hvm-shadow', 'bt', 'tcg', 'pvh'];

/** What one operation of the benchmark made happen, on average. */
export interface PerOp {
  exits: number;
  hypercalls: number;
  pageFaults: number;
  contextSwitches: number;
  pteWrites: number;
  syscalls: number;
  blockIos: number;
}

export interface SuiteRow {
  benchmark: string;
  unit: string;
  higherIsBetter: boolean;
  results: Partial<Record<SuiteMode, number | null>>;
  /** Higher is better whatever the unit: native time / mode time, or mode rate / native rate. */
  relativeToNative: Partial<Record<SuiteMode, number | null>>;
  perOp: Partial<Record<SuiteMode, PerOp>>;
  /** Why a mode has no result (a crash, a missing disk). */
  errors?: Partial<Record<SuiteMode, string>>;
}

export interface SuiteResult {
  suite: SuiteName;
  platform: string;
  seed: number;
  modes: SuiteMode[];
  rows: SuiteRow[];
  notices: string[];
}

export interface SuiteInput {
  suite: SuiteName;
  platform?: string;
  modes?: SuiteMode[];
  seed?: number;
  /** Workload options added to every benchmark (a PV kernel's mmu_batch, say). */
  options?: Record<string, string>;
  /** Only these benchmarks of the suite (all when absent). */
  only?: readonly string[];
}

/** Simulated time a benchmark may take before it is given up. */
const LIMIT_NS = 3_600e9;

export function runSuite(input: SuiteInput): SuiteResult {
  const modes = input.modes ?? SUITE_DEFAULT_MODES;
  const notices = new Set<string>();
  const names = SUITES[input.suite].filter((b) => input.only === undefined || input.only.includes(b));
  const rows = names.map((benchmark) => {
    const row: SuiteRow = { benchmark, unit: '', higherIsBetter: false, results: {}, relativeToNative: {}, perOp: {} };
    for (const mode of modes) runOne(input, benchmark, mode, row, notices);
    relate(row, modes);
    return row;
  });
  return { suite: input.suite, platform: input.platform ?? 'modern', seed: input.seed ?? 1, modes, rows, notices: [...notices] };
}

/** The scenario of one benchmark under one mode. */
export function suiteScenario(input: SuiteInput, benchmark: string, mode: SuiteMode): Scenario {
  const workload = input.suite === 'lmbench' ? { kind: 'lmbench', options: { test: benchmark, ...input.options } } : { kind: benchmark, options: { ...input.options } };
  const base = baseScenario({ workload, platform: input.platform, seed: input.seed, duration: '3600s' });
  const s = withMode(base, mode === 'hvm-shadow' ? 'hvm' : mode, input.platform);
  if (mode !== 'hvm-shadow') return s;
  const [g, ...rest] = s.domains;
  return { ...s, domains: [{ ...g!, hap: false }, ...rest] };
}

function runOne(input: SuiteInput, benchmark: string, mode: SuiteMode, row: SuiteRow, notices: Set<string>): void {
  const s = suiteScenario(input, benchmark, mode);
  const w = buildWorld(s);
  for (const n of w.notices) notices.add(n);
  const guest = w.guests.find((g) => g.spec?.name === s.domains[0]!.name)!;
  const h = benchOf(guest.domain)!;
  h.onEnd = () => w.engine.stop();
  while (!h.run.done && h.run.error === undefined && guest.domain.shutdownReason === undefined && w.engine.now < LIMIT_NS) {
    w.engine.run(Math.min(LIMIT_NS, w.engine.now + 10e9));
    if (w.engine.pending === 0) break;
  }
  row.unit = h.run.unit;
  row.higherIsBetter = h.run.higherIsBetter;
  const score = h.run.score;
  row.results[mode] = Number.isFinite(score) ? round(score, 4) : null;
  const why = h.run.error ?? (guest.domain.shutdownReason === 'crash' ? 'the guest crashed' : h.run.done ? undefined : 'did not finish');
  if (why) (row.errors ??= {})[mode] = why;
  if (h.marks.start && h.marks.end) row.perOp[mode] = perOp(h.marks.start, h.marks.end, h.run.ops);
}

function relate(row: SuiteRow, modes: readonly SuiteMode[]): void {
  const native = row.results['native'];
  for (const m of modes) {
    const x = row.results[m];
    row.relativeToNative[m] = native && x ? round(row.higherIsBetter ? x / native : native / x, 3) : null;
  }
}

export function perOp(a: Snapshot, b: Snapshot, ops: number): PerOp {
  const d = (x: Record<string, number>, y: Record<string, number>, keep: (k: string) => boolean = () => true): number =>
    Object.entries(y).reduce((s, [k, v]) => s + (keep(k) ? v - (x[k] ?? 0) : 0), 0);
  const per = (x: number): number => (ops > 0 ? round(x / ops, 3) : 0);
  const io = (s: Snapshot): number => (s.io ? s.io.readRequests + s.io.writeRequests : 0);
  return {
    exits: per(d(a.exits, b.exits)),
    hypercalls: per(d(a.hypercalls, b.hypercalls, (k) => !k.startsWith('multicall:'))),
    pageFaults: per(b.os.pageFaults + b.os.protFaults - a.os.pageFaults - a.os.protFaults),
    contextSwitches: per(b.os.contextSwitches - a.os.contextSwitches),
    pteWrites: per(b.os.pteWrites - a.os.pteWrites),
    syscalls: per(b.os.syscalls - a.os.syscalls),
    blockIos: per(io(b) - io(a)),
  };
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
