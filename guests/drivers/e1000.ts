// The unmodified kernel's e1000 driver (in the manner of Linux's drivers/net/ethernet/intel/
// e1000, abridged). Probe: reset, read the MAC and check the EEPROM checksum through EERD,
// program the receive address, the two descriptor rings, the receive buffers, interrupt
// moderation (InterruptThrottleRate) and the interrupt mask. Per packet everything is done in
// memory — descriptors, buffers, status write-backs — and the registers see only (REFERENCE
// §6.3):
//
//   transmit   TDT once per batch of queued frames                                1
//   interrupt  read ICR, write IMC, flush (read STATUS)                           3
//   poll       RDT once if receive buffers were handed back                      (1)
//   re-enable  write IMS, flush (read STATUS)                                     2
//
// so about 6 accesses per interrupt-completed packet; moderation and batching spread them.
//
// Interrupt moderation follows the driver's InterruptThrottleRate parameter: 0 leaves ITR off,
// 100 or more programs that many interrupts per second, and 1 (dynamic) or 3 (dynamic
// conservative) let the driver pick the rate after each interrupt from the traffic it just
// handled, as the dynamic modes of Linux's e1000 (7.3.x on) do: 70,000 interrupts per second
// while a frame or two of small packets come at a time, 20,000 for mixed traffic, 4,000 once
// full-sized frames move in bulk; the conservative mode never goes above 20,000. A change of
// rate is one more register write (an ITR write, in the interrupt's operation).
import { DriverIo, type IoStep } from './io';
import type { NicHost } from './nic';
import type { NetDevice, TxFrame } from '../net/netdev';
import { NetDeviceStats } from '../net/netdev';
import type { Mac } from '../../hw/net/frame';

export interface E1000Config {
  readonly mmio: number;
  readonly irq: number;
  /** InterruptThrottleRate: 0 = no moderation, 1 = dynamic, 3 = dynamic conservative, or
   *  interrupts per second at most (100 or more). */
  readonly itr: number;
}

/** InterruptThrottleRate's dynamic modes. */
export const ITR_DYNAMIC = 1;
export const ITR_DYNAMIC_CONSERVATIVE = 3;
/** The rates of the dynamic modes' traffic classes: lowest latency, low latency, bulk. */
export const ITR_CLASS_RATES = [70_000, 20_000, 4_000] as const;
const LOWEST = 0;
const LOW = 1;
const BULK = 2;
/** Where the dynamic modes start: low latency. */
const ITR_START_CLASS = LOW;

/**
 * The traffic class of what one interrupt's poll handled in one direction (frames and bytes),
 * given the class in force. Full-sized frames in quantity are bulk; a frame or two of small
 * packets are latency traffic; bulk holds while traffic stays heavy, and otherwise it is low.
 */
export function trafficClass(current: number, frames: number, bytes: number): number {
  if (frames === 0) return current;
  const avg = bytes / frames;
  if (bytes > 10_000 && avg > 1_200) return BULK;
  if (current === BULK && bytes > 6_000) return BULK;
  if (frames <= 2 && bytes < 512) return LOWEST;
  return LOW;
}

export const E1000_DEFAULT: E1000Config = { mmio: 0xfeb8_0000, irq: 10, itr: ITR_DYNAMIC };

