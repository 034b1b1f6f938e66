import { describe, expect, it } from 'vitest';
import { MemBackend, NativeMachine } from '../../helpers/native-io';
import { AhciHba, DEFAULT_ABAR } from '../../../hw/devices/ahci';

const CLB = 0x10000;
const FB = 0x10400;
const CT = 0x11000; // command tables, 0x200 apart per slot
const BUF = 0x40000;
const P = 0x100;

function hba(sizeSectors = 10_000) {
  const m = new NativeMachine();
  const disk = new MemBackend(m.engine, sizeSectors, 1000);
  const dev = new AhciHba(disk, m.irq(11), m.deviceMemory);
  m.space.attach(dev);
  const r32 = (off: number) => m.space.read(DEFAULT_ABAR + off, 4, 'mmio');
  const w32 = (off: number, v: number) => m.space.write(DEFAULT_ABAR + off, 4, v, 'mmio');
  return { m, disk, dev, r32, w32, irq: m.irq(11) };
}

type Hba = ReturnType<typeof hba>;

/** AE + IE, list and FIS bases, all port interrupts, FRE and ST. */
function start(h: Hba): void {
  h.w32(0x04, 0x8000_0002);
  h.w32(P + 0x00, CLB);
  h.w32(P + 0x08, FB);
  h.w32(P + 0x14, 0xffff_ffff);
  h.w32(P + 0x18, 0x10);
  h.w32(P + 0x18, 0x11);
}

interface Cmd {
  slot: number;
  command: number;
  lba: number;
  count: number;
  /** PRDT entries [address, bytes]. */
  prdt: [number, number][];
  ncq?: boolean;
  tag?: number;
  fisType?: number;
}

/** Writes a command header, an H2D FIS and a PRDT for `c` into RAM. */
function build(h: Hba, c: Cmd): void {
  const ct = CT + c.slot * 0x200;
  const hdr = new DataView(new ArrayBuffer(32));
  hdr.setUint32(0, 5 | (c.prdt.length << 16), true);
  hdr.setUint32(8, ct, true);
  h.m.ram.write(CLB + c.slot * 32, new Uint8Array(hdr.buffer));
  const f = new Uint8Array(20);
  f[0] = c.fisType ?? 0x27;
  f[1] = 0x80;
  f[2] = c.command;
  f[4] = c.lba & 0xff;
  f[5] = (c.lba >> 8) & 0xff;
  f[6] = (c.lba >> 16) & 0xff;
  f[7] = 0x40;
  if (c.ncq) {
    f[3] = c.count & 0xff;
    f[11] = c.count >> 8;
    f[12] = (c.tag ?? c.slot) << 3;
  } else {
    f[12] = c.count & 0xff;
    f[13] = c.count >> 8;
  }
  h.m.ram.write(ct, f);
  const t = new DataView(new ArrayBuffer(16 * c.prdt.length));
  c.prdt.forEach(([addr, bytes], i) => {
    t.setUint32(i * 16, addr, true);
    t.setUint32(i * 16 + 12, bytes - 1, true);
  });
  h.m.ram.write(ct + 0x80, new Uint8Array(t.buffer));
}

