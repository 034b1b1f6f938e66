// The discrete-event engine: one integer-nanosecond clock and one event queue ordered by
// (time, sequence number), so events at the same instant run in the order they were
// scheduled (FIFO) and a run is a pure function of its inputs. Everything in pvlab that
// takes time goes through here. API in the style of SimPy: `now`, `at`/`after`, `step`,
// `run(until)`, and processes written as generators that yield what they wait for.
//
// The queue is a binary heap over parallel arrays (time, seq, handler, tag): scheduling an
// event allocates nothing, because the handler is an existing object and the tag a number.

/** Something the engine can call back. `tag` is whatever number the scheduler passed. */
export interface Handler {
  fire(tag: number): void;
}

export class Engine {
  private nowNs = 0;
  private seq = 0;
  private size = 0;
  private times: number[] = [];
  private seqs: number[] = [];
  private handlers: Handler[] = [];
  private tags: number[] = [];
  /** Events popped so far, including stale ones of cancelled timers (counted in `staleEvents`). */
  eventsRun = 0;
  staleEvents = 0;
  private stopped = false;

  get now(): number {
    return this.nowNs;
  }

  get pending(): number {
    return this.size;
  }

  /** Schedules `h.fire(tag)` at absolute time `time` (never in the past). */
  at(time: number, h: Handler, tag = 0): void {
    if (!(time >= this.nowNs)) throw new Error(`engine: event scheduled in the past (${time} < ${this.nowNs})`);
    let i = this.size++;
    const seq = this.seq++;
    // sift up
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = this.times[p]!;
      if (pt < time || (pt === time && this.seqs[p]! < seq)) break;
      this.times[i] = pt;
      this.seqs[i] = this.seqs[p]!;
      this.handlers[i] = this.handlers[p]!;
      this.tags[i] = this.tags[p]!;
      i = p;
    }
    this.times[i] = time;
    this.seqs[i] = seq;
    this.handlers[i] = h;
    this.tags[i] = tag;
  }

  after(delay: number, h: Handler, tag = 0): void {
    this.at(this.nowNs + delay, h, tag);
  }

  /** Time of the next event, or Infinity when the queue is empty. */
  peek(): number {
    return this.size > 0 ? this.times[0]! : Infinity;
  }

  /** Runs one event. Returns false when there was none. */
  step(): boolean {
    if (this.size === 0) return false;
    const time = this.times[0]!;
    const h = this.handlers[0]!;
    const tag = this.tags[0]!;
    this.removeTop();
    this.nowNs = time;
    this.eventsRun++;
    h.fire(tag);
    return true;
  }

  /** Runs events until the queue is empty, `stop()` is called, or the next event is after `until`;
   *  the clock then stands at `until` (if given). */
  run(until = Infinity): void {
    this.stopped = false;
    while (!this.stopped && this.size > 0 && this.times[0]! <= until) this.step();
    if (!this.stopped && until !== Infinity && until > this.nowNs) this.nowNs = until;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Starts a process: a generator yielding a delay in ns, or a Signal to wait for. */
  process<T>(gen: ProcessGen<T>): Process<T> {
    const p = new Process(this, gen);
    this.at(this.nowNs, p, 0);
    return p;
  }

  private removeTop(): void {
    const n = --this.size;
    if (n === 0) {
      this.handlers[0] = undefined as unknown as Handler;
      return;
    }
    const time = this.times[n]!;
    const seq = this.seqs[n]!;
    const h = this.handlers[n]!;
    const tag = this.tags[n]!;
    this.handlers[n] = undefined as unknown as Handler;
    let i = 0;
    const half = n >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      const r = c + 1;
      if (r < n && (this.times[r]! < this.times[c]! || (this.times[r] === this.times[c] && this.seqs[r]! < this.seqs[c]!))) c = r;
      const ct = this.times[c]!;
      if (time < ct || (time === ct && seq < this.seqs[c]!)) break;
      this.times[i] = ct;
      this.seqs[i] = this.seqs[c]!;
      this.handlers[i] = this.handlers[c]!;
      this.tags[i] = this.tags[c]!;
      i = c;
    }
    this.times[i] = time;
    this.seqs[i] = seq;
    this.handlers[i] = h;
    this.tags[i] = tag;
  }
}

/**
 * A cancellable, re-armable one-shot timer. Cancelling leaves the queued event in place and
 * bumps a generation number; the stale event is recognised and ignored when it pops.
 */
export class Timer implements Handler {
  private gen = 0;
  private armedAt = -1;

  constructor(
    private readonly engine: Engine,
    private readonly fn: () => void,
  ) {}

  get armed(): boolean {
    return this.armedAt >= 0;
  }

  get deadline(): number {
    return this.armedAt;
  }

  set(at: number): void {
    this.gen = (this.gen + 1) | 0;
    this.armedAt = at;
    this.engine.at(at, this, this.gen);
  }

  cancel(): void {
    if (this.armedAt < 0) return;
    this.gen = (this.gen + 1) | 0;
    this.armedAt = -1;
  }

  fire(tag: number): void {
    if (tag !== this.gen) {
      this.engine.staleEvents++;
      return;
    }
    this.armedAt = -1;
    this.fn();
  }
}

/** A one-shot occurrence processes can wait for; `fire` wakes every waiter with the value. */
export class Signal<T = unknown> {
  private waiters: Process<unknown>[] = [];
  fired = false;
  value: T | undefined;

  constructor(private readonly engine: Engine) {}

  fire(value?: T): void {
    if (this.fired) return;
    this.fired = true;
    this.value = value;
    const w = this.waiters;
    this.waiters = [];
    for (const p of w) this.engine.at(this.engine.now, p, 0);
  }

  /** @internal used by Process */
  addWaiter(p: Process<unknown>): void {
    if (this.fired) this.engine.at(this.engine.now, p, 0);
    else this.waiters.push(p);
  }
}

export type ProcessGen<T = unknown> = Generator<number | Signal<unknown>, T, unknown>;

/** A running generator. Yield a number to sleep that many ns, or a Signal to wait for it. */
export class Process<T = unknown> implements Handler {
  done = false;
  result: T | undefined;
  private waitingOn: Signal<unknown> | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly gen: ProcessGen<T>,
  ) {}

  fire(): void {
    const input = this.waitingOn?.value;
    this.waitingOn = undefined;
    const r = this.gen.next(input);
    if (r.done) {
      this.done = true;
      this.result = r.value;
      return;
    }
    const y = r.value;
    if (typeof y === 'number') {
      this.engine.at(this.engine.now + y, this, 0);
    } else {
      this.waitingOn = y;
      y.addWaiter(this as Process<unknown>);
    }
  }
}

/** A handler that calls a plain function (for one-off events where allocation does not matter). */
export function callback(fn: () => void): Handler {
  return { fire: fn };
}
