// The trace recorder: the timeline it builds from scheduling events, what it infers while
// the hypervisor publishes no runstate changes, how it hands over when it does, and its bound.
// Also checks that the Chrome-format checker used by chrome.test.ts does catch breaches.
import { describe, expect, it } from 'vitest';
import { checkChromeTrace } from './chrome-rules';
import { TraceRecorder } from '../../../lab/export/recorder';
import { handRecorder } from './record-run';

const slices = (xs: readonly { start: number; end: number; value: unknown }[]): [number, number, unknown][] =>
  xs.map((s) => [s.start, s.end, s.value]);

describe('the trace recorder', () => {
  it('builds pCPU slices from dispatches, idle included, and closes them at stop', () => {
    const rec = handRecorder(1, [[1, 0, 'runnable'], [2, 0, 'runnable']]);
    rec.record({ type: 'sched', t: 10, pcpu: 0, dom: 1, vcpu: 0, reason: 'preempted', detail: '' });
    rec.record({ type: 'sched', t: 40, pcpu: 0, dom: 1, vcpu: 0, reason: 'ratelimit', detail: '' }); // continues
    rec.record({ type: 'sched', t: 50, pcpu: 0, dom: 2, vcpu: 0, reason: 'slice-expired', detail: '' });
    rec.record({ type: 'idle', t: 80, pcpu: 0, reason: 'blocked' });
    rec.stop(100);
    expect(slices(rec.timeline.pcpus[0]!.slices)).toEqual([
      [0, 10, null], [10, 50, { dom: 1, vcpu: 0 }], [50, 80, { dom: 2, vcpu: 0 }], [80, 100, null],
    ]);
  });

  it('infers runstates from the schedule reasons while none are published', () => {
    const rec = handRecorder(1, [[1, 0, 'runnable'], [2, 0, 'runnable']]);
    rec.record({ type: 'sched', t: 10, pcpu: 0, dom: 1, vcpu: 0, reason: 'preempted', detail: '' });
    rec.record({ type: 'sched', t: 50, pcpu: 0, dom: 2, vcpu: 0, reason: 'slice-expired', detail: '' });
    rec.record({ type: 'idle', t: 80, pcpu: 0, reason: 'blocked' });
    rec.stop(100);
    const [v1, v2] = rec.timeline.vcpus;
    expect(slices(v1!.slices)).toEqual([[0, 10, 'runnable'], [10, 50, 'running'], [50, 100, 'runnable']]);
    expect(slices(v2!.slices)).toEqual([[0, 50, 'runnable'], [50, 80, 'running'], [80, 100, 'blocked']]);
    expect(rec.runstates).toBe('inferred');
    expect(rec.log.filter((l) => l.inferred).length).toBe(4); // 10: d1 in; 50: d1 out, d2 in; 80: d2 out
  });

  it('takes queued vCPUs offline when their domain is paused, and back when unpaused', () => {
    const rec = handRecorder(1, [[1, 0, 'runnable']]);
    rec.record({ type: 'domain', t: 10, dom: 1, name: 'guest1', what: 'paused' });
    rec.record({ type: 'domain', t: 30, dom: 1, name: 'guest1', what: 'unpaused' });
    rec.stop(50);
    expect(slices(rec.timeline.vcpus[0]!.slices)).toEqual([[0, 10, 'runnable'], [10, 30, 'offline'], [30, 50, 'runnable']]);
  });

  it('follows published runstate changes and stops inferring once it sees one', () => {
    const rec = handRecorder(1, [[1, 0, 'blocked']]);
    rec.record({ type: 'runstate', t: 5, dom: 1, vcpu: 0, from: 'blocked', to: 'runnable', pcpu: 0 });
    rec.record({ type: 'sched', t: 7, pcpu: 0, dom: 1, vcpu: 0, reason: 'preempted', detail: '' });
    rec.record({ type: 'runstate', t: 7, dom: 1, vcpu: 0, from: 'runnable', to: 'running', pcpu: 0 });
    rec.record({ type: 'runstate', t: 9, dom: 1, vcpu: 0, from: 'running', to: 'blocked', pcpu: 0 });
    rec.record({ type: 'idle', t: 9, pcpu: 0, reason: 'blocked' });
    rec.stop(20);
    expect(rec.runstates).toBe('published');
    expect(rec.log.some((l) => l.inferred)).toBe(false);
    expect(slices(rec.timeline.vcpus[0]!.slices)).toEqual([[0, 5, 'blocked'], [5, 7, 'runnable'], [7, 9, 'running'], [9, 20, 'blocked']]);
  });

  it('does not log twice a change it inferred just before the first published one', () => {
    const rec = handRecorder(1, [[1, 0, 'runnable']]);
    rec.record({ type: 'sched', t: 7, pcpu: 0, dom: 1, vcpu: 0, reason: 'preempted', detail: '' });
    rec.record({ type: 'runstate', t: 7, dom: 1, vcpu: 0, from: 'runnable', to: 'running', pcpu: 0 });
    rec.stop(10);
    expect(rec.log.filter((l) => l.e.type === 'runstate')).toHaveLength(1);
  });

  it('stops at its bound: later events are counted per pCPU, not kept', () => {
    const rec = handRecorder(2, [[1, 0, 'runnable']], { maxEvents: 1 });
    rec.record({ type: 'sched', t: 10, pcpu: 0, dom: 1, vcpu: 0, reason: 'preempted', detail: '' });
    rec.record({ type: 'idle', t: 20, pcpu: 0, reason: 'blocked' });
    rec.record({ type: 'tickle', t: 25, pcpu: 1, dom: -1, vcpu: -1, why: 'x' });
    rec.record({ type: 'note', t: 26, dom: 1, what: 'y' });
    rec.stop(100);
    expect(rec.events).toHaveLength(1);
    expect([rec.dropped, rec.truncatedAt, rec.droppedByPcpu]).toEqual([3, 20, [1, 1]]);
    expect(rec.timeline.endNs).toBe(20);
    expect(rec.endNs).toBe(100);
  });
});

