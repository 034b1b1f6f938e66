// Register map of a National Semiconductor PC16550D UART (datasheet, table II): eight byte
// registers at COM1 (0x3F8, IRQ 4), the divisor latch behind LCR.DLAB, and the bits the
// serial console and its driver use.

export const COM1_BASE = 0x3f8;
export const COM1_IRQ = 4;
export const UART_PORTS = 8;

/** Register offsets. With LCR.DLAB set, offsets 0 and 1 are the divisor latch (DLL, DLM). */
export const REG_RBR_THR = 0;
export const REG_IER = 1;
/** Read: IIR. Write: FCR. */
export const REG_IIR_FCR = 2;
export const REG_LCR = 3;
export const REG_MCR = 4;
export const REG_LSR = 5;
export const REG_MSR = 6;
export const REG_SCR = 7;

export const IER_RDI = 0x01; // received data available (and character timeout)
export const IER_THRI = 0x02; // transmitter holding register empty
export const IER_RLSI = 0x04; // receiver line status
export const IER_MSI = 0x08; // modem status
export const IER_MASK = 0x0f;

export const IIR_NO_INT = 0x01;
export const IIR_MSI = 0x00;
export const IIR_THRI = 0x02;
export const IIR_RDI = 0x04;
export const IIR_RLSI = 0x06;
export const IIR_TIMEOUT = 0x0c;
/** Bits 7:6 read 11 when the FIFOs are enabled. */
export const IIR_FIFOS = 0xc0;

export const FCR_ENABLE = 0x01;
export const FCR_CLEAR_RX = 0x02;
export const FCR_CLEAR_TX = 0x04;
export const FCR_TRIGGER_SHIFT = 6;
/** Receiver FIFO interrupt trigger levels, by FCR bits 7:6. */
export const RX_TRIGGER_LEVELS = [1, 4, 8, 14] as const;

export const LCR_WLEN_MASK = 0x03; // word length − 5
export const LCR_STOP = 0x04; // 2 stop bits (1.5 with 5-bit words)
export const LCR_PARITY = 0x08;
export const LCR_DLAB = 0x80;

export const MCR_DTR = 0x01;
export const MCR_RTS = 0x02;
export const MCR_OUT1 = 0x04;
/** OUT2 gates the interrupt output onto the ISA IRQ line in every PC. */
export const MCR_OUT2 = 0x08;
export const MCR_LOOP = 0x10;
export const MCR_MASK = 0x1f;

export const LSR_DR = 0x01;
export const LSR_OE = 0x02;
export const LSR_PE = 0x04;
export const LSR_FE = 0x08;
export const LSR_BI = 0x10;
export const LSR_THRE = 0x20;
export const LSR_TEMT = 0x40;
export const LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;

export const MSR_DCTS = 0x01;
export const MSR_DDSR = 0x02;
export const MSR_TERI = 0x04;
export const MSR_DDCD = 0x08;
export const MSR_CTS = 0x10;
export const MSR_DSR = 0x20;
export const MSR_RI = 0x40;
export const MSR_DCD = 0x80;

/** Both FIFOs are 16 bytes deep; with FIFOs off, the holding registers are one byte. */
export const FIFO_DEPTH = 16;
/** The PC's UART crystal, and the baud generator's 16 clocks per bit. */
export const UART_CLOCK_HZ = 1_843_200;
export const CLOCKS_PER_BIT = 16;
/** The receiver flags a character timeout after four character times of silence. */
export const RX_TIMEOUT_CHARS = 4;
/** What the BIOS leaves in the divisor latch: 9600 baud. */
export const BIOS_DIVISOR = 12;
