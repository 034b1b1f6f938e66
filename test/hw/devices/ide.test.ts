import { describe, expect, it } from 'vitest';
import { MemBackend, NativeMachine } from '../../helpers/native-io';
import { IdeChannel } from '../../../hw/devices/ide';

const CMD = 0x1f0;
const CTL = 0x3f6;
const BM = 0xc000;
const PRD = 0x8000;
const BUF = 0x20000;

function channel(sizeSectors = 1000) {
  const m = new NativeMachine();
  const disk = new MemBackend(m.engine, sizeSectors, 1000);
  const ide = new IdeChannel(disk, m.irq(14), m.deviceMemory);
  m.space.attach(ide);
  const inb = (p: number) => m.space.read(p, 1, 'pio');
  const outb = (p: number, v: number) => m.space.write(p, 1, v, 'pio');
  const irq = m.irq(14);
  return { m, disk, ide, inb, outb, irq };
}

/** PRD entries [base, bytes, eot] written at PRD. */
function prd(m: NativeMachine, entries: [number, number, boolean][]): void {
  const t = new DataView(new ArrayBuffer(entries.length * 8));
  entries.forEach(([base, bytes, eot], i) => {
    t.setUint32(i * 8, base, true);
    t.setUint32(i * 8 + 4, (bytes & 0xffff) | (eot ? 0x8000_0000 : 0), true);
  });
  m.ram.write(PRD, new Uint8Array(t.buffer));
}

/** LBA28 taskfile + command. */
function issue(c: ReturnType<typeof channel>, command: number, lba: number, count: number): void {
  c.outb(CMD + 2, count);
  c.outb(CMD + 3, lba & 0xff);
  c.outb(CMD + 4, (lba >> 8) & 0xff);
  c.outb(CMD + 5, (lba >> 16) & 0xff);
  c.outb(CMD + 6, 0xe0 | ((lba >> 24) & 0x0f));
  c.outb(CMD + 7, command);
}

function startBm(c: ReturnType<typeof channel>, toMemory: boolean): void {
  c.m.space.write(BM + 4, 4, PRD, 'pio');
  c.outb(BM, toMemory ? 0x09 : 0x01);
}

