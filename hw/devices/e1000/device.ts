// An Intel 82540EM ("e1000") on MMIO BAR0, as QEMU emulates it and as the native machine's NIC.
// This file is the register file, the interrupt logic and the EEPROM; the rings are in
// rings.ts.
//
// Interrupts: a cause (TXDW when a descriptor with RS is done, RXT0 when a frame was received,
// RXO when one was missed, LSC) sets its ICR bit; the line is asserted while ICR & IMS is not
// 0. Reading ICR returns and clears every cause and drops the line; IMS sets mask bits, IMC
// clears them, ICS raises causes by hand. Interrupt moderation (§13.4.18): with ITR non-zero
// the line is asserted at most once per ITR × 256 ns; a cause arriving sooner waits for the
// interval to end. A transmit ring whose backend is busy stops, keeping its frame, until the
// backend says it is ready. Writing TDT runs the transmit ring at once; writing RDT tells the
// backend there are buffers again.
//
// Accesses are 32-bit registers: anything else is answered all-ones or dropped, and counted.
// Who calls it: an IoSpace (register accesses) and its backend (frames in, backend ready).
import { Timer, type Engine } from '../../engine';
import { allOnes, IrqOutput, type AddressSpace, type DmaMemory, type IoSize, type IrqLine, type MmioRange, type PortDevice, type PortRange } from '../bus';
import type { Mac } from '../../net/frame';
import { BROADCAST_MAC, frameDstMac } from '../../net/frame';
import type { EthernetBackend, NicModel, RxResult } from '../../net/ethernet';
import { E1000Stats, emptyRing, receiveInto, TxEngine, usableRing, type RingRegs } from './rings';
import {
  CTRL_RST, DEFAULT_E1000_MMIO, E1000_MMIO_SIZE, EEPROM_WORDS, EERD_ADDR_SHIFT, EERD_DATA_SHIFT, EERD_DONE, EERD_START,
  ICR_INT_ASSERTED, ICR_LSC, ICR_RXO, ICR_RXT0, ICR_TXDW, ICR_TXQE, ICR_VALID, ITR_UNIT_NS, RCTL_BAM, RCTL_EN, RCTL_UPE,
  REG_CTRL, REG_EECD, REG_EERD, REG_GPRC, REG_GPTC, REG_ICR, REG_ICS, REG_IMC, REG_IMS, REG_ITR, REG_MPC, REG_RAH0,
  REG_RAL0, REG_RCTL, REG_RDBAH, REG_RDBAL, REG_RDH, REG_RDLEN, REG_RDT, REG_STATUS, REG_TCTL, REG_TDBAH, REG_TDBAL,
  REG_TDH, REG_TDLEN, REG_TDT, rxBufferBytes, macToRa, raToMac, RAH_AV, STATUS_FD, STATUS_LU, STATUS_SPEED_1000, TCTL_EN,
} from './regs';

export interface E1000Options {
  readonly mac: Mac;
  /** Where BAR0 was placed. */
  readonly mmio?: number;
}

/** EEPROM words must sum to this (the driver checks it). */
const EEPROM_SUM = 0xbaba;

export class E1000 implements PortDevice, NicModel {
  readonly name = 'e1000';
  readonly ports: PortRange[] = [];
  readonly mmio: MmioRange[];
  readonly stats = new E1000Stats();
  onRxSpace: (() => void) | undefined;
  private readonly base: number;
  private readonly irq: IrqOutput;
  private readonly tx: TxEngine;
  private readonly throttle: Timer;
  private readonly eeprom: Uint16Array;
  private regs = new Map<number, number>();
  private icr = 0;
  private ims = 0;
  private lastIrqAt = -Infinity;
  private txRing: RingRegs = emptyRing();
  private rxRing: RingRegs = emptyRing();
  private counters = { gprc: 0, gptc: 0, mpc: 0 };

  constructor(
    private readonly engine: Engine,
    irq: IrqLine,
    private readonly mem: DmaMemory,
    private readonly backend: EthernetBackend,
    readonly opts: E1000Options,
  ) {
    this.base = opts.mmio ?? DEFAULT_E1000_MMIO;
    this.mmio = [{ base: this.base, size: E1000_MMIO_SIZE }];
    this.irq = new IrqOutput(irq);
    this.tx = new TxEngine(mem, this.stats);
    this.throttle = new Timer(engine, () => this.updateIrq());
    this.eeprom = eepromFor(opts.mac);
    this.reset();
  }

