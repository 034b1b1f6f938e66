// Hostile guests: random port and MMIO accesses in and around every device's registers, of
// random sizes and values, interleaved with the native drivers' real requests, time passing
// and console traffic. Nothing may throw, and no device may write guest memory outside what
// the guest described: the PRD tables and PRDTs its registers point at (as they stood when
// the device could have read them), the received-FIS area and the command list.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GuestRunner, MemBackend, NativeMachine } from '../../helpers/native-io';
import { IdeChannel } from '../../../hw/devices/ide';
import { AhciHba, DEFAULT_ABAR } from '../../../hw/devices/ahci';
import { Uart16550 } from '../../../hw/devices/uart16550';
import { AhciDriver, IdeDriver, UartDriver } from '../../../guests/drivers';
import type { GuestOp } from '../../../hypervisor/public/guest';

const RAM = 2 << 20;
const DISK_SECTORS = 4096;
const BM = 0xc000;
const CI = DEFAULT_ABAR + 0x138;

type Val = { readonly v: number } | { readonly sym: number };
type Action =
  | { k: 'io'; dir: 'r' | 'w'; space: 'pio' | 'mmio'; addr: number; size: number; value: Val }
  | { k: 'op'; drv: 'ide' | 'ahci'; write: boolean; lba: number; count: number }
  | { k: 'run'; ns: number }
  | { k: 'rx'; bytes: number[] }
  | { k: 'tx'; text: string }
  /** The guest scribbles on its own memory, typically its descriptors, with plausible words. */
  | { k: 'mem'; sym: number; offset: number; words: number[] }
  /** ... or writes whole descriptors of its own making into the drivers' descriptor areas. */
  | { k: 'prd'; index: number; addr: number; len: number; eot: boolean }
  | { k: 'hdr'; slot: number; prdtl: number; ct: number; write: boolean }
  | { k: 'cfis'; ct: number; command: number; lba: number; count: number; tag: number }
  | { k: 'prdt'; ct: number; index: number; addr: number; dbc: number; irq: boolean }
  /** ... and starts commands itself with whatever the registers and descriptors now say. */
  | { k: 'kick'; dev: 'ide' | 'ahci'; write: boolean; lba: number; count: number; slots: number }
  /** ... and restarts a device the way an error handler does (AHCI: PxCMD.ST off and on;
   *  IDE: soft reset and bus master stopped). */
  | { k: 'restart'; dev: 'ide' | 'ahci' };

/** Where the drivers' structures land (allocation order in play(): IDE PRD table, AHCI page). */
const IDE_PRD = 0x1_0000;
const AHCI_CLB = 0x1_1000;
const AHCI_CTS = [0x1_1800, 0x1_1900, 0x1_1a00, 0x1_1b00];

