// The latency histogram against the values it was given: exact count, sum, minimum and
// maximum, and quantiles within the 1% relative error it promises, whatever the order in which
// many histograms record (records are added to their histograms in batches).
import { describe, expect, it } from 'vitest';
import { Histogram } from '../../hw/histogram';
import { RandomStream } from '../../hw/rng';

/** The exact quantile of sorted values, by the same rank rule (the ceil(q·n)-th value). */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

describe('Histogram', () => {
  it('keeps exact count, sum, min and max, and quantiles within 1%, over many interleaved histograms', () => {
    const rng = new RandomStream(11, 'hist');
    const hs = Array.from({ length: 37 }, () => new Histogram());
    const values: number[][] = hs.map(() => []);
    // Enough records for several batches, spread over values from 0 to about 40 s.
    for (let i = 0; i < 60_000; i++) {
      const k = rng.int(0, hs.length - 1);
      const v = Math.floor(Math.exp(rng.int(0, 2400) / 100)); // 1 ns .. e^24 ns
      hs[k]!.record(v);
      values[k]!.push(v);
      if (i === 30_000) expect(hs[k]!.count).toBe(values[k]!.length); // a read in the middle sees every record so far
    }
    hs.forEach((h, k) => {
      const vs = values[k]!.slice().sort((a, b) => a - b);
      expect(h.count).toBe(vs.length);
      expect(h.sum).toBe(vs.reduce((a, b) => a + b, 0));
      expect(h.min).toBe(vs[0]);
      expect(h.max).toBe(vs[vs.length - 1]);
      expect(h.mean).toBeCloseTo(h.sum / h.count, 6);
      for (const q of [0.001, 0.1, 0.5, 0.9, 0.99, 1]) {
        const want = exactQuantile(vs, q);
        const got = h.quantile(q);
        expect(got, `histogram ${k} q=${q}`).toBeGreaterThanOrEqual(want);
        expect(got, `histogram ${k} q=${q}`).toBeLessThanOrEqual(Math.max(want, want * 1.01));
      }
    });
  });

  it('merges, and an empty histogram reads as empty', () => {
    const a = new Histogram();
    const b = new Histogram();
    const e = new Histogram();
    [5, 300, 70_000].forEach((v) => a.record(v));
    [1, 2_000_000].forEach((v) => b.record(v));
    a.merge(b); // b's records may still be waiting: merge sees them
    expect([a.count, a.sum, a.min, a.max]).toEqual([5, 5 + 300 + 70_000 + 1 + 2_000_000, 1, 2_000_000]);
    expect(a.quantile(0.5)).toBeGreaterThanOrEqual(300); // the median, 300, to within its bucket (1%)
    expect(a.quantile(0.5)).toBeLessThanOrEqual(303);
    expect([e.count, e.mean, e.quantile(0.5), e.max]).toEqual([0, 0, 0, 0]);
  });

  it('counts a negative value as 0 and a fraction by its floor', () => {
    const h = new Histogram();
    h.record(-5);
    h.record(2.9);
    expect([h.count, h.sum, h.min, h.max]).toEqual([2, 2, 0, 2]);
  });
});
