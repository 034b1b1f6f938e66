import { describe, expect, it } from 'vitest';
import { IoSpace, IrqOutput, readBytes, writeBytes, type IoSize, type PortDevice } from '../../../hw/devices/bus';

/** A device that remembers the last access and answers with a fixed pattern. */
function probe(name: string, ports: { base: number; count: number }[], mmio?: { base: number; size: number }[]) {
  const seen: string[] = [];
  const dev: PortDevice = {
    name,
    ports,
    mmio,
    read: (addr, size, space) => {
      seen.push(`r ${space} ${addr.toString(16)}/${size}`);
      return 0x12345678;
    },
    write: (addr, size, value, space) => {
      seen.push(`w ${space} ${addr.toString(16)}/${size}=${value.toString(16)}`);
    },
  };
  return { dev, seen };
}

describe('the I/O space', () => {
  it('routes port accesses to the device owning the first port, masked to the access size', () => {
    const io = new IoSpace();
    const a = probe('a', [{ base: 0x1f0, count: 8 }]);
    const b = probe('b', [{ base: 0x3f8, count: 8 }]);
    io.attach(a.dev);
    io.attach(b.dev);
    expect(io.read(0x1f7, 1, 'pio')).toBe(0x78);
    expect(io.read(0x3f8, 2, 'pio')).toBe(0x5678);
    io.write(0x3ff, 4, 0xdeadbeef, 'pio');
    expect(a.seen).toEqual(['r pio 1f7/1']);
    expect(b.seen).toEqual(['r pio 3f8/2', 'w pio 3ff/4=deadbeef']);
  });

  it('answers all-ones for an address nobody decodes, and counts it', () => {
    const io = new IoSpace();
    io.attach(probe('a', [{ base: 0x1f0, count: 8 }], [{ base: 0xfebf0000, size: 0x1000 }]).dev);
    expect(io.read(0x80, 1, 'pio')).toBe(0xff);
    expect(io.read(0x80, 2, 'pio')).toBe(0xffff);
    expect(io.read(0xfebf1000, 4, 'mmio')).toBe(0xffffffff);
    expect(io.read(-1, 4, 'pio')).toBe(0xffffffff);
    expect(io.read(0x10000, 1, 'pio')).toBe(0xff);
    expect(io.read(Number.NaN, 4, 'mmio')).toBe(0xffffffff);
    io.write(0x81, 1, 5, 'pio');
    expect(io.stats.unclaimedReads).toBe(6);
    expect(io.stats.unclaimedWrites).toBe(1);
  });

  it('refuses sizes other than 1, 2 and 4 without bothering the device', () => {
    const io = new IoSpace();
    const a = probe('a', [], [{ base: 0x1000, size: 0x100 }]);
    io.attach(a.dev);
    expect(io.read(0x1000, 8 as IoSize, 'mmio')).toBe(0xffffffff);
    io.write(0x1000, 3 as IoSize, 1, 'mmio');
    expect(io.stats.badSize).toBe(2);
    expect(a.seen).toEqual([]);
  });

  it('finds MMIO windows by binary search among many', () => {
    const io = new IoSpace();
    const devs = Array.from({ length: 20 }, (_, i) => probe(`d${i}`, [], [{ base: 0x10000 * (i + 1), size: 0x1000 }]));
    for (const d of devs) io.attach(d.dev);
    io.read(0x10000 * 7 + 0xffc, 4, 'mmio');
    expect(devs[6]!.seen).toEqual(['r mmio 70ffc/4']);
    expect(io.claimant(0x10000 * 7 + 0x1000, 'mmio')).toBeUndefined();
  });

  it('throws on overlapping ranges, a wiring bug of the simulator and not a guest action', () => {
    const io = new IoSpace();
    io.attach(probe('a', [{ base: 0x1f0, count: 8 }], [{ base: 0x1000, size: 0x100 }]).dev);
    expect(() => io.attach(probe('b', [{ base: 0x1f7, count: 1 }]).dev)).toThrow(/already claimed/);
    expect(() => io.attach(probe('c', [], [{ base: 0x10ff, size: 2 }]).dev)).toThrow(/overlaps a/);
    expect(() => io.attach(probe('d', [{ base: 0xffff, count: 2 }]).dev)).toThrow(/bad port range/);
  });

  it('unplugs a device, after which its addresses are unclaimed', () => {
    const io = new IoSpace();
    const a = probe('a', [{ base: 0x1f0, count: 8 }], [{ base: 0x1000, size: 0x100 }]);
    io.attach(a.dev);
    io.detach(a.dev);
    expect(io.read(0x1f0, 1, 'pio')).toBe(0xff);
    expect(io.read(0x1000, 4, 'mmio')).toBe(0xffffffff);
    io.attach(probe('b', [{ base: 0x1f0, count: 8 }]).dev);
    expect(io.read(0x1f0, 1, 'pio')).toBe(0x78);
  });
});

describe('byte-lane helpers and interrupt outputs', () => {
  it('compose and split little-endian accesses byte by byte', () => {
    const mem = [0x11, 0x22, 0x33, 0x44];
    expect(readBytes(0, 4, (a) => mem[a]!)).toBe(0x44332211);
    const out: number[] = [];
    writeBytes(10, 2, 0xabcd, (a, b) => out.push(a, b));
    expect(out).toEqual([10, 0xcd, 11, 0xab]);
  });

  it('forward only level changes to the line', () => {
    const calls: string[] = [];
    const out = new IrqOutput({ raise: () => calls.push('raise'), lower: () => calls.push('lower') });
    expect(out.set(true)).toBe(true);
    expect(out.set(true)).toBe(false);
    out.set(false);
    out.set(false);
    expect(calls).toEqual(['raise', 'lower']);
    expect(out.raised).toBe(1);
  });
});
