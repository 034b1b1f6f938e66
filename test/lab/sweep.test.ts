// `pvlab sweep`: the product of --set values, run on worker threads, gives what each point gives
// when run alone; --shard splits the points so the shards together are the whole sweep; the
// values are checked by the scenario's own rules before anything runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPoint } from '../../lab/sweep/point';
import { parseAxis, parseShard, shardOf, sweepPoints } from '../../lab/sweep/plan';
import type { SweepResult } from '../../lab/sweep/sweep';
import { RUN_HEADER } from '../../lab/cli/csv';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pvlab-sweep-'));

function pvlab(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'pvlab.js'), ...args], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A hog and a jittery periodic task share one pCPU: the seed, the slice and the weight all
// change what happens.
const SCENARIO = join(dir, 'mix.yaml');
writeFileSync(SCENARIO, `name: mix
seed: 5
duration: 300ms
host: {pcpus: 1}
domains:
  - {name: hog, vcpus: 1, memory: 256, workload: {kind: cpu-burn}}
  - {name: tick, vcpus: 1, memory: 256, workload: {kind: cpu-periodic, burst: 500us, period: 3ms, jitter: 0.5}}
`);
const AXES = ['--set', 'scheduler.tslice=5ms,30ms', '--set', 'domains[1].cpu_weight=256,512', '--set', 'seed=1,2'];

describe('pvlab sweep', () => {
  let whole: SweepResult;

  beforeAll(() => {
    const r = pvlab('sweep', SCENARIO, ...AXES, '--jobs', '2', '--json');
    expect(r.stderr).toMatch(/8 points in .* on 2 thread/);
    expect(r.status).toBe(0);
    whole = JSON.parse(r.stdout) as SweepResult;
  });

  it('runs the product of the values, the first --set varying slowest', () => {
    expect(whole.totalPoints).toBe(8);
    expect(whole.points.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(whole.points.map((p) => Object.values(p.set).join(' '))).toEqual([
      '5ms 256 1', '5ms 256 2', '5ms 512 1', '5ms 512 2', '30ms 256 1', '30ms 256 2', '30ms 512 1', '30ms 512 2',
    ]);
    expect(whole.points[7]!.report).toMatchObject({ seed: 2, host: { scheduler: { tsliceNs: 30_000_000 } } });
    expect(whole.points[7]!.report.domains.find((d) => d.name === 'tick')!.weight).toBe(512);
  });

  it('gives, with --jobs 2, the same JSON as the 8 points run one by one', () => {
    for (const p of whole.points) {
      const alone = runPoint({ file: SCENARIO, settings: Object.entries(p.set).map(([k, v]) => `${k}=${v}`) });
      expect(JSON.stringify(p.report)).toBe(JSON.stringify(alone));
    }
    const distinct = new Set(whole.points.map((p) => JSON.stringify(p.report.domains)));
    expect(distinct.size).toBe(8);
  });

  it('gives what `pvlab run --set` gives for the same point', () => {
    const r = pvlab('run', SCENARIO, '--set', 'scheduler.tslice=30ms', '--set', 'domains[1].cpu_weight=256', '--set', 'seed=2', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(whole.points[5]!.report);
  });

  it('splits the points into shards whose union is the whole sweep, each point once', () => {
    const shards = [1, 2, 3].map((i) => JSON.parse(pvlab('sweep', SCENARIO, ...AXES, '--jobs', '1', '--shard', `${i}/3`, '--json').stdout) as SweepResult);
    expect(shards.map((s) => s.points.length)).toEqual([2, 3, 3]);
    expect(shards.map((s) => s.shard)).toEqual([{ index: 1, count: 3 }, { index: 2, count: 3 }, { index: 3, count: 3 }]);
    const union = shards.flatMap((s) => s.points).sort((a, b) => a.index - b.index);
    expect(union).toEqual(whole.points);
  });

  it('prints one CSV row per point and domain that parses back', () => {
    const r = pvlab('sweep', SCENARIO, ...AXES, '--jobs', '2', '--csv');
    expect(r.status).toBe(0);
    const rows = parseCsv(r.stdout, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['point', 'set scheduler.tslice', 'set domains[1].cpu_weight', 'set seed', ...RUN_HEADER]);
    expect(rows).toHaveLength(8 * 3);
    const tick7 = rows.find((x) => x['point'] === '7' && x['domain'] === 'tick')!;
    const want = whole.points[7]!.report.domains.find((d) => d.name === 'tick')!;
    expect(Number(tick7['running_ns'])).toBe(want.runstate.runningNs);
    expect(tick7['set scheduler.tslice']).toBe('30ms');
    expect(tick7['seed']).toBe('2');
  });

  it('prints a table with one row per point', () => {
    const r = pvlab('sweep', SCENARIO, '--set', 'domains[1].cpu_weight=256,512', '--jobs', '2');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^mix: 2 of 2 points/);
    expect(r.stdout).toMatch(/^point\s+domains\[1\]\.cpu_weight\s+hog CPU%/m);
    expect(r.stdout.trim().split('\n')).toHaveLength(5);
  });

  const bad: [string[], RegExp][] = [
    [['--set', 'scheduler.tslice=5ms,0ms'], /^pvlab: command line: --set scheduler\.tslice: must be at least 1ms \(got 0ms\)$/],
    [['--set', 'domains[1].cpu_wieght=1,2'], /--set domains\[1\]\.cpu_wieght: unknown key; did you mean 'cpu_weight'\?/],
    [['--set', 'domains[4].cpu_weight=1'], /--set domains\[4\]\.cpu_weight: domains has 2 entries, so there is no \[4\]/],
    [['--set', 'seed=1', '--set', 'seed=2'], /--set seed: is set twice/],
    [['--shard', '4/3'], /--shard: expected i\/n/],
    [['--jobs', 'two'], /--jobs: must be a whole number/],
  ];
  for (const [args, message] of bad) {
    it(`rejects ${args.join(' ')} with one message naming the key, and exit status 2`, () => {
      const r = pvlab('sweep', SCENARIO, ...args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    });
  }
});

describe('a sweep plan', () => {
  it('keeps commas inside lists and quotes within one value', () => {
    expect(parseAxis('domains[0].cpus="0,1",[2, 3],all').values).toEqual(['"0,1"', '[2, 3]', 'all']);
  });

  it('is one point, the file as it is, with no --set', () => {
    expect(sweepPoints([])).toEqual([{ index: 0, settings: [], set: {} }]);
  });

  it('shards any number of points into contiguous blocks that cover them once', () => {
    for (let n = 0; n <= 13; n++) {
      const points = Array.from({ length: n }, (_, i) => i);
      for (let count = 1; count <= 5; count++) {
        const blocks = Array.from({ length: count }, (_, i) => shardOf(points, { index: i + 1, count }));
        expect(blocks.flat()).toEqual(points);
        const sizes = blocks.map((b) => b.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
    expect(parseShard(' 2 / 5 ')).toEqual({ index: 2, count: 5 });
  });
});
