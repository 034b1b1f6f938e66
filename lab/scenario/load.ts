// Loading a scenario file: YAML text → command-line `--set` values applied (./settings) →
// domains read from xl.cfg files expanded (./configs) →
// key-by-key validation (./schema) → cross-key rules and resolution (./resolve) → Scenario.
// Each stage stops the load at its first problem in reading order, so a bad file yields
// exactly one ScenarioError naming file, line, column and key path (the .cfg's, when the
// problem is in one). parseScenario answers a result; loadScenario and loadScenarioFile read a
// file and throw. validateScenario is the last two stages, for other front ends (lab/config).

import type { ConfigWarning } from '../config/domain';
import { expandConfigs, readTextFile, type Expanded, type ReadFile } from './configs';
import { describeReadError, ScenarioError } from './errors';
import { firstError, issueFromZod, Locator, type Issue, type Placer } from './issues';
import { resolveScenario } from './resolve';
import { scenarioFileSchema } from './schema';
import { applySettings, settingsRedirect, type Setting } from './settings';
import type { Scenario } from './types';
import { readYamlMapping } from './yaml';

export type Validated = { ok: true; scenario: Scenario } | { ok: false; error: ScenarioError };

/** On success, also the warnings of the xl.cfg files the scenario's domains were read from. */
export type ParseResult = { ok: true; scenario: Scenario; warnings: ConfigWarning[] } | { ok: false; error: ScenarioError };

export interface ParseOptions {
  /** How `config:` files are read (default: from disk). */
  readFile?: ReadFile;
  /** Values set on the command line (`--set key=value`), applied before the checks. */
  settings?: readonly Setting[];
}

export interface LoadedScenario {
  scenario: Scenario;
  warnings: ConfigWarning[];
}

/** Parses scenario text; `fileName` is used, as given, in error messages and Scenario.file. */
export function parseScenario(text: string, fileName: string, options: ParseOptions = {}): ParseResult {
  const read = readYamlMapping(text, fileName);
  if (!read.ok) return read;
  const { doc, lines, raw } = read;
  const settings = options.settings ?? [];
  const fromSettings = settingsRedirect(settings);
  let expanded: Expanded;
  try {
    const set = applySettings(raw as Record<string, unknown>, settings);
    expanded = expandConfigs(set, fileName, new Locator(doc, lines, fileName, fromSettings), options.readFile ?? readTextFile);
  } catch (e) {
    if (e instanceof ScenarioError) return failed(e);
    throw e;
  }
  const locator = new Locator(doc, lines, fileName, (issue, yaml) => fromSettings(issue, yaml) ?? expanded.redirect(issue, yaml));
  const r = validateScenario(expanded.raw, fileName, (issue) => locator.place(issue));
  return r.ok ? { ...r, warnings: expanded.warnings } : r;
}

/** Key-by-key validation, then the rules between keys; the first problem in reading order. */
export function validateScenario(raw: unknown, fileName: string, place: Placer): Validated {
  const parsed = scenarioFileSchema.safeParse(raw);
  if (!parsed.success) return failed(firstError(parsed.error.issues.map((i) => issueFromZod(i, raw)), place));
  const issues: Issue[] = [];
  const scenario = resolveScenario(parsed.data, fileName, (path, message) => issues.push({ path, message }));
  if (issues.length > 0) return failed(firstError(issues, place));
  return { ok: true, scenario };
}

/** Reads and parses a scenario file, with its warnings; throws ScenarioError if it is unreadable or invalid. */
export function loadScenario(path: string, options: ParseOptions = {}): LoadedScenario {
  let text: string;
  try {
    text = (options.readFile ?? readTextFile)(path);
  } catch (e) {
    throw new ScenarioError({ file: path, problem: `cannot read the scenario file: ${describeReadError(e)}` });
  }
  const result = parseScenario(text, path, options);
  if (!result.ok) throw result.error;
  return { scenario: result.scenario, warnings: result.warnings };
}

/** Reads and parses a scenario file; throws ScenarioError if it is unreadable or invalid. */
export function loadScenarioFile(path: string): Scenario {
  return loadScenario(path).scenario;
}

function failed(error: ScenarioError): { ok: false; error: ScenarioError } {
  return { ok: false, error };
}
