// Little-endian fields of shared pages, read and written a byte at a time: no DataView is
// made per access (each costs an allocation), and a field is read once into a number.

export function readU16(page: Uint8Array, at: number): number {
  return page[at]! | (page[at + 1]! << 8);
}
export function writeU16(page: Uint8Array, at: number, v: number): void {
  page[at] = v & 0xff;
  page[at + 1] = (v >>> 8) & 0xff;
}
export function readU32(page: Uint8Array, at: number): number {
  return (page[at]! | (page[at + 1]! << 8) | (page[at + 2]! << 16) | (page[at + 3]! << 24)) >>> 0;
}
export function writeU32(page: Uint8Array, at: number, v: number): void {
  for (let i = 0; i < 4; i++) page[at + i] = (v >>> (8 * i)) & 0xff;
}
