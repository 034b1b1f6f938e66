// The invariant checker tests switch on to run a host under watch (issue 9, item 3). It drives
// the engine itself, one event at a time, and checks after every event (or every N):
//   - time: the clock never goes backwards and stays an integer number of nanoseconds;
//   - grants: pin counts equal live mappings, active records agree (GrantTables.checkInvariants);
//   - event channels: interdomain bindings are symmetric, VIRQ slots and free bitmaps agree
//     (EventChannels.checkInvariants);
//   - frames: every domain's frames are its own and mappings name their granter's frames, and,
//     with `writes` on, every change to a frame made while a suspect domain's code ran is
//     explained by a writable grant (lab/check/frames.ts);
// and, on request, that resources return to baseline after a domain is destroyed
// (lab/check/resources.ts: census, leftovers, compareCensus).
//
// Time and frame attribution are checked at every event whatever `every` says: they are cheap
// and a missed step would lose the attribution. The table walks cost about 0.5 ms on a small
// host, so long runs check them every N events.
//
// Who calls it: tests (hostile guests, fuzzing) and anyone who wants a run checked. A violation
// throws (the default, so a test stops at the first one with the engine time in the message)
// or is collected.
import type { Engine } from '../../hw/engine';
import type { Hypervisor } from '../../hypervisor/hypervisor';
import type { Xenstored } from '../../dom0/xenstore/xenstored';
import { checkFrameOwnership, WriteWatch, type WriteWatchOptions } from './frames';

export interface CheckedHost {
  engine: Engine;
  hv: Hypervisor;
  xsd?: Xenstored;
}

export interface CheckOptions {
  /** Walk the grant, event-channel and frame-ownership tables every N engine events (1 = every). */
  every?: number;
  /** Attribute writes to other domains' frames (default on); `suspects` limits whose code is checked. */
  writes?: boolean | WriteWatchOptions;
  /** 'throw' (default): an InvariantViolation at the first violation; 'collect': keep going. */
  onViolation?: 'throw' | 'collect';
}

export class InvariantViolation extends Error {
  constructor(readonly violations: string[], at: number) {
    super(`invariant violated at t=${at} ns:\n  ${violations.join('\n  ')}`);
  }
}

export class InvariantChecker {
  readonly violations: string[] = [];
  /** Engine events run under the checker, and table checks made. */
  steps = 0;
  checks = 0;
  private lastNow: number;
  private readonly every: number;
  private readonly writes: WriteWatch | undefined;

  constructor(
    readonly host: CheckedHost,
    private readonly opts: CheckOptions = {},
  ) {
    this.every = Math.max(1, Math.floor(opts.every ?? 1));
    this.lastNow = host.engine.now;
    const w = opts.writes ?? true;
    if (w !== false) this.writes = new WriteWatch(host.hv, (msg) => this.fail([msg]), w === true ? {} : w);
  }

  /** Segments and frames the write watch compared (zero when it is off). */
  get writeStats(): { segments: number; framesCompared: number } {
    return { segments: this.writes?.segments ?? 0, framesCompared: this.writes?.framesCompared ?? 0 };
  }

  /** Runs one engine event under watch; false when the queue was empty. */
  step(): boolean {
    this.writes?.adopt();
    this.writes?.newStep();
    const ran = this.host.engine.step();
    if (!ran) return false;
    this.steps++;
    this.checkTime();
    if (this.steps % this.every === 0) this.check();
    return true;
  }

  /** engine.run(until) under watch: the clock then stands at `until`, as engine.run leaves it. */
  run(until: number): void {
    const e = this.host.engine;
    while (e.peek() <= until && this.step()) {
      /* each step checks itself */
    }
    if (until !== Infinity && until > e.now) e.run(until); // only advances the idle clock
    this.checkTime();
  }

  /** Runs until `done()` holds or the clock passes `until`; true if `done()` held. */
  runUntil(done: () => boolean, until: number): boolean {
    const e = this.host.engine;
    while (!done() && e.peek() <= until && this.step()) {
      /* each step checks itself */
    }
    return done();
  }

  /** Walks every table now; returns this check's violations (and throws in 'throw' mode). */
  check(): string[] {
    this.checks++;
    const hv = this.host.hv;
    const found = [
      ...hv.grants.checkInvariants().map((m) => `grants: ${m}`),
      ...hv.evtchn.checkInvariants().map((m) => `evtchn: ${m}`),
      ...checkFrameOwnership(hv).map((m) => `frames: ${m}`),
    ];
    if (found.length > 0) this.fail(found);
    return found;
  }

  /** Throws if anything was collected. */
  expectClean(): void {
    if (this.violations.length > 0) throw new InvariantViolation(this.violations, this.host.engine.now);
  }

  private checkTime(): void {
    const now = this.host.engine.now;
    if (now < this.lastNow) this.fail([`time went backwards: ${now} after ${this.lastNow}`]);
    if (!Number.isSafeInteger(now)) this.fail([`time is not an integer number of ns: ${now}`]);
    this.lastNow = Math.max(this.lastNow, now);
  }

  private fail(found: string[]): void {
    this.violations.push(...found);
    if ((this.opts.onViolation ?? 'throw') === 'throw') throw new InvariantViolation(found, this.host.engine.now);
  }
}

export { census, compareCensus, leftovers, type Census, type CensusSource } from './resources';
export { checkFrameOwnership, hashPage } from './frames';