const R = {
  ctrl: 0x0000, status: 0x0008, eerd: 0x0014, icr: 0x00c0, itr: 0x00c4, ims: 0x00d0, imc: 0x00d8, rctl: 0x0100,
  tctl: 0x0400, tipg: 0x0410, rdbal: 0x2800, rdbah: 0x2804, rdlen: 0x2808, rdh: 0x2810, rdt: 0x2818, tdbal: 0x3800,
  tdbah: 0x3804, tdlen: 0x3808, tdh: 0x3810, tdt: 0x3818, ral0: 0x5400, rah0: 0x5404,
} as const;
const CTRL_RST = 1 << 26;
const CTRL_SLU = 1 << 6;
const STATUS_LU = 1 << 1;
const EERD_START = 1;
const EERD_DONE = 1 << 4;
const EEPROM_WORDS = 64;
const EEPROM_SUM = 0xbaba;
const RCTL_EN = 1 << 1;
const RCTL_BAM = 1 << 15;
const RCTL_SECRC = 1 << 26;
const TCTL_EN = 1 << 1;
const TCTL_PSP = 1 << 3;
/** IEEE 802.3 inter-packet gap values for copper (Linux DEFAULT_82543_TIPG_*). */
const TIPG_COPPER = 8 | (8 << 10) | (6 << 20);
/** RXT0 | TXDW | RXDMT0 | RXO | LSC: Linux's IMS_ENABLE_MASK. */
const IMS_ENABLE = (1 << 7) | (1 << 0) | (1 << 4) | (1 << 6) | (1 << 2);
const TXD_EOP = 1;
const TXD_IFCS = 2;
const TXD_RS = 8;
const TXD_DD = 1;
const RXD_DD = 1;
const RXD_EOP = 2;
const DESCS = 256;
const DESC = 16;
const RX_BUF = 2048;
const PAGE = 4096;
/** The longest frame the driver reassembles from receive buffers. */
const MAX_RX_FRAME = 16384;

interface Outstanding {
  frame: TxFrame;
  last: number;
  descs: number;
}

export class E1000Driver implements NetDevice {
  readonly name = 'eth0';
  readonly dio: DriverIo;
  readonly stats = new NetDeviceStats();
  mac: Mac = 0;
  failed: string | undefined;
  private txRing = 0;
  private rxRing = 0;
  private rxBufs: number[] = [];
  private txUse = 0;
  private txInUse = 0;
  private txPending = false;
  private readonly outstanding: Outstanding[] = [];
  private rxNext = 0;
  private rxTail = DESCS - 1;
  private rxPartial: Uint8Array[] = [];
  /** Between ack and rearm: register accesses count toward the interrupt's operation. */
  private inIrq = false;
  /** The dynamic modes: the class in force, and what this interrupt's polls handled. */
  private itrClass = ITR_START_CLASS;
  private irqTx = { frames: 0, bytes: 0 };
  private irqRx = { frames: 0, bytes: 0 };

  constructor(private readonly host: NicHost, readonly cfg: E1000Config = E1000_DEFAULT) {
    const names = new Map<number, string>(Object.entries(R).map(([k, v]) => [cfg.mmio + v, k.toUpperCase()]));
    this.dio = new DriverIo(host.io, (_s, a) => names.get(a) ?? 'unknown');
  }

  private reg(off: number): number {
    return this.cfg.mmio + off;
  }

  /** Finds, resets and brings up the NIC; false (with `failed`) if it is not there or broken. */
  *probe(): IoStep<boolean> {
    const d = this.dio;
    d.begin();
    yield* d.mmw(this.reg(R.ctrl), CTRL_RST);
    const status = yield* d.mmr(this.reg(R.status));
    if (status === 0xffff_ffff) return this.fail('no e1000 at its BAR');
    const eeprom = yield* this.readEeprom();
    if (!eeprom) return this.fail('EEPROM checksum is not 0xBABA');
    this.mac = [0, 1, 2].reduce((m, w) => m * 65536 + (((eeprom[w]! & 0xff) << 8) | (eeprom[w]! >>> 8)), 0);
    yield* this.setupTx();
    yield* this.setupRx();
    if (this.interruptRate > 0) yield* d.mmw(this.reg(R.itr), itrInterval(this.interruptRate));
    yield* d.mmw(this.reg(R.ctrl), CTRL_SLU);
    yield* d.mmr(this.reg(R.icr));
    yield* d.mmw(this.reg(R.ims), IMS_ENABLE);
    if (!((yield* d.mmr(this.reg(R.status))) & STATUS_LU)) return this.fail('link down');
    d.end('probe');
    return true;
  }

  private *readEeprom(): IoStep<number[] | undefined> {
    const words: number[] = [];
    for (let a = 0; a < EEPROM_WORDS; a++) {
      yield* this.dio.mmw(this.reg(R.eerd), (a << 8) | EERD_START);
      const v = yield* this.dio.mmr(this.reg(R.eerd));
      if (!(v & EERD_DONE)) return undefined;
      words.push(v >>> 16);
    }
    return (words.reduce((s, w) => s + w, 0) & 0xffff) === EEPROM_SUM ? words : undefined;
  }

