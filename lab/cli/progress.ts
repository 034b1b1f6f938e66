// The progress bar on stderr: a run, a comparison or a sweep that has taken more than about two
// seconds of wall time shows how far it is (simulated time, events per wall second, sweep
// points done), redrawn in place by cli-progress, and clears it when done. Nothing is shown
// when stderr is not a terminal, so logs and pipes stay clean.
//
// The wall clock is read here, in the lab, between slices of simulated time (RunHooks.onSlice):
// never inside the model, so the run is the same whether it is watched or not.
import cliProgress from 'cli-progress';
import type { RunHooks } from '../run/runner';
import type { World } from '../run/world';

/** Wall time before a bar appears: shorter runs stay silent. */
export const PROGRESS_DELAY_MS = 2000;

/** Where the bar is drawn: a terminal stream (process.stderr), or a fake one in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  /** Wall-clock milliseconds (performance.now by default). */
  clock?: () => number;
  delayMs?: number;
}

export interface ProgressState {
  /** Work done, in the same unit as the total given to the constructor. */
  done: number;
  /** Simulated ns finished so far, over all runs. */
  simulatedNs: number;
  /** Events run so far, over all runs. */
  events: number;
  /** Extra text shown first, e.g. `pv (2/8)` or `3/8 points`. */
  label?: string;
}

export class Progress {
  private readonly stream: ProgressStream;
  private readonly clock: () => number;
  private readonly delayMs: number;
  private readonly startMs: number;
  private bar: cliProgress.SingleBar | undefined;
  /** Whether a bar was ever drawn (tests read it). */
  shown = false;

  constructor(private readonly total: number, opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.clock = opts.clock ?? (() => performance.now());
    this.delayMs = opts.delayMs ?? PROGRESS_DELAY_MS;
    this.startMs = this.clock();
  }

  /** Whether a bar can ever show: stderr is a terminal. */
  get active(): boolean {
    return this.stream.isTTY === true;
  }

  /** Called often; cheap until the delay has passed on a terminal. */
  update(s: ProgressState): void {
    if (this.stream.isTTY !== true) return;
    const elapsedMs = this.clock() - this.startMs;
    if (!this.bar && elapsedMs < this.delayMs) return;
    const payload = { label: s.label ?? '', detail: detail(s, elapsedMs) };
    const done = Math.min(s.done, this.total);
    if (!this.bar) this.start(done, payload);
    else this.bar.update(done, payload);
  }

  /** Clears the bar, if one was drawn. Idempotent. */
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  private start(done: number, payload: { label: string; detail: string }): void {
    this.bar = new cliProgress.SingleBar({
      stream: this.stream as NodeJS.WritableStream,
      format: '{label} [{bar}] {percentage}% | {detail}',
      barsize: 24,
      clearOnComplete: true,
      hideCursor: true,
      fps: 5,
    }, cliProgress.Presets.legacy);
    this.bar.start(this.total, done, payload);
    this.shown = true;
  }
}

function detail(s: ProgressState, elapsedMs: number): string {
  const evps = elapsedMs > 0 ? s.events / (elapsedMs / 1000) : 0;
  return `${(s.simulatedNs / 1e9).toFixed(2)} s simulated | ${compact(evps)} events/s`;
}

/** 1234567 → "1.23M". */
export function compact(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return String(Math.round(x));
}

/** Events a world has run (cancelled timers' stale events left out, as in the report). */
export function eventsOf(w: World): number {
  return w.engine.eventsRun - w.engine.staleEvents;
}

/**
 * Hooks that move `progress` through one run, the `index`-th of `count` (each worth 1000 units
 * of the bar's total), with what earlier runs did already counted in `before`.
 */
export function watchRun(progress: Progress, index = 0, before = { simulatedNs: 0, events: 0 }, label?: string): RunHooks {
  if (!progress.active) return {};
  return {
    onSlice: (w) => {
      const frac = w.scenario.duration > 0 ? w.engine.now / w.scenario.duration : 1;
      progress.update({ done: Math.floor((index + frac) * 1000), simulatedNs: before.simulatedNs + w.engine.now, events: before.events + eventsOf(w), label });
    },
  };
}
