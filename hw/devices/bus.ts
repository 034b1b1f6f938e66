// The bus that device register models plug into, and the four interfaces they are built on:
// a register window (`PortDevice`), the guest memory a device reaches by DMA (`DmaMemory`),
// an interrupt line (`IrqLine`) and the storage behind a disk controller (`BlockBackend`).
//
// Who calls it: whoever owns a machine's I/O space. A natively running kernel's accesses come
// straight here; an HVM guest's trapped accesses arrive through dom0's device model, which
// owns its own IoSpace and hands the devices a DmaMemory over foreign mappings.
//
// Rule for every device on this bus: no guest access ever throws. An address nobody decodes
// reads all-ones (a master abort on PCI, a floating ISA bus); a write to it goes nowhere. Both
// are counted. `attach` does throw on overlapping ranges: that is a wiring bug in pvlab.

export type IoSize = 1 | 2 | 4;
export type AddressSpace = 'pio' | 'mmio';

export interface PortRange {
  readonly base: number;
  readonly count: number;
}

export interface MmioRange {
  readonly base: number;
  readonly size: number;
}

/** A device's register window. `read` returns an unsigned value of `size` bytes. */
export interface PortDevice {
  readonly name: string;
  ports: PortRange[];
  mmio?: MmioRange[];
  read(addr: number, size: IoSize, space: AddressSpace): number;
  write(addr: number, size: IoSize, value: number, space: AddressSpace): void;
}

/** Guest-physical memory as a device sees it. The caller decides whether that is native RAM
 *  or a device model's foreign mapping. Implementations never throw: bytes outside RAM read
 *  as 0xFF and writes there are dropped, as a chipset does with a master abort. */
export interface DmaMemory {
  read(gpa: number, len: number): Uint8Array;
  write(gpa: number, data: Uint8Array): void;
}

/** One interrupt line. Devices call `raise`/`lower` only when their level changes. */
export interface IrqLine {
  raise(): void;
  lower(): void;
}

export interface BlockRequest {
  readonly op: 'read' | 'write' | 'flush';
  readonly sector: number;
  readonly count: number;
  /** A write's bytes, count × 512 of them. */
  readonly data?: Uint8Array;
}

export interface BlockResult {
  readonly status: 'ok' | 'error';
  /** A read's bytes. */
  readonly data?: Uint8Array;
}

/** Storage behind a disk controller. `done` is called later, through the engine. */
export interface BlockBackend {
  readonly sizeSectors: number;
  submit(req: BlockRequest, done: (r: BlockResult) => void): void;
}

export const SECTOR_BYTES = 512;

/** The value a read of `size` bytes returns when nothing drives the bus. */
export function allOnes(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}

/** Composes a little-endian read of `size` bytes from single-byte reads, the way a bus splits
 *  a wide access to an 8-bit device into byte cycles. */
export function readBytes(addr: number, size: IoSize, readByte: (addr: number) => number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v |= (readByte(addr + i) & 0xff) << (8 * i);
  return v >>> 0;
}

/** Splits a little-endian write of `size` bytes into single-byte writes. */
export function writeBytes(addr: number, size: IoSize, value: number, writeByte: (addr: number, b: number) => void): void {
  for (let i = 0; i < size; i++) writeByte(addr + i, (value >>> (8 * i)) & 0xff);
}

/** A device's interrupt output: forwards only level changes to the line, and counts edges. */
export class IrqOutput {
  private level = false;
  /** Rising edges so far. */
  raised = 0;

  constructor(private readonly line: IrqLine) {}

  get asserted(): boolean {
    return this.level;
  }

  /** Sets the level; returns true on a rising edge. */
  set(level: boolean): boolean {
    if (level === this.level) return false;
    this.level = level;
    if (level) {
      this.raised++;
      this.line.raise();
      return true;
    }
    this.line.lower();
    return false;
  }
}

/** Always-on counters of one I/O space. */
export class IoSpaceStats {
  pioReads = 0;
  pioWrites = 0;
  mmioReads = 0;
  mmioWrites = 0;
  /** Accesses no device decodes. */
  unclaimedReads = 0;
  unclaimedWrites = 0;
  /** Accesses of a size other than 1, 2 or 4 bytes (an ioreq can say 8): answered all-ones. */
  badSize = 0;
}

