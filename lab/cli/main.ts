// The `pvlab` command line. Exit status: 0 success, 1 a failed run, 2 bad input (a bad
// scenario file or option), as DESIGN.md says. Reports go to stdout; wall-clock figures
// (time taken, events per second) go to stderr, so stdout is a pure function of the input.
import { Command, CommanderError } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyOverrides, loadScenarioFile, ScenarioError, type Scenario } from '../scenario/index';
import { runScenario } from '../run/runner';
import { renderRun } from './format';
import { TraceRecorder } from '../export/recorder';
import { writeChromeTrace } from '../export/chrome';
import { writeXentrace } from '../export/xentrace';
import { compare, MODES, type CompareMode } from '../compare';
import { renderCompare, START_EXPLANATION } from './compare-format';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCENARIO_DIR = join(ROOT, 'scenarios');

/** A path to a scenario file, or the name of one in scenarios/. */
export function resolveScenarioPath(arg: string): string {
  if (existsSync(arg)) return arg;
  const named = join(SCENARIO_DIR, arg.endsWith('.yaml') ? arg : `${arg}.yaml`);
  return existsSync(named) ? named : arg;
}

function loadWithOverrides(arg: string, opts: { seed?: string; duration?: string }): Scenario {
  const s = loadScenarioFile(resolveScenarioPath(arg));
  return applyOverrides(s, { seed: opts.seed, duration: opts.duration });
}

function cmdRun(arg: string, opts: { seed?: string; duration?: string; json?: boolean; trace?: string; xentrace?: string }): void {
  const scenario = loadWithOverrides(arg, opts);
  const t0 = performance.now();
  let rec: TraceRecorder | undefined;
  const { world, report } = runScenario(scenario, { onWorld: (w) => (rec = opts.trace || opts.xentrace ? TraceRecorder.attach(w) : undefined) });
  const wallMs = performance.now() - t0;
  if (rec && opts.trace) writeChromeTrace(opts.trace, rec, report);
  if (rec && opts.xentrace) writeXentrace(opts.xentrace, rec);
  for (const n of world.notices) process.stderr.write(`${n}\n`);
  process.stdout.write((opts.json ? JSON.stringify(report, null, 2) : renderRun(report)) + '\n');
  const evps = report.events / (wallMs / 1000);
  process.stderr.write(`pvlab: ${report.events} events in ${(wallMs / 1000).toFixed(2)} s wall (${Math.round(evps).toLocaleString('en-US')} events/s, ${((report.simulatedNs / 1e9) / (wallMs / 1000)).toFixed(1)} simulated s per wall s)\n`);
}

function cmdCompare(what: string | undefined, pairs: string[], opts: { modes?: string; platform?: string; seed?: string; duration?: string; json?: boolean; explain?: boolean }): void {
  const modes = opts.modes?.split(',').map((m) => m.trim()) as CompareMode[] | undefined;
  const bad = modes?.find((m) => !(MODES as readonly string[]).includes(m));
  if (bad !== undefined) throw new ScenarioError({ file: 'command line', keyPath: '--modes', problem: `unknown mode ${bad}; modes are ${MODES.join(', ')}` });
  const options: Record<string, string> = {};
  for (const p of pairs) {
    const m = /^([a-z_]+)=(.+)$/.exec(p);
    if (!m) throw new ScenarioError({ file: 'command line', keyPath: p, problem: 'expected key=value' });
    options[m[1]!] = m[2]!;
  }
  const isFile = what !== undefined && (what.endsWith('.yaml') || what.endsWith('.yml'));
  const t0 = performance.now();
  const result = compare({
    workload: isFile ? undefined : { kind: what ?? 'fio', options: what === undefined ? { rw: 'randread', bs: '4k', iodepth: '1' } : options },
    scenario: isFile ? loadWithOverrides(what!, opts) : undefined,
    modes, platform: opts.platform, seed: opts.seed === undefined ? undefined : Number(opts.seed), duration: opts.duration,
  });
  process.stdout.write((opts.json ? JSON.stringify(result, null, 2) : renderCompare(result)) + '\n');
  if (opts.explain && !opts.json) process.stdout.write('\n' + START_EXPLANATION);
  process.stderr.write(`pvlab: ${result.rows.length} runs in ${((performance.now() - t0) / 1000).toFixed(2)} s wall\n`);
}

export function buildProgram(): Command {
  const program = new Command();
  program.name('pvlab').description('A laboratory for virtualization: a deterministic Xen-style hypervisor simulator').version('0.1.0');
  program.exitOverride();
  program
    .command('run')
    .description('run a scenario file (or a scenario by name) and report what happened')
    .argument('<scenario>', 'a scenario YAML file, or the name of one in scenarios/')
    .option('--seed <n>', 'override the scenario seed')
    .option('--duration <d>', 'override the simulated duration (with a unit: 500ms, 10s)')
    .option('--json', 'print the report as JSON')
    .option('--trace <file>', 'write a Chrome trace event file (opens in Perfetto)')
    .option('--xentrace <file>', 'write a binary xentrace file (reads with xenalyze --cpu-hz=1G)')
    .action(cmdRun);
  program
    .command('compare')
    .description('run one workload under each mode (native, pv, hvm, bt, tcg, pvhvm, pvh) and compare')
    .argument('[workload]', 'a built-in workload (fio, cpu-burn, cpu-periodic) or a scenario file whose first guest is varied')
    .argument('[options...]', 'workload options as key=value (rw=randread bs=4k iodepth=1)')
    .option('--modes <list>', `comma-separated modes (${MODES.join(',')})`)
    .option('--platform <name>', 'platform profile: modern, core2-2006, xeon-2003')
    .option('--seed <n>', 'the seed for every run')
    .option('--duration <d>', 'simulated time per run (with a unit)')
    .option('--json', 'print the comparison as JSON')
    .option('--explain', 'explain what the table shows')
    .action(cmdCompare);
  return program;
}

export function main(argv: string[]): number {
  try {
    buildProgram().parse(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof ScenarioError) {
      process.stderr.write(`pvlab: ${e.message}\n`);
      return 2;
    }
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
