// A Realtek RTL8139C in its original ("C") mode, on an I/O BAR, as QEMU's rtl8139 emulates it.
//
// Transmit: four descriptors used round robin. Writing a descriptor's TSD with the frame size
// and OWN clear starts it: the NIC reads that many bytes from the descriptor's TSAD by DMA,
// sends the frame, and sets OWN and TOK in the TSD and TOK in ISR. Receive: one ring buffer at
// RBSTART; each frame is written at CBR behind a 4-byte header (status, length with CRC), and
// CBR moves on, 4-byte aligned. The driver reads packets from its own memory and writes CAPR
// (its read offset minus 16); a frame that does not fit in the space up to CAPR is dropped
// with RXOVW. BUFE in CR reads 1 while the driver has read everything.
// The interrupt line is asserted while ISR & IMR is not 0; ISR bits clear when written with 1.
// It is level-triggered: still asserted after an acknowledgement, it interrupts again.
//
// Registers are bytes, words and dwords at their offsets; any access width works on the
// register file byte by byte, with the side effects of the register it touches.
// Who calls it: an IoSpace and its backend. No guest access or memory content makes it throw.
import { allOnes, IrqOutput, readBytes, writeBytes, type AddressSpace, type DmaMemory, type IoSize, type IrqLine, type PortDevice, type PortRange } from '../bus';
import { BROADCAST_MAC, frameDstMac, readMac, writeMac, type Mac } from '../../net/frame';
import type { EthernetBackend, NicModel, RxResult } from '../../net/ethernet';
import {
  CR_BUFE, CR_RE, CR_RST, CR_TE, DEFAULT_RTL8139_IO, INT_LINKCHG, INT_ROK, INT_RXOVW, INT_TOK, INT_VALID, MAX_FRAME,
  R_CAPR, R_CBR, R_CR, R_IDR0, R_IMR, R_ISR, R_MPC, R_MSR, R_RBSTART, R_RCR, R_TSAD0, R_TSD0,
  RCR_AAP, RCR_AB, RCR_APM, RCR_WRAP, RTL8139_IO_SIZE, RX_CRC_BYTES, RX_HEADER_BYTES, RX_ROK, rxRingBytes, TSD_OWN,
  TSD_SIZE_MASK, TSD_TOK, TX_DESCS,
} from './regs';

export interface Rtl8139Options {
  readonly mac: Mac;
  readonly io?: number;
}

export class Rtl8139Stats {
  txFrames = 0;
  txBytes = 0;
  rxFrames = 0;
  rxBytes = 0;
  /** Frames that found no room in the receive buffer (RXOVW). */
  rxNoBuffers = 0;
  rxFiltered = 0;
  /** Transmits of a size the NIC refuses (0, or above the longest frame). */
  txBadFrames = 0;
  interrupts = 0;
  resets = 0;
}

export class Rtl8139 implements PortDevice, NicModel {
  readonly name = 'rtl8139';
  readonly ports: PortRange[];
  readonly stats = new Rtl8139Stats();
  onRxSpace: (() => void) | undefined;
  private readonly base: number;
  private readonly irq: IrqOutput;
  private regs = new Uint8Array(RTL8139_IO_SIZE);
  private isr = 0;
  private cbr = 0;
  /** Descriptors whose frame the backend refused, oldest first. */
  private readonly waiting: number[] = [];

  constructor(
    irq: IrqLine,
    private readonly mem: DmaMemory,
    private readonly backend: EthernetBackend,
    readonly opts: Rtl8139Options,
  ) {
    this.base = opts.io ?? DEFAULT_RTL8139_IO;
    this.ports = [{ base: this.base, count: RTL8139_IO_SIZE }];
    this.irq = new IrqOutput(irq);
    this.reset();
  }

  get mac(): Mac {
    return readMac(this.regs, R_IDR0);
  }

