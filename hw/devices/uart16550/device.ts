// A 16550A UART (the PC's COM port) on the event engine. Bytes written to THR go through
// the 16-byte transmit FIFO into the shift register and leave on the line one character time
// apart (start, data, parity and stop bits at the divisor's baud rate); each lands in `output`,
// the console, with the time it left. With `tx: 'instant'` the line takes no time, as in QEMU's
// model: a THR write transmits at once and THRE never drops (REFERENCE §6.3).
//
// Interrupts, by priority: receiver line status, received data (trigger level) or character
// timeout, THR empty, modem status. The THR-empty interrupt is latched when the FIFO empties
// (or when it is enabled while empty), and cleared by reading IIR or writing THR. The output
// reaches the IRQ line only through MCR.OUT2, as wired in a PC. Loopback (MCR.LOOP) turns the
// transmitter back into the receiver and the modem outputs into the modem inputs.
//
// Who calls it: an IoSpace (guest accesses) and the host side (`receive`, keyboard input).
// No access throws; the registers are bytes, so wider accesses are split into byte cycles.
import { allOnes, IrqOutput, readBytes, writeBytes, type AddressSpace, type IoSize, type IrqLine, type PortDevice, type PortRange } from '../bus';
import { Timer, type Engine } from '../../engine';
import {
  BIOS_DIVISOR, CLOCKS_PER_BIT, COM1_BASE, FCR_CLEAR_RX, FCR_CLEAR_TX, FCR_ENABLE, FCR_TRIGGER_SHIFT, FIFO_DEPTH, IER_MASK,
  IER_MSI, IER_RDI, IER_RLSI, IER_THRI, IIR_FIFOS, IIR_MSI, IIR_NO_INT, IIR_RDI, IIR_RLSI, IIR_THRI, IIR_TIMEOUT,
  LCR_DLAB, LCR_PARITY, LCR_STOP, LCR_WLEN_MASK, LSR_DR, LSR_ERRORS, LSR_OE, LSR_TEMT, LSR_THRE, MCR_DTR, MCR_LOOP,
  MCR_MASK, MCR_OUT1, MCR_OUT2, MCR_RTS, MSR_CTS, MSR_DCD, MSR_DSR, MSR_RI, MSR_TERI, REG_IER, REG_IIR_FCR, REG_LCR,
  REG_LSR, REG_MCR, REG_MSR, REG_RBR_THR, REG_SCR, RX_TIMEOUT_CHARS, RX_TRIGGER_LEVELS, UART_CLOCK_HZ, UART_PORTS,
} from './regs';

export interface UartOptions {
  readonly base?: number;
  /** 'line' (default): characters take their time on the wire. 'instant': no wire, as QEMU. */
  readonly tx?: 'line' | 'instant';
}

export interface ConsoleByte {
  readonly byte: number;
  /** When its stop bit left the transmitter (ns). */
  readonly timeNs: number;
}

export class UartStats {
  txBytes = 0;
  rxBytes = 0;
  /** THR writes while the transmit FIFO was full: the byte is lost. */
  txDropped = 0;
  rxOverruns = 0;
  /** RBR reads with nothing received. */
  emptyReads = 0;
}

/** A terminal on the other end: clear to send, data set ready, carrier detect. */
const MODEM_INPUTS_CONNECTED = MSR_CTS | MSR_DSR | MSR_DCD;
const NS_PER_S = 1_000_000_000;

export class Uart16550 implements PortDevice {
  readonly name = 'uart16550';
  readonly ports: PortRange[];
  readonly stats = new UartStats();
  /** The console: every byte that left the transmitter, in order. */
  readonly output: ConsoleByte[] = [];
  private readonly base: number;
  private readonly instant: boolean;
  private readonly irq: IrqOutput;
  private readonly txTimer: Timer;
  private readonly rxTimer: Timer;
  private divisor = BIOS_DIVISOR;
  private ier = 0;
  private fcr = 0;
  private lcr = 0;
  private mcr = 0;
  private lsrErrors = 0;
  private msr = MODEM_INPUTS_CONNECTED;
  private scr = 0;
  private readonly txFifo: number[] = [];
  private readonly rxFifo: number[] = [];
  private shifting: number | undefined;
  private thri = false;
  private rxTimeout = false;

  constructor(private readonly engine: Engine, irq: IrqLine, opts: UartOptions = {}) {
    this.base = opts.base ?? COM1_BASE;
    this.instant = opts.tx === 'instant';
    this.ports = [{ base: this.base, count: UART_PORTS }];
    this.irq = new IrqOutput(irq);
    this.txTimer = new Timer(engine, () => this.shiftDone());
    this.rxTimer = new Timer(engine, () => this.rxSilence());
  }

