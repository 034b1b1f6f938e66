import { describe, expect, it } from 'vitest';
import { MemBackend, NativeMachine } from '../helpers/native-io';
import { RandomStream } from '../../hw/rng';
import { IdeChannel } from '../../hw/devices/ide';
import { AhciHba, DEFAULT_ABAR } from '../../hw/devices/ahci';
import { Uart16550 } from '../../hw/devices/uart16550';
import { AhciDriver, IdeDriver, UartDriver, formatAccess, type DriverIo } from '../../guests/drivers';
import { Disk } from '../../hw/disk';
import { DISK_MODELS } from '../../hw/disk-models';
import type { BlockBackend } from '../../hw/devices/bus';

const ACCESS_NS = 500;
const DISK_LATENCY_NS = 100_000;

function printRequest(title: string, dio: DriverIo): void {
  console.log(`${title}: ${dio.lastOp.accesses} register accesses\n  ${dio.lastOp.log.map(formatAccess).join('\n  ')}`);
}

function randomBytes(rng: RandomStream, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const view = new DataView(out.buffer);
  for (let i = 0; i + 4 <= n; i += 4) view.setUint32(i, rng.int(0, 0xffff_ffff));
  for (let i = n - (n % 4); i < n; i++) out[i] = rng.int(0, 255);
  return out;
}

/** Byte-for-byte equality, reporting the first difference (fast on large buffers). */
function expectSameBytes(got: Uint8Array, want: Uint8Array): void {
  let at = got.length === want.length ? -1 : Math.min(got.length, want.length);
  for (let i = 0; at < 0 && i < want.length; i++) if (got[i] !== want[i]) at = i;
  expect(at, `first differing byte of ${want.length}`).toBe(-1);
}

function ideMachine(sizeSectors: number) {
  const m = new NativeMachine({ accessNs: ACCESS_NS });
  const disk = new MemBackend(m.engine, sizeSectors, DISK_LATENCY_NS);
  const ide = new IdeChannel(disk, m.irq(14), m.deviceMemory);
  m.space.attach(ide);
  const drv = new IdeDriver(m.io);
  const info = m.run(drv.probe());
  return { m, disk, ide, drv, info };
}

function ahciMachine(sizeSectors: number, ncq = false) {
  const m = new NativeMachine({ accessNs: ACCESS_NS });
  const disk = new MemBackend(m.engine, sizeSectors, DISK_LATENCY_NS);
  const hba = new AhciHba(disk, m.irq(11), m.deviceMemory);
  m.space.attach(hba);
  const drv = new AhciDriver(m.io, { abar: DEFAULT_ABAR, irq: 11, ncq });
  const info = m.run(drv.probe());
  return { m, disk, hba, drv, info };
}

/** Writes random sectors at random places through a driver, then reads each back. */
function roundTrip(
  m: NativeMachine,
  drv: { read: IdeDriver['read']; write: IdeDriver['write'] },
  sizeSectors: number,
  seed: number,
  requests: number,
): void {
  const rng = new RandomStream(seed, 'driver-round-trip');
  const buf = m.allocDma(64 * 512);
  for (let i = 0; i < requests; i++) {
    const count = rng.int(1, 64);
    const lba = rng.int(0, sizeSectors - count);
    const data = randomBytes(rng, count * 512);
    m.ram.write(buf, data);
    expect(m.run(drv.write(lba, count, buf))).toEqual({ ok: true });
    m.ram.write(buf, new Uint8Array(count * 512));
    expect(m.run(drv.read(lba, count, buf))).toEqual({ ok: true });
    expectSameBytes(m.ram.read(buf, count * 512), data);
  }
}