const portArb = fc.oneof(
  fc.integer({ min: 0x1f0 - 4, max: 0x1f8 + 4 }),
  fc.integer({ min: 0x3f4, max: 0x402 }),
  fc.integer({ min: BM - 4, max: BM + 0x14 }),
  fc.integer({ min: 0, max: 0xffff }),
);
const mmioArb = fc.oneof(
  fc.integer({ min: 0, max: 0x2c }),
  fc.integer({ min: 0x100, max: 0x144 }),
  fc.integer({ min: -8, max: 0x1008 }),
).map((off) => DEFAULT_ABAR + off);
const valArb: fc.Arbitrary<Val> = fc.oneof(
  fc.integer({ min: 0, max: 0xffff_ffff }).map((v) => ({ v })),
  fc.constantFrom(0, 1, 0x08, 0x09, 0x11, 0x10, 0x04, 0x02, 0x80, 0xff, 0xffff_ffff, 0x8000_0002,
    0xc8, 0xca, 0x25, 0x35, 0x60, 0x61, 0xec, 0xe7, 0xef, 0xe0, 0xa0, 0xb0, 0x40).map((v) => ({ v })),
  fc.nat(5).map((sym) => ({ sym })),
);
/** Words that make plausible descriptors: RAM addresses, small lengths, EOT / I / count bits. */
const wordArb = fc.oneof(
  fc.integer({ min: 0, max: RAM - 1 }),
  fc.integer({ min: 0, max: 0x1_0000 }),
  fc.integer({ min: 0, max: 0x200 }).map((n) => (0x8000_0000 | n) >>> 0),
  fc.integer({ min: 0, max: 8 }).map((n) => ((n << 16) | 5) >>> 0),
  fc.constantFrom(0, 0xffff_ffff, 0x0080_2527, 0x0080_6027, 0x0080_ec27, 0x40),
  fc.integer({ min: 0, max: 0xffff_ffff }),
);
const ramAddrArb = fc.oneof(fc.integer({ min: 0x1_3000, max: 0x2_3000 }), fc.integer({ min: 0, max: RAM - 1 }));
const ctArb = fc.constantFrom(...AHCI_CTS);
const descArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ k: fc.constant('prd' as const), index: fc.nat(3), addr: ramAddrArb, len: fc.integer({ min: 0, max: 0x3000 }), eot: fc.boolean() }),
  fc.record({ k: fc.constant('hdr' as const), slot: fc.nat(3), prdtl: fc.nat(4), ct: ctArb, write: fc.boolean() }),
  fc.record({ k: fc.constant('cfis' as const), ct: ctArb, command: fc.constantFrom(0x25, 0x35, 0x60, 0x61, 0xec, 0xe7, 0xc8, 0x00), lba: fc.integer({ min: 0, max: DISK_SECTORS + 8 }), count: fc.integer({ min: 0, max: 40 }), tag: fc.nat(4) }),
  fc.record({ k: fc.constant('prdt' as const), ct: ctArb, index: fc.nat(3), addr: ramAddrArb, dbc: fc.integer({ min: 0, max: 0x3000 }), irq: fc.boolean() }),
);
const kickArb: fc.Arbitrary<Action> = fc.record({
  k: fc.constant('kick' as const), dev: fc.constantFrom('ide' as const, 'ahci' as const), write: fc.boolean(),
  lba: fc.integer({ min: 0, max: DISK_SECTORS + 8 }), count: fc.integer({ min: 0, max: 40 }), slots: fc.integer({ min: 1, max: 15 }),
});
const sizeArb = fc.oneof({ weight: 20, arbitrary: fc.constantFrom(1, 2, 4) }, { weight: 1, arbitrary: fc.constantFrom(0, 3, 8) });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ k: fc.constant('io' as const), dir: fc.constantFrom('r' as const, 'w' as const), space: fc.constant('pio' as const), addr: portArb, size: sizeArb, value: valArb }) },
  { weight: 12, arbitrary: fc.record({ k: fc.constant('io' as const), dir: fc.constantFrom('r' as const, 'w' as const), space: fc.constant('mmio' as const), addr: mmioArb, size: sizeArb, value: valArb }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('op' as const), drv: fc.constantFrom('ide' as const, 'ahci' as const), write: fc.boolean(), lba: fc.integer({ min: 0, max: DISK_SECTORS + 8 }), count: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('run' as const), ns: fc.integer({ min: 0, max: 300_000 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rx' as const), bytes: fc.array(fc.nat(255), { maxLength: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('tx' as const), text: fc.string({ maxLength: 8 }) }) },
  { weight: 6, arbitrary: descArb },
  { weight: 4, arbitrary: kickArb },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('restart' as const), dev: fc.constantFrom('ide' as const, 'ahci' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('mem' as const), sym: fc.nat(5), offset: fc.nat(0x7f).map((n) => n * 4), words: fc.array(wordArb, { minLength: 1, maxLength: 8 }) }) },
);

/** Guest memory regions the devices may write, collected whenever a device could read its descriptors. */
class Described {
  private readonly seen = new Set<string>();
  readonly regions: [number, number][] = [];

  add(gpa: number, len: number): void {
    if (gpa >= RAM || len <= 0) return;
    const key = `${gpa},${len}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.regions.push([gpa, gpa + len]);
  }

  covers(gpa: number, len: number): boolean {
    const lo = Math.max(0, gpa);
    const hi = Math.min(RAM, gpa + len);
    return lo >= hi || this.regions.some(([a, b]) => a <= lo && hi <= b);
  }
}

function world() {
  const m = new NativeMachine({ ramBytes: RAM, accessNs: 200 });
  const ideDisk = new MemBackend(m.engine, DISK_SECTORS, 20_000);
  const ahciDisk = new MemBackend(m.engine, DISK_SECTORS, 30_000);
  const ide = new IdeChannel(ideDisk, m.irq(14), m.deviceMemory);
  const ahci = new AhciHba(ahciDisk, m.irq(11), m.deviceMemory);
  const uart = new Uart16550(m.engine, m.irq(4));
  for (const d of [ide, ahci, uart]) m.space.attach(d);
  const ideDrv = new IdeDriver(m.io);
  const ahciDrv = new AhciDriver(m.io, { abar: DEFAULT_ABAR, irq: 11, ncq: true });
  const uartDrv = new UartDriver(m.io);
  const described = new Described();
  const headers = new Map<number, { ctba: number; prdtl: number }>();

  /** The PRD table the IDE bus master points at, as the walk would read it now. */
  const snapshotIde = () => {
    const t = m.ram.read(ide.inspect().prdt, 0x10000);
    const v = new DataView(t.buffer);
    for (let i = 0; i < 8192; i++) {
      const flags = v.getUint32(i * 8 + 4, true);
      described.add(v.getUint32(i * 8, true) & ~1, flags & 0xfffe || 0x10000);
      if (flags & 0x8000_0000) break;
    }
  };
  const prdt = (h: { ctba: number; prdtl: number }) => {
    if (h.ctba >= RAM) return;
    const t = m.ram.read(h.ctba + 0x80, h.prdtl * 16);
    const v = new DataView(t.buffer);
    for (let i = 0; i < h.prdtl; i++) {
      if (v.getUint32(i * 16 + 4, true) !== 0) continue; // above 4 GiB: no RAM there
      described.add(v.getUint32(i * 16, true) & ~1, (v.getUint32(i * 16 + 12, true) & 0x3f_ffff) + 2);
    }
  };
  const snapshotAhci = (newSlots: number) => {
    const s = ahci.inspect();
    described.add(s.fb, 256);
    described.add(s.clb, 1024);
    for (let slot = 0; slot < 32; slot++) {
      if (!(newSlots & ~s.ci & (1 << slot))) continue; // the HBA fetches only newly set slots
      const h = new DataView(m.ram.read(s.clb + slot * 32, 16).buffer);
      const hdr = { ctba: h.getUint32(12, true) === 0 ? h.getUint32(8, true) & ~0x7f : RAM, prdtl: h.getUint32(0, true) >>> 16 };
      headers.set(slot, hdr);
      prdt(hdr);
    }
    for (const [slot, hdr] of headers) if ((s.ci | s.sact) & (1 << slot)) prdt(hdr);
  };
  m.onAccess = (space, addr, size, dir, value) => {
    const covers = (reg: number) => addr <= reg && reg < addr + size;
    if (space === 'pio' && dir === 'w' && (covers(BM) || covers(0x1f7))) snapshotIde();
    if (space === 'mmio' && addr >= DEFAULT_ABAR && addr < DEFAULT_ABAR + 0x1000) {
      const lanes = dir === 'w' && addr >= CI && addr < CI + 4 ? (value << (8 * (addr - CI))) >>> 0 : 0;
      snapshotAhci(lanes);
    }
  };
  ideDisk.beforeComplete = snapshotIde;
  ahciDisk.beforeComplete = () => snapshotAhci(0);
  // A DMA write may itself rewrite descriptors a device reads next: look again after each.
  const stray: [number, number][] = [];
  m.onDmaWrite = (gpa, len) => {
    if (!described.covers(gpa, len)) stray.push([gpa, len]);
  };
  m.afterDmaWrite = () => {
    snapshotIde();
    snapshotAhci(0);
  };
  return { m, ide, ahci, uart, ideDrv, ahciDrv, uartDrv, described, stray };
}

/** Little-endian words at `gpa`. */
function poke(m: NativeMachine, gpa: number, words: number[]): void {
  const b = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w >>> 0, true));
  m.ram.write(gpa, b);
}

function writeDescriptor(m: NativeMachine, a: Action): void {
  switch (a.k) {
    case 'prd': return poke(m, IDE_PRD + a.index * 8, [a.addr, (a.len & 0xffff) | (a.eot ? 0x8000_0000 : 0)]);
    case 'hdr': return poke(m, AHCI_CLB + a.slot * 32, [(a.prdtl << 16) | (a.write ? 0x40 : 0) | 5, 0, a.ct, 0]);
    case 'prdt': return poke(m, a.ct + 0x80 + a.index * 16, [a.addr, 0, 0, a.dbc | (a.irq ? 0x8000_0000 : 0)]);
    case 'cfis': {
      const f = new Uint8Array(20);
      f.set([0x27, 0x80, a.command, a.count, a.lba & 0xff, a.lba >> 8, 0, 0x40]);
      f[12] = a.command >= 0x60 && a.command <= 0x61 ? a.tag << 3 : a.count;
      m.ram.write(a.ct, f);
      return;
    }
    default: return;
  }
}

/** A guest issuing a command by hand: IDE taskfile, command and bus-master start; AHCI PxSACT/PxCI. */
function kick(m: NativeMachine, a: Extract<Action, { k: 'kick' }>): void {
  if (a.dev === 'ahci') {
    if (a.write) m.access('w', 'mmio', DEFAULT_ABAR + 0x134, 4, a.slots);
    m.access('w', 'mmio', CI, 4, a.slots);
    return;
  }
  const out = (port: number, v: number) => m.access('w', 'pio', port, 1, v);
  out(0x1f2, a.count);
  out(0x1f3, a.lba & 0xff);
  out(0x1f4, a.lba >> 8);
  out(0x1f5, 0);
  out(0x1f6, 0xe0);
  out(0x1f7, a.write ? 0xca : 0xc8);
  out(BM, a.write ? 0x01 : 0x09);
}

function restart(m: NativeMachine, dev: 'ide' | 'ahci'): void {
  if (dev === 'ahci') {
    m.access('w', 'mmio', DEFAULT_ABAR + 0x04, 4, 0x8000_0002);
    m.access('w', 'mmio', DEFAULT_ABAR + 0x118, 4, 0x10);
    m.access('w', 'mmio', DEFAULT_ABAR + 0x118, 4, 0x11);
    return;
  }
  m.access('w', 'pio', 0x3f6, 1, 0x0c);
  m.access('w', 'pio', 0x3f6, 1, 0x08);
  m.access('w', 'pio', BM, 1, 0);
  m.access('w', 'pio', BM + 4, 4, IDE_PRD);
}

function play(actions: Action[]): ReturnType<typeof world> {
  const w = world();
  const { m } = w;
  m.run(w.ideDrv.probe());
  m.run(w.ahciDrv.probe());
  m.run(w.uartDrv.init());
  const bufs = { ide: m.allocDma(64 * 512), ahci: m.allocDma(64 * 512) };
  const syms = [bufs.ide, bufs.ahci, 0x1_0000, 0x1_1000, 0x1_1400, 0x1_1800];
  const running: Partial<Record<'ide' | 'ahci' | 'tx', GuestRunner<unknown>>> = {};
  const launch = (key: 'ide' | 'ahci' | 'tx', gen: Generator<GuestOp | number, unknown, number>) => {
    const prev = running[key];
    if (prev && !prev.done) prev.abandoned = true;
    running[key] = m.start(gen);
  };
  for (const a of actions) {
    switch (a.k) {
      case 'io': {
        const value = 'v' in a.value ? a.value.v : syms[a.value.sym]!;
        const got = m.access(a.dir, a.space, a.addr, a.size, value);
        expect(Number.isInteger(got) && got >= 0 && got <= 0xffff_ffff).toBe(true);
        break;
      }
      case 'op': {
        const drv = a.drv === 'ide' ? w.ideDrv : w.ahciDrv;
        launch(a.drv, a.write ? drv.write(a.lba, a.count, bufs[a.drv]) : drv.read(a.lba, a.count, bufs[a.drv]));
        break;
      }
      case 'run': m.engine.run(m.engine.now + a.ns); break;
      case 'rx': w.uart.receive(a.bytes); break;
      case 'tx': launch('tx', w.uartDrv.write(a.text)); break;
      case 'mem': {
        const bytes = new Uint8Array(a.words.length * 4);
        a.words.forEach((word, i) => new DataView(bytes.buffer).setUint32(i * 4, word, true));
        m.ram.write(syms[a.sym]! + a.offset, bytes);
        break;
      }
      case 'kick': kick(m, a); break;
      case 'restart': restart(m, a.dev); break;
      default: writeDescriptor(m, a);
    }
  }
  m.engine.run(m.engine.now + 100_000_000);
  return w;
}

describe('devices under a hostile guest', () => {
  it('never throw and never write guest memory the guest did not describe', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { minLength: 10, maxLength: 120, size: 'max' }), (actions) => {
        const w = play(actions);
        expect(w.stray).toEqual([]);
      }),
      { seed: 20240611, numRuns: 300 },
    );
  });

  it('still serve real requests correctly after a burst of garbage, once the driver resets them', () => {
    fc.assert(
      fc.property(fc.array(actionArb.filter((a) => a.k === 'io'), { maxLength: 100, size: 'max' }), (actions) => {
        const w = play(actions);
        const { m } = w;
        // A kernel's error handler would reset the devices; a fresh probe does exactly that.
        const ide = new IdeDriver(m.io);
        const ahci = new AhciDriver(m.io, { abar: DEFAULT_ABAR, irq: 11, ncq: false });
        m.space.write(DEFAULT_ABAR + 4, 4, 1, 'mmio'); // GHC.HR
        expect(m.run(ide.probe())?.sectors).toBe(DISK_SECTORS);
        expect(m.run(ahci.probe())?.sectors).toBe(DISK_SECTORS);
        const buf = m.allocDma(4096);
        for (const drv of [ide, ahci]) {
          m.ram.write(buf, new Uint8Array(1024).fill(0x42));
          expect(m.run(drv.write(17, 2, buf))).toEqual({ ok: true });
          m.ram.write(buf, new Uint8Array(1024));
          expect(m.run(drv.read(17, 2, buf))).toEqual({ ok: true });
          expect(m.ram.read(buf, 1024)).toEqual(new Uint8Array(1024).fill(0x42));
        }
      }),
      { seed: 7, numRuns: 100 },
    );
  });
});
