// Per-function counts for `npm run bench:counts -- --functions N`. Cachegrind names every
// JIT-compiled function `???`, so this runs callgrind instead, with one record per machine
// instruction (--dump-instr), and Node with --perf-basic-prof, which makes V8 write the address
// range and name of every piece of code it generates to /tmp/perf-PID.map. Each instruction's
// counts go to the JavaScript function whose code holds it, named with the source module it
// was bundled from. Like the totals, the figures are the differences of a short and a long
// window, per event of the difference.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { basename } from 'node:path';

/** V8 writes its code map, and keeps code where it wrote it (full GCs would otherwise compact
 *  the code space, and the map does not record moves). */
const NODE_EXTRA = ['--perf-basic-prof', '--no-compact-code-space'];

/** Counts kept per function: instructions, L1 data misses, last-level read and write misses. */
export const FN_COLUMNS = ['instr', 'D1 miss', 'LL rd', 'LL wr'] as const;

export interface FunctionCounts {
  events: number;
  /** Function name → counts in the order of FN_COLUMNS. */
  costs: Map<string, number[]>;
}

/** Runs the bundled entry under callgrind with `args` and returns its events and per-function counts. */
export async function countByFunction(entry: string, out: string, ll: string, nodeFlags: string[], args: string[]): Promise<FunctionCounts> {
  const valgrind = [
    '--tool=callgrind', '--cache-sim=yes', `--LL=${ll}`, '--dump-instr=yes', '--dump-line=no',
    '--compress-strings=no', '--compress-pos=no', `--callgrind-out-file=${out}`,
    process.execPath, ...NODE_EXTRA, ...nodeFlags, entry, ...args,
  ];
  let pid = 0;
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile('valgrind', valgrind, { maxBuffer: 64 * 2 ** 20 }, (err, so) => (err ? reject(err) : resolve(so)));
    pid = child.pid ?? 0; // valgrind runs node in its own process: V8's map is named after this pid
  });
  const map = `/tmp/perf-${pid}.map`;
  try {
    const events = (JSON.parse(stdout) as { events: number }).events;
    return { events, costs: attribute(readFileSync(out, 'utf8'), readFileSync(map, 'utf8'), readFileSync(entry, 'utf8'), basename(entry)) };
  } finally {
    rmSync(out, { force: true });
    rmSync(map, { force: true });
  }
}

interface CodeMap {
  /** Code objects sorted by start address; `seq` is the order V8 created them in. */
  starts: number[];
  ends: number[];
  seqs: number[];
  names: string[];
  longest: number;
  memo: Map<number, string | undefined>;
}

/** V8's perf map: "start size name" in hex, one line per code object as V8 creates it. */
function codeMap(text: string): CodeMap {
  const all: { start: number; end: number; seq: number; name: string }[] = [];
  for (const line of text.split('\n')) {
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    if (a < 0 || b < 0) continue;
    const start = parseInt(line.slice(0, a), 16);
    all.push({ start, end: start + parseInt(line.slice(a + 1, b), 16), seq: all.length, name: line.slice(b + 1) });
  }
  all.sort((x, y) => x.start - y.start || x.seq - y.seq);
  return {
    starts: all.map((e) => e.start), ends: all.map((e) => e.end), seqs: all.map((e) => e.seq), names: all.map((e) => e.name),
    longest: all.reduce((m, e) => Math.max(m, e.end - e.start), 0), memo: new Map(),
  };
}

/** The code object that holds `addr`: of those whose range covers it, the one created last,
 *  since V8 reuses the memory of code it has freed (and does not move code: see NODE_EXTRA). */
function lookup(m: CodeMap, addr: number): string | undefined {
  if (m.memo.has(addr)) return m.memo.get(addr);
  let lo = 0;
  let hi = m.starts.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (m.starts[mid]! <= addr) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  let best = -1;
  for (let i = at; i >= 0 && m.starts[i]! > addr - m.longest; i--) {
    if (addr < m.ends[i]! && (best < 0 || m.seqs[i]! > m.seqs[best]!)) best = i;
  }
  const name = best >= 0 ? m.names[best] : undefined;
  m.memo.set(addr, name);
  return name;
}

