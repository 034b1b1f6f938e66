// u64 fields of the I/O wire formats (blkif ids and sector numbers) as JS numbers. Numbers
// are exact only below 2^53, so decoding maps every larger value to one sentinel,
// U64_UNSAFE = 2^53, which no valid field can hold: a validator rejects any value that is not
// a safe integer (`isSafeU64`). Encoding is for pvlab's own, well-behaved kernels and throws
// on a value it cannot represent (a pvlab bug); a hostile-guest model that wants 2^64-1 in a
// field writes the bytes itself. Split into two u32 halves so that no BigInt is needed.
// Used by blkif.ts; imports nothing.

/** Decoded value of any u64 field at or above 2^53: not representable, so never valid. */
export const U64_UNSAFE = 2 ** 53;
const TWO_32 = 2 ** 32;
/** Values of the high half below this keep the whole u64 under 2^53. */
const SAFE_HIGH_LIMIT = 2 ** 21;

/** True for the values a decoded u64 may be trusted as: integers 0 .. 2^53-1. */
export function isSafeU64(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

export function getU64(view: DataView, offset: number): number {
  const low = view.getUint32(offset, true);
  const high = view.getUint32(offset + 4, true);
  return high < SAFE_HIGH_LIMIT ? high * TWO_32 + low : U64_UNSAFE;
}

export function setU64(view: DataView, offset: number, n: number): void {
  if (!isSafeU64(n) && n !== U64_UNSAFE) throw new RangeError(`not a u64 pvlab can encode: ${n}`);
  view.setUint32(offset, n % TWO_32, true);
  view.setUint32(offset + 4, Math.floor(n / TWO_32), true);
}
