// Register map of a Realtek RTL8139C (datasheet 1.6, §5-6), the "rtl8139" Xen's device model
// gives an HVM guest by default: a 256-byte register window in an I/O BAR, four transmit
// descriptors (a status and an address register each) and one receive ring buffer in host
// memory where each packet lands behind a 4-byte header.

/** Where firmware put the I/O BAR (after the IDE controller's bus-master block at 0xc000). */
export const DEFAULT_RTL8139_IO = 0xc100;
export const RTL8139_IO_SIZE = 0x100;
export const DEFAULT_RTL8139_IRQ = 10;

export const R_IDR0 = 0x00;
export const R_MAR0 = 0x08;
/** Transmit status of descriptors 0-3 (u32 each). */
export const R_TSD0 = 0x10;
/** Transmit start address of descriptors 0-3 (u32 each). */
export const R_TSAD0 = 0x20;
export const R_RBSTART = 0x30;
export const R_CR = 0x37;
/** Current address of packet read (u16): the driver writes its read offset minus 16. */
export const R_CAPR = 0x38;
/** Current buffer address (u16): where the NIC writes next. */
export const R_CBR = 0x3a;
export const R_IMR = 0x3c;
export const R_ISR = 0x3e;
export const R_TCR = 0x40;
export const R_RCR = 0x44;
export const R_MPC = 0x4c;
export const R_MSR = 0x58;

export const TX_DESCS = 4;

export const CR_BUFE = 0x01;
export const CR_TE = 0x04;
export const CR_RE = 0x08;
export const CR_RST = 0x10;

export const INT_ROK = 0x0001;
export const INT_RER = 0x0002;
export const INT_TOK = 0x0004;
export const INT_TER = 0x0008;
export const INT_RXOVW = 0x0010;
export const INT_LINKCHG = 0x0020;
export const INT_FOVW = 0x0040;
export const INT_VALID = 0xe07f;

export const TSD_SIZE_MASK = 0x1fff;
export const TSD_OWN = 0x2000;
export const TSD_TOK = 0x8000;

export const RCR_AAP = 0x01;
export const RCR_APM = 0x02;
export const RCR_AM = 0x04;
export const RCR_AB = 0x08;
/** 1: a packet running past the end of the buffer continues linearly (the driver allocates
 *  the extra 1.5 KiB); 0: it wraps to the start. */
export const RCR_WRAP = 0x80;
export const RCR_RBLEN_SHIFT = 11;

/** The receive packet header's status bits. */
export const RX_ROK = 0x0001;
/** The receive header is 4 bytes (status, length); the length counts the 4-byte CRC. */
export const RX_HEADER_BYTES = 4;
export const RX_CRC_BYTES = 4;
/** The slack after the ring a no-wrap buffer needs, and the longest frame. */
export const RX_SLACK_BYTES = 16 + 1536;
export const MAX_FRAME = 1536;

/** MSR bit 2 is LINKB: 0 means the link is up. */
export const MSR_LINKB = 0x04;
export const MSR_SPEED_10 = 0x08;

export function rxRingBytes(rcr: number): number {
  return 8192 << ((rcr >>> RCR_RBLEN_SHIFT) & 3);
}
