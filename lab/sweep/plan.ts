// A sweep's plan: the points of `pvlab sweep s.yaml --set a=1,2 --set b=x,y`, which are the
// product of every --set's values, the first --set varying slowest (a=1 b=x, a=1 b=y, a=2 b=x,
// ...), numbered from 0 in that order; and `--shard i/n`, which splits the points into n
// contiguous blocks of nearly equal size, as test runners shard their tests, so n machines run
// n shards and the union of their points is the whole sweep, each point once.
import { COMMAND_LINE, parseKeyPath, parseSetting, ScenarioError } from '../scenario/index';

export interface SweepAxis {
  key: string;
  /** The values as typed, in order. */
  values: string[];
}

export interface SweepPoint {
  /** The point's place in the whole sweep (not in its shard). */
  index: number;
  /** `key=value` for each axis, in axis order. */
  settings: string[];
  /** The same, as key → value. */
  set: Record<string, string>;
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** `key=v1,v2,...`; commas inside [], {} or quotes belong to a value (`cpus=[0,1],[2,3]`). */
export function parseAxis(spec: string): SweepAxis {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new ScenarioError({ file: COMMAND_LINE, keyPath: '--set', problem: `expected key=value,value,... (got ${JSON.stringify(spec)})` });
  const key = spec.slice(0, eq).trim();
  parseKeyPath(key);
  const text = spec.slice(eq + 1);
  const values = splitTopLevel(text);
  if (values.some((v) => v === '')) throw new ScenarioError({ file: COMMAND_LINE, keyPath: `--set ${key}`, problem: `an empty value in ${JSON.stringify(text)}` });
  for (const v of values) parseSetting(`${key}=${v}`); // each value must be valid YAML
  return { key, values };
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let cur = '';
  for (const ch of text) {
    if (quote) quote = ch === quote ? undefined : quote;
    else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** The product of the axes' values, first axis slowest. No axis: one point, the file as it is. */
export function sweepPoints(axes: readonly SweepAxis[]): SweepPoint[] {
  const seen = new Set<string>();
  for (const a of axes) {
    if (seen.has(a.key)) throw new ScenarioError({ file: COMMAND_LINE, keyPath: `--set ${a.key}`, problem: 'is set twice; give all its values in one --set' });
    seen.add(a.key);
  }
  let combos: string[][] = [[]];
  for (const a of axes) combos = combos.flatMap((c) => a.values.map((v) => [...c, `${a.key}=${v}`]));
  return combos.map((settings, index) => ({
    index,
    settings,
    set: Object.fromEntries(settings.map((s, i) => [axes[i]!.key, s.slice(axes[i]!.key.length + 1)])),
  }));
}

/** `2/3` → {index: 2, count: 3}. */
export function parseShard(text: string): Shard {
  const m = /^\s*([0-9]+)\s*\/\s*([0-9]+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new ScenarioError({ file: COMMAND_LINE, keyPath: '--shard', problem: `expected i/n with 1 <= i <= n, e.g. 2/3 (got ${JSON.stringify(text)})` });
  }
  return { index, count };
}

/** The shard's block of points: [floor((i-1)·N/n), floor(i·N/n)). */
export function shardOf<T>(points: readonly T[], shard: Shard): T[] {
  const n = points.length;
  return points.slice(Math.floor(((shard.index - 1) * n) / shard.count), Math.floor((shard.index * n) / shard.count));
}
