// `npm run bench`: a declarative list of benchmarks, each named with its unit. Each is run
// to warm up, for at least WARMUP_S of wall time and at least once (discarded), then several
// times; median, min and max are printed, plus peak memory. `-- --json` prints {benchmarks: [{name, unit, median, min, max}]};
// `-- --only NAME` runs one. Wall-clock speed is measured here and never asserted in tests.
import { engineModel, referenceModel } from './engine';
import { scaleScenario } from './scenarios';
import { stats } from './stats';
import { runScenario } from '../lab/run/runner';
import { buildWorld } from '../lab/run/world';
import { baseScenario, withMode, type CompareMode } from '../lab/compare';
import { runSuite, type SuiteInput } from '../lab/suite';

interface Bench {
  name: string;
  unit: string;
  runs?: number;
  /** Skip the discarded warm-up runs (for the long scale runs, which warm up on their own). */
  noWarmup?: boolean;
  /** Returns the figure of one run. */
  measure: () => number;
}

const ENGINE_EVENTS = 2_000_000;
/**
 * Wall seconds of discarded runs before a benchmark is measured. The short runs (a 4 MiB
 * transfer, 200 ms of fio: 0.05-0.5 s each) take six to eight runs, about a second, to reach
 * their steady rate, as V8 compiles their paths with optimization: one discarded run left the
 * measured runs at a third to two thirds of it.
 */
const WARMUP_S = 2;

function rate(work: () => number): number {
  const t0 = performance.now();
  const n = work();
  return n / ((performance.now() - t0) / 1000);
}

function simSpeed(duration: number, build: () => Parameters<typeof runScenario>[0]): number {
  const s = build();
  const t0 = performance.now();
  runScenario(s);
  return duration / 1e9 / ((performance.now() - t0) / 1000);
}

/** Requests completed per wall second by one guest's fio job. */
function requestRate(mode: CompareMode, iodepth: number, durationNs: number): number {
  const s = withMode(baseScenario({ workload: { kind: 'fio', options: { rw: 'randread', bs: '4k', iodepth: String(iodepth) } }, duration: `${durationNs / 1e6}ms` }), mode, undefined);
  const t0 = performance.now();
  const { world } = runScenario(s);
  const wall = (performance.now() - t0) / 1000;
  return world.guests.find((g) => g.fio)!.fio!.ops / wall;
}

/** Wall seconds of a whole `pvlab compare --suite` run (issue 5 asks for under a minute). */
function suiteWall(input: SuiteInput): number {
  const t0 = performance.now();
  runSuite(input);
  return (performance.now() - t0) / 1000;
}

/** Packets (in and out of the guest's interface) per wall second of a bulk ttcp transfer. */
function packetRate(mode: CompareMode): number {
  const s = withMode(baseScenario({ workload: { kind: 'ttcp', options: { bytes: '4MiB' } }, duration: '500ms' }), mode, undefined);
  const t0 = performance.now();
  const { world } = runScenario(s);
  const wall = (performance.now() - t0) / 1000;
  const st = world.guests.find((g) => g.net?.stack)!.net!.stack!.stats;
  return (st.framesIn + st.framesOut) / wall;
}

/** Simulated seconds run before a scale scenario counts as steady: at 1000 domains the last
 *  xenstore handshakes end at about 1.25 s, and the first fio I/Os that follow come in a burst. */
const SETTLE_S = 2;

/**
 * Engine events per wall second of a scale scenario in steady state: the world is built and
 * run through its first SETTLE_S simulated seconds (domain creation, xenstore handshakes, ring
 * setup) before the clock starts, so the figure compares the same kind of work at every size. Stale
 * pops of cancelled timers are not counted: they are not events of the model (Xen's stop_timer
 * takes a timer off its heap; pvlab's engine leaves it and skips it when it pops).
 */
function steadyEvents(domains: number, simSeconds: number): number {
  const world = buildWorld(scaleScenario(domains, 64, (SETTLE_S + simSeconds) * 1e9));
  const events = (): number => world.engine.eventsRun - world.engine.staleEvents; // as the run report counts them
  world.engine.run(SETTLE_S * 1e9);
  const e0 = events();
  const t0 = performance.now();
  world.engine.run((SETTLE_S + simSeconds) * 1e9);
  return (events() - e0) / ((performance.now() - t0) / 1000);
}


