// `pvlab sweep <scenario> --set key=v1,v2 [--set ...] [--jobs N] [--shard i/n] [--json|--csv]`:
// the product of the values, each point a run of its own, in parallel worker threads; the
// result is the same as running each point alone with `pvlab run --set`. A progress bar counts
// the points done when the sweep takes more than a couple of seconds on a terminal.
import type { Command } from 'commander';
import { parseAxis, parseShard, shardOf, sweepPoints } from '../../sweep/plan';
import { defaultJobs, runSweep } from '../../sweep/sweep';
import { Progress } from '../progress';
import { renderSweep, sweepCsv } from '../sweep-format';
import { collect, formatOf, positiveInt, printWall, resolveScenarioPath } from './common';

interface SweepOptions {
  set?: string[];
  jobs?: string;
  shard?: string;
  seed?: string;
  duration?: string;
  json?: boolean;
  csv?: boolean;
}

async function cmdSweep(arg: string, opts: SweepOptions): Promise<void> {
  const format = formatOf(opts);
  const input = {
    file: resolveScenarioPath(arg),
    axes: (opts.set ?? []).map((s) => parseAxis(s)),
    shard: opts.shard === undefined ? undefined : parseShard(opts.shard),
    jobs: opts.jobs === undefined ? defaultJobs() : positiveInt('--jobs', opts.jobs),
    seed: opts.seed,
    duration: opts.duration,
  };
  const t0 = performance.now();
  const progress = new Progress(1);
  const totals = { simulatedNs: 0, events: 0 };
  const all = sweepPoints(input.axes);
  const state = { done: 0, of: (input.shard ? shardOf(all, input.shard) : all).length };
  const show = (): void => progress.update({ done: state.done / state.of, ...totals, label: `sweep ${state.done}/${state.of} points` });
  // Points run in other threads: look at the clock now and then, not only when one finishes.
  const ticker = progress.active ? setInterval(show, 250) : undefined;
  let result;
  try {
    result = await runSweep(input, (done, of, report) => {
      Object.assign(state, { done, of });
      totals.simulatedNs += report.simulatedNs;
      totals.events += report.events;
      show();
    });
  } finally {
    clearInterval(ticker);
    progress.stop();
  }
  const out = format === 'json' ? JSON.stringify(result, null, 2) + '\n' : format === 'csv' ? sweepCsv(result) : renderSweep(result) + '\n';
  process.stdout.write(out);
  printWall(`${result.points.length} points in ${((performance.now() - t0) / 1000).toFixed(2)} s wall on ${Math.min(input.jobs, Math.max(1, result.points.length))} thread(s)`);
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('run a scenario at every combination of the given values, in parallel')
    .argument('<scenario>', 'a scenario YAML file, or the name of one in scenarios/')
    .option('--set <key=values>', 'a key and its comma-separated values, e.g. scheduler.tslice=5ms,30ms (repeatable)', collect)
    .option('--jobs <n>', 'worker threads (default: the number of CPUs)')
    .option('--shard <i/n>', 'run only the i-th of n equal blocks of points, e.g. 2/3')
    .option('--seed <n>', 'override the scenario seed')
    .option('--duration <d>', 'override the simulated duration (with a unit)')
    .option('--json', 'print every point\'s report as JSON')
    .option('--csv', 'print one CSV row per point and domain')
    .action(cmdSweep);
}
