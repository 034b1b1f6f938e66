// Machine memory: the host's physical RAM as 4 KiB frames. A frame has one owner (a domain id,
// or FREE) and its bytes are allocated lazily, on first touch, so a host with gigabytes of
// "RAM" costs only what guests actually write. Who may touch whose frame is the hypervisor's
// business (grants, foreign maps); this layer only keeps frames, owners and bytes.

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
/** Owner value of a frame nobody holds. */
export const FREE = -1;
/** Frames whose bytes are carved, on first touch, out of one buffer of an owner's. */
const PAGES_PER_SLAB = 8;

/** The buffer an owner's pages are being carved from, and how many of its pages are in use. */
interface Slab { buffer: ArrayBuffer; next: number; live: number }

export class MachineMemory {
  readonly totalFrames: number;
  /** Each frame's owner plus one, so that 0 is FREE: a fresh array is all free without being
   *  written, and the OS backs only the part frames have been allocated from. */
  private readonly owners: Int32Array;
  private readonly pages = new Map<number, Uint8Array>();
  /** Per owner, the slab its next materialized page comes from. A buffer of its own per page
   *  costs an allocation, a zero-fill and V8's external-memory accounting each; carving eight
   *  at a time keeps a domain's pages together and the count of buffers down. A slab is freed
   *  by the GC once none of its pages is referenced; a freed page's part is never handed out
   *  again, so that nobody still holding a page can write into another domain's frame. */
  private readonly slabs = new Map<number, Slab>();
  private readonly freeList: number[] = [];
  private nextUnused = 0;
  private used = 0;

  constructor(totalFrames: number) {
    this.totalFrames = totalFrames;
    this.owners = new Int32Array(totalFrames);
  }

  get framesInUse(): number {
    return this.used;
  }

  get framesFree(): number {
    return this.totalFrames - this.used;
  }

  /** Allocates `count` frames to `owner`, all or nothing. Returns null when RAM is short. */
  allocate(owner: number, count: number): number[] | null {
    if (count < 0 || count > this.framesFree) return null;
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const mfn = this.freeList.length > 0 ? this.freeList.pop()! : this.nextUnused++;
      this.owners[mfn] = owner + 1;
      out[i] = mfn;
    }
    this.used += count;
    return out;
  }

  /** Returns a frame to the free pool; its contents are scrubbed, as Xen scrubs freed pages. */
  free(mfn: number): void {
    const owner = this.owners[mfn]! - 1;
    if (owner === FREE) return;
    const page = this.pages.get(mfn);
    const slab = this.slabs.get(owner);
    if (page !== undefined && slab !== undefined && page.buffer === slab.buffer && --slab.live === 0) this.slabs.delete(owner);
    this.owners[mfn] = 0;
    this.pages.delete(mfn);
    this.freeList.push(mfn);
    this.used--;
  }

  owner(mfn: number): number {
    return mfn >= 0 && mfn < this.totalFrames ? this.owners[mfn]! - 1 : FREE;
  }

  isValid(mfn: number): boolean {
    return Number.isInteger(mfn) && mfn >= 0 && mfn < this.totalFrames && this.owners[mfn] !== 0;
  }

  /** The frame's bytes, materialized on first touch (zero-filled). */
  page(mfn: number): Uint8Array {
    let p = this.pages.get(mfn);
    if (p === undefined) {
      p = this.carve(this.owners[mfn]! - 1);
      this.pages.set(mfn, p);
    }
    return p;
  }

  private carve(owner: number): Uint8Array {
    let slab = this.slabs.get(owner);
    if (slab === undefined || slab.next === PAGES_PER_SLAB) {
      slab = { buffer: new ArrayBuffer(PAGES_PER_SLAB * PAGE_SIZE), next: 0, live: 0 };
      this.slabs.set(owner, slab);
    }
    slab.live++;
    return new Uint8Array(slab.buffer, PAGE_SIZE * slab.next++, PAGE_SIZE);
  }

  /** How many frames have bytes behind them (for tests of laziness and of teardown). */
  get materializedFrames(): number {
    return this.pages.size;
  }
}
