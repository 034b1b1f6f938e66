import { describe, expect, it } from 'vitest';
import { Engine, Signal, Timer, callback, type ProcessGen } from '../../hw/engine';
import { RandomStreams } from '../../hw/rng';

describe('the event engine', () => {
  it('runs events in time order and breaks ties first-scheduled first', () => {
    const e = new Engine();
    const seen: string[] = [];
    e.at(20, callback(() => seen.push('b@20')));
    e.at(10, callback(() => seen.push('a@10')));
    e.at(20, callback(() => seen.push('c@20')));
    e.at(20, callback(() => seen.push('d@20')));
    e.run();
    expect(seen).toEqual(['a@10', 'b@20', 'c@20', 'd@20']);
    expect(e.now).toBe(20);
  });

  it('keeps FIFO order among thousands of simultaneous events', () => {
    const e = new Engine();
    const order: number[] = [];
    for (let i = 0; i < 5000; i++) e.at(7, { fire: (tag) => order.push(tag) }, i);
    e.run();
    expect(order).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('stops at `until` with the clock standing there, leaving later events queued', () => {
    const e = new Engine();
    let fired = 0;
    e.at(5, callback(() => fired++));
    e.at(15, callback(() => fired++));
    e.run(10);
    expect(fired).toBe(1);
    expect(e.now).toBe(10);
    expect(e.pending).toBe(1);
    expect(e.step()).toBe(true);
    expect(e.now).toBe(15);
  });

  it('refuses to schedule into the past', () => {
    const e = new Engine();
    e.run(100);
    expect(() => e.at(50, callback(() => {}))).toThrow(/past/);
  });

  it('ignores a cancelled timer and fires a re-armed one at its new time only', () => {
    const e = new Engine();
    const fired: number[] = [];
    const t = new Timer(e, () => fired.push(e.now));
    t.set(10);
    t.cancel();
    t.set(30);
    t.set(25);
    e.run();
    expect(fired).toEqual([25]);
    expect(e.staleEvents).toBe(2);
  });

  it('runs generator processes that sleep and wait for signals', () => {
    const e = new Engine();
    const sig = new Signal<string>(e);
    const log: string[] = [];
    e.process((function* (): ProcessGen<void> {
      const v = yield sig;
      log.push(`got ${String(v)} at ${e.now}`);
    })());
    e.process((function* (): ProcessGen<void> {
      yield 40;
      sig.fire('ping');
      log.push(`fired at ${e.now}`);
    })());
    e.run();
    expect(log).toEqual(['fired at 40', 'got ping at 40']);
  });

  it('gives the same sequence for the same seed and stream name, another for another name', () => {
    const a = new RandomStreams(42).stream('dom/web');
    const b = new RandomStreams(42).stream('dom/web');
    const c = new RandomStreams(42).stream('dom/db');
    const xs = Array.from({ length: 20 }, () => a.int(0, 1_000_000));
    expect(Array.from({ length: 20 }, () => b.int(0, 1_000_000))).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.int(0, 1_000_000))).not.toEqual(xs);
  });

  it('derives streams so that creating one does not change what another draws', () => {
    const s1 = new RandomStreams(9);
    const first = s1.stream('web').float();
    const s2 = new RandomStreams(9);
    s2.stream('extra-domain').float();
    expect(s2.stream('web').float()).toBe(first);
  });
});
