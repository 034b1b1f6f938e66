// The buffer cache: 4 KiB blocks of the block device held in guest page frames, least recently
// used first out. Reads of absent blocks and write-back of dirty ones become block I/O on the
// kernel's BlockDevice (blkfront, or a native IDE/AHCI driver), in runs of consecutive blocks
// up to the device's request size. The cache's frames are one contiguous range of the guest's
// memory, handed out next-fit, so that a run of blocks usually sits in consecutive frames, as
// the native drivers' single-segment DMA needs (a run is split where its frames are not).
import type { PageAllocator } from './pages';
import type { BlockDevice, BlockOp, KGen } from './types';

/** The device and how the kernel sleeps until it may have completed something. */
export interface BlockPort {
  readonly dev: BlockDevice;
  wait(): KGen;
}

interface Buf {
  block: number;
  slot: number;
  dirty: boolean;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Requests sent to the device, and the blocks they carried. */
  readRequests: number;
  writeRequests: number;
  blocksRead: number;
  blocksWritten: number;
  ioErrors: number;
}

const SECTORS_PER_BLOCK = 8;

export class BufferCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, readRequests: 0, writeRequests: 0, blocksRead: 0, blocksWritten: 0, ioErrors: 0 };
  /** Block -> buffer, in least-recently-used-first order. */
  private readonly bufs = new Map<number, Buf>();
  private readonly gfns: number[] = [];
  private readonly used: Uint8Array;
  private cursor = 0;

  constructor(
    private readonly port: BlockPort,
    pages: PageAllocator,
    capacity: number,
  ) {
    for (let i = 0; i < capacity; i++) {
      const g = pages.alloc();
      if (g < 0) break;
      this.gfns.push(g);
    }
    this.used = new Uint8Array(this.gfns.length);
  }

  get capacity(): number {
    return this.gfns.length;
  }

  has(block: number): boolean {
    return this.bufs.has(block);
  }

  /** The frame holding a cached block (for a mapping of a file page), or -1. */
  frameOf(block: number): number {
    const b = this.bufs.get(block);
    return b ? this.gfns[b.slot]! : -1;
  }

  /** Makes every block cached, reading the absent ones from the device. */
  *read(blocks: readonly number[]): KGen {
    const missing: number[] = [];
    for (const b of blocks) {
      if (this.touch(b)) this.stats.hits++;
      else {
        this.stats.misses++;
        if (!missing.includes(b)) missing.push(b);
      }
    }
    if (missing.length === 0) return;
    const bufs = yield* this.claim(missing, false);
    yield* this.io('read', bufs);
  }

  /** Buffers for blocks about to be overwritten whole: no read, born dirty. */
  *overwrite(blocks: readonly number[]): KGen {
    const fresh = blocks.filter((b) => !this.touch(b));
    yield* this.claim(fresh, true);
    for (const b of blocks) this.bufs.get(b)!.dirty = true;
  }

  /** Buffers for blocks whose contents are known without reading them (as mkfs left them). */
  *adopt(blocks: readonly number[]): KGen {
    yield* this.claim(blocks.filter((b) => !this.bufs.has(b)), false);
  }

  markDirty(block: number): void {
    const b = this.bufs.get(block);
    if (b) b.dirty = true;
  }

  /** Forgets a block without writing it (its file was deleted). */
  drop(block: number): void {
    const b = this.bufs.get(block);
    if (!b) return;
    this.bufs.delete(block);
    this.used[b.slot] = 0;
  }

  /** Writes the dirty ones among `blocks` (all dirty blocks when absent) and waits for them. */
  *flush(blocks?: readonly number[]): KGen {
    const list = (blocks ?? [...this.bufs.keys()]).map((b) => this.bufs.get(b)).filter((b): b is Buf => b !== undefined && b.dirty);
    list.sort((a, b) => a.block - b.block);
    for (const b of list) b.dirty = false;
    yield* this.io('write', list);
  }

  get dirtyBlocks(): number {
    let n = 0;
    for (const b of this.bufs.values()) if (b.dirty) n++;
    return n;
  }

  /** Moves a cached block to the most recently used end; false if it is not cached. */
  private touch(block: number): boolean {
    const b = this.bufs.get(block);
    if (!b) return false;
    this.bufs.delete(block);
    this.bufs.set(block, b);
    return true;
  }

  /** New buffers for `blocks`, in consecutive frames when possible, evicting as needed. */
  private *claim(blocks: readonly number[], dirty: boolean): KGen<Buf[]> {
    const out: Buf[] = [];
    let slots = this.freeRun(blocks.length);
    if (slots === undefined) {
      yield* this.evict(blocks.length);
      slots = this.freeRun(blocks.length) ?? this.freeSlots(blocks.length);
    }
    blocks.forEach((block, i) => {
      const slot = slots![i]!;
      this.used[slot] = 1;
      const b = { block, slot, dirty };
      this.bufs.set(block, b);
      out.push(b);
    });
    return out;
  }

  /** `n` consecutive free slots, next-fit from the cursor, or undefined. */
  private freeRun(n: number): number[] | undefined {
    const cap = this.used.length;
    for (let tries = 0, start = this.cursor; tries < cap; tries++, start = (start + 1) % cap) {
      if (start + n > cap) continue;
      let ok = true;
      for (let j = 0; j < n && ok; j++) ok = this.used[start + j] === 0;
      if (!ok) continue;
      this.cursor = (start + n) % cap;
      return Array.from({ length: n }, (_, j) => start + j);
    }
    return undefined;
  }

  private freeSlots(n: number): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.used.length && out.length < n; s++) if (this.used[s] === 0) out.push(s);
    return out;
  }

  /** Evicts least recently used buffers until `n` slots are free, writing dirty ones back. */
  private *evict(n: number): KGen {
    const victims: Buf[] = [];
    let free = this.used.reduce((s, u) => s + (u === 0 ? 1 : 0), 0);
    for (const b of this.bufs.values()) {
      if (free >= n) break;
      victims.push(b);
      free++;
    }
    yield* this.io('write', victims.filter((b) => b.dirty).sort((a, b) => a.block - b.block));
    for (const b of victims) this.drop(b.block);
  }

  /** Sends `bufs` to the device in runs and waits until every request completed. */
  private *io(op: BlockOp, bufs: readonly Buf[]): KGen {
    const dev = this.port.dev;
    let pending = 0;
    for (let i = 0; i < bufs.length; ) {
      let n = 1;
      while (i + n < bufs.length && n < dev.maxPages && bufs[i + n]!.block === bufs[i]!.block + n && this.gfns[bufs[i + n]!.slot] === this.gfns[bufs[i]!.slot]! + n) n++;
      while (!dev.canSubmit()) {
        yield* dev.kick(); // a full ring waits for the backend: make sure it knows
        yield* this.port.wait();
      }
      const run = bufs.slice(i, i + n);
      pending++;
      if (op === 'read') (this.stats.readRequests++, (this.stats.blocksRead += n));
      else (this.stats.writeRequests++, (this.stats.blocksWritten += n));
      yield* dev.submit({
        op, sector: run[0]!.block * SECTORS_PER_BLOCK, count: n * SECTORS_PER_BLOCK, gfns: run.map((b) => this.gfns[b.slot]!),
        done: (status) => {
          pending--;
          if (status !== 0) this.stats.ioErrors++;
        },
      });
      i += n;
    }
    if (bufs.length > 0) yield* dev.kick();
    while (pending > 0) yield* this.port.wait();
  }
}
