// The unmodified kernel's serial console (in the manner of Linux's 8250 console): `init` sets
// the line format and baud rate; `write` prints by polling, as console output does:
//
//   save IER (read), mask it (write)                                   2
//   per character: poll LSR until THRE (≥ 1 read), write THR          ≥ 2
//   at the end: poll LSR until THRE and TEMT (≥ 1 read), restore IER  ≥ 2
//
// so 6 accesses for one character and 2 per further one when the transmitter keeps up (as
// with QEMU's UART, which sends at once). On a real line each character takes its time and the
// polls repeat, with a 1 µs delay between them. With `fifoBurst`, the driver fills the 16-byte
// FIFO after each THRE instead of writing one character per poll.
import { DriverIo, type GuestIo, type IoStep } from './io';
import { POLL_DELAY_NS, POLL_LIMIT } from './ata';
import { compute } from '../../hypervisor/public/guest';

export interface UartConfig {
  readonly base: number;
  readonly baud: number;
  /** Fill the transmit FIFO (16 bytes) per THRE instead of one byte per poll. */
  readonly fifoBurst: boolean;
}

export const COM1: UartConfig = { base: 0x3f8, baud: 115_200, fifoBurst: false };

const THR = 0;
const IER = 1;
const FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const LCR_8N1 = 0x03;
const LCR_DLAB = 0x80;
/** Enable FIFOs, clear both, receive trigger at 14 bytes. */
const FCR_SETUP = 0xc7;
/** DTR, RTS and OUT2 (the PC's interrupt gate). */
const MCR_SETUP = 0x0b;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
/** The divisor of 1 gives this rate from the PC's 1.8432 MHz clock. */
const BASE_BAUD = 115_200;
const TX_FIFO = 16;
const NAMES = ['rbr/thr', 'ier', 'iir/fcr', 'lcr', 'mcr', 'lsr', 'msr', 'scr'];

export class UartDriver {
  readonly dio: DriverIo;
  /** Characters written without their THRE wait succeeding (the driver gave up polling). */
  timeouts = 0;

  constructor(io: GuestIo, private readonly cfg: UartConfig = COM1) {
    this.dio = new DriverIo(io, (_s, a) => NAMES[a - cfg.base] ?? 'unknown');
  }

  *init(): IoStep<void> {
    const d = this.dio;
    const divisor = Math.max(1, Math.min(0xffff, Math.round(BASE_BAUD / this.cfg.baud)));
    d.begin();
    yield* d.out8(this.cfg.base + IER, 0);
    yield* d.out8(this.cfg.base + LCR, LCR_DLAB);
    yield* d.out8(this.cfg.base + THR, divisor & 0xff);
    yield* d.out8(this.cfg.base + IER, divisor >>> 8);
    yield* d.out8(this.cfg.base + LCR, LCR_8N1);
    yield* d.out8(this.cfg.base + FCR, FCR_SETUP);
    yield* d.out8(this.cfg.base + MCR, MCR_SETUP);
    yield* d.in8(this.cfg.base + LSR);
    d.end('init');
  }

  /** Prints the bytes (a string's characters as Latin-1). Returns the accesses it took. */
  *write(text: string | Uint8Array): IoStep<number> {
    const bytes = typeof text === 'string' ? Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff) : text;
    const d = this.dio;
    const base = this.cfg.base;
    d.begin();
    const ier = yield* d.in8(base + IER);
    yield* d.out8(base + IER, 0);
    const burst = this.cfg.fifoBurst ? TX_FIFO : 1;
    for (let i = 0; i < bytes.length; ) {
      if (!(yield* this.waitLsr(LSR_THRE))) this.timeouts++;
      for (const end = Math.min(bytes.length, i + burst); i < end; i++) yield* d.out8(base + THR, bytes[i]!);
    }
    yield* this.waitLsr(LSR_THRE | LSR_TEMT);
    yield* d.out8(base + IER, ier);
    return d.end('write');
  }

  private *waitLsr(bits: number): IoStep<boolean> {
    for (let i = 0; i < POLL_LIMIT; i++) {
      if (((yield* this.dio.in8(this.cfg.base + LSR)) & bits) === bits) return true;
      yield compute(POLL_DELAY_NS, 'kernel');
    }
    return false;
  }
}
