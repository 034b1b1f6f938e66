// The ATA command set as both host adapters see it (ATA/ATAPI-6, T13/1410D): status and
// error register bits, device register bits, the command codes pvlab's drive executes, and the
// taskfile a command arrives in. IDE loads the taskfile through its port registers, AHCI
// through a Register Host-to-Device FIS; both hand the same `Taskfile` to the drive.

/** Status register. */
export const ST_ERR = 0x01;
/** Obsolete index bit; always 0 here. */
export const ST_IDX = 0x02;
export const ST_DRQ = 0x08;
/** Device seek complete (obsolete in ATA-6, still set by drives after a command). */
export const ST_DSC = 0x10;
export const ST_DF = 0x20;
export const ST_DRDY = 0x40;
export const ST_BSY = 0x80;
/** What an idle, healthy drive shows. */
export const ST_READY = ST_DRDY | ST_DSC;

/** Error register. */
export const ERR_AMNF = 0x01;
export const ERR_ABRT = 0x04;
/** The address is outside the medium. */
export const ERR_IDNF = 0x10;
/** Uncorrectable data error. */
export const ERR_UNC = 0x40;
export const ERR_ICRC = 0x80;
/** After a reset, the error register holds the diagnostic code: 01h = device 0 passed. */
export const DIAG_PASSED = 0x01;

/** Device register: LBA addressing, device 1 select; bits 3:0 are LBA 27:24 in LBA28 commands. */
export const DEV_LBA = 0x40;
export const DEV_DEV1 = 0x10;
/** Bits 7 and 5 are obsolete and conventionally set. */
export const DEV_OBSOLETE = 0xa0;

export const CMD = {
  READ_DMA: 0xc8,
  WRITE_DMA: 0xca,
  READ_DMA_EXT: 0x25,
  WRITE_DMA_EXT: 0x35,
  READ_FPDMA_QUEUED: 0x60,
  WRITE_FPDMA_QUEUED: 0x61,
  IDENTIFY_DEVICE: 0xec,
  FLUSH_CACHE: 0xe7,
  FLUSH_CACHE_EXT: 0xea,
  SET_FEATURES: 0xef,
  IDLE_IMMEDIATE: 0xe1,
  STANDBY_IMMEDIATE: 0xe0,
  CHECK_POWER_MODE: 0xe5,
} as const;

/** SET FEATURES subcommand: set transfer mode from the sector count register. */
export const SETFEAT_XFER_MODE = 0x03;

/** Most sectors an LBA28 command moves (a count of 0 means 256) and an LBA48 one (0 = 65536). */
export const LBA28_MAX_COUNT = 256;
export const LBA48_MAX_COUNT = 65536;
export const LBA28_LIMIT = 0x1000_0000;

/**
 * The registers a command is issued with. `*Exp` are the "previous" (HOB) contents of the
 * two-deep LBA48 registers: bits 15:8 of features and count, bits 47:24 of the LBA.
 */
export interface Taskfile {
  command: number;
  feature: number;
  featureExp: number;
  count: number;
  countExp: number;
  lbaLow: number;
  lbaMid: number;
  lbaHigh: number;
  lbaLowExp: number;
  lbaMidExp: number;
  lbaHighExp: number;
  device: number;
}

export function emptyTaskfile(): Taskfile {
  return {
    command: 0, feature: 0, featureExp: 0, count: 0, countExp: 0,
    lbaLow: 0, lbaMid: 0, lbaHigh: 0, lbaLowExp: 0, lbaMidExp: 0, lbaHighExp: 0, device: 0,
  };
}

/** What the taskfile holds after a reset or power-on: the ATA device signature. */
export function signatureTaskfile(): Taskfile {
  return { ...emptyTaskfile(), count: 0x01, lbaLow: 0x01, lbaMid: 0x00, lbaHigh: 0x00, device: 0x00 };
}
