// The engine benchmark model: 1,000 processes, each waiting a random delay in a loop. Run
// both on pvlab's engine and on a minimal hand-written loop (a binary heap of timestamped
// callbacks, nothing else), so the engine's speed is tracked as a fraction of the minimum.
import { Engine, type Handler } from '../hw/engine';
import { RandomStreams } from '../hw/rng';

export const PROCESSES = 1000;
export const MEAN_DELAY_NS = 1000;

/** pvlab's engine: each process is a Handler that re-schedules itself after a random delay. */
export function engineModel(events: number): number {
  const e = new Engine();
  const rng = new RandomStreams(1).stream('bench');
  const delays = randomDelays(rng, 4096);
  let i = 0;
  const procs: Handler[] = [];
  for (let p = 0; p < PROCESSES; p++) {
    const h: Handler = { fire: () => e.after(delays[i++ & 4095]!, h) };
    procs.push(h);
    e.after(delays[i++ & 4095]!, h);
  }
  while (e.eventsRun < events && e.step());
  return e.eventsRun;
}

/** The reference: the smallest correct event loop, a binary heap of (time, callback). */
export function referenceModel(events: number): number {
  const times: number[] = [];
  const fns: (() => void)[] = [];
  let now = 0;
  const push = (t: number, f: () => void): void => {
    let k = times.length;
    times.push(t);
    fns.push(f);
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (times[p]! <= t) break;
      times[k] = times[p]!;
      fns[k] = fns[p]!;
      k = p;
    }
    times[k] = t;
    fns[k] = f;
  };
  const pop = (): (() => void) => {
    const top = fns[0]!;
    now = times[0]!;
    const t = times.pop()!;
    const f = fns.pop()!;
    const n = times.length;
    if (n > 0) {
      let k = 0;
      for (;;) {
        let c = 2 * k + 1;
        if (c >= n) break;
        if (c + 1 < n && times[c + 1]! < times[c]!) c++;
        if (times[c]! >= t) break;
        times[k] = times[c]!;
        fns[k] = fns[c]!;
        k = c;
      }
      times[k] = t;
      fns[k] = f;
    }
    return top;
  };
  const rng = new RandomStreams(1).stream('bench');
  const delays = randomDelays(rng, 4096);
  let i = 0;
  for (let p = 0; p < PROCESSES; p++) {
    const f = (): void => push(now + delays[i++ & 4095]!, f);
    push(delays[i++ & 4095]!, f);
  }
  let done = 0;
  while (done < events && times.length > 0) {
    pop()();
    done++;
  }
  return done;
}

function randomDelays(rng: ReturnType<RandomStreams['stream']>, n: number): number[] {
  return Array.from({ length: n }, () => 1 + Math.floor(rng.exponential(MEAN_DELAY_NS)));
}