interface Modules {
  /** The bundle's file name, as it ends the URL of its functions. */
  file: string;
  lines: number[];
  paths: string[];
}

/** Where each module begins in an esbuild bundle, which marks it with a `// path.ts` line. */
function bundleModules(bundle: string, file: string): Modules {
  const lines: number[] = [];
  const paths: string[] = [];
  bundle.split('\n').forEach((l, i) => {
    const m = /^\/\/ ([\w./-]+\.ts)$/.exec(l);
    if (m) {
      lines.push(i + 1);
      paths.push(m[1]!.replace(/^(\.\.\/)+/, ''));
    }
  });
  return { file, lines, paths };
}

/** A readable name: a JS function with the module of the bundle it came from (or the script
 *  outside the bundle, such as Node's own), or the native symbol. */
function displayName(raw: string, mods: Modules): string {
  const m = /^JS:[*~^+]?(.*?) ?((?:file|node):.*):(\d+):\d+$/.exec(raw);
  if (!m) return raw.length > 100 ? `${raw.slice(0, 97)}...` : raw;
  const fn = m[1] || '(anonymous)';
  if (!m[2]!.endsWith(mods.file)) return `${fn} (${m[2]})`;
  const line = Number(m[3]);
  let mod = '?';
  for (let i = mods.lines.length - 1; i >= 0; i--) {
    if (mods.lines[i]! <= line) {
      mod = mods.paths[i]!;
      break;
    }
  }
  return `${fn} (${mod})`;
}

/** Self counts per function (in the order of FN_COLUMNS) from a callgrind file written with
 *  --dump-instr=yes --dump-line=no --compress-strings=no --compress-pos=no (the inclusive
 *  costs of calls are skipped), JIT code resolved with V8's perf map and the bundle it ran. */
export function attribute(text: string, perfMap: string, bundle: string, bundleFile: string): Map<string, number[]> {
  const code = codeMap(perfMap);
  const mods = bundleModules(bundle, bundleFile);
  let idx: number[] = [];
  const out = new Map<string, number[]>();
  let fn = '';
  let jit = false;
  let afterCalls = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('events:')) {
      const ev = line.slice(7).trim().split(' ');
      idx = ['Ir', 'D1mr', 'D1mw', 'DLmr', 'DLmw'].map((e) => ev.indexOf(e));
      if (idx.some((i) => i < 0)) throw new Error(`bench:counts: unexpected callgrind events '${line}'`);
    } else if (line.startsWith('fn=')) {
      fn = line.slice(3);
      jit = fn === '???' || fn.startsWith('0x');
    } else if (line.startsWith('calls=')) afterCalls = true;
    else if (line.startsWith('0x')) {
      if (afterCalls) {
        afterCalls = false;
        continue;
      }
      const f = line.split(' ');
      const name = displayName(jit ? (lookup(code, parseInt(f[0]!, 16)) ?? '(JIT code no longer mapped)') : fn, mods);
      const v = (i: number): number => Number(f[i + 1] ?? 0);
      let c = out.get(name);
      if (!c) out.set(name, (c = [0, 0, 0, 0]));
      c[0]! += v(idx[0]!);
      c[1]! += v(idx[1]!) + v(idx[2]!);
      c[2]! += v(idx[3]!);
      c[3]! += v(idx[4]!);
    }
  }
  return out;
}

/** The per-event difference of two windows' counts, largest `by` column first, after a first
 *  row `(all)` with the sums over every function. */
export function perEventDifference(short: FunctionCounts, long: FunctionCounts, by: number, top: number): { name: string; counts: number[] }[] {
  const ev = long.events - short.events;
  const names = new Set([...short.costs.keys(), ...long.costs.keys()]);
  const rows = [...names].map((name) => {
    const a = short.costs.get(name) ?? [0, 0, 0, 0];
    const b = long.costs.get(name) ?? [0, 0, 0, 0];
    return { name, counts: b.map((x, i) => (x - a[i]!) / ev) };
  });
  rows.sort((x, y) => y.counts[by]! - x.counts[by]! || (x.name < y.name ? -1 : 1));
  const all = { name: '(all)', counts: [0, 0, 0, 0] };
  for (const r of rows) r.counts.forEach((x, i) => (all.counts[i]! += x));
  return [all, ...rows.slice(0, top)];
}
