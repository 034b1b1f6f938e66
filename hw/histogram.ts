// A latency histogram with bounded memory and relative error under 1%: values are bucketed
// log-linearly (128 linear sub-buckets per power of two, the HdrHistogram layout), and the exact
// minimum, maximum, count and sum are kept. It is a measuring instrument, so it sits in hw/.

const SUB_BITS = 8;
const SUB_COUNT = 1 << SUB_BITS;
const HALF = SUB_COUNT / 2;

/**
 * Records waiting to be added to their histograms, in the order they were made. A record is an
 * append here; the histograms take them in a batch, when the buffer is full or when any
 * histogram is read. On a host of a thousand guests the histogram a record belongs to is
 * almost never in the cache (the guest's last I/O was milliseconds and a thousand guests ago),
 * and adding to it at once cost three cache misses (the histogram, its array, the bucket). In
 * a batch, each histogram is fetched once and its other records find it in the cache.
 * Histograms only count, so when they count changes nothing a reader can see.
 */
const BATCH = 16384;
const pendingOf: (Histogram | undefined)[] = new Array<Histogram | undefined>(BATCH).fill(undefined);
const pendingValue = new Float64Array(BATCH);
let pending = 0;

export class Histogram {
  /** Adds every waiting record to its histogram, oldest first. */
  private static addPending(): void {
    const n = pending;
    pending = 0; // first: adding never records, but a reader may come back in
    for (let i = 0; i < n; i++) {
      pendingOf[i]!.add(pendingValue[i]!);
      pendingOf[i] = undefined;
    }
  }

  private counts: number[] = [];
  private n = 0;
  private total = 0;
  private lo = Infinity;
  private hi = 0;

  record(value: number): void {
    if (pending === BATCH) Histogram.addPending();
    pendingOf[pending] = this;
    pendingValue[pending++] = value;
  }

  /** Adds one value now (records go through the batch). */
  private add(value: number): void {
    const v = value < 0 ? 0 : Math.floor(value);
    const i = bucketOf(v);
    while (this.counts.length <= i) this.counts.push(0);
    this.counts[i]!++;
    this.n++;
    this.total += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  get count(): number {
    return this.settled().n;
  }

  get sum(): number {
    return this.settled().total;
  }

  /** The exact minimum (Infinity before the first record). */
  get min(): number {
    return this.settled().lo;
  }

  /** The exact maximum (0 before the first record). */
  get max(): number {
    return this.settled().hi;
  }

  /** This histogram with every waiting record added (to it and to every other). */
  private settled(): this {
    if (pending > 0) Histogram.addPending();
    return this;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** The value at quantile q (0..1): the bucket's upper bound, clamped to the exact max. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.hi, Math.max(this.lo, upperOf(i)));
    }
    return this.hi;
  }

  merge(other: Histogram): void {
    this.settled();
    while (this.counts.length < other.counts.length) this.counts.push(0);
    for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.n += other.n;
    this.total += other.total;
    this.lo = Math.min(this.lo, other.lo);
    this.hi = Math.max(this.hi, other.hi);
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
