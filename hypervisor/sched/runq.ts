// An intrusive FIFO of vCPUs with O(1) push, pop, remove and insert-after: the building block
// of per-pCPU runqueues. Each vCPU carries one link record, so it is in at most one queue.

export class Link<T> {
  prev: Link<T> | null = null;
  next: Link<T> | null = null;
  queue: Fifo<T> | null = null;
  constructor(readonly item: T) {}
}

export class Fifo<T> {
  head: Link<T> | null = null;
  tail: Link<T> | null = null;
  length = 0;

  /** `tally[slot]` counts the items of every queue sharing it (e.g. one priority level on
   *  all pCPUs), so a scheduler knows without a scan whether any peer has such an item.
   *  Bit `bit` of the bitmap `occupied` is set while this queue is not empty, so a scheduler
   *  finds the peers that have work without looking at the others (Xen keeps such cpumasks). */
  constructor(
    private readonly tally?: Int32Array,
    private readonly slot = 0,
    private readonly occupied?: Uint32Array,
    private readonly bit = 0,
  ) {}

  push(l: Link<T>): void {
    this.insertAfter(this.tail, l);
  }

  /** Inserts `l` after `after` (null: at the head). */
  insertAfter(after: Link<T> | null, l: Link<T>): void {
    if (l.queue !== null) throw new Error('runq: item already queued');
    l.queue = this;
    l.prev = after;
    l.next = after === null ? this.head : after.next;
    if (l.prev) l.prev.next = l;
    else this.head = l;
    if (l.next) l.next.prev = l;
    else this.tail = l;
    if (this.length++ === 0 && this.occupied) this.occupied[this.bit >>> 5]! |= 1 << (this.bit & 31);
    if (this.tally) this.tally[this.slot]!++;
  }

  remove(l: Link<T>): void {
    if (l.queue !== this) return;
    if (l.prev) l.prev.next = l.next;
    else this.head = l.next;
    if (l.next) l.next.prev = l.prev;
    else this.tail = l.prev;
    l.prev = l.next = null;
    l.queue = null;
    if (--this.length === 0 && this.occupied) this.occupied[this.bit >>> 5]! &= ~(1 << (this.bit & 31));
    if (this.tally) this.tally[this.slot]!--;
  }

  shift(): T | undefined {
    const h = this.head;
    if (h === null) return undefined;
    this.remove(h);
    return h.item;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let l = this.head; l !== null; l = l.next) yield l.item;
  }
}

/** For each of `levels` priority levels, a bitmap of the pCPUs whose queue at that level is not
 *  empty (Xen keeps cpumasks of this kind), so a scheduler visits only peers that have work.
 *  Each queue keeps its own bit: `new Fifo(tally, slot, occ.bits, occ.bit(level, pcpu))`. */
export class Occupancy {
  readonly bits: Uint32Array;
  private readonly words: number;

  constructor(levels: number, nrPcpus: number) {
    this.words = (nrPcpus + 31) >>> 5;
    this.bits = new Uint32Array(levels * this.words);
  }

  bit(level: number, pcpu: number): number {
    return level * this.words * 32 + pcpu;
  }

  /** The first pCPU in [from, to) with a queue not empty at one of the levels 0 … upTo-1, or -1. */
  next(from: number, to: number, upTo: number): number {
    const m = this.bits;
    const words = this.words;
    for (let w = from >>> 5; w * 32 < to; w++) {
      let bits = 0;
      for (let i = 0; i < upTo; i++) bits |= m[i * words + w]!;
      if (w === from >>> 5) bits &= -1 << (from & 31);
      if (bits !== 0) {
        const p = w * 32 + 31 - Math.clz32(bits & -bits);
        return p < to ? p : -1;
      }
    }
    return -1;
  }
}
