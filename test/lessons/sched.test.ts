// Lessons 7-9, scheduling: weights and caps, BOOST against round robin, dom0 as the bottleneck.
import { describe, expect, it } from 'vitest';
import { lesson, narrate } from './helpers';

describe('lesson 7, credit-caps', () => {
  it('holds the capped domain to its 10% and splits the rest 1:2 by weight; without the cap the shares follow the weights', () => {
    const l = lesson('credit-caps');
    expect(l.f('capped')).toBeLessThanOrEqual(10.5);
    expect(l.f('capped')).toBeGreaterThanOrEqual(8);
    expect(l.f('light') + l.f('heavy')).toBeGreaterThanOrEqual(85);
    expect(l.f('heavy') / l.f('light')).toBeGreaterThanOrEqual(1.7);
    expect(l.f('heavy') / l.f('light')).toBeLessThanOrEqual(2.3);
    expect(l.f('noCap.heavy') / l.f('noCap.light')).toBeGreaterThanOrEqual(1.7);
    expect(Math.abs(l.f('noCap.capped') - l.f('noCap.light'))).toBeLessThanOrEqual(5);
  });

  it('gives the capped domain\'s leftover only to domains after it: listed last, the weights stop being honoured', () => {
    const l = lesson('credit-caps');
    expect(l.f('last.capped')).toBeLessThanOrEqual(10.5);
    expect(l.f('last.heavy') / l.f('last.light')).toBeLessThan(1.5);
  });
});

describe('lesson 8, boost-io', () => {
  it('keeps an I/O-bound reader responsive under credit (BOOST) but not under round robin; without ratelimit even more so', () => {
    const l = lesson('boost-io');
    expect(l.f('credit.iops')).toBeGreaterThanOrEqual(10 * Math.max(1, l.f('rr.iops')));
    expect(l.f('rr.latency')).toBeGreaterThanOrEqual(10 * l.f('credit.latency'));
    expect(l.f('rr.wake')).toBeGreaterThanOrEqual(10 * l.f('credit.wake'));
    expect(l.f('credit.latency')).toBeLessThanOrEqual(2000); // bounded by the 1ms ratelimit, not the 30ms slice
    expect(l.f('fast.latency')).toBeLessThan(l.f('credit.latency') / 3);
    expect(l.f('fast.iops')).toBeGreaterThan(3 * l.f('credit.iops'));
    expect(l.f('credit.hogs')).toBeGreaterThanOrEqual(95);
  });

  it('narrates BOOST on wake, the priority and credit of the vCPU it displaces, and the ratelimit', () => {
    const lines = narrate('boost-io', { fromNs: 100e6, events: 60, topics: new Set(['sched']) });
    console.log(lines.slice(0, 12).join('\n'));
    const boosted = lines.filter((l) => /^pCPU0 picks d1v0: BOOST after wake \(credit -?\d+\); d[23]v0 .* is (UNDER|OVER|BOOST) \(credit -?\d+\)$/.test(l));
    expect(boosted.length).toBeGreaterThan(0);
    expect(lines.some((l) => /^pCPU0 is tickled .*: d1v0 BOOST preempts d[23]v0 (UNDER|OVER)$/.test(l))).toBe(true);
    expect(lines.some((l) => /^pCPU0 keeps d[23]v0: ratelimit: ran \d+us < 1000us$/.test(l))).toBe(true);
    expect(lines.some((l) => /^pCPU0 picks d[23]v0: (UNDER|OVER) \(credit -?\d+\); d1v0 blocked/.test(l))).toBe(true);
  });
});

describe('lesson 9, dom0-bottleneck', () => {
  it('saturates dom0 with eight HVM guests, mostly in the device model, and gives each far less than it gets alone', () => {
    const l = lesson('dom0-bottleneck');
    expect(l.f('dom0Cpu')).toBeGreaterThanOrEqual(85);
    expect(l.f('dmShare')).toBeGreaterThanOrEqual(50);
    expect(l.f('iops')).toBeLessThanOrEqual(0.7 * l.f('alone.iops'));
    expect(l.f('latency')).toBeGreaterThanOrEqual(1.4 * l.f('alone.latency'));
    expect(l.f('pv.iops')).toBeGreaterThan(l.f('alone.iops'));
    expect(l.f('pv.dom0Cpu')).toBeLessThan(0.75 * l.f('dom0Cpu'));
  });
});
