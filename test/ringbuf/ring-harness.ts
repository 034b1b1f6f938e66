// Test helpers for ringbuf/: a tiny "sequence number" message (one u32) so ring tests can
// check order without a real protocol, and an index-access wrapper that lets a test run code
// at every index load or store of one ring end: the places where the other end can interleave.

import { type IndexAccess, plainIndexAccess } from '../../ringbuf/index-access';
import type { SlotReader, SlotWriter } from '../../ringbuf/ring';

/** A ring of u32 sequence numbers in blkif-sized slots (N = 32 on a page). */
export const SEQ_RING = { reqSize: 112, rspSize: 16 } as const;

export const writeSeq = (seq: number): SlotWriter => (view, at) => view.setUint32(at, seq, true);
export const readSeq: SlotReader<number> = (view, at) => view.getUint32(at, true);

export function newPage(): Uint8Array {
  return new Uint8Array(4096);
}

/** Called before every index load and store of the wrapped end, with the byte offset. */
export type AccessHook = (op: 'load' | 'store', byteOffset: number) => void;

export function hookedAccess(page: Uint8Array, hook: AccessHook): IndexAccess {
  const inner = plainIndexAccess(page);
  return {
    load(off) {
      hook('load', off);
      return inner.load(off);
    },
    store(off, value) {
      hook('store', off);
      inner.store(off, value);
    },
  };
}
