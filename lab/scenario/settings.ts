// `--set key=value` on the command line: one value of a scenario file changed before it is
// checked, e.g. `--set scheduler.tslice=5ms` or `--set domains[1].cpu_weight=512`. The value is
// read as a YAML scalar or flow collection (`512` a number, `5ms` text, `[0, 1]` a list), put
// into the parsed document at its key path, and the document is then checked by the very rules
// of the file, so a bad value gets the file's message, placed on the command line:
//   command line: --set domains[1].cpu_weight: must be at most 65535 (got 70000)
// `pvlab run` takes one value per key; `pvlab sweep` a comma-separated list (lab/sweep/plan).

import { COMMAND_LINE } from './overrides';
import { describeValue, formatKeyPath, ScenarioError, type PathSegment } from './errors';
import type { Placement, Redirect } from './issues';
import { readYaml } from './yaml';

export interface Setting {
  /** The key as typed, e.g. `domains[1].cpu_weight`. */
  key: string;
  path: PathSegment[];
  /** The value as typed, e.g. `512`. */
  text: string;
  /** The value read as YAML. */
  value: unknown;
  /** How messages name this setting, when not as `--set key` (`pvlab compare`'s `bs=4k`):
   *  an issue inside it is placed at the label, followed by the rest of its key path. */
  label?: string;
}

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_-]*)((?:\[[0-9]+\])*)$/;

/** `domains[1].cpu_weight` → ['domains', 1, 'cpu_weight']; throws ScenarioError when malformed. */
export function parseKeyPath(key: string, option = '--set'): PathSegment[] {
  const path: PathSegment[] = [];
  for (const part of key.split('.')) {
    const m = SEGMENT.exec(part);
    if (!m) throw badKey(option, key, 'expected a key path such as scheduler.tslice or domains[1].cpu_weight');
    path.push(m[1]!);
    for (const index of m[2]!.matchAll(/\[([0-9]+)\]/g)) path.push(Number(index[1]));
  }
  return path;
}

/** One value as YAML: `512` → 512, `5ms` → "5ms", `[0, 1]` → [0, 1]. A value that is not
 *  YAML is an error at `option key` (at `key` when `option` is ''). */
export function parseValue(text: string, key: string, option = '--set'): unknown {
  const r = readYaml(text, COMMAND_LINE);
  if (!r.ok) throw badKey(option, key, `the value ${JSON.stringify(text)} is not valid YAML: ${r.error.problem.replace(/^YAML syntax error: /, '')}`);
  return r.raw;
}

/** `key=value` → a Setting (the whole text after the first `=` is the value). */
export function parseSetting(spec: string, option = '--set'): Setting {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new ScenarioError({ file: COMMAND_LINE, keyPath: option, problem: `expected key=value (got ${JSON.stringify(spec)})` });
  const key = spec.slice(0, eq).trim();
  const text = spec.slice(eq + 1).trim();
  return { key, path: parseKeyPath(key, option), text, value: parseValue(text, key, option) };
}

/** A copy of the document data with every setting applied; throws when a path cannot hold a value. */
export function applySettings(raw: Record<string, unknown>, settings: readonly Setting[]): Record<string, unknown> {
  let out = raw;
  for (const s of settings) out = setIn(out, s.path, s.value, s) as Record<string, unknown>;
  return out;
}

function setIn(node: unknown, path: readonly PathSegment[], value: unknown, s: Setting): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const here = formatKeyPath(s.path.slice(0, s.path.length - path.length));
  if (typeof head === 'number') {
    if (!Array.isArray(node)) throw badKey('--set', s.key, `${here || 'the scenario'} is not a list (got ${describeValue(node)})`);
    if (head >= node.length) throw badKey('--set', s.key, `${here} has ${node.length} ${node.length === 1 ? 'entry' : 'entries'}, so there is no [${head}]`);
    const copy = [...node];
    copy[head] = setIn(node[head], rest, value, s);
    return copy;
  }
  if (node === undefined || node === null) node = {};
  if (typeof node !== 'object' || Array.isArray(node)) throw badKey('--set', s.key, `${here} is not a mapping of keys (got ${describeValue(node)})`);
  const map = node as Record<string, unknown>;
  return { ...map, [head!]: setIn(map[head!], rest, value, s) };
}

/** Places issues about a set key (or inside it) on the command line, before any in the file;
 *  when settings nest, the innermost one answers. */
export function settingsRedirect(settings: readonly Setting[], option = '--set'): Redirect {
  return (issue): Placement | undefined => {
    let hit: Setting | undefined;
    for (const s of settings) {
      const inside = s.path.every((seg, i) => i < issue.path.length && String(issue.path[i]) === String(seg));
      if (inside && (hit === undefined || s.path.length > hit.path.length)) hit = s;
    }
    if (!hit) return undefined;
    const rest = formatKeyPath(issue.path.slice(hit.path.length));
    const keyPath = hit.label === undefined ? `${option} ${formatKeyPath(issue.path)}` : rest === '' ? hit.label : `${hit.label} ${rest}`;
    return { file: COMMAND_LINE, keyPath, rank: [-1] };
  };
}

/** An error placed at `--set key` (the option alone for `--workload`'s whole value, the key
 *  alone for `pvlab compare`'s `bs=4k`). */
function badKey(option: string, key: string, problem: string): ScenarioError {
  return new ScenarioError({ file: COMMAND_LINE, keyPath: [option, key].filter((p) => p !== '').join(' '), problem });
}
