// `pvlab compare [workload] [key=value...]`: one workload under each mode (native, pv, hvm, ...),
// as a table (default), JSON or CSV on stdout, and optionally a self-contained HTML page with
// the comparison's charts and one pCPU timeline per mode.
import type { Command } from 'commander';
import { compare, DEFAULT_MODES, MODES, type CompareInput, type CompareMode, type CompareResult } from '../../compare';
import { TraceRecorder } from '../../export/recorder';
import { comparePage, modeView, type ModeView } from '../../html/compare-page';
import { writePage } from '../../html/page';
import { COMMAND_LINE, ScenarioError } from '../../scenario/index';
import { compareExplanation, renderCompare } from '../compare-format';
import { compareCsv } from '../csv';
import { eventsOf, Progress, watchRun } from '../progress';
import { checkOutputPaths, formatOf, loadInput, printWall } from './common';
import { cmdSuite } from './suite';

interface CompareOptions {
  modes?: string;
  platform?: string;
  seed?: string;
  duration?: string;
  json?: boolean;
  csv?: boolean;
  html?: string;
  explain?: boolean;
  suite?: string;
}

function parseModes(text: string | undefined): CompareMode[] | undefined {
  const modes = text?.split(',').map((m) => m.trim());
  const bad = modes?.find((m) => !(MODES as readonly string[]).includes(m));
  if (bad !== undefined) throw new ScenarioError({ file: COMMAND_LINE, keyPath: '--modes', problem: `unknown mode ${bad}; modes are ${MODES.join(', ')}` });
  return modes as CompareMode[] | undefined;
}

function parsePairs(pairs: string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const p of pairs) {
    const m = /^([a-z_]+)=(.+)$/.exec(p);
    if (!m) throw new ScenarioError({ file: COMMAND_LINE, keyPath: p, problem: 'expected key=value' });
    options[m[1]!] = m[2]!;
  }
  return options;
}

function cmdCompare(what: string | undefined, pairs: string[], opts: CompareOptions): void {
  if (opts.suite !== undefined) return cmdSuite(opts, parsePairs(what === undefined ? pairs : [what, ...pairs]));
  const format = formatOf(opts);
  const modes = parseModes(opts.modes);
  const options = parsePairs(pairs);
  checkOutputPaths({ '--html': opts.html });
  const isFile = what !== undefined && (what.endsWith('.yaml') || what.endsWith('.yml'));
  const input: CompareInput = {
    workload: isFile ? undefined : { kind: what ?? 'fio', options },
    scenario: isFile ? loadInput(what!, opts) : undefined,
    modes, platform: opts.platform, seed: opts.seed, duration: opts.duration,
  };
  const t0 = performance.now();
  const { result, runs } = watchedCompare(input, Boolean(opts.html));
  if (opts.html) writePage(opts.html, comparePage(result, runs));
  const out = format === 'json' ? JSON.stringify(result, null, 2) + '\n' : format === 'csv' ? compareCsv(result) : renderCompare(result) + '\n';
  process.stdout.write(out);
  if (opts.explain && format === 'table') process.stdout.write('\n' + compareExplanation(input.workload?.kind ?? input.scenario?.domains[0]?.workload.kind ?? 'fio', result.workload));
  printWall(`${result.rows.length} runs in ${((performance.now() - t0) / 1000).toFixed(2)} s wall`);
}

/** The comparison with a progress bar, and each mode's view for a page (from a trace recorder). */
function watchedCompare(input: CompareInput, keep: boolean): { result: CompareResult; runs: ModeView[] } {
  const runs: ModeView[] = [];
  const recorders = new Map<CompareMode, TraceRecorder>();
  const progress = new Progress(1000 * (input.modes ?? DEFAULT_MODES).length);
  const before = { simulatedNs: 0, events: 0 };
  try {
    const result = compare(input, {
      run: (mode, i) => ({
        ...watchRun(progress, i, { ...before }, mode),
        onWorld: (w) => keep && recorders.set(mode, TraceRecorder.attach(w)),
      }),
      done: (mode, { world, report }) => {
        before.simulatedNs += world.engine.now;
        before.events += eventsOf(world);
        const recorder = recorders.get(mode);
        // Only the page's view of the run is kept: a run's recording is large.
        if (recorder) runs.push(modeView(mode, world, report, recorder));
        recorders.delete(mode);
      },
    });
    return { result, runs };
  } finally {
    progress.stop();
  }
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('run one workload under each mode (native, pv, hvm, bt, tcg, pvhvm, pvh) and compare')
    .argument('[workload]', 'a built-in workload (fio, cpu-burn, cpu-periodic) or a scenario file whose first guest is varied')
    .argument('[options...]', 'workload options as key=value; fio starts from rw=randread bs=4k iodepth=1')
    .option('--modes <list>', `comma-separated modes (${MODES.join(',')})`)
    .option('--platform <name>', 'platform profile: modern, core2-2006, xeon-2003')
    .option('--seed <n>', 'the seed for every run')
    .option('--duration <d>', 'simulated time per run (with a unit)')
    .option('--json', 'print the comparison as JSON')
    .option('--csv', 'print the comparison as CSV, one row per mode')
    .option('--html <file>', 'write a self-contained HTML report with charts')
    .option('--explain', 'explain what the table shows')
    .option('--suite <name>', 'run a benchmark suite instead, one row per benchmark: lmbench or macro')
    .action(cmdCompare);
}