describe('the Chrome-format checker', () => {
  const named = [
    { name: 'process_name', ph: 'M', ts: 0, pid: 1, tid: 0, args: { name: 'p' } },
    { name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid: 1, args: { name: 't' } },
  ];
  it('reports slices that overlap without nesting', () => {
    const bad = checkChromeTrace({ displayTimeUnit: 'ms', traceEvents: [...named,
      { name: 'a', ph: 'X', ts: 0, dur: 10, pid: 1, tid: 1 }, { name: 'b', ph: 'X', ts: 5, dur: 10, pid: 1, tid: 1 }] });
    expect(bad.join()).toMatch(/overlaps/);
  });
  it('reports unnamed tracks, a negative duration and an unpaired flow', () => {
    const bad = checkChromeTrace({ displayTimeUnit: 'ms', traceEvents: [...named,
      { name: 'a', ph: 'X', ts: 0, dur: -1, pid: 1, tid: 2 }, { name: 'f', ph: 's', id: 1, ts: 0, pid: 1, tid: 1 }] });
    expect(bad.join('\n')).toMatch(/dur/);
    expect(bad.join('\n')).toMatch(/1\/2 has no thread_name/);
    expect(bad.join('\n')).toMatch(/start without finish/);
  });
});

describe('a recorder attached to a world', () => {
  it('tracks the vCPUs of a domain created after recording began, from its creation', () => {
    const rec = new TraceRecorder({ t: 0, pcpus: [null], vcpus: [], domains: [] }, {}, {
      now: () => 50,
      describe: (id) => ({ id, name: 'late', type: 'hvm', vcpus: 2 }),
      running: () => [null],
    });
    rec.record({ type: 'domain', t: 10, dom: 3, name: 'late', what: 'created (paused)' });
    rec.record({ type: 'domain', t: 20, dom: 3, name: 'late', what: 'unpaused' });
    rec.stop();
    expect(rec.timeline.domains.get(3)).toMatchObject({ name: 'late', type: 'hvm' });
    expect(rec.timeline.vcpus.map((v) => slices(v.slices))).toEqual([
      [[10, 20, 'offline'], [20, 50, 'runnable']],
      [[10, 20, 'offline'], [20, 50, 'runnable']],
    ]);
  });
});
