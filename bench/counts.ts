// `npm run bench:counts`: machine instructions and cache misses per simulated event, counted
// by valgrind's cachegrind instead of timed. Wall time on a shared host moves by a factor of
// two from one minute to the next; these counts repeat to 0.1% at 10 and 16 domains and to
// about 3% at 1000 (where a full GC falls into a measured window in some runs and not in
// others), so they show what a change of code or data layout does per event without the host.
//
// Each configuration runs twice under cachegrind, with the same boot and a short and a long
// measured window; the differences of the two runs divided by the difference of their events
// are the steady-state figures (start-up and boot cancel out). V8 runs with --single-threaded
// --predictable and fixed seeds, which makes runs of one build agree (see above).
//
// Counts are split by the function that executed them. `run` is pvlab itself: JIT-compiled
// JavaScript (cachegrind names it ???) and V8's builtins it calls. `gc` is the garbage
// collector. `other` is mostly the optimizing compiler, which single-threaded V8 runs on the
// main thread and which still compiles in the measured window; it depends on when V8 decides
// to optimize what, so it moves between builds that execute the same, and a comparison of
// builds should read `run`.
// `--cache l2` simulates the 1 MiB L2 as the last level instead of the L3, so that the last-level
// misses are what an event finds outside the L2. `--functions N` counts per function instead,
// with callgrind (count-functions.ts), and prints the N functions with the most of those
// misses per event.
// Needs valgrind (Debian: apt-get install valgrind). Not part of `npm test`.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { build } from 'esbuild';
import { countByFunction, FN_COLUMNS, perEventDifference } from './count-functions';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

/** The bundled program: builds the scale scenario, boots it, runs one window, prints its events. */
const ENTRY = `
import { scaleScenario } from './scenarios';
import { buildWorld } from '../lab/run/world';
const [domains, pcpus, boot, sim] = process.argv.slice(2).map(Number);
const w = buildWorld(scaleScenario(domains, pcpus, (boot + sim + 1) * 1e9));
const events = () => w.engine.eventsRun - w.engine.staleEvents;
w.engine.run(boot * 1e9);
const e0 = events();
w.engine.run((boot + sim) * 1e9);
console.log(JSON.stringify({ events: events() - e0 }));
`;

interface Config {
  name: string;
  domains: number;
  pcpus: number;
  /** Simulated seconds before the window, and the short and long windows. */
  boot: number;
  windows: [number, number];
  what: string;
}

const CONFIGS: Config[] = [
  { name: '10x64', domains: 10, pcpus: 64, boot: 1, windows: [20, 60], what: 'the bench\'s small case: 10 domains on 64 pCPUs, no contention' },
  { name: '16x1', domains: 16, pcpus: 1, boot: 5, windows: [20, 60], what: '16 domains on 1 pCPU: the contention, and so the mix of events, of 1000 domains on 64' },
  { name: '1000x64', domains: 1000, pcpus: 64, boot: 1.25, windows: [0.25, 0.5], what: 'the scale scenario: 1000 domains on 64 pCPUs' },
];

/** The last-level cache valgrind simulates: by default this machine's L3 (32 MiB, 16-way,
 *  64-byte lines); `--cache l2` simulates its 1 MiB L2 there instead, to count what an event
 *  finds outside the L2. */
const CACHES = { l3: '33554432,16,64', l2: '1048576,16,64' } as const;
/** How V8 runs under valgrind: single-threaded and seeded, so that runs of one build agree. */
const NODE_FLAGS = ['--single-threaded', '--predictable', '--hash-seed=1', '--random-seed=1', '--max-semi-space-size=64'];

const GROUPS = ['run', 'gc', 'other'] as const;
type Group = (typeof GROUPS)[number];
/** Cachegrind's events, in the order its output file lists them (--cache-sim=yes). */
const EVENTS = ['Ir', 'I1mr', 'ILmr', 'Dr', 'D1mr', 'DLmr', 'Dw', 'D1mw', 'DLmw'] as const;
type Tally = Record<Group, number[]>;

