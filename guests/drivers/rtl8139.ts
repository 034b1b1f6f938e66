// The unmodified kernel's rtl8139 driver (in the manner of Linux's 8139too, C mode, port I/O).
// Probe: reset and wait for it, read the MAC from IDR0-5, point RBSTART at a 32 KiB receive
// ring (plus the slack a no-wrap ring needs) and the four TSADs at bounce buffers, enable the
// receiver and transmitter, set RCR and TCR, unmask interrupts. Then (REFERENCE §6.3):
//
//   transmit   copy the frame into descriptor n's bounce buffer (memcpy, no exit),
//              write TSD[n] with the size, flush read of TSD[n]                         2
//   interrupt  read ISR, ack ISR (write)                                                 2
//              per completed transmit: read TSD[n]                                       1
//              receive: mask rx (write IMR + flush); per packet read CR, write CAPR and
//              acknowledge the receive bits (read ISR, write ISR + flush); a last CR read;
//              unmask (write IMR + flush)
//
// so about 5 accesses per transmitted packet, and 5 + 5 per received one. Acknowledging each
// packet before looking for the next (rtl8139_isr_ack) is what keeps a packet that lands
// during the poll from going unnoticed.
import { DriverIo, type IoStep } from './io';
import type { NicHost } from './nic';
import type { NetDevice, TxFrame } from '../net/netdev';
import { NetDeviceStats } from '../net/netdev';
import type { Mac } from '../../hw/net/frame';
import { compute } from '../../hypervisor/public/guest';

export interface Rtl8139Config {
  readonly io: number;
  readonly irq: number;
}

export const RTL8139_DEFAULT: Rtl8139Config = { io: 0xc100, irq: 10 };

const R = { idr0: 0x00, tsd0: 0x10, tsad0: 0x20, rbstart: 0x30, cr: 0x37, capr: 0x38, imr: 0x3c, isr: 0x3e, tcr: 0x40, rcr: 0x44 } as const;
const CR_BUFE = 0x01;
const CR_TE = 0x04;
const CR_RE = 0x08;
const CR_RST = 0x10;
const INT_ROK = 0x01;
const INT_RER = 0x02;
const INT_TOK = 0x04;
const INT_TER = 0x08;
const INT_RXOVW = 0x10;
const INT_LINK = 0x20;
const INT_FOVW = 0x40;
const RX_BITS = INT_ROK | INT_RER | INT_RXOVW | INT_FOVW;
const TX_BITS = INT_TOK | INT_TER;
const INTR_MASK = RX_BITS | TX_BITS | INT_LINK;
const TSD_OWN = 0x2000;
const TSD_TOK = 0x8000;
/** RCR: accept broadcast and our address; no-wrap (WRAP=1); 32 KiB ring (RBLEN=2); DMA burst
 *  and FIFO threshold as 8139too sets them. */
const RCR_VALUE = 0x08 | 0x02 | 0x80 | (2 << 11) | (7 << 8) | (7 << 13);
const TCR_VALUE = 6 << 8; // max DMA burst 1024
const RX_RING = 32768;
const RX_ALLOC = RX_RING + 16 + 1536;
const TX_DESCS = 4;
const TX_BUF = 1536;
const ETH_ZLEN = 60;
const RX_ROK = 0x0001;
const RESET_POLLS = 1000;
const RESET_POLL_NS = 10_000;

export class Rtl8139Driver implements NetDevice {
  readonly name = 'eth0';
  readonly dio: DriverIo;
  readonly stats = new NetDeviceStats();
  /** Its bounce buffers hold an Ethernet frame of 1514 bytes: no jumbo frames. */
  readonly maxMtu = 1500;
  mac: Mac = 0;
  failed: string | undefined;
  private rxBuf = 0;
  private curRx = 0;
  private txBufs: number[] = [];
  private txCur = 0;
  private txDirty = 0;
  private readonly txFrames: (TxFrame | undefined)[] = new Array(TX_DESCS).fill(undefined);
  private readonly toKick: number[] = [];
  private isr = 0;
  /** Between ack and rearm: register accesses count toward the interrupt's operation. */
  private inIrq = false;

