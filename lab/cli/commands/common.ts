// What the commands share: finding a scenario (a file, a name in scenarios/, or an xl.cfg
// file), the output choice (a table, --json or --csv, one of them), checking output paths
// before a run starts, and writing warnings and wall-clock figures to stderr.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatWarning, loadConfigAsScenario, type ConfigWarning } from '../../config/index';
import { applyOverrides, COMMAND_LINE, loadScenario, parseSetting, parseValue, ScenarioError, type Scenario } from '../../scenario/index';
import { painter } from '../color';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SCENARIO_DIR = join(ROOT, 'scenarios');

/** A path to a scenario file, or the name of one in scenarios/. */
export function resolveScenarioPath(arg: string): string {
  if (existsSync(arg)) return arg;
  const named = join(SCENARIO_DIR, arg.endsWith('.yaml') ? arg : `${arg}.yaml`);
  return existsSync(named) ? named : arg;
}

export const isConfigFile = (arg: string): boolean => arg.endsWith('.cfg');

export interface LoadOptions {
  seed?: string;
  duration?: string;
  /** `key=value`, one value each. */
  set?: string[];
  /** For an xl.cfg file: the guest's workload, a kind or a YAML mapping. */
  workload?: string;
}

/** The scenario a command runs: a scenario file or an xl.cfg file, with the command line's overrides. */
export function loadInput(arg: string, opts: LoadOptions): Scenario {
  const sets = opts.set ?? [];
  let loaded: { scenario: Scenario; warnings: ConfigWarning[] };
  if (isConfigFile(arg)) {
    if (sets.length > 0) throw new ScenarioError({ file: COMMAND_LINE, keyPath: '--set', problem: 'works with scenario files; an xl.cfg file takes its values from the file' });
    loaded = loadConfigAsScenario(arg, { workload: workloadOption(opts.workload) });
  } else {
    if (opts.workload !== undefined) throw new ScenarioError({ file: COMMAND_LINE, keyPath: '--workload', problem: 'works with xl.cfg files; a scenario file names each domain\'s workload' });
    loaded = loadScenario(resolveScenarioPath(arg), { settings: sets.map((s) => parseSetting(s)) });
  }
  printWarnings(loaded.warnings);
  return applyOverrides(loaded.scenario, { seed: opts.seed, duration: opts.duration });
}

/** `cpu-burn` stays a kind; `{kind: fio, rw: read}` is read as a mapping. */
function workloadOption(text: string | undefined): string | Record<string, unknown> | undefined {
  if (text === undefined || !text.trim().startsWith('{')) return text;
  const v = parseValue(text, '', '--workload');
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : text;
}

export function printWarnings(warnings: readonly ConfigWarning[]): void {
  const p = painter(process.stderr);
  for (const w of warnings) process.stderr.write(`${p.yellow(formatWarning(w))}\n`);
}

export type Format = 'table' | 'json' | 'csv';

/** The one output format the options ask for. */
export function formatOf(opts: { json?: boolean; csv?: boolean }): Format {
  if (opts.json && opts.csv) throw new ScenarioError({ file: COMMAND_LINE, keyPath: '--json, --csv', problem: 'choose one output format' });
  return opts.json ? 'json' : opts.csv ? 'csv' : 'table';
}

/** Output files are checked before the run, so a typo costs no simulated time: the folder must exist. */
export function checkOutputPaths(paths: Record<string, string | undefined>): void {
  for (const [option, path] of Object.entries(paths)) {
    if (path === undefined) continue;
    if (path.trim() === '') throw new ScenarioError({ file: COMMAND_LINE, keyPath: option, problem: 'needs a file name' });
    const dir = dirname(resolve(path));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new ScenarioError({ file: COMMAND_LINE, keyPath: option, problem: `cannot write ${path}: the folder ${dirname(path)} does not exist` });
    }
    if (existsSync(path) && statSync(path).isDirectory()) {
      throw new ScenarioError({ file: COMMAND_LINE, keyPath: option, problem: `cannot write ${path}: it is a folder` });
    }
  }
}

/** Collects a repeated option's values (`--set a=1 --set b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A whole number option such as --jobs. */
export function positiveInt(option: string, text: string): number {
  const n = /^[0-9]+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new ScenarioError({ file: COMMAND_LINE, keyPath: option, problem: `must be a whole number of at least 1 (got ${JSON.stringify(text)})` });
  return n;
}

/** Wall-clock figures go to stderr, so stdout stays a pure function of the input. */
export function printWall(text: string): void {
  process.stderr.write(`${painter(process.stderr).dim(`pvlab: ${text}`)}\n`);
}