describe('the IDE channel model', () => {
  it('answers IDENTIFY DEVICE by PIO with 512 bytes carrying the size and a valid checksum', () => {
    const c = channel(0x0123_4567);
    c.outb(CMD + 6, 0xa0);
    c.outb(CMD + 7, 0xec);
    expect(c.irq.level).toBe(true);
    expect(c.inb(CMD + 7)).toBe(0x58); // DRDY DSC DRQ; the read acknowledges the interrupt
    expect(c.irq.level).toBe(false);
    const id = new Uint8Array(512);
    for (let i = 0; i < 512; i += 2) {
      const w = c.m.space.read(CMD, 2, 'pio');
      id[i] = w & 0xff;
      id[i + 1] = w >> 8;
    }
    expect(c.inb(CMD + 7)).toBe(0x50);
    const word = (i: number) => id[2 * i]! | (id[2 * i + 1]! << 8);
    expect(word(60) | (word(61) << 16)).toBe(0x0123_4567);
    expect(word(100) + word(101) * 65536).toBe(0x0123_4567);
    expect(word(83) & 0x0400).toBe(0x0400); // 48-bit addressing
    expect(word(49) & 0x0300).toBe(0x0300); // LBA and DMA
    expect(id[510]).toBe(0xa5);
    expect(id.reduce((s, b) => s + b, 0) & 0xff).toBe(0);
    expect(String.fromCharCode(...Array.from({ length: 14 }, (_, i) => id[54 + (i ^ 1)]!))).toBe('PVLAB HARDDISK');
  });

  it('shows BSY during a soft reset and the ATA signature after it', () => {
    const c = channel();
    c.outb(CMD + 2, 0x77);
    c.outb(CTL, 0x04);
    expect(c.inb(CTL)).toBe(0x80);
    c.outb(CTL, 0x00);
    expect([c.inb(CMD + 2), c.inb(CMD + 3), c.inb(CMD + 4), c.inb(CMD + 5)]).toEqual([1, 1, 0, 0]);
    expect(c.inb(CMD + 1)).toBe(0x01); // diagnostic code: device 0 passed
    expect(c.inb(CMD + 7)).toBe(0x50);
  });

  it('keeps the LBA48 registers two deep and shows the previous byte while HOB is set', () => {
    const c = channel();
    c.outb(CMD + 2, 0x12);
    c.outb(CMD + 2, 0x34);
    expect(c.inb(CMD + 2)).toBe(0x34);
    c.outb(CTL, 0x80);
    expect(c.inb(CMD + 2)).toBe(0x12);
    c.outb(CMD + 3, 0x01); // any command block write clears HOB
    expect(c.inb(CMD + 2)).toBe(0x34);
  });

  it('answers for the absent device 1 with status 0 and ignores its commands', () => {
    const c = channel();
    c.outb(CMD + 6, 0xb0);
    expect(c.inb(CMD + 7)).toBe(0);
    c.outb(CMD + 7, 0xec);
    expect(c.irq.edges).toBe(0);
    expect(c.ide.stats.ignoredWrites).toBe(1);
    c.outb(CMD + 6, 0xa0);
    expect(c.inb(CMD + 7)).toBe(0x50);
  });

  it('aborts an unknown command with ERR and ABRT, and still interrupts', () => {
    const c = channel();
    c.outb(CMD + 7, 0x00);
    expect(c.inb(CTL)).toBe(0x51);
    expect(c.inb(CMD + 1)).toBe(0x04);
    expect(c.irq.edges).toBe(1);
    expect(c.inb(BM + 2) & 0x04).toBe(0x04); // BM status latched the interrupt
  });

  it('reports IDNF for a DMA command past the end of the disk, without touching the backend', () => {
    const c = channel(1000);
    issue(c, 0xc8, 999, 2);
    expect(c.inb(CTL)).toBe(0x51);
    expect(c.inb(CMD + 1)).toBe(0x10);
    expect(c.disk.submitted).toBe(0);
  });

  it('keeps the line quiet while nIEN is set, and the BM interrupt bit with it', () => {
    const c = channel();
    c.outb(CTL, 0x02);
    c.outb(CMD + 7, 0xec);
    expect(c.irq.edges).toBe(0);
    expect(c.inb(BM + 2) & 0x04).toBe(0);
    expect(c.inb(CTL)).toBe(0x58);
  });

  it('moves a DMA read to memory whichever comes first, the command or the bus-master start', () => {
    for (const bmFirst of [false, true]) {
      const c = channel();
      c.disk.poke(5, new Uint8Array(1024).fill(0xab));
      prd(c.m, [[BUF, 1024, true]]);
      if (bmFirst) startBm(c, true);
      issue(c, 0xc8, 5, 2);
      if (!bmFirst) startBm(c, true);
      expect(c.inb(CTL) & 0x80).toBe(0x80);
      c.m.engine.run();
      expect(c.inb(CTL)).toBe(0x50);
      expect(c.inb(BM + 2) & 0x07).toBe(0x04); // Interrupt, not Active (the table was used up), no Error
      expect(c.m.ram.read(BUF, 1024)).toEqual(new Uint8Array(1024).fill(0xab));
    }
  });

  it('leaves Active set when the PRD table describes more than the transfer, as PIIX does', () => {
    const c = channel();
    prd(c.m, [[BUF, 4096, true]]);
    issue(c, 0xc8, 0, 1);
    startBm(c, true);
    c.m.engine.run();
    expect(c.inb(BM + 2) & 0x07).toBe(0x05);
    expect(c.m.dmaWrites).toEqual([[BUF, 512]]);
  });

  it('fails a transfer whose PRD table is too short: BM Error, ATA ABRT, nothing written', () => {
    const c = channel();
    prd(c.m, [[BUF, 512, true]]);
    issue(c, 0xc8, 0, 2);
    startBm(c, true);
    c.m.engine.run();
    expect(c.inb(BM + 2) & 0x07).toBe(0x06);
    expect(c.inb(CTL)).toBe(0x51);
    expect(c.inb(CMD + 1)).toBe(0x04);
    expect(c.m.dmaWrites).toEqual([]);
    expect(c.ide.stats.dmaErrors).toBe(1);
  });

  it('fails a transfer whose bus-master direction contradicts the command', () => {
    const c = channel();
    prd(c.m, [[BUF, 512, true]]);
    issue(c, 0xc8, 0, 1);
    startBm(c, false);
    c.m.engine.run();
    expect(c.inb(BM + 2) & 0x02).toBe(0x02);
    expect(c.m.dmaWrites).toEqual([]);
  });

  it('gathers a DMA write from memory when the bus master starts, across several PRD entries', () => {
    const c = channel();
    const a = new Uint8Array(512).fill(1);
    const b = new Uint8Array(512).fill(2);
    c.m.ram.write(BUF, a);
    c.m.ram.write(BUF + 0x1000, b);
    prd(c.m, [[BUF, 512, false], [BUF + 0x1000, 512, true]]);
    issue(c, 0xca, 40, 2);
    startBm(c, false);
    c.m.ram.write(BUF, new Uint8Array(512)); // too late: the bytes are already on their way
    c.m.engine.run();
    expect(c.inb(CMD + 7)).toBe(0x50);
    expect(c.disk.peek(40, 2)).toEqual(new Uint8Array([...a, ...b]));
  });

  it('treats BM status Interrupt and Error as write-one-to-clear and the DMA-capable bits as plain bits', () => {
    const c = channel();
    c.outb(CMD + 7, 0x00); // an aborted command raises the interrupt
    c.outb(BM + 2, 0x60);
    expect(c.inb(BM + 2)).toBe(0x64);
    c.outb(BM + 2, 0x64);
    expect(c.inb(BM + 2)).toBe(0x60);
    c.m.space.write(BM + 4, 4, 0x1234_5677, 'pio');
    expect(c.m.space.read(BM + 4, 4, 'pio')).toBe(0x1234_5674);
  });

  it('abandons an in-flight read on a soft reset; the late completion writes nothing', () => {
    const c = channel();
    prd(c.m, [[BUF, 512, true]]);
    issue(c, 0xc8, 0, 1);
    c.outb(CTL, 0x04);
    c.outb(CTL, 0x00);
    startBm(c, true);
    c.m.engine.run();
    expect(c.ide.stats.staleCompletions).toBe(1);
    expect(c.m.dmaWrites).toEqual([]);
    expect(c.inb(CMD + 7)).toBe(0x50);
  });

  it('serves a 32-bit data port read as two words of the PIO buffer', () => {
    const c = channel();
    c.outb(CMD + 7, 0xec);
    const first = c.m.space.read(CMD, 4, 'pio');
    expect(first & 0xffff).toBe(0x0040); // word 0: fixed ATA device
    expect(c.m.space.read(CMD, 2, 'pio')).toBe(c.ide.drive.identify()[4]! | (c.ide.drive.identify()[5]! << 8));
  });

  it('runs LBA48 READ DMA EXT with the high bytes from the previous register contents', () => {
    const c = channel(0x1_0000_0100);
    const lba = 0x1_0000_0010;
    c.disk.poke(lba, new Uint8Array(512).fill(0x3c));
    prd(c.m, [[BUF, 512, true]]);
    for (const [reg, hi, lo] of [[2, 0, 1], [3, 0x00, 0x10], [4, 0x01, 0x00], [5, 0x00, 0x00]] as const) {
      c.outb(CMD + reg, hi);
      c.outb(CMD + reg, lo);
    }
    c.outb(CMD + 6, 0x40);
    c.outb(CMD + 7, 0x25);
    startBm(c, true);
    c.m.engine.run();
    expect(c.inb(CMD + 7)).toBe(0x50);
    expect(c.m.ram.read(BUF, 512)).toEqual(new Uint8Array(512).fill(0x3c));
  });
});
