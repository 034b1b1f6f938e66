// `npm run bench`: a declarative list of benchmarks, each named with its unit. Each is run
// once to warm up (discarded), then several times; median, min and max are printed, plus
// peak memory. `-- --json` prints {benchmarks: [{name, unit, median, min, max}]};
// `-- --only NAME` runs one. Wall-clock speed is measured here and never asserted in tests.
import { engineModel, referenceModel } from './engine';
import { scaleScenario } from './scenarios';
import { runScenario } from '../lab/run/runner';

interface Bench {
  name: string;
  unit: string;
  runs?: number;
  /** Returns the figure of one run. */
  measure: () => number;
}

const ENGINE_EVENTS = 2_000_000;

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

const BENCHES: Bench[] = [
  { name: 'engine_events_per_s', unit: 'events/s', measure: () => rate(() => engineModel(ENGINE_EVENTS)) },
  { name: 'reference_loop_events_per_s', unit: 'events/s', measure: () => rate(() => referenceModel(ENGINE_EVENTS)) },
  { name: 'credit_64_domains_sim_s_per_wall_s', unit: 'simulated s per wall s', runs: 3, measure: () => simSpeed(10e9, () => scaleScenario(64, 16, 10e9)) },
];

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

function main(argv: string[]): void {
  const json = argv.includes('--json');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
  const out: { name: string; unit: string; median: number; min: number; max: number }[] = [];
  const picked = BENCHES.filter((b) => only === undefined || b.name === only || (only === 'engine_fraction_of_reference' && b.name.includes('events_per_s')));
  for (const b of picked) {
    b.measure(); // warm-up, discarded
    const xs = Array.from({ length: b.runs ?? 5 }, () => b.measure());
    out.push({ name: b.name, unit: b.unit, ...stats(xs) });
    if (!json) process.stderr.write(`  ${b.name} done\n`);
  }
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
    const f = (x: number): string => (r.unit === 'ratio' ? x.toFixed(3) : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));
    process.stdout.write(`${r.name.padEnd(40)} ${f(r.median).padStart(14)}  (min ${f(r.min)}, max ${f(r.max)})  ${r.unit}\n`);
  }
}

main(process.argv.slice(2));
