// What the guest kernel's ATA layer knows (its own copy, as Linux has include/linux/ata.h;
// sharing the device model's constants would hide a misread bit from the tests): status and
// error bits, command codes, how to read IDENTIFY DEVICE data, and the result of a request.

export const ATA_BSY = 0x80;
export const ATA_DRDY = 0x40;
export const ATA_DRQ = 0x08;
export const ATA_ERR = 0x01;

export const ATA_CMD_READ_DMA = 0xc8;
export const ATA_CMD_WRITE_DMA = 0xca;
export const ATA_CMD_READ_DMA_EXT = 0x25;
export const ATA_CMD_WRITE_DMA_EXT = 0x35;
export const ATA_CMD_FPDMA_READ = 0x60;
export const ATA_CMD_FPDMA_WRITE = 0x61;
export const ATA_CMD_IDENTIFY = 0xec;

/** Device register: LBA mode, and the obsolete bits 7 and 5 drivers still set. */
export const ATA_LBA = 0x40;
export const ATA_DEVICE_OBS = 0xa0;

export const ATA_SECT_SIZE = 512;
/** Requests that fit LBA28 (below 2^28, at most 256 sectors) use the shorter command. */
export const LBA28_LIMIT = 0x1000_0000;
export const LBA28_MAX_SECTORS = 256;
/** Largest request these drivers issue in one command (the block layer splits bigger ones). */
export const MAX_SECTORS_PER_REQUEST = 2048;

export interface AtaDiskInfo {
  readonly sectors: number;
  readonly lba48: boolean;
  readonly ncq: boolean;
  readonly model: string;
  readonly serial: string;
}

export type DiskResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'bad-request' | 'device-error' | 'dma-error' | 'timeout'; readonly status: number; readonly error: number };

export function badRequest(): DiskResult {
  return { ok: false, reason: 'bad-request', status: 0, error: 0 };
}

/** True when the request needs READ/WRITE DMA EXT. */
export function needsLba48(lba: number, count: number): boolean {
  return lba + count > LBA28_LIMIT || count > LBA28_MAX_SECTORS;
}

/** Validates a request against the disk and the per-command limit. */
export function requestOk(info: AtaDiskInfo | undefined, lba: number, count: number): boolean {
  return info !== undefined && Number.isSafeInteger(lba) && Number.isSafeInteger(count) && lba >= 0 && count >= 1
    && count <= MAX_SECTORS_PER_REQUEST && lba + count <= info.sectors && (info.lba48 || !needsLba48(lba, count));
}

/** Parses IDENTIFY DEVICE data; undefined when the integrity word's checksum is wrong. */
export function parseIdentify(id: Uint8Array): AtaDiskInfo | undefined {
  if (id.length !== 512) return undefined;
  if (id[510] === 0xa5) {
    let sum = 0;
    for (const b of id) sum += b;
    if ((sum & 0xff) !== 0) return undefined;
  }
  const word = (i: number) => id[2 * i]! | (id[2 * i + 1]! << 8);
  const lba48 = (word(83) & 0xc400) === 0x4400;
  let sectors = (word(60) | (word(61) << 16)) >>> 0;
  if (lba48) sectors = word(100) + word(101) * 0x1_0000 + word(102) * 0x1_0000_0000 + word(103) * 0x1_0000_0000_0000;
  return { sectors, lba48, ncq: (word(76) & 0x0100) !== 0 && word(76) !== 0xffff, model: idString(id, 27, 40), serial: idString(id, 10, 20) };
}

function idString(id: Uint8Array, firstWord: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i += 2) {
    s += String.fromCharCode(id[2 * firstWord + i + 1]!, id[2 * firstWord + i]!);
  }
  return s.trimEnd();
}

/** A delay the driver busy-waits (udelay), in ns. Not a cost: part of the driver's program. */
export const POLL_DELAY_NS = 1_000;
/** Polls before a wait gives up (Linux's serial and ATA busy-waits bound theirs likewise). */
export const POLL_LIMIT = 10_000;