  private *setupTx(): IoStep<void> {
    const d = this.dio;
    this.txRing = d.io.allocDma(DESCS * DESC);
    d.memory.write(this.txRing, new Uint8Array(DESCS * DESC));
    yield* d.mmw(this.reg(R.tdbal), this.txRing);
    yield* d.mmw(this.reg(R.tdbah), 0);
    yield* d.mmw(this.reg(R.tdlen), DESCS * DESC);
    yield* d.mmw(this.reg(R.tdh), 0);
    yield* d.mmw(this.reg(R.tdt), 0);
    yield* d.mmw(this.reg(R.tipg), TIPG_COPPER);
    yield* d.mmw(this.reg(R.tctl), TCTL_EN | TCTL_PSP);
  }

  private *setupRx(): IoStep<void> {
    const d = this.dio;
    this.rxRing = d.io.allocDma(DESCS * DESC);
    const ring = new Uint8Array(DESCS * DESC);
    const view = new DataView(ring.buffer);
    for (let i = 0; i < DESCS; i += PAGE / RX_BUF) {
      const page = d.io.allocDma(PAGE);
      for (let j = 0; j < PAGE / RX_BUF; j++) this.rxBufs.push(page + j * RX_BUF);
    }
    this.rxBufs.forEach((gpa, i) => view.setUint32(i * DESC, gpa, true));
    d.memory.write(this.rxRing, ring);
    yield* d.mmw(this.reg(R.rdbal), this.rxRing);
    yield* d.mmw(this.reg(R.rdbah), 0);
    yield* d.mmw(this.reg(R.rdlen), DESCS * DESC);
    yield* d.mmw(this.reg(R.rdh), 0);
    yield* d.mmw(this.reg(R.rdt), this.rxTail);
    yield* d.mmw(this.reg(R.rctl), RCTL_EN | RCTL_BAM | RCTL_SECRC);
  }

  txRoom(frags: number): number {
    return this.failed ? 0 : Math.floor(this.freeDescs() / Math.max(1, frags));
  }

  private freeDescs(): number {
    return DESCS - 1 - this.txInUse;
  }

  queue(f: TxFrame): boolean {
    if (f.frags.length === 0 || f.frags.length > this.freeDescs() || this.failed) return false;
    const descs = new Uint8Array(f.frags.length * DESC);
    const v = new DataView(descs.buffer);
    f.frags.forEach((frag, i) => {
      v.setUint32(i * DESC, frag.gpa, true);
      v.setUint16(i * DESC + 8, frag.len, true);
      v.setUint8(i * DESC + 11, TXD_IFCS | (i === f.frags.length - 1 ? TXD_EOP | TXD_RS : 0));
    });
    for (let i = 0; i < f.frags.length; i++) {
      this.dio.memory.write(this.txRing + ((this.txUse + i) % DESCS) * DESC, descs.subarray(i * DESC, (i + 1) * DESC));
    }
    const last = (this.txUse + f.frags.length - 1) % DESCS;
    this.txUse = (this.txUse + f.frags.length) % DESCS;
    this.txInUse += f.frags.length;
    this.outstanding.push({ frame: f, last, descs: f.frags.length });
    this.txPending = true;
    this.stats.txFrames++;
    this.stats.txBytes += f.bytes;
    return true;
  }

  *kick(): IoStep<void> {
    if (!this.txPending) return;
    this.txPending = false;
    this.stats.kicks++;
    if (!this.inIrq) this.dio.begin();
    yield* this.dio.mmw(this.reg(R.tdt), this.txUse);
    if (!this.inIrq) this.dio.end('xmit');
  }

  signalled(): boolean {
    return this.host.takeIrq(this.cfg.irq);
  }

  *ack(): IoStep<void> {
    this.stats.interrupts++;
    this.host.charge(this.host.irqEntryNs);
    this.inIrq = true;
    this.dio.begin();
    yield* this.dio.mmr(this.reg(R.icr));
    yield* this.dio.mmw(this.reg(R.imc), 0xffff_ffff);
    yield* this.dio.mmr(this.reg(R.status));
  }

