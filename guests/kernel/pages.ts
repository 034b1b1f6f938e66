// The guest kernel's page allocator over its pseudo-physical memory: whole 4 KiB frames for
// rings, buffers and the like. Low frames are the kernel's; the toolstack's pages (the
// xenstore ring) sit at the top and are never handed out.
export class PageAllocator {
  private next: number;
  private readonly freed: number[] = [];

  constructor(
    firstGfn: number,
    private readonly limit: number,
  ) {
    this.next = firstGfn;
  }

  /** A free frame number, or -1 when memory is exhausted. */
  alloc(): number {
    if (this.freed.length > 0) return this.freed.pop()!;
    return this.next < this.limit ? this.next++ : -1;
  }

  free(gfn: number): void {
    this.freed.push(gfn);
  }
}
