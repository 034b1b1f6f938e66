// `npm run bench:ab -- REV_A [REV_B]`: is build B faster than build A? On a shared host two
// runs taken one after the other can differ by a factor of two, far more than most changes
// are worth. So both builds run in one process, on the same scale scenario, in alternating
// windows of simulated time (the first window of each discarded): whatever the host does, it
// does to both at nearly the same moments. Each revision's `buildWorld` is bundled on its own
// (a git worktree of it, then esbuild), so the two builds share no code.
// REV_B defaults to the working tree. Wall time is measured here only, never in a test.
// With `--boot`, each round builds a fresh world of each build instead and times its build and
// its boot to `--boot-to` simulated seconds, the part of a scale run the windows leave out.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { build } from 'esbuild';
import { stats } from './stats';

const ROOT = resolve(import.meta.dirname, '..');
const KINDS = ['all', 'fio', 'cpu-burn', 'cpu-periodic'] as const;
type Kind = (typeof KINDS)[number];

/** The module each build is bundled from: its own scale scenario and world, stepped by the caller. */
const ENTRY = `
import { scaleScenario } from './scenarios';
import { buildWorld } from '../lab/run/world';
export function make(domains, kind, simSeconds) {
  const s = scaleScenario(domains, 64, (simSeconds + 2) * 1e9);
  if (kind !== 'all') for (const d of s.domains) if (d.workload.kind !== kind) d.workload = { kind: 'idle' };
  const w = buildWorld(s);
  let t = 1e9;
  w.engine.run(t); // boot: not measured
  return {
    step(simNs) {
      const e0 = w.engine.eventsRun - w.engine.staleEvents, t0 = performance.now();
      t += simNs;
      w.engine.run(t);
      return { wallMs: performance.now() - t0, events: w.engine.eventsRun - w.engine.staleEvents - e0 };
    },
  };
}
export function boot(domains, kind, simSeconds) {
  const s = scaleScenario(domains, 64, simSeconds * 1e9);
  if (kind !== 'all') for (const d of s.domains) if (d.workload.kind !== kind) d.workload = { kind: 'idle' };
  const t0 = performance.now();
  const w = buildWorld(s);
  const t1 = performance.now();
  w.engine.run(simSeconds * 1e9);
  return { buildMs: t1 - t0, bootMs: performance.now() - t1, events: w.engine.eventsRun - w.engine.staleEvents };
}
`;

interface Stepper {
  step(simNs: number): { wallMs: number; events: number };
}
type Maker = (domains: number, kind: Kind, simSeconds: number) => Stepper;
type Booter = (domains: number, kind: Kind, simSeconds: number) => { buildMs: number; bootMs: number; events: number };

