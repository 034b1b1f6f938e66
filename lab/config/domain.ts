// From an xl.cfg file to the domain entry a scenario file would hold (`domains[i]`), so that
// both are validated by the same scenario schema and rules (lab/scenario).
//
// The settings are combined the way xl combines them: a key set twice keeps its last value
// (with a warning, since inside one file that is usually a slip), and `+=` appends to a list or
// a string set earlier. Each modelled key is then read the way xl reads it (./keys): numbers
// may be quoted ("2" is 2, as in xl), flags are numbers (0 false, anything else true), `builder`
// is the deprecated spelling of `type`. What xl's reading rejects is an error here, naming the
// key (`vcpus: must be a whole number (got "two")`); ranges and the rules between keys are left
// to the scenario schema. Known keys pvlab does not model give one warning each; unknown keys
// are errors with a "did you mean".
//
// The answer keeps, for every entry key and list item, its line and column in the file, so a
// later error about `domains[0].disk[1]` can point into the .cfg.

import { closestMatch, describeValue, formatKeyPath, ScenarioError } from '../scenario/errors';
import { oneOf } from '../scenario/fields';
import { KNOWN_KEYS, MIB_KEYS, MODELLED_KEYS, unmodelledReason, type XlKind } from './keys';
import { parseXlCfg, parseXlNumber, xlNumberTooLarge, type XlPosition, type XlSetting, type XlValue } from './xlcfg';

/** A problem that does not stop the load, e.g. a key pvlab does not model. */
export interface ConfigWarning {
  file: string;
  line: number;
  column: number;
  key: string;
  message: string;
}

/** Where an entry key or list item came from: its place, and the .cfg key path to show. */
export interface CfgPlace extends XlPosition {
  key: string;
}

export interface DomainConfig {
  file: string;
  /** The domain entry, with values as a scenario file would hold them. */
  entry: Record<string, unknown>;
  /** By entry key path (`memory`, `disk[1]`): where in the file it was written. */
  places: Map<string, CfgPlace>;
  warnings: ConfigWarning[];
}

/** `web.cfg:3:1: warning: kernel: …`, the way compilers print warnings. */
export function formatWarning(w: ConfigWarning): string {
  return `${w.file}:${w.line}:${w.column}: warning: ${w.key}: ${w.message}`;
}

interface Merged {
  /** The last setting of the key (its key's place). */
  setting: XlSetting;
  value: XlValue;
  /** A `+=` contributed to the value. */
  added: boolean;
}

/** Reads xl.cfg text into a domain entry; throws ScenarioError at the first problem in the file. */
export function readDomainConfig(text: string, file: string): DomainConfig {
  const out: DomainConfig = { file, entry: {}, places: new Map(), warnings: [] };
  const problems: ScenarioError[] = [];
  const attempt = (step: () => void): void => {
    try {
      step();
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      problems.push(e);
    }
  };
  const merged = mergeSettings(parseXlCfg(text, file), out, attempt);
  for (const [key, m] of merged) {
    const kind = MODELLED_KEYS[key];
    if (kind !== undefined) attempt(() => readKey(key, kind, m, out));
  }
  if (problems.length === 0) attempt(() => resolveBuilder(merged, out));
  const first = problems.sort((a, b) => a.line! - b.line! || a.column! - b.column!)[0];
  if (first) throw first;
  out.warnings.sort((a, b) => a.line - b.line || a.column - b.column);
  return out;
}

function fail(file: string, at: XlPosition, key: string, problem: string): never {
  throw new ScenarioError({ file, line: at.line, column: at.column, keyPath: key, problem });
}

function mergeSettings(settings: readonly XlSetting[], out: DomainConfig, attempt: (step: () => void) => void): Map<string, Merged> {
  const merged = new Map<string, Merged>();
  for (const s of settings) {
    const before = merged.get(s.key);
    attempt(() => checkKey(s, before !== undefined, out));
    if (before && s.op === '=' && MODELLED_KEYS[s.key] !== undefined) {
      warn(out, s, `set again, so the value on line ${before.setting.value.line} is ignored (xl uses the last one)`);
    }
    if (before && s.op === '+=') attempt(() => merged.set(s.key, { setting: s, value: append(before.value, s, out.file), added: true }));
    else merged.set(s.key, { setting: s, value: s.value, added: s.op === '+=' });
  }
  return merged;
}

function checkKey(s: XlSetting, seen: boolean, out: DomainConfig): void {
  if (MODELLED_KEYS[s.key] !== undefined) return;
  const reason = unmodelledReason(s.key);
  if (reason !== undefined) {
    if (!seen) warn(out, s, `not modelled by pvlab (${reason}); ignored`);
    return;
  }
  const close = closestMatch(s.key, KNOWN_KEYS);
  const hint = close === undefined ? 'not an xl.cfg key pvlab knows (see xl.cfg(5))' : `did you mean '${close}'?`;
  fail(out.file, s, s.key, `unknown key; ${hint}`);
}