  constructor(private readonly host: NicHost, readonly cfg: Rtl8139Config = RTL8139_DEFAULT) {
    const names = new Map<number, string>(Object.entries(R).map(([k, v]) => [cfg.io + v, k.toUpperCase()]));
    for (let n = 1; n < TX_DESCS; n++) names.set(cfg.io + R.tsd0 + 4 * n, `TSD${n}`).set(cfg.io + R.tsad0 + 4 * n, `TSAD${n}`);
    this.dio = new DriverIo(host.io, (_s, a) => names.get(a) ?? 'unknown');
  }

  private port(off: number): number {
    return this.cfg.io + off;
  }

  *probe(): IoStep<boolean> {
    const d = this.dio;
    d.begin();
    yield* d.out8(this.port(R.cr), CR_RST);
    let cr = CR_RST;
    for (let i = 0; i < RESET_POLLS && cr & CR_RST; i++) {
      cr = yield* d.in8(this.port(R.cr));
      if (cr & CR_RST) yield compute(RESET_POLL_NS, 'kernel');
    }
    if (cr === 0xff || cr & CR_RST) return this.fail('no rtl8139 at its port, or it never left reset');
    const lo = yield* d.in32(this.port(R.idr0));
    const hi = yield* d.in32(this.port(R.idr0 + 4));
    this.mac = [lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24, hi & 0xff, (hi >>> 8) & 0xff].reduce((m, b) => m * 256 + b, 0);
    this.rxBuf = d.io.allocDma(RX_ALLOC);
    for (let n = 0; n < TX_DESCS; n += 2) {
      const page = d.io.allocDma(4096);
      this.txBufs.push(page, page + 2048);
    }
    yield* d.out8(this.port(R.cr), CR_RE | CR_TE);
    yield* d.out32(this.port(R.rcr), RCR_VALUE);
    yield* d.out32(this.port(R.tcr), TCR_VALUE);
    yield* d.out32(this.port(R.rbstart), this.rxBuf);
    for (let n = 0; n < TX_DESCS; n++) yield* d.out32(this.port(R.tsad0 + 4 * n), this.txBufs[n]!);
    yield* this.out16(R.capr, (this.curRx - 16) & 0xffff);
    yield* this.out16(R.imr, INTR_MASK);
    d.end('probe');
    return true;
  }

  private *out16(off: number, v: number): IoStep<void> {
    yield* this.dio.out16(this.port(off), v);
  }

  private fail(why: string): boolean {
    this.failed = why;
    this.dio.end('probe');
    return false;
  }

  /** Free descriptors: a frame takes one however many fragments it has (it is copied). */
  txRoom(): number {
    if (this.failed) return 0;
    let free = 0;
    for (let i = 0; i < TX_DESCS && this.txFrames[(this.txCur + i) % TX_DESCS] === undefined; i++) free++;
    return free;
  }

  /** Copies the frame into the next bounce buffer (8139too's memcpy); the TSD write is the kick. */
  queue(f: TxFrame): boolean {
    if (this.txRoom() === 0 || f.bytes > TX_BUF) return false;
    const n = this.txCur;
    let at = this.txBufs[n]!;
    for (const frag of f.frags) {
      this.dio.memory.write(at, this.dio.memory.read(frag.gpa, frag.len));
      at += frag.len;
    }
    this.host.charge(f.bytes / this.host.memcpyBytesPerNs);
    f.done(); // the frame's own memory is free once copied
    this.txFrames[n] = f;
    this.toKick.push(n);
    this.txCur = (n + 1) % TX_DESCS;
    this.stats.txFrames++;
    this.stats.txBytes += f.bytes;
    return true;
  }

  *kick(): IoStep<void> {
    while (this.toKick.length > 0) {
      const n = this.toKick.shift()!;
      const size = Math.max(ETH_ZLEN, this.txFrames[n]!.bytes);
      this.stats.kicks++;
      if (!this.inIrq) this.dio.begin();
      yield* this.dio.out32(this.port(R.tsd0 + 4 * n), size);
      yield* this.dio.in32(this.port(R.tsd0 + 4 * n));
      if (!this.inIrq) this.dio.end('xmit');
    }
  }

