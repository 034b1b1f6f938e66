// Machine memory: the host's physical RAM as 4 KiB frames. A frame has one owner (a domain id,
// or FREE) and its bytes are allocated lazily, on first touch, so a host with gigabytes of
// "RAM" costs only what guests actually write. Who may touch whose frame is the hypervisor's
// business (grants, foreign maps); this layer only keeps frames, owners and bytes.

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
/** Owner value of a frame nobody holds. */
export const FREE = -1;

export class MachineMemory {
  readonly totalFrames: number;
  /** Each frame's owner plus one, so that 0 is FREE: a fresh array is all free without being
   *  written, and the OS backs only the part frames have been allocated from. */
  private readonly owners: Int32Array;
  private readonly pages = new Map<number, Uint8Array>();
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
    if (this.owners[mfn] === 0) return;
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
      p = new Uint8Array(PAGE_SIZE);
      this.pages.set(mfn, p);
    }
    return p;
  }

  /** How many frames have bytes behind them (for tests of laziness and of teardown). */
  get materializedFrames(): number {
    return this.pages.size;
  }
}