describe('the native IDE driver over the PIIX IDE model', () => {
  it('finds the disk by IDENTIFY and reports the backend size', () => {
    const { info, drv } = ideMachine(123_456);
    expect(info).toMatchObject({ sectors: 123_456, lba48: true, model: 'PVLAB HARDDISK' });
    // 256 data-port reads alone: PIO is what makes IDENTIFY expensive under emulation.
    expect(drv.dio.perOp.get('probe')!.accesses).toBeGreaterThan(256);
  });

  it('reads back byte for byte what it wrote, at random sectors (seeded)', () => {
    const { m, drv } = ideMachine(40_000);
    roundTrip(m, drv, 40_000, 7, 25);
  });

  it('makes 26 register accesses for an LBA28 DMA read (REFERENCE §6.3)', () => {
    const { m, drv } = ideMachine(40_000);
    drv.dio.keepLog = true;
    const buf = m.allocDma(8 * 512);
    expect(m.run(drv.read(100, 8, buf))).toEqual({ ok: true });
    printRequest('IDE READ DMA, 8 sectors', drv.dio);
    expect(drv.dio.lastOp.accesses).toBe(26);
    expect(drv.dio.lastOp.accesses).toBeGreaterThanOrEqual(20);
    expect(drv.dio.lastOp.accesses).toBeLessThanOrEqual(32);
  });

  it('uses READ DMA EXT beyond LBA28 at 31 accesses, and the data still round-trips', () => {
    const size = 0x1000_0000 + 4096;
    const { m, drv, disk } = ideMachine(size);
    const lba = 0x1000_0000 + 10;
    const data = randomBytes(new RandomStream(3, 'lba48'), 4 * 512);
    disk.poke(lba, data);
    const buf = m.allocDma(4 * 512);
    drv.dio.keepLog = true;
    expect(m.run(drv.read(lba, 4, buf))).toEqual({ ok: true });
    printRequest('IDE READ DMA EXT, 4 sectors', drv.dio);
    expect(drv.dio.lastOp.accesses).toBe(31);
    expectSameBytes(m.ram.read(buf, data.length), data);
    expect(drv.dio.lastOp.log.some((a) => a.reg === 'status/command' && a.dir === 'w' && a.value === 0x25)).toBe(true);
  });

  it('splits a buffer crossing a 64 KiB boundary into PRD entries that respect it', () => {
    const { m, drv, disk } = ideMachine(4096);
    const data = randomBytes(new RandomStream(5, 'prd'), 256 * 512);
    disk.poke(0, data);
    const buf = m.allocDma(256 * 512 + 0x10000) + 0x8000; // 128 KiB from the middle of a 64 KiB region
    expect(m.run(drv.read(0, 256, buf))).toEqual({ ok: true });
    expectSameBytes(m.ram.read(buf, data.length), data);
  });

  it('reports a device error when the disk fails, after the same 8-access handler plus the error register', () => {
    const { m, drv, disk } = ideMachine(4096);
    disk.fail = true;
    const r = m.run(drv.read(0, 1, m.allocDma(512)));
    expect(r).toMatchObject({ ok: false, reason: 'device-error', error: 0x40 });
    expect(drv.dio.lastOp.accesses).toBe(27);
  });

  it('refuses a request beyond the disk without touching a register', () => {
    const { m, drv } = ideMachine(4096);
    const before = m.space.stats.pioReads + m.space.stats.pioWrites;
    expect(m.run(drv.read(4090, 8, m.allocDma(4096)))).toMatchObject({ ok: false, reason: 'bad-request' });
    expect(m.space.stats.pioReads + m.space.stats.pioWrites).toBe(before);
  });
});

describe('the controllers over a physical disk model', () => {
  it('take hw/disk.ts as their BlockBackend, and its time is what a request waits for', () => {
    for (const kind of ['ide', 'ahci'] as const) {
      const m = new NativeMachine({ accessNs: ACCESS_NS });
      const disk: BlockBackend = new Disk(m.engine, DISK_MODELS['nvme-modern']!, 64 << 20);
      const dev = kind === 'ide' ? new IdeChannel(disk, m.irq(14), m.deviceMemory) : new AhciHba(disk, m.irq(11), m.deviceMemory);
      m.space.attach(dev);
      const drv = kind === 'ide' ? new IdeDriver(m.io) : new AhciDriver(m.io);
      expect(m.run(drv.probe())?.sectors).toBe((64 << 20) / 512);
      const buf = m.allocDma(4096);
      m.ram.write(buf, new Uint8Array(4096).fill(0x17));
      expect(m.run(drv.write(1000, 8, buf))).toEqual({ ok: true });
      m.ram.write(buf, new Uint8Array(4096));
      const t0 = m.engine.now;
      expect(m.run(drv.read(1000, 8, buf))).toEqual({ ok: true });
      expect(m.engine.now - t0).toBeGreaterThan(85_000); // the drive's read latency
      expectSameBytes(m.ram.read(buf, 4096), new Uint8Array(4096).fill(0x17));
    }
  });
});

