// Scenario domains read from xl.cfg files:
//   domains:
//     - {config: configs/web.cfg, workload: {kind: cpu-burn}}
// The path is relative to the scenario file's folder. The .cfg gives the domain's keys (read by
// lab/config/domain, the same entry a scenario would hold) and the other keys of the scenario's
// entry override the file's, so one .cfg can serve several domains (`name: web2`).
// Expanding happens before validation: the expanded entries are checked by the scenario schema
// and rules like any other. An issue about a key that came from a .cfg is placed in that file
// (`web.cfg:3:9: vcpus: …`) and ranked where the scenario names the file, so the first problem
// in reading order is still the one reported.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { placeInConfig, readDomainConfig, type CfgPlace, type ConfigWarning } from '../config/domain';
import { describeReadError, describeValue, formatKeyPath } from './errors';
import type { Locator, Placement, Redirect } from './issues';

/** Reads a file's text; throws (any error) when it cannot. */
export type ReadFile = (path: string) => string;

export const readTextFile: ReadFile = (path) => readFileSync(path, 'utf8');

export interface Expanded {
  /** The scenario with every `config:` entry expanded. */
  raw: Record<string, unknown>;
  /** Places issues about keys that came from a .cfg in that file. */
  redirect: Redirect;
  warnings: ConfigWarning[];
}

interface Source {
  file: string;
  places: ReadonlyMap<string, CfgPlace>;
  /** Entry keys the .cfg gave and the scenario did not override. */
  fromFile: ReadonlySet<string>;
}

/** Expands `config:` domain entries; throws ScenarioError at the first problem. */
export function expandConfigs(raw: Record<string, unknown>, scenarioFile: string, yaml: Locator, readFile: ReadFile): Expanded {
  const sources = new Map<number, Source>();
  const warnings: ConfigWarning[] = [];
  const expanded = { ...raw };
  if (Array.isArray(raw.domains)) {
    expanded.domains = raw.domains.map((entry: unknown, i) => {
      if (!isMapping(entry) || !('config' in entry)) return entry;
      const { file, text } = readConfig(entry.config, i, scenarioFile, yaml, readFile);
      const cfg = readDomainConfig(text, file);
      for (const w of cfg.warnings) if (!warnings.some((x) => sameWarning(x, w))) warnings.push(w);
      const fromFile = new Set(Object.keys(cfg.entry).filter((k) => !(k in entry)));
      sources.set(i, { file, places: cfg.places, fromFile });
      return { ...cfg.entry, ...entry };
    });
  }
  return { raw: expanded, warnings, redirect: (issue, locator) => placeFromConfig(issue.path, sources, locator) };
}

function readConfig(path: unknown, i: number, scenarioFile: string, yaml: Locator, readFile: ReadFile): { file: string; text: string } {
  const at = ['domains', i, 'config'];
  if (typeof path !== 'string' || path.trim() === '') {
    throw yaml.error({ path: at, message: `must be the path of an xl.cfg file (got ${describeValue(path)})` });
  }
  const file = isAbsolute(path) ? path : join(dirname(scenarioFile), path);
  try {
    return { file, text: readFile(file) };
  } catch (e) {
    throw yaml.error({ path: at, message: `cannot read the config file ${file}: ${describeReadError(e)}` });
  }
}

function placeFromConfig(path: readonly (string | number)[], sources: ReadonlyMap<number, Source>, yaml: Locator): Placement | undefined {
  const [top, i, key] = path;
  if (top !== 'domains' || typeof i !== 'number' || typeof key !== 'string') return undefined;
  const source = sources.get(i);
  if (!source || !source.fromFile.has(key)) return undefined;
  const found = placeInConfig(path.slice(2), source.places);
  if (!found) return undefined;
  const { place, rest } = found;
  const anchor = yaml.place({ path: ['domains', i, 'config'], message: '' }).rank;
  return {
    file: source.file,
    line: place.line,
    column: place.column,
    keyPath: formatKeyPath([place.key, ...rest]),
    rank: [...anchor, place.line, place.column],
  };
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function sameWarning(a: ConfigWarning, b: ConfigWarning): boolean {
  return a.file === b.file && a.line === b.line && a.column === b.column && a.message === b.message;
}
