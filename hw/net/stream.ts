// The byte streams network workloads send: byte `offset` of stream `seed` is a fixed function
// of both, so a receiver can check every byte it gets against where it says it belongs —
// nothing lost, nothing duplicated, nothing out of order — without the sender's copy.
// Used by the guests' workloads and by the remote peer's sink and source.

/** The 32-bit word that holds stream bytes 4w .. 4w+3. */
function word(seed: number, w: number): number {
  let h = Math.imul((w ^ seed) >>> 0, 0x9e3779b1) ^ (w >>> 15);
  h = Math.imul(h ^ (h >>> 13), 0x85ebca6b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Word index of a byte offset (offsets up to 2^53 stay exact; the index wraps at 2^32). */
const wordOf = (offset: number): number => Math.floor(offset / 4) >>> 0;

export function streamByte(seed: number, offset: number): number {
  return (word(seed, wordOf(offset)) >>> (8 * (offset % 4))) & 0xff;
}

/** Writes stream bytes `offset` .. `offset + dst.length` into `dst`. */
export function fillStream(dst: Uint8Array, seed: number, offset: number): void {
  let w = word(seed, wordOf(offset));
  for (let i = 0; i < dst.length; i++) {
    const o = offset + i;
    const lane = o % 4;
    if (lane === 0 && i > 0) w = word(seed, wordOf(o));
    dst[i] = (w >>> (8 * lane)) & 0xff;
  }
}

/** How many bytes of `src` differ from the stream at `offset` (0: all in place). */
export function checkStream(src: Uint8Array, seed: number, offset: number): number {
  let bad = 0;
  let w = word(seed, wordOf(offset));
  for (let i = 0; i < src.length; i++) {
    const o = offset + i;
    const lane = o % 4;
    if (lane === 0 && i > 0) w = word(seed, wordOf(o));
    if (src[i] !== ((w >>> (8 * lane)) & 0xff)) bad++;
  }
  return bad;
}

/** The stream a sender at IPv4 address `ip` sends: both ends derive it from the address, so a
 *  receiver checks bytes without being told anything. */
export function streamSeedOf(ip: number): number {
  return Math.imul(ip >>> 0, 0x2545f491) ^ 0x5eed;
}
