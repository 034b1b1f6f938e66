// `pvlab sweep`: every point of a plan (./plan) run as a scenario of its own, in parallel on a
// pool of worker threads (piscina), and the reports gathered in point order. Each point is a
// pure function of its task (./point), so the result does not depend on --jobs, on which
// thread ran what, or on the order points finished in: it is the same as running each point
// alone. Every point's scenario is checked in this thread before any runs, so a bad value stops
// the sweep at once with the file's message, and a worker never sees bad input.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { RunReport } from '../run/report';
import { loadPoint, runPoint, type PointTask } from './point';
import { shardOf, sweepPoints, type Shard, type SweepAxis, type SweepPoint } from './plan';

export interface SweepInput {
  /** The scenario file, as a path. */
  file: string;
  axes: SweepAxis[];
  shard?: Shard;
  /** Worker threads; 1 runs the points in this thread. Default: the machine's parallelism. */
  jobs?: number;
  seed?: string;
  duration?: string;
}

export interface SweepPointResult {
  index: number;
  set: Record<string, string>;
  report: RunReport;
}

export interface SweepResult {
  scenario: string;
  axes: SweepAxis[];
  /** Points in the whole sweep, all shards together. */
  totalPoints: number;
  shard: Shard | null;
  points: SweepPointResult[];
}

/** Called as each point finishes (in finishing order): for a progress bar. */
export type OnPoint = (done: number, of: number, report: RunReport) => void;

export const defaultJobs = (): number => Math.max(1, availableParallelism());

/** The shard's points, each checked; throws ScenarioError at the first bad one. */
export function plannedPoints(input: SweepInput): { all: SweepPoint[]; mine: SweepPoint[] } {
  const all = sweepPoints(input.axes);
  const mine = input.shard ? shardOf(all, input.shard) : all;
  for (const p of mine) loadPoint(taskOf(input, p));
  return { all, mine };
}

export async function runSweep(input: SweepInput, onPoint: OnPoint = () => {}): Promise<SweepResult> {
  const { all, mine } = plannedPoints(input);
  const jobs = Math.max(1, Math.min(input.jobs ?? defaultJobs(), mine.length));
  const tasks = mine.map((p) => taskOf(input, p));
  const reports = jobs === 1 ? inThread(tasks, onPoint) : await inPool(tasks, jobs, onPoint);
  return {
    scenario: reports[0]?.scenario ?? '',
    axes: input.axes,
    totalPoints: all.length,
    shard: input.shard ?? null,
    points: mine.map((p, i) => ({ index: p.index, set: p.set, report: reports[i]! })),
  };
}

function taskOf(input: SweepInput, p: SweepPoint): PointTask {
  return { file: input.file, settings: p.settings, seed: input.seed, duration: input.duration };
}

function inThread(tasks: PointTask[], onPoint: OnPoint): RunReport[] {
  return tasks.map((t, i) => {
    const r = runPoint(t);
    onPoint(i + 1, tasks.length, r);
    return r;
  });
}

async function inPool(tasks: PointTask[], jobs: number, onPoint: OnPoint): Promise<RunReport[]> {
  const pool = new Piscina<PointTask, RunReport>({
    filename: new URL('./worker.mjs', import.meta.url).href,
    minThreads: jobs,
    maxThreads: jobs,
  });
  let done = 0;
  try {
    return await Promise.all(tasks.map(async (t) => {
      const r = await pool.run(t);
      onPoint(++done, tasks.length, r);
      return r;
    }));
  } finally {
    await pool.destroy();
  }
}