  *poll(budget: number): IoStep<Uint8Array[]> {
    this.cleanTx();
    const frames = this.cleanRx(budget);
    if (frames.cleaned > 0) {
      this.rxTail = (this.rxTail + frames.cleaned) % DESCS;
      yield* this.dio.mmw(this.reg(R.rdt), this.rxTail);
    }
    return frames.out;
  }

  /** The interrupt rate in force, per second (0: unmoderated). */
  get interruptRate(): number {
    return this.dynamic ? this.classRate(this.itrClass) : this.cfg.itr;
  }

  private get dynamic(): boolean {
    return this.cfg.itr === ITR_DYNAMIC || this.cfg.itr === ITR_DYNAMIC_CONSERVATIVE;
  }

  private classRate(c: number): number {
    return ITR_CLASS_RATES[this.cfg.itr === ITR_DYNAMIC_CONSERVATIVE ? Math.max(c, LOW) : c]!;
  }

  *rearm(): IoStep<void> {
    if (this.dynamic) yield* this.retune();
    yield* this.dio.mmw(this.reg(R.ims), IMS_ENABLE);
    yield* this.dio.mmr(this.reg(R.status));
    this.inIrq = false;
    this.dio.end('irq');
  }

  /** The dynamic modes, at the end of an interrupt's polls: the class of what they handled
   *  (the busier direction's), and ITR rewritten if its rate changes. */
  private *retune(): IoStep<void> {
    const tx = this.irqTx;
    const rx = this.irqRx;
    const next = Math.max(trafficClass(this.itrClass, tx.frames, tx.bytes), trafficClass(this.itrClass, rx.frames, rx.bytes));
    tx.frames = tx.bytes = rx.frames = rx.bytes = 0;
    const rate = this.classRate(next);
    const was = this.classRate(this.itrClass);
    this.itrClass = next;
    if (rate !== was) yield* this.dio.mmw(this.reg(R.itr), itrInterval(rate));
  }

  /** Frees every frame whose last descriptor the NIC wrote back with DD. */
  private cleanTx(): void {
    while (this.outstanding.length > 0) {
      const o = this.outstanding[0]!;
      const sta = this.dio.memory.read(this.txRing + o.last * DESC + 12, 1)[0]!;
      if (!(sta & TXD_DD)) return;
      this.outstanding.shift();
      this.txInUse -= o.descs;
      this.irqTx.frames++;
      this.irqTx.bytes += o.frame.bytes;
      o.frame.done();
    }
  }

  /** Takes received frames from the ring (one copy of each descriptor and buffer), giving each
   *  descriptor straight back with its buffer. */
  private cleanRx(budget: number): { out: Uint8Array[]; cleaned: number } {
    const out: Uint8Array[] = [];
    let cleaned = 0;
    while (out.length < budget && cleaned < DESCS - 1) {
      const at = this.rxRing + this.rxNext * DESC;
      const desc = this.dio.memory.read(at, DESC);
      const status = desc[12]!;
      if (!(status & RXD_DD)) break;
      const len = Math.min(desc[8]! | (desc[9]! << 8), RX_BUF);
      this.rxPartial.push(this.dio.memory.read(this.rxBufs[this.rxNext]!, len));
      this.dio.memory.write(at + 8, new Uint8Array(8)); // status cleared: the NIC's again at RDT
      this.rxNext = (this.rxNext + 1) % DESCS;
      cleaned++;
      if (status & RXD_EOP) this.finishRx(out);
    }
    return { out, cleaned };
  }

  private finishRx(out: Uint8Array[]): void {
    const parts = this.rxPartial;
    this.rxPartial = [];
    const total = parts.reduce((n, p) => n + p.length, 0);
    if (total === 0 || total > MAX_RX_FRAME) return void this.stats.rxErrors++;
    const f = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      f.set(p, at);
      at += p.length;
    }
    this.stats.rxFrames++;
    this.stats.rxBytes += total;
    this.irqRx.frames++;
    this.irqRx.bytes += total;
    out.push(f);
  }

  private fail(why: string): boolean {
    this.failed = why;
    this.dio.end('probe');
    return false;
  }
}

/** ITR's value for `rate` interrupts per second: the interval in units of 256 ns. */
function itrInterval(rate: number): number {
  return Math.round(1e9 / (rate * 256));
}