  read(addr: number, size: IoSize, space: AddressSpace): number {
    if (space !== 'pio') return allOnes(size);
    return readBytes(addr, size, (a) => this.readByte(a - this.base));
  }

  write(addr: number, size: IoSize, value: number, space: AddressSpace): void {
    if (space !== 'pio') return;
    const off = addr - this.base;
    writeBytes(addr, size, value, (a, b) => this.writeByte(a - this.base, b));
    this.afterWrite(off, size);
  }

  receive(frame: Uint8Array): RxResult {
    const rcr = this.u32(R_RCR);
    if (!(this.regs[R_CR]! & CR_RE) || !this.accepts(frameDstMac(frame), rcr) || frame.length > MAX_FRAME) {
      this.stats.rxFiltered++;
      return 'filtered';
    }
    const len = rxRingBytes(rcr);
    const total = RX_HEADER_BYTES + frame.length + RX_CRC_BYTES;
    if (this.rxFree(len) < total + 4) {
      this.stats.rxNoBuffers++;
      this.isr |= INT_RXOVW;
      this.updateIrq();
      return 'no-buffers';
    }
    const packet = new Uint8Array(total);
    packet[0] = RX_ROK & 0xff;
    packet[1] = RX_ROK >>> 8;
    packet[2] = (frame.length + RX_CRC_BYTES) & 0xff;
    packet[3] = (frame.length + RX_CRC_BYTES) >>> 8;
    packet.set(frame, RX_HEADER_BYTES);
    this.writeRing(packet, len, (rcr & RCR_WRAP) !== 0);
    this.cbr = (this.cbr + ((total + 3) & ~3)) % len;
    this.stats.rxFrames++;
    this.stats.rxBytes += frame.length;
    this.isr |= INT_ROK;
    this.updateIrq();
    return 'ok';
  }

  backendReady(): void {
    while (this.waiting.length > 0) {
      if (!this.sendDesc(this.waiting[0]!)) return;
      this.waiting.shift();
    }
  }

  private accepts(dst: Mac, rcr: number): boolean {
    if (rcr & RCR_AAP) return true;
    if (dst === BROADCAST_MAC) return (rcr & RCR_AB) !== 0;
    return (rcr & RCR_APM) !== 0 && dst === this.mac;
  }

  /** Bytes free between CBR and the driver's read pointer (CAPR + 16). */
  private rxFree(len: number): number {
    const readPtr = (this.u16(R_CAPR) + 16) % len;
    return readPtr === this.cbr ? len : (readPtr - this.cbr + len) % len;
  }

  private writeRing(packet: Uint8Array, len: number, linear: boolean): void {
    const start = this.u32(R_RBSTART);
    const first = linear ? packet.length : Math.min(packet.length, len - this.cbr);
    this.mem.write(start + this.cbr, packet.subarray(0, first));
    if (first < packet.length) this.mem.write(start, packet.subarray(first));
  }

  private readByte(off: number): number {
    if (off < 0 || off >= RTL8139_IO_SIZE) return 0xff;
    if (off === R_CR) return (this.regs[R_CR]! & (CR_RE | CR_TE)) | (this.rxEmpty() ? CR_BUFE : 0);
    if (off === R_ISR || off === R_ISR + 1) return (this.isr >>> (8 * (off - R_ISR))) & 0xff;
    if (off === R_CBR || off === R_CBR + 1) return (this.cbr >>> (8 * (off - R_CBR))) & 0xff;
    return this.regs[off]!;
  }

  private writeByte(off: number, b: number): void {
    if (off < 0 || off >= RTL8139_IO_SIZE) return;
    if (off === R_ISR || off === R_ISR + 1) this.isr &= ~(b << (8 * (off - R_ISR)));
    else if (off === R_CBR || off === R_CBR + 1 || off === R_MSR) return;
    else if (off >= R_MPC && off < R_MPC + 4) this.regs.fill(0, R_MPC, R_MPC + 4);
    else this.regs[off] = b;
  }

