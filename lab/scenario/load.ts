// Loading a scenario file: YAML text → key-by-key validation (./schema) → cross-key rules and
// resolution (./resolve) → Scenario. Each stage stops the load at its first problem in
// document order, so a bad file yields exactly one ScenarioError naming file, line, column and
// key path. parseScenario answers a result; loadScenarioFile reads a file and throws.

import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { describeValue, ScenarioError } from './errors';
import { issueFromZod, Locator, type Issue } from './issues';
import { resolveScenario } from './resolve';
import { scenarioFileSchema } from './schema';
import type { Scenario } from './types';

export type ParseResult = { ok: true; scenario: Scenario } | { ok: false; error: ScenarioError };

/** Parses scenario text; `fileName` is used, as given, in error messages and Scenario.file. */
export function parseScenario(text: string, fileName: string): ParseResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) return failed(yamlError(syntax, lines, fileName));
  const raw: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const problem = `a scenario must be a mapping of keys such as name: and domains: (got ${describeValue(raw)})`;
    return failed(new ScenarioError({ file: fileName, line: 1, column: 1, problem }));
  }
  const locator = new Locator(doc, lines, fileName);
  const parsed = scenarioFileSchema.safeParse(raw);
  if (!parsed.success) return failed(locator.first(parsed.error.issues.map((i) => issueFromZod(i, raw))));
  const issues: Issue[] = [];
  const scenario = resolveScenario(parsed.data, fileName, (path, message) => issues.push({ path, message }));
  if (issues.length > 0) return failed(locator.first(issues));
  return { ok: true, scenario };
}

/** Reads and parses a scenario file; throws ScenarioError if it is unreadable or invalid. */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new ScenarioError({ file: path, problem: `cannot read the scenario file: ${reason}` });
  }
  const result = parseScenario(text, path);
  if (!result.ok) throw result.error;
  return result.scenario;
}

function failed(error: ScenarioError): ParseResult {
  return { ok: false, error };
}

function yamlError(error: YAMLError, lines: LineCounter, file: string): ScenarioError {
  const pos = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
  const first = error.code === 'MULTIPLE_DOCS'
    ? 'a scenario file holds one YAML document, but a second one starts here'
    : error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return new ScenarioError({ file, line: pos.line, column: pos.col, problem: `YAML syntax error: ${first}` });
}