describe('the AHCI HBA model', () => {
  it('powers on with one port, 32 slots, NCQ, 64-bit addressing, version 1.3 and a linked-up ATA disk', () => {
    const h = hba();
    expect(h.r32(0x00)).toBe(0xc020_1f00);
    expect(h.r32(0x04)).toBe(0);
    expect(h.r32(0x0c)).toBe(1);
    expect(h.r32(0x10)).toBe(0x0001_0300);
    expect(h.r32(P + 0x28)).toBe(0x123);
    expect(h.r32(P + 0x24)).toBe(0x101);
    expect(h.r32(P + 0x20)).toBe(0x150);
    expect(h.r32(P + 0x18)).toBe(0x6);
  });

  it('ignores PxCI while the command engine is stopped', () => {
    const h = hba();
    h.w32(0x04, 0x8000_0000);
    h.w32(P + 0x38, 1);
    expect(h.r32(P + 0x38)).toBe(0);
    expect(h.dev.stats.ignoredWrites).toBe(1);
  });

  it('runs READ DMA EXT: data by PRDT, PRDBC, a D2H FIS with I set, PxIS.DHRS, IS and the interrupt', () => {
    const h = hba();
    start(h);
    h.disk.poke(7, new Uint8Array(1024).fill(0x99));
    build(h, { slot: 0, command: 0x25, lba: 7, count: 2, prdt: [[BUF, 512], [BUF + 0x2000, 512]] });
    h.w32(P + 0x38, 1);
    expect(h.r32(P + 0x20) & 0x80).toBe(0x80); // BSY while the disk works
    h.m.engine.run();
    expect(h.r32(P + 0x38)).toBe(0);
    expect(h.r32(P + 0x10)).toBe(0x1);
    expect(h.r32(0x08)).toBe(1);
    expect(h.irq.level).toBe(true);
    expect(h.m.ram.read(BUF, 512)).toEqual(new Uint8Array(512).fill(0x99));
    expect(h.m.ram.read(BUF + 0x2000, 512)).toEqual(new Uint8Array(512).fill(0x99));
    expect(Array.from(h.m.ram.read(FB + 0x40, 4))).toEqual([0x34, 0x40, 0x50, 0x00]);
    expect(new DataView(h.m.ram.read(CLB + 4, 4).buffer).getUint32(0, true)).toBe(1024);
    h.w32(P + 0x10, 0x1);
    expect(h.r32(0x08)).toBe(1); // IS stays until software writes it back
    h.w32(0x08, 1);
    expect(h.irq.level).toBe(false);
  });

  it('keeps the line low while GHC.IE is clear, and raises it once IE is set', () => {
    const h = hba();
    start(h);
    h.w32(0x04, 0x8000_0000);
    build(h, { slot: 0, command: 0x25, lba: 0, count: 1, prdt: [[BUF, 512]] });
    h.w32(P + 0x38, 1);
    h.m.engine.run();
    expect(h.r32(0x08)).toBe(1);
    expect(h.irq.level).toBe(false);
    h.w32(0x04, 0x8000_0002);
    expect(h.irq.level).toBe(true);
  });

  it('clears only the byte lane a sub-dword write to PxIS covers', () => {
    const h = hba();
    start(h);
    build(h, { slot: 0, command: 0x25, lba: 0, count: 1, prdt: [[BUF, 512]] });
    h.w32(P + 0x38, 1);
    h.m.engine.run();
    build(h, { slot: 1, command: 0x25, lba: 99_999, count: 1, prdt: [[BUF, 512]] });
    h.w32(P + 0x38, 2);
    expect(h.r32(P + 0x10)).toBe(0x4000_0001); // TFES | DHRS
    h.m.space.write(DEFAULT_ABAR + P + 0x13, 1, 0xff, 'mmio');
    expect(h.r32(P + 0x10)).toBe(0x1);
    expect(h.m.space.read(DEFAULT_ABAR + P + 0x10, 2, 'mmio')).toBe(0x1);
  });

  it('halts on a task file error with the slot still in PxCI until software restarts the engine', () => {
    const h = hba(1000);
    start(h);
    build(h, { slot: 3, command: 0x25, lba: 999, count: 2, prdt: [[BUF, 1024]] });
    h.w32(P + 0x38, 1 << 3);
    expect(h.r32(P + 0x20)).toBe(0x1051); // error IDNF, status DRDY DSC ERR
    expect(h.r32(P + 0x10) & 0x4000_0000).toBe(0x4000_0000);
    expect(h.r32(P + 0x38)).toBe(1 << 3);
    expect((h.r32(P + 0x18) >> 8) & 0x1f).toBe(3); // CCS names the slot
    build(h, { slot: 0, command: 0x25, lba: 0, count: 1, prdt: [[BUF, 512]] });
    h.w32(P + 0x38, 1);
    h.m.engine.run();
    expect(h.disk.submitted).toBe(0); // halted
    h.w32(P + 0x18, 0x10);
    expect(h.r32(P + 0x38)).toBe(0);
    h.w32(P + 0x18, 0x11);
    h.w32(P + 0x38, 1);
    h.m.engine.run();
    expect(h.r32(P + 0x38)).toBe(0);
    expect(h.r32(P + 0x20)).toBe(0x50);
  });

  it('flags overflow (PxIS.OFS) for a read whose PRDT is too short, writing nothing', () => {
    const h = hba();
    start(h);
    build(h, { slot: 0, command: 0x25, lba: 0, count: 4, prdt: [[BUF, 1024]] });
    h.w32(P + 0x38, 1);
    h.m.engine.run();
    expect(h.r32(P + 0x10) & (1 << 24)).toBe(1 << 24);
    expect(h.m.dmaWrites).toEqual([]);
    expect(h.disk.submitted).toBe(0);
  });

  it('runs several NCQ commands side by side: PxCI clears on acceptance, PxSACT as each completes', () => {
    const h = hba();
    start(h);
    for (let s = 0; s < 4; s++) {
      h.disk.poke(100 * s, new Uint8Array(512).fill(s + 1));
      build(h, { slot: s, command: 0x60, lba: 100 * s, count: 1, prdt: [[BUF + s * 0x1000, 512]], ncq: true });
    }
    h.w32(P + 0x34, 0xf);
    h.w32(P + 0x38, 0xf);
    expect(h.r32(P + 0x38)).toBe(0);
    expect(h.r32(P + 0x34)).toBe(0xf);
    expect(h.disk.submitted).toBe(4);
    h.m.engine.run();
    expect(h.r32(P + 0x34)).toBe(0);
    expect(h.r32(P + 0x10) & 0x8).toBe(0x8); // SDBS
    expect(h.m.ram.read(FB + 0x58, 1)[0]).toBe(0xa1);
    for (let s = 0; s < 4; s++) expect(h.m.ram.read(BUF + s * 0x1000, 512)).toEqual(new Uint8Array(512).fill(s + 1));
  });

  it('raises its line again when a completion comes while the handler runs (a level interrupt, delivered again at the IS write)', () => {
    const h = hba();
    start(h);
    for (let s = 0; s < 2; s++) build(h, { slot: s, command: 0x60, lba: s, count: 1, prdt: [[BUF + s * 0x1000, 512]], ncq: true });
    const edges = (): number => h.dev['irq'].raised;
    h.w32(P + 0x34, 0x1);
    h.w32(P + 0x38, 0x1);
    h.m.engine.run(); // tag 0 completes: SDBS, and the line rises
    const first = edges();
    const is = h.r32(0x08); // the handler reads IS, then reads and clears PxIS ...
    h.w32(P + 0x10, h.r32(P + 0x10));
    h.w32(P + 0x34, 0x2); // ... while tag 1 is issued and completes ...
    h.w32(P + 0x38, 0x2);
    h.m.engine.run();
    h.w32(0x08, is); // ... before it writes IS: the line is still asserted, so it fires again
    expect(edges()).toBe(first + 1);
    expect(h.r32(0x08)).toBe(1);
    h.w32(P + 0x10, h.r32(P + 0x10)); // the next run of the handler finds nothing new after it
    h.w32(0x08, 1);
    expect(edges()).toBe(first + 1);
    expect(h.dev['irq'].asserted).toBe(false);
  });

  it('refuses an NCQ command whose tag is not its slot, and a FIS that is not a Register H2D', () => {
    for (const bad of [{ tag: 5 }, { fisType: 0x34 }]) {
      const h = hba();
      start(h);
      build(h, { slot: 0, command: 0x60, lba: 0, count: 1, prdt: [[BUF, 512]], ncq: true, ...bad });
      h.w32(P + 0x34, 1);
      h.w32(P + 0x38, 1);
      expect(h.r32(P + 0x20)).toBe(0x0451);
      expect(h.r32(P + 0x10) & 0x4000_0000).toBe(0x4000_0000);
    }
  });

  it('answers IDENTIFY with a PIO Setup FIS and the identify data, NCQ included', () => {
    const h = hba(54_321);
    start(h);
    build(h, { slot: 0, command: 0xec, lba: 0, count: 0, prdt: [[BUF, 512]] });
    h.w32(P + 0x38, 1);
    expect(h.r32(P + 0x10) & 0x2).toBe(0x2); // PSS
    expect(h.m.ram.read(FB + 0x20, 1)[0]).toBe(0x5f);
    const id = h.m.ram.read(BUF, 512);
    const word = (i: number) => id[2 * i]! | (id[2 * i + 1]! << 8);
    expect(word(100) + word(101) * 65536).toBe(54_321);
    expect(word(76) & 0x100).toBe(0x100);
    expect(word(75)).toBe(31);
  });

  it('resets everything on GHC.HR, which reads back as 0', () => {
    const h = hba();
    start(h);
    h.w32(0x04, 0x8000_0003);
    expect(h.r32(0x04)).toBe(0);
    expect(h.r32(P + 0x14)).toBe(0);
    expect(h.r32(P + 0x18)).toBe(0x6);
    expect(h.dev.stats.resets).toBe(1);
  });

  it('answers misaligned accesses with all-ones and counts them', () => {
    const h = hba();
    expect(h.m.space.read(DEFAULT_ABAR + 2, 4, 'mmio')).toBe(0xffff_ffff);
    h.m.space.write(DEFAULT_ABAR + 1, 2, 0xffff, 'mmio');
    expect(h.dev.stats.misaligned).toBe(2);
    expect(h.r32(0x04)).toBe(0);
  });

  it('takes the link down on COMRESET and brings the disk back with its signature FIS', () => {
    const h = hba();
    start(h);
    h.w32(P + 0x2c, 0x1);
    expect(h.r32(P + 0x28)).toBe(0);
    h.w32(P + 0x2c, 0x0);
    expect(h.r32(P + 0x28)).toBe(0x123);
    expect(h.r32(P + 0x20)).toBe(0x150);
    expect(Array.from(h.m.ram.read(FB + 0x40, 4))).toEqual([0x34, 0x00, 0x50, 0x01]);
  });

  it('posts no FIS to memory while FIS reception is off', () => {
    const h = hba();
    start(h);
    h.w32(P + 0x18, 0x01); // ST without FRE
    expect(h.r32(P + 0x18) & 0x4000).toBe(0); // FR follows FRE
    build(h, { slot: 0, command: 0x25, lba: 0, count: 1, prdt: [[BUF, 512]] });
    h.w32(P + 0x38, 1);
    h.m.engine.run();
    expect(h.m.dmaWrites.map(([a]) => a)).toEqual([BUF, CLB + 4]);
  });
});