function warn(out: DomainConfig, at: XlSetting, message: string): void {
  out.warnings.push({ file: out.file, line: at.line, column: at.column, key: at.key, message });
}

/** xl's `+=`: lists are joined, strings concatenated; the kinds must agree. */
function append(before: XlValue, s: XlSetting, file: string): XlValue {
  const v = s.value;
  if (before.kind === 'list' && v.kind === 'list') return { ...before, items: [...before.items, ...v.items] };
  if (before.kind !== 'list' && v.kind !== 'list') return { ...before, kind: 'string', text: before.text + v.text };
  return fail(file, v, s.key, `+= cannot add ${v.kind === 'list' ? 'a list to a single value' : 'a single value to a list'} (set on line ${before.line})`);
}

function readKey(key: string, kind: XlKind, m: Merged, out: DomainConfig): void {
  const { value } = m;
  out.places.set(key, { line: value.line, column: value.column, key });
  if (kind === 'specs') {
    out.entry[key] = readSpecs(key, value, out);
    return;
  }
  if (value.kind === 'list') {
    const extra = kind === 'cpus' ? '; per-vCPU affinity lists are not modelled: give one list for every vCPU, e.g. cpus = "0-3"' : '';
    fail(out.file, value, key, `must be a single value, not a list${extra}`);
  }
  if ((kind === 'number' || kind === 'flag') && m.added) fail(out.file, m.setting.value, key, '+= applies to strings and lists, not to numbers');
  out.entry[key] = readAtom(key, kind, value.text, value, out.file);
}

function readAtom(key: string, kind: XlKind, text: string, at: XlPosition, file: string): unknown {
  if (kind !== 'number' && kind !== 'flag') return checkChoice(key, text, at, file);
  const n = parseXlNumber(text);
  if (n === undefined && xlNumberTooLarge(text)) fail(file, at, key, `${text.trim()} is too large`);
  if (n === undefined) {
    const what = MIB_KEYS.has(key) ? `a whole number of MiB, e.g. ${key} = 512` : kind === 'flag' ? 'a number: 1 (on) or 0 (off)' : 'a whole number';
    fail(file, at, key, `must be ${what} (got ${describeValue(text)})`);
  }
  return kind === 'flag' ? n !== 0 : n;
}

/** `type` and `builder` take xl's words only (a scenario's `native` is not an xl type). */
function checkChoice(key: string, text: string, at: XlPosition, file: string): string {
  const choices = key === 'type' ? ['pv', 'pvh', 'hvm'] : key === 'builder' ? ['generic', 'hvm'] : undefined;
  if (choices === undefined) return text;
  const r = oneOf(choices)(text);
  if (!r.ok) fail(file, at, key, r.message);
  return text;
}

function readSpecs(key: string, value: XlValue, out: DomainConfig): string[] {
  if (value.kind !== 'list') {
    fail(out.file, value, key, `must be a list, e.g. ${key} = [ '${value.text}' ] (xl ignores a single value here)`);
  }
  return value.items.map((item, j) => {
    if (item.kind === 'list') fail(out.file, item, `${key}[${j}]`, 'must be a spec string, not a list');
    out.places.set(`${key}[${j}]`, { line: item.line, column: item.column, key: `${key}[${j}]` });
    return item.text;
  });
}

/** builder="hvm" means type="hvm" and builder="generic" type="pv" (deprecated by xl). */
function resolveBuilder(merged: Map<string, Merged>, out: DomainConfig): void {
  const builder = out.entry.builder;
  if (builder === undefined) return;
  delete out.entry.builder;
  const at = out.places.get('builder')!;
  out.places.delete('builder');
  const type = builder === 'hvm' ? 'hvm' : 'pv';
  const setting = merged.get('builder')!.setting;
  if (out.entry.type !== undefined && out.entry.type !== type) {
    fail(out.file, at, 'builder', `builder="${String(builder)}" means type="${type}", but type="${String(out.entry.type)}" is set too`);
  }
  warn(out, setting, `builder is deprecated; write type = "${type}"`);
  if (out.entry.type === undefined) {
    out.entry.type = type;
    out.places.set('type', at);
  }
}

/**
 * The place in the file of an entry key path (`['disk', 1]` → where disk[1] was written): the
 * longest prefix of the path the file holds, and the rest of the path below it.
 */
export function placeInConfig(
  path: readonly (string | number)[],
  places: ReadonlyMap<string, CfgPlace>,
): { place: CfgPlace; rest: (string | number)[] } | undefined {
  for (let n = path.length; n > 0; n--) {
    const place = places.get(formatKeyPath(path.slice(0, n)));
    if (place) return { place, rest: path.slice(n) };
  }
  return undefined;
}
