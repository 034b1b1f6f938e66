// Ring index arithmetic: Xen's RING_IDX is a free-running unsigned 32-bit counter. It is never
// reduced modulo the ring size when stored; it simply wraps from 2^32-1 to 0. Every sum or
// difference of indices in pvlab goes through this file, so the wrap is written down once.
// Used by ring.ts, xsring.ts and tests; imports nothing.

/** The index `n` steps after `idx`, wrapped to u32. */
export function idxAdd(idx: number, n: number): number {
  return (idx + n) >>> 0;
}

/**
 * How far `from` must move forward to reach `to`, as a u32 (0 .. 2^32-1). For a well-behaved
 * peer this is a small count (entries produced but not yet consumed); a huge value means `to`
 * is actually behind `from`, which the overflow checks treat as a bogus peer.
 */
export function idxDiff(to: number, from: number): number {
  return (to - from) >>> 0;
}
