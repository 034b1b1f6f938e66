// Benchmarks that run on the guest's operating system (guests/kernel/os.ts): lmbench's micro
// benchmarks and the macro workloads. A benchmark sets itself up, marks the start of the part
// it measures, runs it, and marks the end; its score is a latency per operation (lower is
// better) or a rate (higher is better). The lab's probe is called at each mark, so it can read
// the counters that explain the score (exits, hypercalls, faults, switches) over exactly the
// measured part.
import { type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import type { RandomStream } from '../../hw/rng';
import type { FileSystem } from '../kernel/fs';
import type { GuestOs } from '../kernel/os';
import type { KGen } from '../kernel/types';
import { idleLoop, noInterrupts, type InterruptsFor, type Workload, type WorkloadStats } from './workload';

export type Mark = 'start' | 'end';

export interface BenchContext {
  readonly os: GuestOs;
  /** The file system on the guest's first disk (absent without one). */
  readonly fs: FileSystem | undefined;
  readonly rng: RandomStream;
  /** Marks the start and the end of the measured part (the lab reads its counters there), once
   *  the hypervisor time owed by the hypercalls made so far has been spent. */
  mark(m: Mark): KGen;
}

export type ScoreKind =
  /** Microseconds per operation: lower is better. */
  | 'latency-us'
  /** Seconds for the whole job: lower is better. */
  | 'time-s'
  /** Operations per second: higher is better. */
  | 'rate';

export interface OsBenchmark {
  readonly name: string;
  readonly score: ScoreKind;
  /** For a rate: what one operation is (transactions, requests, MB). */
  readonly unit: string;
  /** It needs the file system (a disk). */
  readonly needsDisk?: boolean;
  /** Runs the benchmark; returns how many operations the measured part did. */
  run(ctx: BenchContext): KGen<number>;
}

/** What a run produced. */
export class BenchRun {
  startedAt = -1;
  finishedAt = -1;
  ops = 0;
  done = false;
  error: string | undefined;

  constructor(readonly bench: OsBenchmark) {}

  /** The score in the benchmark's unit, or NaN before it finished. */
  get score(): number {
    if (!this.done || this.ops <= 0) return NaN;
    const ns = this.finishedAt - this.startedAt;
    switch (this.bench.score) {
      case 'latency-us': return ns / this.ops / 1e3;
      case 'time-s': return ns / 1e9;
      case 'rate': return this.ops / (ns / 1e9);
    }
  }

  get unit(): string {
    return this.bench.score === 'latency-us' ? 'us' : this.bench.score === 'time-s' ? 's' : `${this.bench.unit}/s`;
  }

  get higherIsBetter(): boolean {
    return this.bench.score === 'rate';
  }
}

/**
 * The workload a lab hands a guest: vCPU 0 boots (the lab's `boot` brings the kernel and its OS
 * up), runs the benchmark, then idles; other vCPUs idle. `probe` is the lab's, called at marks.
 */
export function benchWorkload(
  bench: OsBenchmark,
  boot: (env: VcpuEnv) => KGen<{ os: GuestOs; fs: FileSystem | undefined } | string>,
  rng: RandomStream,
  probe: (m: Mark) => void = () => {},
  interruptsFor: InterruptsFor = noInterrupts,
): Workload & { run: BenchRun; os(): GuestOs | undefined } {
  const run = new BenchRun(bench);
  let os: GuestOs | undefined;
  return {
    kind: bench.name,
    run,
    os: () => os,
    kernel: function* (env: VcpuEnv): GuestProgram {
      if (env.vcpu === 0) yield* runOn(env);
      yield* idleLoop(interruptsFor(env)); // done: its kernel still takes what comes
    },
    stats: (): WorkloadStats => ({
      kind: bench.name, ops: run.ops, unit: run.unit, score: run.score, finished: run.done, error: run.error,
      ...(os ? { os: { ...os.counters } } : {}),
    }),
  };

  function* runOn(env: VcpuEnv): KGen {
    const b = yield* boot(env);
    if (typeof b === 'string') return void (run.error = b);
    if (bench.needsDisk && !b.fs) return void (run.error = `${bench.name} needs a disk for its files`);
    os = b.os;
    const ctx: BenchContext = {
      os: b.os, fs: b.fs, rng,
      mark: function* (m) {
        yield 0;
        if (m === 'start') run.startedAt = env.now();
        else run.finishedAt = env.now();
        probe(m);
      },
    };
    run.ops = yield* bench.run(ctx);
    run.done = run.finishedAt >= run.startedAt && run.startedAt >= 0;
  }
}
