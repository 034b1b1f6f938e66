// Register map of an AHCI 1.3 host bus adapter (Serial ATA AHCI 1.3 specification, §3): the
// generic host control block at the start of ABAR (PCI BAR5), one port register block at
// 0x100, and the in-memory structures the HBA walks: the command list (32 headers), the
// command table (command FIS + PRDT) and the received-FIS area.

/** Where firmware conventionally puts ABAR, and the window it decodes. */
export const DEFAULT_ABAR = 0xfebf_0000;
export const ABAR_SIZE = 0x1000;
/** A legacy PCI INTx line firmware might route the HBA to. */
export const DEFAULT_AHCI_IRQ = 11;

/** Generic host control. */
export const HOST_CAP = 0x00;
export const HOST_GHC = 0x04;
export const HOST_IS = 0x08;
export const HOST_PI = 0x0c;
export const HOST_VS = 0x10;
export const HOST_CAP2 = 0x24;

/** CAP: 64-bit addressing, NCQ, 3 Gb/s, 32 command slots, one port (NP = 0). */
export const CAP_S64A = 0x8000_0000;
export const CAP_SNCQ = 0x4000_0000;
export const CAP_ISS_GEN2 = 2 << 20;
export const CAP_NCS_32 = 31 << 8;
export const CAP_VALUE = (CAP_S64A | CAP_SNCQ | CAP_ISS_GEN2 | CAP_NCS_32) >>> 0;
/** AHCI 1.3. */
export const VS_VALUE = 0x0001_0300;

export const GHC_HR = 0x01;
export const GHC_IE = 0x02;
export const GHC_AE = 0x8000_0000;

/** Port 0's registers, as offsets from ABAR. */
export const PORT0 = 0x100;
export const PORT_BYTES = 0x80;
export const PX_CLB = 0x00;
export const PX_CLBU = 0x04;
export const PX_FB = 0x08;
export const PX_FBU = 0x0c;
export const PX_IS = 0x10;
export const PX_IE = 0x14;
export const PX_CMD = 0x18;
export const PX_TFD = 0x20;
export const PX_SIG = 0x24;
export const PX_SSTS = 0x28;
export const PX_SCTL = 0x2c;
export const PX_SERR = 0x30;
export const PX_SACT = 0x34;
export const PX_CI = 0x38;

/** PxIS / PxIE bits. */
export const IS_DHRS = 1 << 0; // D2H Register FIS received
export const IS_PSS = 1 << 1; // PIO Setup FIS received
export const IS_DSS = 1 << 2; // DMA Setup FIS received
export const IS_SDBS = 1 << 3; // Set Device Bits FIS received
export const IS_DPS = 1 << 5; // a PRD with the I bit was completed
export const IS_PCS = 1 << 6;
export const IS_OFS = 1 << 24; // overflow: the device sent more than the PRDT describes
export const IS_IFS = 1 << 27;
export const IS_HBDS = 1 << 28;
export const IS_HBFS = 1 << 29;
export const IS_TFES = (1 << 30) >>> 0; // task file error
export const IS_VALID = (IS_DHRS | IS_PSS | IS_DSS | IS_SDBS | 1 << 4 | IS_DPS | IS_PCS | 1 << 7 | 1 << 22 | 1 << 23
  | IS_OFS | 1 << 26 | IS_IFS | IS_HBDS | IS_HBFS | IS_TFES | 1 << 31) >>> 0;
/** The errors after which the HBA stops processing the list until software restarts it. */
export const IS_FATAL = (IS_TFES | IS_HBFS | IS_HBDS | IS_IFS | IS_OFS) >>> 0;

/** PxCMD bits. */
export const CMD_ST = 1 << 0;
export const CMD_SUD = 1 << 1;
export const CMD_POD = 1 << 2;
export const CMD_CLO = 1 << 3;
export const CMD_FRE = 1 << 4;
export const CMD_CCS_SHIFT = 8;
export const CMD_FR = 1 << 14;
export const CMD_CR = 1 << 15;

/** Link up at Gen2 speed, interface active: DET = 3, SPD = 2, IPM = 1. */
export const SSTS_UP = 0x123;
/** An ATA disk's signature (count 1, LBA low 1, mid 0, high 0). */
export const SIG_ATA = 0x0000_0101;
/** PxSCTL DET = 1: perform COMRESET. */
export const SCTL_DET_RESET = 0x1;

/** Command list: 32 headers of 32 bytes, 1 KiB aligned. */
export const CMD_SLOTS = 32;
export const CMD_HEADER_BYTES = 32;
export const CLB_ALIGN_MASK = 0x3ff;
/** Received-FIS area: 256 bytes, 256 aligned, with a slot per FIS type. */
export const FB_ALIGN_MASK = 0xff;
export const RFIS_BYTES = 256;
export const RFIS_DSFIS = 0x00;
export const RFIS_PSFIS = 0x20;
export const RFIS_RFIS = 0x40;
export const RFIS_SDBFIS = 0x58;
/** Command header dword 0. */
export const HDR_CFL_MASK = 0x1f;
export const HDR_WRITE = 1 << 6;
export const HDR_PRDTL_SHIFT = 16;
/** Command table: command FIS at 0, PRDT at 0x80, 16-byte entries; 128-byte aligned. */
export const CTBA_ALIGN_MASK = 0x7f;
export const CT_PRDT = 0x80;
export const PRDT_ENTRY_BYTES = 16;
export const PRDT_DBC_MASK = 0x3f_ffff;
export const PRDT_I = 0x8000_0000;

/** FIS types. */
export const FIS_H2D = 0x27;
export const FIS_D2H = 0x34;
export const FIS_PIO_SETUP = 0x5f;
export const FIS_SDB = 0xa1;
/** H2D FIS byte 1: the C bit (a command, not a device control update). */
export const FIS_C = 0x80;
/** The I (interrupt) bit in byte 1 of device-to-host FISes; D (direction) in PIO Setup. */
export const FIS_I = 0x40;
export const FIS_D = 0x20;
/** The H2D register FIS is 5 dwords: a command header's CFL must be at least this. */
export const H2D_FIS_DWORDS = 5;
export const H2D_FIS_BYTES = 20;
/** Device control byte: software reset. */
export const CONTROL_SRST = 0x04;
