// Property-based tests of the ring protocol (ringbuf/ring.ts). A producer (the front) and a
// consumer (the back) take turns at random, and at every index load or store of either end
// the other end may run a whole step in between: the interleavings real concurrency allows,
// at the granularity of the shared indices. The consumer sleeps when its final check finds
// nothing, and wakes only when a push notified it (an event channel's pending bit).

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { plainIndexAccess } from '../../ringbuf/index-access';
import { BackRing, FrontRing, sharedRingInit, SRING_REQ_PROD, SRING_RSP_PROD } from '../../ringbuf/ring';
import { idxDiff } from '../../ringbuf/ring-idx';
import { hookedAccess, newPage, readSeq, SEQ_RING, writeSeq } from './ring-harness';

interface Step {
  who: 'producer' | 'consumer';
  n: number;
}

interface Scenario {
  startIndex: number;
  steps: Step[];
  /** Consumed one per index access: 0 = no interleaving, k > 0 = the other end runs a step of size k. */
  tape: number[];
}

class Simulation {
  readonly front: FrontRing;
  readonly back: BackRing;
  nextSeq = 0;
  consumed: number[] = [];
  answered: number[] = [];
  asleep = false;
  pending = false;
  notifications = 0;
  finalChecks = 0;
  private nested = false;
  private tapeAt = 0;

  constructor(private readonly s: Scenario, dropFinalRecheck: boolean) {
    const page = newPage();
    sharedRingInit(page, s.startIndex);
    const opts = { startIndex: s.startIndex };
    this.front = new FrontRing(page, SEQ_RING, { ...opts, access: hookedAccess(page, () => this.interleave('consumer')) });
    this.back = new BackRing(page, SEQ_RING, { ...opts, dropFinalRecheck, access: hookedAccess(page, () => this.interleave('producer')) });
  }

  /** At an index access of one end, maybe run a step of the other end (never nested deeper). */
  private interleave(other: Step['who']): void {
    if (this.nested) return;
    const n = this.s.tape[this.tapeAt++] ?? 0;
    if (n !== 0) this.quietly(() => this.step({ who: other, n }));
  }

  step(st: Step): void {
    if (st.who === 'producer') this.produce(st.n);
    else this.consume(st.n);
  }

  /** The front collects responses, then produces up to n requests and pushes them. */
  private produce(n: number): void {
    for (let r = this.front.takeResponse(readSeq); r.kind === 'ok'; r = this.front.takeResponse(readSeq)) this.answered.push(r.value);
    for (let i = 0; i < n && this.front.produceRequest(writeSeq(this.nextSeq)).kind === 'ok'; i++) this.nextSeq++;
    if (this.front.pushRequestsAndCheckNotify()) this.notifications++, (this.pending = true);
  }

  /** A sleeping back runs only if notified; it answers up to n requests, then maybe sleeps. */
  private consume(n: number): void {
    if (this.asleep && !this.pending) return;
    this.pending = false;
    this.asleep = false;
    let took = 0;
    for (; took < n; took++) {
      const r = this.back.takeRequest(readSeq);
      if (r.kind === 'overflow') throw new Error(`honest front reported as ${r.reason}`);
      if (r.kind !== 'ok') break;
      this.consumed.push(r.value);
      this.back.produceResponse(writeSeq(r.value));
    }
    this.back.pushResponses();
    if (took === n) return;
    this.finalChecks++;
    if (!this.back.finalCheckForRequests()) this.asleep = true;
  }

  /** The invariant: a sleeping back with requests waiting must have a notification pending. */
  noStrandedWork(): boolean {
    return this.quietly(() => !(this.asleep && !this.pending && this.back.unconsumedRequests() > 0));
  }

  /** Runs `fn` with interleaving off, so that looking at the ring does not change the run. */
  private quietly<T>(fn: () => T): T {
    const was = this.nested;
    this.nested = true;
    try {
      return fn();
    } finally {
      this.nested = was;
    }
  }

  /** Lets both ends finish without interleaving; a lost wakeup leaves requests behind. */
  drain(): void {
    this.quietly(() => {
      for (let round = 0; round < 4; round++) {
        this.produce(0);
        this.consume(Infinity);
      }
      this.produce(0);
    });
  }
}

