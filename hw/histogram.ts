// A latency histogram with bounded memory and relative error under 1%: values are bucketed
// log-linearly (128 linear sub-buckets per power of two, the HdrHistogram layout), and the exact
// minimum, maximum, count and sum are kept. It is a measuring instrument, so it sits in hw/.

const SUB_BITS = 8;
const SUB_COUNT = 1 << SUB_BITS;
const HALF = SUB_COUNT / 2;

export class Histogram {
  private counts: number[] = [];
  count = 0;
  sum = 0;
  min = Infinity;
  max = 0;

  record(value: number): void {
    const v = value < 0 ? 0 : Math.floor(value);
    const i = bucketOf(v);
    while (this.counts.length <= i) this.counts.push(0);
    this.counts[i]!++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** The value at quantile q (0..1): the bucket's upper bound, clamped to the exact max. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, upperOf(i)));
    }
    return this.max;
  }

  merge(other: Histogram): void {
    while (this.counts.length < other.counts.length) this.counts.push(0);
    for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }
}

function bucketOf(v: number): number {
  if (v < SUB_COUNT) return v;
  if (v <= 0xffffffff) {
    // Integer arithmetic for values that fit 32 bits (latencies under 4.29 s); v is an integer.
    const e = 32 - Math.clz32(v) - SUB_BITS; // v >> e has SUB_BITS bits: [HALF, SUB_COUNT)
    const s = v >>> e;
    return SUB_COUNT + (e - 1) * HALF + (s - HALF);
  }
  let e = Math.floor(Math.log2(v)) - SUB_BITS + 1;
  let s = Math.floor(v / 2 ** e);
  // Math.log2 may round across a power of two for large v: correct by one step either way.
  if (s < HALF) s = Math.floor(v / 2 ** --e);
  else if (s >= SUB_COUNT) s = Math.floor(v / 2 ** ++e);
  return SUB_COUNT + (e - 1) * HALF + (s - HALF);
}

function upperOf(i: number): number {
  if (i < SUB_COUNT) return i;
  const e = Math.floor((i - SUB_COUNT) / HALF) + 1;
  const s = ((i - SUB_COUNT) % HALF) + HALF;
  return (s + 1) * 2 ** e - 1;
}