/** Which group a function's counts go to. */
function groupOf(fn: string): Group {
  if (fn === '???' || fn.startsWith('Builtins_')) return 'run';
  if (/^(void )?v8::internal::(?!compiler::|maglev::|interpreter::)(\w+::)*\w*(Scaveng|MarkCompact|Marking|Sweep|Evacuat|Heap|Visitor|Collector|Remembered|SlotSet)/.test(fn)) return 'gc';
  return 'other';
}

/** Sums a cachegrind output file's per-line counts by group. */
function tally(file: string): Tally {
  const t: Tally = { run: EVENTS.map(() => 0), gc: EVENTS.map(() => 0), other: EVENTS.map(() => 0) };
  let sum = t.other;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('events:') && line.slice(7).trim() !== EVENTS.join(' ')) throw new Error(`bench:counts: unexpected cachegrind events '${line}'`);
    if (line.startsWith('fn=')) sum = t[groupOf(line.slice(3))];
    else if (line.charCodeAt(0) >= 48 && line.charCodeAt(0) <= 57) {
      const f = line.split(' ');
      for (let i = 1; i < f.length; i++) sum[i - 1]! += Number(f[i]);
    }
  }
  return t;
}

interface Counted {
  events: number;
  tally: Tally;
}

/** The bundled entry's arguments for one window of a configuration. */
function entryArgs(c: Config, sim: number): string[] {
  return [String(c.domains), String(c.pcpus), String(c.boot), String(sim)];
}

async function count(entry: string, dir: string, c: Config, sim: number, ll: string): Promise<Counted> {
  const out = join(dir, `${c.name}-${sim}-${process.pid}.cg`);
  const args = [
    '--tool=cachegrind', '--cache-sim=yes', `--LL=${ll}`, `--cachegrind-out-file=${out}`,
    process.execPath, ...NODE_FLAGS, entry, ...entryArgs(c, sim),
  ];
  try {
    const { stdout } = await run('valgrind', args, { maxBuffer: 64 * 2 ** 20 });
    return { events: (JSON.parse(stdout) as { events: number }).events, tally: tally(out) };
  } finally {
    rmSync(out, { force: true });
  }
}

/** Runs `jobs` with at most `n` at once. */
async function pool<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  return out;
}

