// Register map of a PIIX-style IDE channel: the ATA command block and control ports at their
// legacy ISA addresses, and the bus-master IDE (BMIDE) registers in PCI BAR4 (Intel 82371AB
// PIIX4 datasheet, "Bus Master IDE I/O Registers"), with the Physical Region Descriptor format.

/** Legacy primary channel: command block, device control / alternate status, ISA IRQ. */
export const PRIMARY_CMD_BASE = 0x1f0;
export const PRIMARY_CTL_PORT = 0x3f6;
export const PRIMARY_IRQ = 14;
/** Where firmware conventionally puts BAR4 (the BMIDE block) of the IDE function. */
export const DEFAULT_BM_BASE = 0xc000;

/** Command block registers, as offsets from the base. */
export const REG_DATA = 0;
/** Read: error. Write: features. */
export const REG_ERROR = 1;
export const REG_COUNT = 2;
export const REG_LBA_LOW = 3;
export const REG_LBA_MID = 4;
export const REG_LBA_HIGH = 5;
export const REG_DEVICE = 6;
/** Read: status (clears a pending interrupt). Write: command. */
export const REG_STATUS = 7;
export const CMD_BLOCK_PORTS = 8;

/** Device control register (write side of the control port). */
export const CTL_NIEN = 0x02;
export const CTL_SRST = 0x04;
/** High order byte: reads of the LBA48 registers return their previous contents. */
export const CTL_HOB = 0x80;

/** BMIDE block: 8 bytes per channel, primary first; BAR4 is 16 bytes. */
export const BM_PORTS = 16;
export const BM_CHANNEL_BYTES = 8;
export const BM_CMD = 0;
export const BM_STATUS = 2;
/** Descriptor table pointer, 32 bits at offsets 4–7; bits 1:0 read as 0. */
export const BM_PRDT = 4;

/** BM command: start/stop bus master; read/write control (1 = the bus master writes memory,
 *  i.e. a device read). */
export const BM_CMD_START = 0x01;
export const BM_CMD_TO_MEMORY = 0x08;
export const BM_CMD_WRITABLE = BM_CMD_START | BM_CMD_TO_MEMORY;

/** BM status. Active is read-only; Error and Interrupt are write-one-to-clear. */
export const BM_ST_ACTIVE = 0x01;
export const BM_ST_ERROR = 0x02;
export const BM_ST_INTR = 0x04;
/** "Drive 0/1 DMA capable": plain read/write bits for the BIOS and the driver. */
export const BM_ST_DMA_CAPABLE = 0x60;

/** A Physical Region Descriptor: base (u32, bit 0 zero), byte count (u16, 0 = 64 KiB, bit 0
 *  zero) and, in bit 31 of the second dword, End Of Table. */
export const PRD_ENTRY_BYTES = 8;
export const PRD_EOT = 0x8000_0000;
export const PRD_REGION_MAX = 0x10000;
/** The table may not cross a 64 KiB boundary, so it has at most 8192 entries: the walk's bound. */
export const PRD_MAX_ENTRIES = 0x10000 / PRD_ENTRY_BYTES;