  signalled(): boolean {
    return this.host.takeIrq(this.cfg.irq);
  }

  /** rtl8139_interrupt: read ISR, acknowledge its transmit and link bits; mask receive while
   *  NAPI polls. */
  *ack(): IoStep<void> {
    this.stats.interrupts++;
    this.host.charge(this.host.irqEntryNs);
    const d = this.dio;
    this.inIrq = true;
    d.begin();
    this.isr = yield* this.in16(R.isr);
    if (this.isr === 0xffff) this.isr = 0;
    const ack = this.isr & ~RX_BITS;
    if (ack) yield* this.out16(R.isr, ack);
    if (this.isr & RX_BITS) {
      yield* this.out16(R.imr, INTR_MASK & ~RX_BITS);
      yield* this.in16(R.imr);
    }
  }

  *poll(budget: number): IoStep<Uint8Array[]> {
    if (this.isr & TX_BITS) yield* this.cleanTx();
    if (!(this.isr & RX_BITS)) return [];
    const out: Uint8Array[] = [];
    while (out.length < budget && !((yield* this.dio.in8(this.port(R.cr))) & CR_BUFE)) {
      const f = this.takeRx();
      if (f === undefined) break;
      if (f) out.push(f);
      yield* this.out16(R.capr, (this.curRx - 16) & 0xffff);
      yield* this.isrAck();
    }
    if (out.length === 0) yield* this.isrAck();
    return out;
  }

  /** rtl8139_isr_ack: acknowledge the receive causes that are set. */
  private *isrAck(): IoStep<void> {
    const raw = yield* this.in16(R.isr);
    const status = raw & RX_BITS;
    if (status === 0 || raw === 0xffff) return; // nothing, or a vanished device (all ones)
    yield* this.out16(R.isr, status);
    yield* this.in16(R.isr);
  }

  *rearm(): IoStep<void> {
    if (this.isr & RX_BITS) {
      yield* this.out16(R.imr, INTR_MASK);
      yield* this.in16(R.imr);
    }
    this.isr = 0;
    this.inIrq = false;
    this.dio.end('irq');
  }

  private *in16(off: number): IoStep<number> {
    return yield* this.dio.in16(this.port(off));
  }

  /** rtl8139_tx_interrupt: every descriptor the NIC finished, in order. */
  private *cleanTx(): IoStep<void> {
    for (let i = 0; i < TX_DESCS && this.txFrames[this.txDirty] !== undefined && !this.toKick.includes(this.txDirty); i++) {
      const tsd = yield* this.dio.in32(this.port(R.tsd0 + 4 * this.txDirty));
      if (!(tsd & (TSD_OWN | TSD_TOK))) return;
      if (!(tsd & TSD_TOK)) this.stats.txErrors++;
      this.txFrames[this.txDirty] = undefined;
      this.txDirty = (this.txDirty + 1) % TX_DESCS;
    }
  }

  /** One packet from the ring at curRx: its header copied once and checked. Undefined: the
   *  ring is broken (a reset would follow); null: a bad packet skipped. */
  private takeRx(): Uint8Array | null | undefined {
    const hdr = this.dio.memory.read(this.rxBuf + this.curRx, 4);
    const status = hdr[0]! | (hdr[1]! << 8);
    const len = hdr[2]! | (hdr[3]! << 8);
    if (!(status & RX_ROK) || len < 4 + 14 || len > 1536 + 4) {
      this.stats.rxErrors++;
      this.failed ??= `receive ring corrupt at ${this.curRx} (status ${status.toString(16)}, length ${len})`;
      return undefined;
    }
    const frame = this.dio.memory.read(this.rxBuf + this.curRx + 4, len - 4);
    this.curRx = (this.curRx + len + 4 + 3) & ~3 & (RX_RING - 1);
    this.stats.rxFrames++;
    this.stats.rxBytes += frame.length;
    return frame;
  }
}