async function main(): Promise<void> {
  const cmd = new Command('bench:counts')
    .description('instructions and cache misses per simulated event, counted by cachegrind (needs valgrind)')
    .option('--only <name>', `one configuration (${CONFIGS.map((c) => c.name).join(', ')})`)
    .option('--json', 'print {configs: [{name, events, instructions, d1_misses, ll_read_misses, ll_write_misses, gc_instructions, other_instructions}]} (per event)')
    .option('--cache <level>', 'the last-level cache to simulate: l3 (32 MiB) or l2 (1 MiB)', 'l3')
    .option('--functions <n>', 'per function instead (callgrind): the n with the most last-level read misses per event')
    .parse(process.argv.slice(2), { from: 'user' });
  const o = cmd.opts<{ only?: string; json?: boolean; cache: string; functions?: string }>();
  const picked = CONFIGS.filter((c) => o.only === undefined || c.name === o.only);
  if (picked.length === 0) cmd.error(`--only must be one of ${CONFIGS.map((c) => c.name).join(', ')}`);
  if (o.cache !== 'l3' && o.cache !== 'l2') cmd.error('--cache must be l3 or l2');
  const ll = CACHES[o.cache as keyof typeof CACHES];
  const top = o.functions === undefined ? 0 : Number(o.functions);
  if (o.functions !== undefined && !(Number.isInteger(top) && top > 0)) cmd.error('--functions must be a positive integer');
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    cmd.error('bench:counts needs valgrind on the PATH (Debian: apt-get install valgrind)');
  }
  const dir = join(ROOT, 'node_modules', '.cache', 'pvlab-counts');
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, `entry-${process.pid}.mjs`);
  await build({
    stdin: { contents: ENTRY, resolveDir: join(ROOT, 'bench'), loader: 'ts', sourcefile: 'counts-entry.ts' },
    bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: entry, logLevel: 'error',
  });
  const parallel = Math.max(1, Math.min(2, availableParallelism()));
  try {
    if (top > 0) return await byFunction(entry, dir, picked, ll, top, parallel, o.json === true);
    if (!o.json) console.log(`cachegrind, LL ${ll}; ${picked.length * 2} runs, ${parallel} at a time (a 1000-domain run takes about two minutes)`);
    const jobs = picked.flatMap((c) => c.windows.map((sim) => () => count(entry, dir, c, sim, ll)));
    const results = await pool(parallel, jobs);
    const rows = picked.map((c, i) => {
      const [a, b] = [results[2 * i]!, results[2 * i + 1]!];
      const ev = b.events - a.events;
      const per = (g: Group, e: (typeof EVENTS)[number]): number => {
        const k = EVENTS.indexOf(e);
        return (b.tally[g][k]! - a.tally[g][k]!) / ev;
      };
      return {
        name: c.name, what: c.what, events: ev,
        instructions: per('run', 'Ir'), d1_misses: per('run', 'D1mr') + per('run', 'D1mw'),
        ll_read_misses: per('run', 'DLmr'), ll_write_misses: per('run', 'DLmw'),
        gc_instructions: per('gc', 'Ir'), other_instructions: per('other', 'Ir'),
      };
    });
    if (o.json) return void console.log(JSON.stringify({ configs: rows }, null, 2));
    console.log('per event; instructions and misses of pvlab\'s own code (run), then the GC\'s and the rest\'s (mostly the JIT compiler) instructions');
    console.log(`${'config'.padEnd(8)} ${'events'.padStart(8)} ${'instr'.padStart(7)} ${'D1 miss'.padStart(8)} ${'LL rd'.padStart(6)} ${'LL wr'.padStart(6)} ${'gc instr'.padStart(9)} ${'other'.padStart(7)}`);
    for (const r of rows) {
      const f = (x: number, w: number, d = 0): string => x.toFixed(d).padStart(w);
      console.log(`${r.name.padEnd(8)} ${String(r.events).padStart(8)} ${f(r.instructions, 7)} ${f(r.d1_misses, 8, 1)} ${f(r.ll_read_misses, 6, 2)} ${f(r.ll_write_misses, 6, 2)} ${f(r.gc_instructions, 9)} ${f(r.other_instructions, 7)}  ${r.what}`);
    }
  } finally {
    rmSync(entry, { force: true });
  }
}

/** `--functions N`: the N functions with the most last-level read misses per event, per configuration. */
async function byFunction(entry: string, dir: string, picked: Config[], ll: string, top: number, parallel: number, json: boolean): Promise<void> {
  if (!json) console.log(`callgrind, LL ${ll}; ${picked.length * 2} runs, ${parallel} at a time (a 1000-domain run takes about three minutes)`);
  const jobs = picked.flatMap((c) => c.windows.map((sim) => () =>
    countByFunction(entry, join(dir, `${c.name}-${sim}-${process.pid}.clg`), ll, NODE_FLAGS, entryArgs(c, sim))));
  const results = await pool(parallel, jobs);
  const out = picked.map((c, i) => ({ name: c.name, functions: perEventDifference(results[2 * i]!, results[2 * i + 1]!, 2, top) }));
  if (json) {
    const keys = ['instructions', 'd1_misses', 'll_read_misses', 'll_write_misses'];
    return void console.log(JSON.stringify({ configs: out.map((c) => ({ name: c.name, functions: c.functions.map((f) => ({ name: f.name, ...Object.fromEntries(keys.map((k, i) => [k, f.counts[i]])) })) })) }, null, 2));
  }
  for (const c of out) {
    console.log(`\n${c.name}: per event, self counts (a function's inlined callees count as its own)`);
    console.log(`${FN_COLUMNS[0].padStart(7)} ${FN_COLUMNS[1].padStart(8)} ${FN_COLUMNS[2].padStart(6)} ${FN_COLUMNS[3].padStart(6)}  function`);
    for (const f of c.functions) {
      const [ir, d1, rd, wr] = f.counts as [number, number, number, number];
      console.log(`${ir.toFixed(0).padStart(7)} ${d1.toFixed(1).padStart(8)} ${rd.toFixed(2).padStart(6)} ${wr.toFixed(2).padStart(6)}  ${f.name}`);
    }
  }
}

await main();