  /** The console's bytes as text (Latin-1). */
  text(): string {
    let s = '';
    for (const b of this.output) s += String.fromCharCode(b.byte);
    return s;
  }

  /** Time one character takes on the line at the current divisor and frame format. */
  get charTimeNs(): number {
    const dataBits = 5 + (this.lcr & LCR_WLEN_MASK);
    const stopHalfBits = !(this.lcr & LCR_STOP) ? 2 : dataBits === 5 ? 3 : 4;
    const halfBits = 2 * (1 + dataBits + (this.lcr & LCR_PARITY ? 1 : 0)) + stopHalfBits;
    const divisor = this.divisor || 0x10000; // a zero divisor counts the full 16 bits
    return Math.round((halfBits * divisor * CLOCKS_PER_BIT * NS_PER_S) / (2 * UART_CLOCK_HZ));
  }

  /** Bytes arriving from the terminal (ignored in loopback, where the line is disconnected). */
  receive(bytes: Iterable<number>): void {
    if (this.mcr & MCR_LOOP) return;
    for (const b of bytes) this.rxByte(b & 0xff);
    this.updateIrq();
  }

  read(addr: number, size: IoSize, space: AddressSpace): number {
    if (space !== 'pio') return allOnes(size);
    return readBytes(addr, size, (a) => this.readReg(a - this.base));
  }

  write(addr: number, size: IoSize, value: number, space: AddressSpace): void {
    if (space !== 'pio') return;
    writeBytes(addr, size, value, (a, b) => this.writeReg(a - this.base, b));
  }

