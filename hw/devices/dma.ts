// Scatter-gather DMA: where a transfer's bytes go in guest memory. A controller parses its
// descriptor table (IDE's PRD table, an AHCI PRDT) once, from a private copy, into an SgList,
// checks it covers the transfer, and only then moves bytes with `scatter` or `gather`.
// Also the little-endian field helpers the controllers use on those private copies.
import type { DmaMemory } from './bus';

export interface SgEntry {
  readonly gpa: number;
  readonly len: number;
}

export type SgList = readonly SgEntry[];

/** Total bytes an SgList describes. */
export function sgBytes(sg: SgList): number {
  let n = 0;
  for (const e of sg) n += e.len;
  return n;
}

/** Writes `data` across the entries in order, up to the end of `data`. */
export function scatter(mem: DmaMemory, sg: SgList, data: Uint8Array): void {
  let pos = 0;
  for (const e of sg) {
    if (pos >= data.length) return;
    const n = Math.min(e.len, data.length - pos);
    mem.write(e.gpa, data.subarray(pos, pos + n));
    pos += n;
  }
}

/** Reads `total` bytes from the entries in order (fewer if the list is shorter). */
export function gather(mem: DmaMemory, sg: SgList, total: number): Uint8Array {
  const out = new Uint8Array(Math.min(total, sgBytes(sg)));
  let pos = 0;
  for (const e of sg) {
    if (pos >= out.length) break;
    const n = Math.min(e.len, out.length - pos);
    const chunk = mem.read(e.gpa, n);
    out.set(chunk.length === n ? chunk : chunk.subarray(0, n), pos);
    pos += n;
  }
  return out;
}

/** Reads a descriptor of exactly `len` bytes: a private copy, padded with 0xFF if the memory
 *  returned short (so nothing downstream indexes past the end). */
export function readDescriptor(mem: DmaMemory, gpa: number, len: number): Uint8Array {
  const got = mem.read(gpa, len);
  if (got.length === len) return got.slice();
  const out = new Uint8Array(len).fill(0xff);
  out.set(got.subarray(0, len));
  return out;
}

export function u16(b: Uint8Array, off: number): number {
  return b[off]! | (b[off + 1]! << 8);
}

export function u32(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

export function putU16(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
}

export function putU32(b: Uint8Array, off: number, v: number): void {
  for (let i = 0; i < 4; i++) b[off + i] = (v >>> (8 * i)) & 0xff;
}

/** Upper halves above this would leave the exactly representable integers. */
const MAX_HI = 0x1f_ffff;

/** A 64-bit guest-physical address from two u32 halves. Exact below 2^53; a larger upper half is
 *  clamped, which still names an address far beyond any RAM (so the access is dropped). */
export function addr64(lo: number, hi: number): number {
  return Math.min(hi >>> 0, MAX_HI) * 0x1_0000_0000 + (lo >>> 0);
}
