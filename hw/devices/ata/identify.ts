// IDENTIFY DEVICE data: the 256 words a drive returns describing itself (ATA/ATAPI-6 §8.15,
// table 27), built from the backend's size. A kernel takes the capacity from words 60–61
// (LBA28) or 100–103 (LBA48), its features from words 49, 83 and 86, and checks word 255's
// checksum. Strings are space-padded ASCII with the two bytes of each word swapped.

export interface IdentifyOptions {
  readonly sizeSectors: number;
  readonly model: string;
  readonly serial: string;
  readonly firmware: string;
  /** A SATA drive also reports NCQ (queue depth, word 75) and SATA capabilities (word 76). */
  readonly sata: boolean;
  /** The transfer mode SET FEATURES selected: 'udma' or 'mwdma' and its number. */
  readonly udmaMode?: number;
  readonly mwdmaMode?: number;
}

/** Legacy geometry every ATA drive still reports: 16 heads of 63 sectors. */
const CHS_HEADS = 16;
const CHS_SECTORS = 63;
const CHS_MAX_CYLINDERS = 16383;
/** Largest LBA28 capacity (words 60–61), per ATA-6: 0x0FFFFFFF sectors. */
const LBA28_CAPACITY_MAX = 0x0fff_ffff;
/** NCQ queue depth reported in word 75 (the value is depth − 1). */
export const NCQ_DEPTH = 32;
/** Word 255 low byte: the checksum is valid. */
const INTEGRITY_SIGNATURE = 0xa5;

export function identifyData(o: IdentifyOptions): Uint8Array {
  const w = new Uint16Array(256);
  const size = Math.max(0, Math.floor(o.sizeSectors));
  const cyl = Math.min(CHS_MAX_CYLINDERS, Math.floor(size / (CHS_HEADS * CHS_SECTORS)));
  const lba28 = Math.min(size, LBA28_CAPACITY_MAX);
  const chsCapacity = cyl * CHS_HEADS * CHS_SECTORS;
  w[0] = 0x0040; // ATA device, fixed (not removable)
  w[1] = cyl;
  w[3] = CHS_HEADS;
  w[6] = CHS_SECTORS;
  putString(w, 10, 20, o.serial);
  putString(w, 23, 8, o.firmware);
  putString(w, 27, 40, o.model);
  w[47] = 0x8010; // READ/WRITE MULTIPLE: up to 16 sectors per DRQ block
  w[49] = 0x0300; // LBA and DMA supported
  w[50] = 0x4000;
  w[53] = 0x0007; // words 54–58, 64–70 and 88 are valid
  w[54] = cyl;
  w[55] = CHS_HEADS;
  w[56] = CHS_SECTORS;
  w[57] = chsCapacity & 0xffff;
  w[58] = chsCapacity >>> 16;
  w[60] = lba28 & 0xffff;
  w[61] = lba28 >>> 16;
  w[63] = 0x0007 | (o.mwdmaMode !== undefined ? 0x100 << o.mwdmaMode : 0); // MWDMA 0–2
  w[64] = 0x0003; // PIO 3 and 4
  w[65] = w[66] = w[67] = w[68] = 120; // minimum cycle times, ns
  if (o.sata) {
    w[75] = NCQ_DEPTH - 1;
    w[76] = 0x0106; // NCQ, SATA Gen1 and Gen2 speeds
  }
  w[80] = 0x007e; // ATA-1 to ATA-6
  w[82] = 0x0000;
  w[83] = 0x7400; // FLUSH CACHE EXT, FLUSH CACHE, 48-bit addressing (bit 14 must be 1)
  w[84] = 0x4000;
  w[85] = 0x0000;
  w[86] = 0x3400; // the same features, enabled
  w[87] = 0x4000;
  w[88] = 0x003f | (o.udmaMode !== undefined ? 0x100 << o.udmaMode : 0); // UDMA 0–5
  w[93] = o.sata ? 0x0000 : 0x4009; // PATA: device 0 passed diagnostics, detected by jumper
  for (let i = 0; i < 4; i++) w[100 + i] = Math.floor(size / 2 ** (16 * i)) & 0xffff;
  const bytes = new Uint8Array(512);
  for (let i = 0; i < 255; i++) {
    bytes[2 * i] = w[i]! & 0xff;
    bytes[2 * i + 1] = w[i]! >>> 8;
  }
  bytes[510] = INTEGRITY_SIGNATURE;
  let sum = 0;
  for (let i = 0; i < 511; i++) sum += bytes[i]!;
  bytes[511] = (0x100 - (sum & 0xff)) & 0xff;
  return bytes;
}

/** ATA string: `len` characters from word `first`, space padded, bytes swapped in each word. */
function putString(w: Uint16Array, first: number, len: number, s: string): void {
  const text = s.padEnd(len, ' ').slice(0, len);
  for (let i = 0; i < len; i += 2) {
    w[first + i / 2] = (ascii(text, i) << 8) | ascii(text, i + 1);
  }
}

function ascii(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c >= 0x20 && c < 0x7f ? c : 0x20;
}
