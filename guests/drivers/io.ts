// The machine interface an unmodified kernel's native drivers are written against: port and
// MMIO register accesses, waiting for an interrupt, and the kernel's own physical memory for
// DMA descriptors and buffers. The platform provides it: natively an access goes straight to
// the device; in an HVM guest every access traps to the hypervisor and, for emulated devices,
// makes a round trip to dom0's device model. The drivers cannot tell, which is the point.
//
// Accesses are generators so that a platform can make the vCPU wait (an exit, an ioreq):
// `const s = yield* io.inb(0x1f7)`.
//
// `DriverIo` wraps a GuestIo for one driver and counts its register accesses per operation
// (the "exits per op" of the comparison tables), optionally keeping the list of one request.
import type { GuestOp } from '../../hypervisor/public/guest';
import type { DmaMemory } from '../../hw/devices/bus';

export type IoStep<T> = Generator<GuestOp | number, T, number>;

export interface GuestIo {
  inb(port: number): IoStep<number>;
  inw(port: number): IoStep<number>;
  inl(port: number): IoStep<number>;
  outb(port: number, value: number): IoStep<void>;
  outw(port: number, value: number): IoStep<void>;
  outl(port: number, value: number): IoStep<void>;
  mmioRead32(addr: number): IoStep<number>;
  mmioWrite32(addr: number, value: number): IoStep<void>;
  /** Sleeps until interrupt `line` has been raised (an edge latched since the last wait counts). */
  waitIrq(line: number): IoStep<void>;
  /** The guest's own physical memory. */
  readonly memory: DmaMemory;
  /** A page-aligned, physically contiguous buffer of at least `bytes` the driver may use. */
  allocDma(bytes: number): number;
}

export interface RegAccess {
  readonly dir: 'r' | 'w';
  readonly space: 'pio' | 'mmio';
  readonly addr: number;
  readonly size: 1 | 2 | 4;
  readonly value: number;
  /** The driver's name for the register. */
  readonly reg: string;
}

export interface OpTally {
  ops: number;
  accesses: number;
}

/** Names a register from its address, for logs. */
export type RegNamer = (space: 'pio' | 'mmio', addr: number) => string;

/** A GuestIo as one driver uses it: every access counted for the current operation. */
export class DriverIo {
  /** Operations completed and their accesses, by operation name. */
  readonly perOp = new Map<string, OpTally>();
  /** Accesses of the last completed operation, and their list when `keepLog` is on. */
  lastOp: { readonly op: string; readonly accesses: number; readonly log: readonly RegAccess[] } = { op: '', accesses: 0, log: [] };
  keepLog = false;
  private count = 0;
  private log: RegAccess[] = [];

  constructor(readonly io: GuestIo, private readonly namer: RegNamer) {}

  get memory(): DmaMemory {
    return this.io.memory;
  }

  /** The driver's name for the register at `addr` ("status/command", "PxCI"). */
  regName(space: 'pio' | 'mmio', addr: number): string {
    return this.namer(space, addr);
  }

  /** Starts counting an operation (an abandoned one's accesses are discarded). */
  begin(): void {
    this.count = 0;
    this.log = [];
  }

  /** Ends the operation `op`; returns its number of register accesses. */
  end(op: string): number {
    const t = this.perOp.get(op) ?? { ops: 0, accesses: 0 };
    t.ops++;
    t.accesses += this.count;
    this.perOp.set(op, t);
    this.lastOp = { op, accesses: this.count, log: this.log };
    return this.count;
  }

  *in8(port: number): IoStep<number> {
    return this.note('r', 'pio', port, 1, yield* this.io.inb(port));
  }

  *in16(port: number): IoStep<number> {
    return this.note('r', 'pio', port, 2, yield* this.io.inw(port));
  }

  *in32(port: number): IoStep<number> {
    return this.note('r', 'pio', port, 4, yield* this.io.inl(port));
  }

  *out8(port: number, value: number): IoStep<void> {
    this.note('w', 'pio', port, 1, value & 0xff);
    yield* this.io.outb(port, value & 0xff);
  }

  *out16(port: number, value: number): IoStep<void> {
    this.note('w', 'pio', port, 2, value & 0xffff);
    yield* this.io.outw(port, value & 0xffff);
  }

  *out32(port: number, value: number): IoStep<void> {
    this.note('w', 'pio', port, 4, value >>> 0);
    yield* this.io.outl(port, value >>> 0);
  }

  *mmr(addr: number): IoStep<number> {
    return this.note('r', 'mmio', addr, 4, yield* this.io.mmioRead32(addr));
  }

  *mmw(addr: number, value: number): IoStep<void> {
    this.note('w', 'mmio', addr, 4, value >>> 0);
    yield* this.io.mmioWrite32(addr, value >>> 0);
  }

  waitIrq(line: number): IoStep<void> {
    return this.io.waitIrq(line);
  }

  private note(dir: 'r' | 'w', space: 'pio' | 'mmio', addr: number, size: 1 | 2 | 4, value: number): number {
    this.count++;
    if (this.keepLog) this.log.push({ dir, space, addr, size, value, reg: this.namer(space, addr) });
    return value;
  }
}

/** One access as a log line: "r pio 0x1f7 status = 0x50". */
export function formatAccess(a: RegAccess): string {
  const width = 2 * a.size;
  return `${a.dir} ${a.space} 0x${a.addr.toString(16)} ${a.reg} ${a.dir === 'r' ? '=' : '<-'} 0x${a.value.toString(16).padStart(width, '0')}`;
}
