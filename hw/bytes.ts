// Fresh byte buffers for data that moves on every request or packet (a disk read's result, a
// frame being built or reassembled). A typed array of its own costs about a microsecond for a
// few KiB (a backing store allocated, registered and zero-filled); a stretch of a shared,
// zeroed slab costs a tenth of that. Each result is the caller's own: zeroed, never handed out
// twice, its bytes never reused; a slab lives while any of its stretches does. A DataView over
// a result must pass its byteOffset.

const SLAB_BYTES = 64 * 1024;
let slab = new Uint8Array(0);
let used = 0;

/** `n` zeroed bytes owned by the caller. */
export function freshBytes(n: number): Uint8Array {
  if (n > SLAB_BYTES / 4) return new Uint8Array(n);
  if (used + n > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const out = slab.subarray(used, used + n);
  used += n;
  return out;
}

/** Copies `parts`, in order, into `out` from its start; returns `out`. */
export function gather(out: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `parts`, in order, in fresh bytes of their own (`total`: their summed length). */
export function joined(parts: readonly Uint8Array[], total: number): Uint8Array {
  return gather(freshBytes(total), parts);
}