  private readReg(off: number): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (off) {
      case REG_RBR_THR: return dlab ? this.divisor & 0xff : this.readRbr();
      case REG_IER: return dlab ? this.divisor >>> 8 : this.ier;
      case REG_IIR_FCR: return this.readIir();
      case REG_LCR: return this.lcr;
      case REG_MCR: return this.mcr;
      case REG_LSR: return this.readLsr();
      case REG_MSR: return this.readMsr();
      case REG_SCR: return this.scr;
      default: return 0xff; // a wide access running past the last register
    }
  }

  private writeReg(off: number, b: number): void {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (off) {
      case REG_RBR_THR:
        if (dlab) this.divisor = (this.divisor & 0xff00) | b;
        else this.writeThr(b);
        break;
      case REG_IER:
        if (dlab) this.divisor = (this.divisor & 0xff) | (b << 8);
        else this.writeIer(b);
        break;
      case REG_IIR_FCR: this.writeFcr(b); break;
      case REG_LCR: this.lcr = b; break;
      case REG_MCR: this.writeMcr(b & MCR_MASK); break;
      case REG_SCR: this.scr = b; break;
      default: break; // LSR and MSR are read-only (factory test writes are not modelled)
    }
    this.updateIrq();
  }

  private get fifoMode(): boolean {
    return (this.fcr & FCR_ENABLE) !== 0;
  }

  private get depth(): number {
    return this.fifoMode ? FIFO_DEPTH : 1;
  }

  private get thrEmpty(): boolean {
    return this.txFifo.length === 0;
  }

  private writeThr(b: number): void {
    this.thri = false;
    if (this.instant) {
      this.emit(b);
      this.thri = true;
      return;
    }
    if (this.txFifo.length >= this.depth) {
      this.stats.txDropped++;
      return;
    }
    this.txFifo.push(b);
    this.startShift();
  }

  /** Moves the next byte into the shift register if it is idle. */
  private startShift(): void {
    if (this.shifting !== undefined || this.txFifo.length === 0) return;
    this.shifting = this.txFifo.shift()!;
    this.txTimer.set(this.engine.now + this.charTimeNs);
    if (this.thrEmpty) this.thri = true;
  }

  private shiftDone(): void {
    const b = this.shifting;
    this.shifting = undefined;
    if (b !== undefined) this.emit(b);
    this.startShift();
    this.updateIrq();
  }

  private emit(b: number): void {
    this.stats.txBytes++;
    if (this.mcr & MCR_LOOP) this.rxByte(b);
    else this.output.push({ byte: b, timeNs: this.engine.now });
  }

  private rxByte(b: number): void {
    if (this.rxFifo.length >= this.depth) {
      this.stats.rxOverruns++;
      this.lsrErrors |= LSR_OE;
      return;
    }
    this.stats.rxBytes++;
    this.rxFifo.push(b);
    this.armRxTimeout();
  }

  private readRbr(): number {
    const b = this.rxFifo.shift();
    this.rxTimeout = false;
    if (b === undefined) {
      this.stats.emptyReads++;
      return 0;
    }
    this.armRxTimeout();
    this.updateIrq();
    return b;
  }

  /** In FIFO mode, data left below the trigger level raises a timeout after 4 character times. */
  private armRxTimeout(): void {
    if (this.fifoMode && this.rxFifo.length > 0) this.rxTimer.set(this.engine.now + RX_TIMEOUT_CHARS * this.charTimeNs);
    else this.rxTimer.cancel();
  }

  private rxSilence(): void {
    if (this.rxFifo.length > 0) this.rxTimeout = true;
    this.updateIrq();
  }

  private writeIer(b: number): void {
    const was = this.ier;
    this.ier = b & IER_MASK;
    if (this.ier & IER_THRI && !(was & IER_THRI) && this.thrEmpty) this.thri = true;
  }

  private writeFcr(b: number): void {
    if ((b & FCR_ENABLE) !== (this.fcr & FCR_ENABLE)) b |= FCR_CLEAR_RX | FCR_CLEAR_TX; // a mode change empties both
    if (b & FCR_CLEAR_RX) {
      this.rxFifo.length = 0;
      this.rxTimeout = false;
      this.rxTimer.cancel();
    }
    if (b & FCR_CLEAR_TX) {
      this.txFifo.length = 0;
      if (this.shifting !== undefined) this.thri = true;
    }
    this.fcr = b & ~(FCR_CLEAR_RX | FCR_CLEAR_TX);
  }

  private writeMcr(b: number): void {
    this.mcr = b;
    this.setModemInputs(b & MCR_LOOP ? loopbackInputs(b) : MODEM_INPUTS_CONNECTED);
  }

  /** New modem input levels; a change sets the delta bits (TERI on RI's trailing edge). */
  private setModemInputs(levels: number): void {
    const old = this.msr & 0xf0;
    const changed = old ^ levels;
    let deltas = this.msr & 0x0f;
    deltas |= (changed >> 4) & ~(MSR_RI >> 4);
    if (old & MSR_RI && !(levels & MSR_RI)) deltas |= MSR_TERI;
    this.msr = levels | deltas;
  }

  private readLsr(): number {
    const v = (this.rxFifo.length > 0 ? LSR_DR : 0) | this.lsrErrors
      | (this.instant || this.thrEmpty ? LSR_THRE : 0)
      | (this.instant || (this.thrEmpty && this.shifting === undefined) ? LSR_TEMT : 0);
    this.lsrErrors = 0;
    this.updateIrq();
    return v;
  }

  private readMsr(): number {
    const v = this.msr;
    this.msr &= 0xf0;
    this.updateIrq();
    return v;
  }

  /** The highest-priority pending interrupt, as IIR encodes it (without the FIFO bits). */
  private pendingId(): number {
    const ier = this.ier;
    if (ier & IER_RLSI && this.lsrErrors & LSR_ERRORS) return IIR_RLSI;
    if (ier & IER_RDI) {
      const trigger = this.fifoMode ? RX_TRIGGER_LEVELS[this.fcr >>> FCR_TRIGGER_SHIFT]! : 1;
      if (this.rxFifo.length >= trigger) return IIR_RDI;
      if (this.rxTimeout) return IIR_TIMEOUT;
    }
    if (ier & IER_THRI && this.thri) return IIR_THRI;
    if (ier & IER_MSI && this.msr & 0x0f) return IIR_MSI;
    return IIR_NO_INT;
  }

  private readIir(): number {
    const id = this.pendingId();
    if (id === IIR_THRI) this.thri = false;
    this.updateIrq();
    return id | (this.fifoMode ? IIR_FIFOS : 0);
  }

  private updateIrq(): void {
    const out2 = (this.mcr & (MCR_OUT2 | MCR_LOOP)) === MCR_OUT2;
    this.irq.set(out2 && this.pendingId() !== IIR_NO_INT);
  }
}

/** In loopback the modem outputs feed the inputs: RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD. */
function loopbackInputs(mcr: number): number {
  return (mcr & MCR_RTS ? MSR_CTS : 0) | (mcr & MCR_DTR ? MSR_DSR : 0) | (mcr & MCR_OUT1 ? MSR_RI : 0) | (mcr & MCR_OUT2 ? MSR_DCD : 0);
}