const BENCHES: Bench[] = [
  { name: 'engine_events_per_s', unit: 'events/s', measure: () => rate(() => engineModel(ENGINE_EVENTS)) },
  { name: 'reference_loop_events_per_s', unit: 'events/s', measure: () => rate(() => referenceModel(ENGINE_EVENTS)) },
  { name: 'credit_64_domains_sim_s_per_wall_s', unit: 'simulated s per wall s', runs: 3, measure: () => simSpeed(10e9, () => scaleScenario(64, 16, 10e9, false)) },
  { name: 'pv_4k_requests_per_s', unit: 'simulated PV 4 KiB requests (iodepth 32) per wall s', runs: 7, measure: () => requestRate('pv', 32, 200e6) },
  { name: 'pv_packets_per_s', unit: 'simulated PV (netfront) packets of a ttcp transfer per wall s', runs: 7, measure: () => packetRate('pv') },
  { name: 'e1000_packets_per_s', unit: 'simulated HVM (emulated e1000) packets of a ttcp transfer per wall s', runs: 7, measure: () => packetRate('hvm') },
  { name: 'hvm_ide_requests_per_s', unit: 'simulated HVM (IDE) 4 KiB requests per wall s', runs: 7, measure: () => requestRate('hvm', 1, 200e6) },
  { name: 'suite_lmbench_wall_s', unit: 's wall (compare --suite lmbench, default modes)', runs: 1, noWarmup: true, measure: () => suiteWall({ suite: 'lmbench' }) },
  { name: 'suite_macro_wall_s', unit: 's wall (compare --suite macro, default modes)', runs: 1, noWarmup: true, measure: () => suiteWall({ suite: 'macro' }) },
  { name: 'scale_1000_domains_sim_s_per_wall_s', unit: 'simulated s per wall s (1000 domains, 64 pCPUs, credit, 10 simulated s: build, boot, run and report)', runs: 3, noWarmup: true, measure: () => simSpeed(10e9, () => scaleScenario(1000, 64, 10e9)) },
  { name: 'scale_10_domains_events_per_s', unit: 'events/s (10 domains on 64 pCPUs, steady state: simulated seconds 2-202)', runs: 3, measure: () => steadyEvents(10, 200) },
  { name: 'scale_1000_domains_events_per_s', unit: 'events/s (1000 domains on 64 pCPUs, steady state: simulated seconds 2-5)', runs: 3, noWarmup: true, measure: () => steadyEvents(1000, 3) },
];

function main(argv: string[]): void {
  const json = argv.includes('--json');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
  const out: { name: string; unit: string; median: number; min: number; max: number }[] = [];
  const picked = BENCHES.filter((b) => only === undefined || b.name === only || (only === 'engine_fraction_of_reference' && (b.name === 'engine_events_per_s' || b.name === 'reference_loop_events_per_s')) || (only === 'scale_events_per_s_1000_over_10_domains' && /^scale_10*_domains_events_per_s$/.test(b.name)));
  for (const b of picked) {
    if (!b.noWarmup) {
      const t0 = performance.now();
      do b.measure(); // warm-up, discarded
      while (performance.now() - t0 < WARMUP_S * 1000);
    }
    const xs = Array.from({ length: b.runs ?? 5 }, () => b.measure());
    out.push({ name: b.name, unit: b.unit, ...stats(xs) });
    if (!json) process.stderr.write(`  ${b.name} done\n`);
  }
  const at10 = out.find((r) => r.name === 'scale_10_domains_events_per_s');
  const at1000 = out.find((r) => r.name === 'scale_1000_domains_events_per_s');
  if (at10 && at1000) out.push({ name: 'scale_events_per_s_1000_over_10_domains', unit: 'ratio (of the medians; min and max from the extremes)', median: at1000.median / at10.median, min: at1000.min / at10.max, max: at1000.max / at10.min });
  const eng = out.find((r) => r.name === 'engine_events_per_s');
  const ref = out.find((r) => r.name === 'reference_loop_events_per_s');
  if (eng && ref) out.push({ name: 'engine_fraction_of_reference', unit: 'ratio', median: eng.median / ref.median, min: eng.min / ref.max, max: eng.max / ref.min });
  const rss = process.resourceUsage().maxRSS / 1024;
  out.push({ name: 'peak_rss_mib', unit: 'MiB', median: rss, min: rss, max: rss });
  if (json) {
    process.stdout.write(JSON.stringify({ benchmarks: out }, null, 2) + '\n');
    return;
  }
  for (const r of out) {
    const f = (x: number): string => (r.unit.startsWith('ratio') ? x.toFixed(3) : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));
    process.stdout.write(`${r.name.padEnd(40)} ${f(r.median).padStart(14)}  (min ${f(r.min)}, max ${f(r.max)})  ${r.unit}\n`);
  }
}

main(process.argv.slice(2));