  get mac(): Mac {
    return this.opts.mac;
  }

  /** Register state for tests (no side effects). */
  inspect(): { icr: number; ims: number; itr: number; tdh: number; tdt: number; rdh: number; rdt: number } {
    return { icr: this.icr, ims: this.ims, itr: this.reg(REG_ITR), tdh: this.txRing.head, tdt: this.txRing.tail, rdh: this.rxRing.head, rdt: this.rxRing.tail };
  }

  read(addr: number, size: IoSize, space: AddressSpace): number {
    const off = addr - this.base;
    if (space !== 'mmio' || size !== 4 || off % 4 !== 0) {
      this.stats.misaligned++;
      return allOnes(size);
    }
    return this.readReg(off) >>> 0;
  }

  write(addr: number, size: IoSize, value: number, space: AddressSpace): void {
    const off = addr - this.base;
    if (space !== 'mmio' || size !== 4 || off % 4 !== 0) {
      this.stats.misaligned++;
      return;
    }
    this.writeReg(off, value >>> 0);
  }

  /** A frame from the backend. */
  receive(frame: Uint8Array): RxResult {
    const rctl = this.reg(REG_RCTL);
    if (!(rctl & RCTL_EN) || !this.accepts(frameDstMac(frame), rctl)) {
      this.stats.rxFiltered++;
      return 'filtered';
    }
    const n = usableRing(this.rxRing, this.stats);
    if (!receiveInto(this.mem, this.rxRing, n, rxBufferBytes(rctl), frame)) {
      this.stats.rxNoBuffers++;
      this.counters.mpc++;
      this.cause(ICR_RXO);
      return 'no-buffers';
    }
    this.stats.rxFrames++;
    this.stats.rxBytes += frame.length;
    this.counters.gprc++;
    this.cause(ICR_RXT0);
    return 'ok';
  }

  backendReady(): void {
    this.runTx();
  }

  private accepts(dst: Mac, rctl: number): boolean {
    if (rctl & RCTL_UPE) return true;
    if (dst === BROADCAST_MAC) return (rctl & RCTL_BAM) !== 0;
    const rah = this.reg(REG_RAH0);
    return (rah & RAH_AV) !== 0 && dst === raToMac(this.reg(REG_RAL0), rah);
  }

  private reg(off: number): number {
    return this.regs.get(off) ?? 0;
  }

  private readReg(off: number): number {
    switch (off) {
      case REG_STATUS: return STATUS_FD | STATUS_LU | STATUS_SPEED_1000;
      case REG_ICR: return this.readIcr();
      case REG_IMS: return this.ims;
      case REG_RDBAL: return this.rxRing.bal;
      case REG_RDBAH: return this.rxRing.bah;
      case REG_RDLEN: return this.rxRing.len;
      case REG_RDH: return this.rxRing.head;
      case REG_RDT: return this.rxRing.tail;
      case REG_TDBAL: return this.txRing.bal;
      case REG_TDBAH: return this.txRing.bah;
      case REG_TDLEN: return this.txRing.len;
      case REG_TDH: return this.txRing.head;
      case REG_TDT: return this.txRing.tail;
      case REG_GPRC: return this.takeCounter('gprc');
      case REG_GPTC: return this.takeCounter('gptc');
      case REG_MPC: return this.takeCounter('mpc');
      default: return this.reg(off);
    }
  }

  private writeReg(off: number, v: number): void {
    switch (off) {
      case REG_CTRL: return v & CTRL_RST ? this.reset() : void this.regs.set(off, v);
      case REG_STATUS: return void this.stats.ignoredWrites++;
      case REG_EERD: return this.readEeprom(v);
      case REG_ICR: this.icr &= ~v; return this.updateIrq();
      case REG_ICS: return this.cause(v & ICR_VALID);
      case REG_IMS: this.ims |= v & ICR_VALID; return this.updateIrq();
      case REG_IMC: this.ims &= ~v; return this.updateIrq();
      case REG_ITR: this.regs.set(off, v & 0xffff); return this.updateIrq();
      case REG_TDT: this.txRing.tail = v & 0xffff; return this.runTx();
      case REG_RDT: this.rxRing.tail = v & 0xffff; return this.onRxSpace?.();
      case REG_TCTL: this.regs.set(off, v); return v & TCTL_EN ? this.runTx() : undefined;
      default: return this.writeRing(off, v) ? undefined : void this.regs.set(off, v);
    }
  }