const PORT_SPACE = 0x10000;

interface MmioSlot {
  readonly base: number;
  readonly end: number;
  readonly dev: PortDevice;
}

/** Routes port and MMIO accesses to devices by address: ports through a 64 Ki table (O(1)),
 *  MMIO through a sorted list of windows (binary search). */
export class IoSpace {
  readonly stats = new IoSpaceStats();
  private readonly devices: (PortDevice | undefined)[] = [undefined];
  /** Index into `devices` of the owner of each port, 0 for none. */
  private readonly portOwner = new Uint16Array(PORT_SPACE);
  private mmio: MmioSlot[] = [];

  /** Plugs a device in. Throws if a range is malformed or overlaps another device's. */
  attach(dev: PortDevice): void {
    for (const r of dev.ports) {
      if (!Number.isInteger(r.base) || !Number.isInteger(r.count) || r.base < 0 || r.count < 1 || r.base + r.count > PORT_SPACE) {
        throw new RangeError(`io: ${dev.name}: bad port range ${r.base}+${r.count}`);
      }
      for (let p = r.base; p < r.base + r.count; p++) {
        if (this.portOwner[p] !== 0) throw new Error(`io: ${dev.name}: port 0x${p.toString(16)} already claimed`);
      }
    }
    for (const r of dev.mmio ?? []) {
      if (!Number.isSafeInteger(r.base) || !Number.isSafeInteger(r.size) || r.base < 0 || r.size < 1) {
        throw new RangeError(`io: ${dev.name}: bad MMIO window ${r.base}+${r.size}`);
      }
      const clash = this.mmio.find((s) => r.base < s.end && s.base < r.base + r.size);
      if (clash) throw new Error(`io: ${dev.name}: MMIO window overlaps ${clash.dev.name}`);
    }
    const idx = this.devices.length;
    this.devices.push(dev);
    for (const r of dev.ports) this.portOwner.fill(idx, r.base, r.base + r.count);
    for (const r of dev.mmio ?? []) this.mmio.push({ base: r.base, end: r.base + r.size, dev });
    this.mmio.sort((a, b) => a.base - b.base);
  }

  /** Unplugs a device (PVHVM's unplug of the emulated disks and NICs, for example). */
  detach(dev: PortDevice): void {
    const idx = this.devices.indexOf(dev);
    if (idx <= 0) return;
    this.devices[idx] = undefined;
    for (let p = 0; p < PORT_SPACE; p++) if (this.portOwner[p] === idx) this.portOwner[p] = 0;
    this.mmio = this.mmio.filter((s) => s.dev !== dev);
  }

  /** The device decoding `addr`, if any. */
  claimant(addr: number, space: AddressSpace): PortDevice | undefined {
    if (space === 'pio') {
      return Number.isInteger(addr) && addr >= 0 && addr < PORT_SPACE ? this.devices[this.portOwner[addr]!] : undefined;
    }
    if (!Number.isSafeInteger(addr)) return undefined;
    const m = this.mmio;
    let lo = 0;
    let hi = m.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = m[mid]!;
      if (addr < s.base) hi = mid - 1;
      else if (addr >= s.end) lo = mid + 1;
      else return s.dev;
    }
    return undefined;
  }

  read(addr: number, size: number, space: AddressSpace): number {
    if (space === 'pio') this.stats.pioReads++;
    else this.stats.mmioReads++;
    if (size !== 1 && size !== 2 && size !== 4) {
      this.stats.badSize++;
      return allOnes(4);
    }
    const dev = this.claimant(addr, space);
    if (!dev) {
      this.stats.unclaimedReads++;
      return allOnes(size);
    }
    const v = dev.read(addr, size, space);
    return size === 4 ? v >>> 0 : v & allOnes(size);
  }

  write(addr: number, size: number, value: number, space: AddressSpace): void {
    if (space === 'pio') this.stats.pioWrites++;
    else this.stats.mmioWrites++;
    if (size !== 1 && size !== 2 && size !== 4) {
      this.stats.badSize++;
      return;
    }
    const dev = this.claimant(addr, space);
    if (!dev) {
      this.stats.unclaimedWrites++;
      return;
    }
    dev.write(addr, size, size === 4 ? value >>> 0 : value & allOnes(size), space);
  }
}
