// Lesson 13: a hostile guest whose misbehaviour is contained.
import { describe, expect, it } from 'vitest';
import { lesson, narrate } from './helpers';

describe('lesson 13, hostile-guest', () => {
  it('cuts off only the lying guest\'s ring: the victim completes and verifies every block, within 3x of its lone tail latency', () => {
    const l = lesson('hostile-guest');
    expect(l.f('victim.ios')).toBe(800);
    expect(l.f('victim.errors')).toBe(0);
    expect(l.f('victim.verifyErrors')).toBe(0);
    expect(l.f('victim.backendState')).toBe(4);
    expect(l.f('mallory.cutOff')).toBe(1);
    expect(l.f('mallory.backendState')).toBe(5);
    expect(l.f('p99')).toBeLessThanOrEqual(3 * l.f('alone.p99')); // the isolation oracle's bound (test/hostile/harness.ts)
    expect(l.f('storm.p99')).toBeLessThanOrEqual(3 * l.f('alone.p99'));
    expect(l.f('storm.verifyErrors')).toBe(0);
    expect(l.f('storm.coalesced')).toBeGreaterThanOrEqual(90);
  });

  it('narrates the backend giving up with blkback\'s reason, for mallory\'s disk only', () => {
    const lines = narrate('hostile-guest', { fromNs: 0, events: 20, topics: new Set(['xenbus']) });
    console.log(lines.join('\n'));
    const closing = lines.filter((l) => /backend → Closing \(5\)/.test(l));
    expect(closing).toHaveLength(1);
    expect(closing[0]).toMatch(/error: frontend provided bogus ring requests \(request-producer-overflow\)/);
    expect(lines.some((l) => /^d1v0 xvda frontend → Connected \(4\)/.test(l))).toBe(true); // the victim connects regardless
  });
});
