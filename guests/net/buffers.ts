// Guest memory for network data: a pool of 2 KiB buffers (Linux's skb data areas: a frame's
// headers, or a whole small datagram) and a socket's send buffer as a ring of pages addressed
// by stream offset. Devices read both by guest-physical address, so bytes a guest sends really
// are in its memory until the device has taken them.
import type { TxFrag } from './netdev';

const PAGE = 4096;
export const BUF_BYTES = 2048;

/** What the buffers need from the kernel: frames of its memory. */
export interface PageSource {
  allocPage(): number;
  page(gfn: number): Uint8Array | undefined;
}

export class BufferPool {
  private readonly free: number[] = [];
  private readonly pages = new Map<number, Uint8Array>();
  private allocated = 0;

  constructor(private readonly mem: PageSource, private readonly maxBuffers: number) {}

  /** A buffer's guest-physical address, or -1 when the pool is exhausted. */
  alloc(): number {
    if (this.free.length === 0 && this.allocated < this.maxBuffers) this.grow();
    return this.free.pop() ?? -1;
  }

  release(gpa: number): void {
    this.free.push(gpa);
  }

  get available(): number {
    return this.free.length + (this.maxBuffers - this.allocated);
  }

  /** Writes `bytes` at `gpa` (within one buffer). */
  write(gpa: number, bytes: Uint8Array): void {
    this.view(gpa).set(bytes);
  }

  /** The buffer at `gpa`, to write into in place. */
  view(gpa: number): Uint8Array {
    const at = gpa % PAGE;
    return this.pages.get(Math.floor(gpa / PAGE))?.subarray(at, at + BUF_BYTES) ?? new Uint8Array(BUF_BYTES);
  }

  private grow(): void {
    const gfn = this.mem.allocPage();
    const page = gfn < 0 ? undefined : this.mem.page(gfn);
    if (!page) {
      this.allocated = this.maxBuffers; // out of memory: the pool stops growing
      return;
    }
    this.pages.set(gfn, page);
    for (let i = PAGE / BUF_BYTES - 1; i >= 0; i--) this.free.push(gfn * PAGE + i * BUF_BYTES);
    this.allocated += PAGE / BUF_BYTES;
  }
}

/** A socket's send buffer: `pages` guest pages used round robin by stream offset. */
export class StreamPages {
  private readonly gfns: number[] = [];
  private readonly views: Uint8Array[] = [];

  constructor(mem: PageSource, bytes: number) {
    const n = Math.ceil(bytes / PAGE);
    for (let i = 0; i < n; i++) {
      const gfn = mem.allocPage();
      const v = gfn < 0 ? undefined : mem.page(gfn);
      if (!v) break;
      this.gfns.push(gfn);
      this.views.push(v);
    }
  }

  /** Bytes it can hold. */
  get capacity(): number {
    return this.gfns.length * PAGE;
  }

  /** Writes `n` bytes for stream offsets [offset, offset + n), produced page piece by piece. */
  fill(offset: number, n: number, produce: (dst: Uint8Array, streamOffset: number) => void): void {
    for (let done = 0; done < n; ) {
      const o = offset + done;
      const i = Math.floor(o / PAGE) % this.gfns.length;
      const at = o % PAGE;
      const len = Math.min(PAGE - at, n - done);
      produce(this.views[i]!.subarray(at, at + len), o);
      done += len;
    }
  }

  /** The guest-physical pieces holding stream bytes [offset, offset + n). */
  frags(offset: number, n: number): TxFrag[] {
    const out: TxFrag[] = [];
    for (let done = 0; done < n; ) {
      const o = offset + done;
      const at = o % PAGE;
      const len = Math.min(PAGE - at, n - done);
      out.push({ gpa: this.gfns[Math.floor(o / PAGE) % this.gfns.length]! * PAGE + at, len });
      done += len;
    }
    return out;
  }
}