const step = fc.record({ who: fc.constantFrom<Step['who']>('producer', 'consumer'), n: fc.integer({ min: 1, max: 40 }) });
const scenario = fc.record({
  startIndex: fc.oneof(fc.constant(0), fc.constant(0xfffffff0), fc.nat({ max: 0xffffffff })),
  steps: fc.array(step, { maxLength: 60 }),
  tape: fc.array(fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 40 }), weight: 1 }), { maxLength: 300 }),
});

/** Runs a scenario; returns what went wrong, or null. */
function violation(s: Scenario, dropFinalRecheck: boolean): string | null {
  const sim = new Simulation(s, dropFinalRecheck);
  for (const st of s.steps) {
    sim.step(st);
    if (!sim.noStrandedWork()) return 'the back sleeps with requests waiting and no notification pending';
  }
  sim.drain();
  const all = Array.from({ length: sim.nextSeq }, (_, i) => i);
  if (JSON.stringify(sim.consumed) !== JSON.stringify(all)) return `consumed ${sim.consumed.length} of ${all.length}, or out of order`;
  if (JSON.stringify(sim.answered) !== JSON.stringify(all)) return 'a response was lost, duplicated or reordered';
  if (sim.notifications > sim.finalChecks + 1) return `${sim.notifications} notifications for ${sim.finalChecks} final checks`;
  return null;
}

describe('the ring under random interleavings', () => {
  test('every pushed request is consumed exactly once and in order, with no lost wakeup', () => {
    fc.assert(fc.property(scenario, (s) => {
      expect(violation(s, false)).toBeNull();
    }), { numRuns: 1000 });
  });

  test('the broken ring, without the re-check, has a counterexample: a lost wakeup', () => {
    const result = fc.check(fc.property(scenario, (s) => violation(s, true) === null), { numRuns: 2000, seed: 7 });
    expect(result.failed).toBe(true);
    const [counterexample] = result.counterexample!;
    expect(violation(counterexample, true)).toMatch(/sleeps with requests waiting|consumed/);
    expect(violation(counterexample, false)).toBeNull();
  });
});

describe('the ring against a hostile peer', () => {
  const u32 = fc.nat({ max: 0xffffffff });

  test('whatever a front writes into req_prod, the back never has more than N requests unanswered', () => {
    fc.assert(fc.property(u32, fc.array(u32, { maxLength: 20 }), fc.array(fc.nat({ max: 5 }), { maxLength: 20 }), (start, prods, answers) => {
      const page = newPage();
      sharedRingInit(page, start);
      const back = new BackRing(page, SEQ_RING, { startIndex: start });
      prods.forEach((prod, i) => {
        plainIndexAccess(page).store(SRING_REQ_PROD, prod);
        for (let r = back.takeRequest(readSeq); r.kind === 'ok'; r = back.takeRequest(readSeq));
        for (let k = 0; k < (answers[i] ?? 0) && back.produceResponse(writeSeq(0)).kind === 'ok'; k++);
        expect(idxDiff(back.requestsConsumed, back.responsesProduced)).toBeLessThanOrEqual(back.size);
        expect(back.unconsumedRequests()).toBeLessThanOrEqual(back.size);
      });
    }));
  });

  test('whatever a back writes into rsp_prod, the front never consumes more responses than it made requests', () => {
    fc.assert(fc.property(u32, fc.nat({ max: 32 }), fc.array(u32, { maxLength: 20 }), (start, made, prods) => {
      const page = newPage();
      sharedRingInit(page, start);
      const front = new FrontRing(page, SEQ_RING, { startIndex: start });
      for (let i = 0; i < made; i++) front.produceRequest(writeSeq(i));
      front.pushRequests();
      for (const prod of prods) {
        plainIndexAccess(page).store(SRING_RSP_PROD, prod);
        for (let r = front.takeResponse(readSeq); r.kind === 'ok'; r = front.takeResponse(readSeq));
        expect(idxDiff(front.responsesConsumed, start)).toBeLessThanOrEqual(made);
      }
    }));
  });
});