describe('the native AHCI driver over the AHCI model', () => {
  it('sets the port up, finds the disk by IDENTIFY and reports the backend size and NCQ', () => {
    const { info } = ahciMachine(777_777);
    expect(info).toMatchObject({ sectors: 777_777, lba48: true, ncq: true });
  });

  it('reads back byte for byte what it wrote, at random sectors (seeded)', () => {
    const { m, drv } = ahciMachine(50_000);
    roundTrip(m, drv, 50_000, 11, 25);
  });

  it('makes 6 register accesses per READ DMA EXT (REFERENCE §6.3)', () => {
    const { m, drv } = ahciMachine(50_000);
    drv.dio.keepLog = true;
    expect(m.run(drv.read(100, 8, m.allocDma(4096)))).toEqual({ ok: true });
    printRequest('AHCI READ DMA EXT, 8 sectors', drv.dio);
    expect(drv.dio.lastOp.accesses).toBe(6);
    expect(drv.dio.lastOp.accesses).toBeGreaterThanOrEqual(5);
    expect(drv.dio.lastOp.accesses).toBeLessThanOrEqual(9);
  });

  it('makes 7 with NCQ (PxSACT, then PxCI; the handler reads PxSACT) and round-trips data', () => {
    const { m, drv } = ahciMachine(50_000, true);
    drv.dio.keepLog = true;
    expect(m.run(drv.read(100, 8, m.allocDma(4096)))).toEqual({ ok: true });
    printRequest('AHCI READ FPDMA QUEUED, 8 sectors', drv.dio);
    expect(drv.dio.lastOp.accesses).toBe(7);
    expect(drv.dio.lastOp.log.map((a) => a.reg)).toEqual(['PxSACT', 'PxCI', 'IS', 'PxIS', 'PxIS', 'PxSACT', 'IS']);
    roundTrip(m, drv, 50_000, 13, 10);
  });

  it('queues several tags with NCQ (2 accesses each) and completes each, however the completions fall', () => {
    const { m, drv, disk } = ahciMachine(50_000, true);
    const bufs = [0, 1, 2, 3].map(() => m.allocDma(4096));
    for (let t = 0; t < 4; t++) disk.poke(t * 8, new Uint8Array(4096).fill(0x10 + t));
    const seen: number[] = [];
    m.run((function* () {
      for (let t = 0; t < 4; t++) expect(yield* drv.start(false, t * 8, 8, bufs[t]!, t)).toBe(true);
      expect(yield* drv.start(false, 0, 8, bufs[0]!, 2)).toBe(false); // tag 2 is busy
      for (let left = 0b1111, irq = 0; left !== 0 && irq < 8; irq++) {
        yield* drv.dio.waitIrq(11);
        const { done, failed } = yield* drv.service();
        expect(failed).toBe(0);
        seen.push(done);
        left &= ~done;
      }
    })());
    expect(seen.reduce((a, b) => a | b, 0)).toBe(0b1111);
    for (let t = 0; t < 4; t++) expect(m.ram.read(bufs[t]!, 4096)).toEqual(new Uint8Array(4096).fill(0x10 + t));
    expect(drv.dio.perOp.get('issue')).toEqual({ ops: 4, accesses: 8 });
    expect(drv.dio.perOp.get('interrupt')!.accesses).toBe(5 * seen.length);
  });

  it('recovers the port after a failed command, and the next request succeeds', () => {
    const { m, drv, disk } = ahciMachine(50_000);
    const buf = m.allocDma(4096);
    disk.fail = true;
    expect(m.run(drv.read(0, 1, buf))).toMatchObject({ ok: false, reason: 'device-error', error: 0x40 });
    disk.fail = false;
    disk.poke(0, new Uint8Array(512).fill(0x5a));
    expect(m.run(drv.read(0, 1, buf))).toEqual({ ok: true });
    expect(m.ram.read(buf, 512)).toEqual(new Uint8Array(512).fill(0x5a));
  });
});

describe('the native serial console over the 16550A model', () => {
  function uartMachine(tx: 'line' | 'instant', fifoBurst = false) {
    const m = new NativeMachine({ accessNs: ACCESS_NS });
    const uart = new Uart16550(m.engine, m.irq(4), { tx });
    m.space.attach(uart);
    const drv = new UartDriver(m.io, { base: 0x3f8, baud: 115_200, fifoBurst });
    m.run(drv.init());
    return { m, uart, drv };
  }

  it('emits exactly the bytes written, in order', () => {
    const { m, uart, drv } = uartMachine('line');
    const text = 'pvlab: booting the unmodified kernel\n\u00e9\u0001';
    m.run(drv.write(text));
    expect(uart.text()).toBe(text);
    expect(drv.timeouts).toBe(0);
  });

  it('costs 6 accesses for one character and 2 per further one when the UART sends at once', () => {
    const { m, drv } = uartMachine('instant');
    drv.dio.keepLog = true;
    expect(m.run(drv.write('A'))).toBe(6);
    printRequest('16550 console write of one character', drv.dio);
    expect(m.run(drv.write('ABCDEFGHIJ'))).toBe(6 + 2 * 9);
  });

  it('on a real line, polls while each character takes its 86.8 µs at 115200 8N1', () => {
    const { m, uart, drv } = uartMachine('line');
    const accesses = m.run(drv.write('0123456789'));
    const times = uart.output.map((b) => b.timeNs);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(86_806);
    expect(accesses).toBeGreaterThan(6 + 2 * 9);
  });

  it('with FIFO bursts, writes 16 characters per LSR poll', () => {
    const { m, uart, drv } = uartMachine('instant', true);
    const text = 'x'.repeat(64);
    // IER save and mask, 4 polls and 64 THR writes, the final poll, IER restore.
    expect(m.run(drv.write(text))).toBe(2 + 4 + 64 + 2);
    expect(uart.text()).toBe(text);
  });

  it('on a real line, FIFO bursts do not save polls: the wire sets the pace either way', () => {
    const perChar = uartMachine('line');
    const burst = uartMachine('line', true);
    const text = 'y'.repeat(48);
    perChar.m.run(perChar.drv.write(text));
    burst.m.run(burst.drv.write(text));
    expect(burst.uart.text()).toBe(text);
    const last = (u: Uart16550) => u.output[u.output.length - 1]!.timeNs - u.output[0]!.timeNs;
    expect(last(burst.uart)).toBe(last(perChar.uart));
  });
});
