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

/** Writes stream bytes `offset` .. `offset + dst.length` into `dst` (whole words at a time). */
export function fillStream(dst: Uint8Array, seed: number, offset: number): void {
  let i = 0;
  for (; i < dst.length && (offset + i) % 4 !== 0; i++) dst[i] = streamByte(seed, offset + i);
  const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  for (let w = wordOf(offset + i); i + 4 <= dst.length; i += 4, w = (w + 1) >>> 0) view.setUint32(i, word(seed, w), true);
  for (; i < dst.length; i++) dst[i] = streamByte(seed, offset + i);
}

/** How many bytes of `src` differ from the stream at `offset` (0: all in place). */
export function checkStream(src: Uint8Array, seed: number, offset: number): number {
  let bad = 0;
  let i = 0;
  for (; i < src.length && (offset + i) % 4 !== 0; i++) if (src[i] !== streamByte(seed, offset + i)) bad++;
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let w = wordOf(offset + i); i + 4 <= src.length; i += 4, w = (w + 1) >>> 0) {
    const diff = (view.getUint32(i, true) ^ word(seed, w)) >>> 0;
    if (diff !== 0) for (let b = 0; b < 4; b++) if ((diff >>> (8 * b)) & 0xff) bad++;
  }
  for (; i < src.length; i++) if (src[i] !== streamByte(seed, offset + i)) bad++;
  return bad;
}

/** The stream a sender at IPv4 address `ip` sends: both ends derive it from the address, so a
 *  receiver checks bytes without being told anything. */
export function streamSeedOf(ip: number): number {
  return Math.imul(ip >>> 0, 0x2545f491) ^ 0x5eed;
}
