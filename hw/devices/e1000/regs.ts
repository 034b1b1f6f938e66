// Register map of an Intel 82540EM gigabit controller, the "e1000" QEMU emulates (PCI/PCI-X
// Family of Gigabit Ethernet Controllers Software Developer's Manual, §13): the MMIO offsets
// in BAR0, the interrupt cause bits, the receive and transmit control bits, and the legacy
// descriptor layouts the rings in host memory use (§3.2.3, §3.3.3).

/** Where firmware conventionally puts BAR0 (128 KiB), and the ISA line INTA# is routed to. */
export const DEFAULT_E1000_MMIO = 0xfeb8_0000;
export const E1000_MMIO_SIZE = 0x2_0000;
export const DEFAULT_E1000_IRQ = 10;

export const REG_CTRL = 0x0000;
export const REG_STATUS = 0x0008;
export const REG_EECD = 0x0010;
export const REG_EERD = 0x0014;
export const REG_ICR = 0x00c0;
export const REG_ITR = 0x00c4;
export const REG_ICS = 0x00c8;
export const REG_IMS = 0x00d0;
export const REG_IMC = 0x00d8;
export const REG_RCTL = 0x0100;
export const REG_TCTL = 0x0400;
export const REG_TIPG = 0x0410;
export const REG_RDBAL = 0x2800;
export const REG_RDBAH = 0x2804;
export const REG_RDLEN = 0x2808;
export const REG_RDH = 0x2810;
export const REG_RDT = 0x2818;
export const REG_TDBAL = 0x3800;
export const REG_TDBAH = 0x3804;
export const REG_TDLEN = 0x3808;
export const REG_TDH = 0x3810;
export const REG_TDT = 0x3818;
export const REG_MTA = 0x5200;
export const REG_RAL0 = 0x5400;
export const REG_RAH0 = 0x5404;
/** Statistics: good packets received / transmitted, missed packets (read to clear). */
export const REG_MPC = 0x4010;
export const REG_GPRC = 0x4074;
export const REG_GPTC = 0x4080;

export const CTRL_SLU = 1 << 6;
export const CTRL_RST = 1 << 26;
/** Full duplex, link up, 1000 Mb/s. */
export const STATUS_FD = 1 << 0;
export const STATUS_LU = 1 << 1;
export const STATUS_SPEED_1000 = 2 << 6;

/** EERD: start a read of EEPROM word ADDR; DONE and DATA come back. */
export const EERD_START = 1 << 0;
export const EERD_DONE = 1 << 4;
export const EERD_ADDR_SHIFT = 8;
export const EERD_DATA_SHIFT = 16;
/** EEPROM words 0-2 hold the MAC address, low byte first. */
export const EEPROM_WORDS = 64;

/** Interrupt causes (ICR, ICS, IMS, IMC). */
export const ICR_TXDW = 1 << 0;
export const ICR_TXQE = 1 << 1;
export const ICR_LSC = 1 << 2;
export const ICR_RXDMT0 = 1 << 4;
export const ICR_RXO = 1 << 6;
export const ICR_RXT0 = 1 << 7;
/** Read-only in ICR: set whenever any unmasked cause is pending. */
export const ICR_INT_ASSERTED = 0x8000_0000;
export const ICR_VALID = ICR_TXDW | ICR_TXQE | ICR_LSC | ICR_RXDMT0 | ICR_RXO | ICR_RXT0;

/** ITR counts in 256 ns units. */
export const ITR_UNIT_NS = 256;

export const RCTL_EN = 1 << 1;
export const RCTL_UPE = 1 << 3;
export const RCTL_MPE = 1 << 4;
export const RCTL_BAM = 1 << 15;
export const RCTL_BSIZE_SHIFT = 16;
export const RCTL_BSEX = 1 << 25;
export const RCTL_SECRC = 1 << 26;

export const TCTL_EN = 1 << 1;
export const TCTL_PSP = 1 << 3;

/** Both rings: 16-byte descriptors, a length that is a multiple of 128 bytes. */
export const DESC_BYTES = 16;
export const RING_ALIGN = 128;
/** TDLEN/RDLEN are 20-bit byte counts: at most 65536 descriptors. */
export const RING_MAX_DESCS = 65536;

/** Legacy transmit descriptor: buffer address (8), length (2), CSO, CMD, STA, CSS, special. */
export const TXD_LENGTH = 8;
export const TXD_CMD = 11;
export const TXD_STA = 12;
export const TXD_CMD_EOP = 1 << 0;
export const TXD_CMD_IFCS = 1 << 1;
export const TXD_CMD_RS = 1 << 3;
export const TXD_CMD_DEXT = 1 << 5;
export const TXD_STA_DD = 1 << 0;

/** Legacy receive descriptor: buffer address (8), length (2), checksum (2), status, errors, special. */
export const RXD_LENGTH = 8;
export const RXD_STATUS = 12;
export const RXD_ERRORS = 13;
export const RXD_STA_DD = 1 << 0;
export const RXD_STA_EOP = 1 << 1;

/** The longest frame the model accepts from a transmit ring (jumbo frames of 16 KiB). */
export const MAX_TX_FRAME = 16384;

/** Receive buffer size from RCTL.BSIZE and BSEX (§13.4.22). */
export function rxBufferBytes(rctl: number): number {
  const code = (rctl >>> RCTL_BSIZE_SHIFT) & 3;
  const base = [2048, 1024, 512, 256][code]!;
  return rctl & RCTL_BSEX && code !== 0 ? base * 16 : base;
}

/** RAL0/RAH0 as the hardware and drivers lay a MAC out: byte 0 of the address in RAL's low
 *  byte; RAH holds bytes 4-5 and the address-valid bit. */
export const RAH_AV = 0x8000_0000;

export function macToRa(mac: number): { ral: number; rah: number } {
  const b = Array.from({ length: 6 }, (_, i) => Math.floor(mac / 2 ** (8 * (5 - i))) % 256);
  return { ral: (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0, rah: (b[4]! | (b[5]! << 8) | RAH_AV) >>> 0 };
}

export function raToMac(ral: number, rah: number): number {
  const b = [ral & 0xff, (ral >>> 8) & 0xff, (ral >>> 16) & 0xff, ral >>> 24, rah & 0xff, (rah >>> 8) & 0xff];
  return b.reduce((acc, x) => acc * 256 + x, 0);
}
