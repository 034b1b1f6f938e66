// `pvlab run <scenario | name | file.cfg>`: one run, reported as a table (default), JSON or CSV
// on stdout, and optionally as files: a Chrome trace (Perfetto), a xentrace file (xenalyze)
// and a self-contained HTML page with charts. An xl.cfg file runs its one domain on a default
// host (lab/config), with the workload given by --workload.
import type { Command } from 'commander';
import { writeChromeTrace } from '../../export/chrome';
import { TraceRecorder } from '../../export/recorder';
import { writeXentrace } from '../../export/xentrace';
import { runPage } from '../../html/run-page';
import { writePage } from '../../html/page';
import { runScenario } from '../../run/runner';
import { runCsv } from '../csv';
import { renderRun } from '../format';
import { Progress, watchRun } from '../progress';
import { checkOutputPaths, collect, formatOf, isConfigFile, loadInput, printWall, resolveScenarioPath } from './common';
import { addNarrateOptions, lessonFigures, narration, type NarrateOptions } from './lesson-run';

interface RunOptions extends NarrateOptions {
  seed?: string;
  duration?: string;
  set?: string[];
  workload?: string;
  json?: boolean;
  csv?: boolean;
  trace?: string;
  xentrace?: string;
  html?: string;
}

function cmdRun(arg: string, opts: RunOptions): void {
  const format = formatOf(opts);
  checkOutputPaths({ '--trace': opts.trace, '--xentrace': opts.xentrace, '--html': opts.html });
  const scenario = loadInput(arg, opts);
  const t0 = performance.now();
  const recording = Boolean(opts.trace || opts.xentrace || opts.html);
  let rec: TraceRecorder | undefined;
  const narrator = narration(opts);
  const progress = new Progress(1000);
  const hooks = watchRun(progress);
  let outcome;
  try {
    outcome = runScenario(scenario, {
      ...hooks,
      onWorld: (w) => {
        rec = recording ? TraceRecorder.attach(w) : undefined;
        narrator?.attach(w);
      },
    });
  } finally {
    progress.stop();
  }
  const { world, report } = outcome;
  const wallMs = performance.now() - t0;
  if (rec && opts.trace) writeChromeTrace(opts.trace, rec, report);
  if (rec && opts.xentrace) writeXentrace(opts.xentrace, rec);
  if (rec && opts.html) writePage(opts.html, runPage({ report, world, recorder: rec, notices: world.notices }));
  for (const n of world.notices) process.stderr.write(`${n}\n`);
  if (narrator && format === 'table') process.stdout.write(narrator.text() + '\n\n');
  const out = format === 'json' ? JSON.stringify(report, null, 2) + '\n' : format === 'csv' ? runCsv(report) : renderRun(report) + '\n';
  process.stdout.write(out);
  const figures = format === 'table' && !isConfigFile(arg) ? lessonFigures(resolveScenarioPath(arg), scenario, outcome) : undefined;
  if (figures) process.stdout.write('\n' + figures + '\n');
  const secs = wallMs / 1000;
  printWall(`${report.events} events in ${secs.toFixed(2)} s wall (${Math.round(report.events / secs).toLocaleString('en-US')} events/s, ${(report.simulatedNs / 1e9 / secs).toFixed(1)} simulated s per wall s)`);
}

export function registerRun(program: Command): void {
  const run = program
    .command('run')
    .description('run a scenario file (or a scenario by name, or an xl.cfg file) and report what happened')
    .argument('<scenario>', 'a scenario YAML file, the name of one in scenarios/, or an xl.cfg file')
    .option('--seed <n>', 'override the scenario seed')
    .option('--duration <d>', 'override the simulated duration (with a unit: 500ms, 10s)')
    .option('--set <key=value>', 'set one value of the scenario file, e.g. scheduler.tslice=5ms (repeatable)', collect)
    .option('--workload <kind>', 'for an xl.cfg file: the guest\'s workload, a kind (cpu-burn) or a mapping ({kind: fio, rw: randread})')
    .option('--json', 'print the report as JSON')
    .option('--csv', 'print the report as CSV, one row per domain')
    .option('--html <file>', 'write a self-contained HTML report with charts')
    .option('--trace <file>', 'write a Chrome trace event file (opens in Perfetto)')
    .option('--xentrace <file>', 'write a binary xentrace file (reads with xenalyze --cpu-hz=1G)');
  addNarrateOptions(run).action(cmdRun);
}