  /** Ring base, length, head and tail registers; false if `off` is none of them. */
  private writeRing(off: number, v: number): boolean {
    const ring = off >= REG_TDBAL && off <= REG_TDT ? this.txRing : off >= REG_RDBAL && off <= REG_RDT ? this.rxRing : undefined;
    if (!ring) return false;
    switch (off - (ring === this.txRing ? REG_TDBAL : REG_RDBAL)) {
      case 0x0: ring.bal = v; return true;
      case 0x4: ring.bah = v; return true;
      case 0x8: ring.len = v & 0xf_ff80; return true;
      case 0x10: ring.head = v & 0xffff; return true;
      default: return false;
    }
  }

  private runTx(): void {
    if (!(this.reg(REG_TCTL) & TCTL_EN)) return;
    const before = this.stats.txFrames;
    const r = this.tx.run(this.txRing, (f) => this.backend.send(f));
    this.counters.gptc += this.stats.txFrames - before;
    let causes = r.written ? ICR_TXDW : 0;
    if (this.txRing.head === this.txRing.tail) causes |= ICR_TXQE;
    if (causes) this.cause(causes);
  }

  private readEeprom(v: number): void {
    if (!(v & EERD_START)) return void this.regs.set(REG_EERD, v);
    const addr = (v >>> EERD_ADDR_SHIFT) & 0xff;
    const data = addr < EEPROM_WORDS ? this.eeprom[addr]! : 0xffff;
    this.regs.set(REG_EERD, ((data << EERD_DATA_SHIFT) | (addr << EERD_ADDR_SHIFT) | EERD_DONE) >>> 0);
  }

  private readIcr(): number {
    const v = this.icr | ((this.icr & this.ims) !== 0 ? ICR_INT_ASSERTED : 0);
    this.icr = 0;
    this.updateIrq();
    return v;
  }

  private takeCounter(k: 'gprc' | 'gptc' | 'mpc'): number {
    const v = this.counters[k];
    this.counters[k] = 0;
    return v;
  }

  private cause(bits: number): void {
    this.icr |= bits;
    this.updateIrq();
  }

  /** Asserts the line for unmasked causes, no sooner than ITR allows after the last time. */
  private updateIrq(): void {
    if ((this.icr & this.ims) === 0) return void this.irq.set(false);
    if (this.irq.asserted) return;
    const interval = this.reg(REG_ITR) * ITR_UNIT_NS;
    const now = this.engine.now;
    if (interval > 0 && now < this.lastIrqAt + interval) {
      if (!this.throttle.armed) this.throttle.set(this.lastIrqAt + interval);
      return;
    }
    this.lastIrqAt = now;
    this.stats.interrupts++;
    this.irq.set(true);
  }

  /** CTRL.RST: every register to its power-on value; the MAC reloads from the EEPROM. */
  private reset(): void {
    this.stats.resets++;
    const ra = macToRa(this.opts.mac);
    this.regs = new Map([[REG_EECD, 0x100], [REG_RAL0, ra.ral], [REG_RAH0, ra.rah]]);
    this.icr = 0;
    this.ims = 0;
    this.txRing = emptyRing();
    this.rxRing = emptyRing();
    this.tx.reset();
    this.throttle.cancel();
    this.irq.set(false);
    this.cause(ICR_LSC);
  }
}

/** The EEPROM image: the MAC in words 0-2 (low byte first), the checksum in word 0x3f. */
function eepromFor(mac: Mac): Uint16Array {
  const e = new Uint16Array(EEPROM_WORDS);
  const bytes = Array.from({ length: 6 }, (_, i) => Math.floor(mac / 2 ** (8 * (5 - i))) % 256);
  for (let w = 0; w < 3; w++) e[w] = bytes[2 * w]! | (bytes[2 * w + 1]! << 8);
  let sum = 0;
  for (let w = 0; w < EEPROM_WORDS - 1; w++) sum += e[w]!;
  e[EEPROM_WORDS - 1] = (EEPROM_SUM - sum) & 0xffff;
  return e;
}
