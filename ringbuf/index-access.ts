// How a ring end loads and stores the u32 indices in a shared page. Two strategies:
//   - plain: a little-endian DataView, for pages that only one thread touches (the simulator);
//   - atomic: Atomics.load/Atomics.store on an Int32Array, for pages backed by a
//     SharedArrayBuffer and touched by several worker threads.
// Atomics are sequentially consistent, so in the atomic strategy an index store also acts as
// ring.h's write barrier (entries before index) and full barrier (index before event), and an
// index load as the read barrier (index before entries). Entry bytes themselves are copied
// with plain reads and writes, as in C. Used by ring.ts and xsring.ts; tests may wrap a
// strategy to interleave the two ends at every index access.

/** Loads and stores of the u32 words of one page, addressed by byte offset in the page. */
export interface IndexAccess {
  load(byteOffset: number): number;
  store(byteOffset: number, value: number): void;
}

/** Little-endian DataView access, for pages private to one thread. */
export function plainIndexAccess(page: Uint8Array): IndexAccess {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  return {
    load: (off) => view.getUint32(off, true),
    store: (off, value) => view.setUint32(off, value >>> 0, true),
  };
}

/** Atomics on an Int32Array over the page; the page must start on a 4-byte boundary. */
export function atomicIndexAccess(page: Uint8Array): IndexAccess {
  if (page.byteOffset % 4 !== 0 || page.byteLength % 4 !== 0) {
    throw new RangeError(`atomic ring page must be 4-byte aligned (offset ${page.byteOffset})`);
  }
  const words = new Int32Array(page.buffer, page.byteOffset, page.byteLength / 4);
  return {
    load: (off) => Atomics.load(words, off >> 2) >>> 0,
    store: (off, value) => void Atomics.store(words, off >> 2, value | 0),
  };
}

/** True when the page's bytes live in a SharedArrayBuffer (visible to other threads). */
export function isSharedPage(page: Uint8Array): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && page.buffer instanceof SharedArrayBuffer;
}

/** The right strategy for a page: atomic when it is shared between threads, plain otherwise. */
export function indexAccessFor(page: Uint8Array): IndexAccess {
  return isSharedPage(page) ? atomicIndexAccess(page) : plainIndexAccess(page);
}