  /** The side effects of a write that covered offsets [off, off+size). */
  private afterWrite(off: number, size: number): void {
    const touches = (reg: number, width: number): boolean => off < reg + width && reg < off + size;
    if (touches(R_CR, 1) && this.regs[R_CR]! & CR_RST) return this.reset();
    for (let n = 0; n < TX_DESCS; n++) if (touches(R_TSD0 + 4 * n, 2)) this.startTx(n);
    if (touches(R_CAPR, 2)) this.onRxSpace?.();
    if (touches(R_ISR, 2)) this.updateIrq(true);
    else if (touches(R_IMR, 2)) this.updateIrq();
  }

  private rxEmpty(): boolean {
    return (this.u16(R_CAPR) + 16) % rxRingBytes(this.u32(R_RCR)) === this.cbr;
  }

  /** A TSD written with OWN clear: fetch the frame and send it (unless the backend is busy). */
  private startTx(n: number): void {
    const tsd = this.u32(R_TSD0 + 4 * n);
    if (tsd & TSD_OWN || !(this.regs[R_CR]! & CR_TE) || this.waiting.includes(n)) return;
    if (this.waiting.length > 0 || !this.sendDesc(n)) this.waiting.push(n);
  }

  /** Sends descriptor `n`'s frame; false if the backend refused it (the TSD stays unowned). */
  private sendDesc(n: number): boolean {
    const tsd = this.u32(R_TSD0 + 4 * n);
    const size = tsd & TSD_SIZE_MASK;
    if (size === 0 || size > MAX_FRAME) {
      this.stats.txBadFrames++;
      this.setU32(R_TSD0 + 4 * n, (tsd | TSD_OWN) >>> 0);
      return true;
    }
    const frame = this.mem.read(this.u32(R_TSAD0 + 4 * n), size);
    if (!this.backend.send(frame)) return false;
    this.stats.txFrames++;
    this.stats.txBytes += size;
    this.setU32(R_TSD0 + 4 * n, (tsd | TSD_OWN | TSD_TOK) >>> 0);
    this.isr |= INT_TOK;
    this.updateIrq();
    return true;
  }

  /**
   * Drives INTA# from ISR & IMR. The line is level-triggered: after the driver acknowledges
   * some causes (`resample`), a line still asserted by others is seen again by the interrupt
   * controller, which the edge-driven IrqLine gets as a fresh edge.
   */
  private updateIrq(resample = false): void {
    const level = (this.isr & this.u16(R_IMR) & INT_VALID) !== 0;
    if (level && resample && this.irq.asserted) this.irq.set(false);
    if (level && !this.irq.asserted) this.stats.interrupts++;
    this.irq.set(level);
  }

  private reset(): void {
    this.stats.resets++;
    const mac = this.regs.every((b) => b === 0) ? this.opts.mac : this.mac;
    this.regs = new Uint8Array(RTL8139_IO_SIZE);
    writeMac(this.regs, R_IDR0, mac);
    this.regs[R_MSR] = 0; // LINKB and SPEED_10 clear: the link is up at 100 Mb/s
    for (let n = 0; n < TX_DESCS; n++) this.setU32(R_TSD0 + 4 * n, TSD_OWN);
    this.setU16(R_CAPR, 0xfff0); // read pointer 0: the ring starts empty
    this.isr = INT_LINKCHG;
    this.cbr = 0;
    this.waiting.length = 0;
    this.updateIrq();
  }

  private u16(off: number): number {
    return this.regs[off]! | (this.regs[off + 1]! << 8);
  }

  private u32(off: number): number {
    return (this.u16(off) | (this.u16(off + 2) << 16)) >>> 0;
  }

  private setU16(off: number, v: number): void {
    this.regs[off] = v & 0xff;
    this.regs[off + 1] = (v >>> 8) & 0xff;
  }

  private setU32(off: number, v: number): void {
    this.setU16(off, v & 0xffff);
    this.setU16(off + 2, v >>> 16);
  }
}
