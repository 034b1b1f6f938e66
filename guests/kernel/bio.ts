// The guest block layer's two rules for a request's shape, as Linux applies them from a queue's
// limits (blk-merge.c): a bio with more pages than the device takes in one request
// (max_segments: 11 for blkfront without indirect descriptors, a virtqueue's size less two for
// virtio-blk) is split into requests the device takes, and each page carries only the sectors
// of the I/O it holds, so the last page of an I/O whose size is not a whole number of pages
// is partial (fio's bs is any multiple of 512).
import type { BlockIo } from './types';

const PAGE = 4096;
const SECTOR = 512;
const SECTORS_PER_PAGE = PAGE / SECTOR;

/** Sectors of an I/O of `count` sectors in its page `i`: 8, or fewer in the last page. */
export function sectorsInPage(count: number, i: number): number {
  return Math.max(0, Math.min(SECTORS_PER_PAGE, count - i * SECTORS_PER_PAGE));
}

/**
 * `io` as requests of at most `maxPages` pages each, in order: `io` itself when it fits. Each
 * part starts where the one before it ended; `io.done` is called once, when the last part
 * completes, with the first failure's status (0 if every part succeeded).
 */
export function splitIo(io: BlockIo, maxPages: number): BlockIo[] {
  if (io.gfns.length <= maxPages) return [io];
  const parts: BlockIo[] = [];
  let left = Math.ceil(io.gfns.length / maxPages);
  let status = 0;
  const partDone = (s: number): void => {
    if (status === 0 && s !== 0) status = s;
    if (--left === 0) io.done(status);
  };
  for (let first = 0; first < io.gfns.length; first += maxPages) {
    const gfns = io.gfns.slice(first, first + maxPages);
    const count = Math.min(gfns.length * SECTORS_PER_PAGE, io.count - first * SECTORS_PER_PAGE);
    parts.push({ op: io.op, sector: io.sector + first * SECTORS_PER_PAGE, count, gfns, done: partDone });
  }
  return parts;
}