/** Bundles `rev` (a git revision, or '.' for the working tree) into a module; returns its path. */
async function bundle(rev: string, label: string): Promise<string> {
  const outDir = join(ROOT, 'node_modules', '.cache', 'pvlab-ab'); // inside the tree, so the bundle's packages resolve
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${label}-${process.pid}.mjs`); // two runs at once must not share a bundle
  let tree = ROOT;
  let worktree: string | undefined;
  if (rev !== '.') {
    worktree = mkdtempSync(join(tmpdir(), 'pvlab-ab-'));
    tree = worktree;
  }
  try {
    if (worktree) {
      execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', '--force', worktree, rev], { stdio: 'ignore' });
      symlinkSync(join(ROOT, 'node_modules'), join(worktree, 'node_modules'));
    }
    await build({
      stdin: { contents: ENTRY, resolveDir: join(tree, 'bench'), loader: 'ts', sourcefile: `ab-${label}.ts` },
      bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'error',
    });
  } finally {
    if (worktree) {
      try {
        execFileSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', worktree], { stdio: 'ignore' });
      } catch {
        // not added (or already gone): the directory below is all there is to remove
      }
      rmSync(worktree, { recursive: true, force: true });
    }
  }
  return outfile;
}

const positive = (what: string) => (v: string): number => {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError(`${what} must be a positive number`);
  return n;
};

async function main(): Promise<void> {
  const cmd = new Command('bench:ab')
    .description('compare the speed of two builds of pvlab in one process, in alternating windows')
    .argument('<revA>', 'git revision of build A')
    .argument('[revB]', "git revision of build B ('.' is the working tree)", '.')
    .option('--kind <kind>', `workload kept in the scale scenario (${KINDS.join(', ')})`, 'all')
    .option('--domains <n>', 'domains in the scale scenario (64 pCPUs)', positive('--domains'), 1000)
    .option('--windows <n>', 'windows per build, the first discarded', positive('--windows'), 9)
    .option('--window <s>', 'simulated seconds per window', positive('--window'), 0.5)
    .option('--boot', 'time building and booting fresh worlds instead of windows of a running one')
    .option('--boot-to <s>', 'with --boot: simulated seconds each world runs', positive('--boot-to'), 2)
    .option('--rounds <n>', 'with --boot: rounds of A B B A, the first discarded', positive('--rounds'), 4)
    .parse(process.argv.slice(2), { from: 'user' });
  const [revA, revB] = cmd.processedArgs as [string, string];
  const o = cmd.opts<{ kind: string; domains: number; windows: number; window: number; boot?: boolean; bootTo: number; rounds: number }>();
  if (!(KINDS as readonly string[]).includes(o.kind)) cmd.error(`--kind must be one of ${KINDS.join(', ')}`);
  for (const rev of [revA, revB]) {
    if (rev === '.') continue;
    try {
      execFileSync('git', ['-C', ROOT, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { stdio: 'ignore' });
    } catch {
      cmd.error(`bench:ab: '${rev}' is not a commit of this repository`);
    }
  }
  const windows = Math.round(o.windows);
  const simSeconds = windows * o.window + 1;

  const builds = [] as { label: string; rev: string; make: Maker; boot: Booter; wallMs: number; events: number; perWindow: number[] }[];
  for (const [label, rev] of [['A', revA], ['B', revB]] as const) {
    const file = await bundle(rev, label);
    const mod = (await import(pathToFileURL(file).href)) as { make: Maker; boot?: Booter };
    rmSync(file); // loaded: the module stays in memory
    if (o.boot && mod.boot === undefined) cmd.error(`bench:ab: --boot needs a build of ${rev} that has bench/scenarios.ts`);
    builds.push({ label, rev, make: mod.make, boot: mod.boot!, wallMs: 0, events: 0, perWindow: [] });
  }
  if (o.boot) {
    bootRounds(builds, o.domains, o.kind as Kind, o.bootTo, Math.round(o.rounds));
    return;
  }
  const [a, b] = builds as [(typeof builds)[0], (typeof builds)[0]];
  // Two worlds of each build, made in the order A B B A: a world made later finds a fuller,
  // more fragmented heap, which alone made the second of two identical builds 1-5% slower.
  const worlds = [a, b, b, a].map((build) => ({ build, world: build.make(o.domains, o.kind as Kind, simSeconds) }));
  for (let i = 0; i < windows; i++) {
    for (let j = 0; j < worlds.length; j++) {
      const { build, world } = worlds[(i + j) % worlds.length]!; // each world goes first in turn
      const r = world.step(o.window * 1e9);
      if (i === 0) continue; // JIT warm-up
      build.wallMs += r.wallMs;
      build.events += r.events;
      build.perWindow.push((r.wallMs * 1e6) / r.events);
    }
  }
  const ns = (x: typeof a) => (x.wallMs * 1e6) / x.events;
  // Interference from the host only ever adds time, in bursts: the median window is the
  // steadier estimate, the total the one that counts every event.
  const median = (x: typeof a) => stats(x.perWindow).median;
  console.log(`${o.domains} domains, ${o.kind}, ${windows - 1} windows of ${o.window} simulated s each (after one discarded)`);
  for (const x of builds) console.log(`${x.label} ${x.rev.padEnd(12)} ${ns(x).toFixed(0).padStart(6)} wall ns per event, median window ${median(x).toFixed(0)}, ${x.events} events  (windows: ${x.perWindow.map((v) => v.toFixed(0)).join(' ')})`);
  console.log(`B/A ${(ns(b) / ns(a)).toFixed(3)} in all, ${(median(b) / median(a)).toFixed(3)} by median window  (below 1: B is faster)`);
  if (a.events !== b.events) console.log(`note: the builds simulate differently (${a.events} and ${b.events} events): compare per event, and check why`);
}

/** `--boot`: rounds of fresh worlds, A B B A, each built and run to `simSeconds`; the first
 *  round warms the JIT and is discarded. Prints the median build and boot time of each build. */
function bootRounds(builds: { label: string; rev: string; boot: Booter }[], domains: number, kind: Kind, simSeconds: number, rounds: number): void {
  const [a, b] = builds as [(typeof builds)[0], (typeof builds)[0]];
  const times = new Map(builds.map((x) => [x, { build: [] as number[], boot: [] as number[], events: 0 }]));
  for (let i = 0; i < rounds; i++) {
    for (const x of [a, b, b, a]) {
      const r = x.boot(domains, kind, simSeconds);
      if (i === 0) continue;
      const t = times.get(x)!;
      t.build.push(r.buildMs);
      t.boot.push(r.bootMs);
      t.events = r.events;
    }
  }
  console.log(`${domains} domains, ${kind}: build, then run to ${simSeconds} simulated s; ${2 * (rounds - 1)} worlds of each build (after one round discarded)`);
  const med = (xs: number[]) => stats(xs).median;
  for (const x of builds) {
    const t = times.get(x)!;
    const total = t.build.map((v, i) => v + t.boot[i]!);
    console.log(`${x.label} ${x.rev.padEnd(12)} build ${med(t.build).toFixed(0).padStart(5)} ms, run ${med(t.boot).toFixed(0).padStart(5)} ms, both ${med(total).toFixed(0).padStart(5)} ms (median; all: ${total.map((v) => v.toFixed(0)).join(' ')}), ${t.events} events`);
  }
  const both = (x: typeof a) => { const t = times.get(x)!; return med(t.build.map((v, i) => v + t.boot[i]!)); };
  console.log(`B/A ${(both(b) / both(a)).toFixed(3)} for build and run (below 1: B is faster)`);
  if (times.get(a)!.events !== times.get(b)!.events) console.log('note: the builds simulate differently: check why');
}

await main();
