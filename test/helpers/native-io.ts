// A tiny native machine for device and driver tests: an engine, an I/O space, flat RAM, an
// in-memory disk with a fixed latency, interrupt lines that latch edges, and a GuestIo that
// performs each access directly (taking `accessNs` of guest time) while driving a driver's
// generator: `compute` yields pass time, `block` waits for an interrupt.
import { Engine, type Handler } from '../../hw/engine';
import { IoSpace, type BlockBackend, type BlockRequest, type BlockResult, type DmaMemory, type IrqLine } from '../../hw/devices/bus';
import type { GuestOp } from '../../hypervisor/public/guest';
import type { GuestIo, IoStep } from '../../guests/drivers/io';

/** Longest single DMA access the fake RAM serves (a guard against a runaway length). */
const MAX_ACCESS = 64 << 20;

/** Flat RAM at guest-physical 0. Outside it reads return 0xFF and writes are dropped. */
export class FakeRam implements DmaMemory {
  readonly bytes: Uint8Array;
  outsideReads = 0;
  outsideWrites = 0;

  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
  }

  read(gpa: number, len: number): Uint8Array {
    const n = Number.isSafeInteger(len) && len > 0 ? Math.min(len, MAX_ACCESS) : 0;
    const out = new Uint8Array(n).fill(0xff);
    const lo = Math.max(0, gpa);
    const hi = Math.min(this.size, gpa + n);
    if (Number.isSafeInteger(gpa) && lo < hi) out.set(this.bytes.subarray(lo, hi), lo - gpa);
    if (n > 0 && !(gpa >= 0 && gpa + n <= this.size)) this.outsideReads++;
    return out;
  }

  write(gpa: number, data: Uint8Array): void {
    const lo = Math.max(0, gpa);
    const hi = Math.min(this.size, gpa + data.length);
    if (Number.isSafeInteger(gpa) && lo < hi) this.bytes.set(data.subarray(lo - gpa, hi - gpa), lo);
    if (!(gpa >= 0 && gpa + data.length <= this.size)) this.outsideWrites++;
  }

  /** The same RAM as a device sees it, telling `onWrite` about every DMA write. */
  deviceView(onWrite: (gpa: number, len: number) => void): DmaMemory {
    return {
      read: (gpa, len) => this.read(gpa, len),
      write: (gpa, data) => {
        onWrite(gpa, data.length);
        this.write(gpa, data);
      },
    };
  }
}

/** A disk in memory (sparse: unwritten sectors read as zeros), so a test disk can be larger
 *  than 2^28 sectors. Every request completes `latencyNs` later, through the engine; `fail`
 *  makes the next requests complete with an error. */
export class MemBackend implements BlockBackend {
  private readonly sectors = new Map<number, Uint8Array>();
  submitted = 0;
  fail = false;
  /** Called just before each completion (tests snapshot state there). */
  beforeComplete: (() => void) | undefined;

  constructor(private readonly engine: Engine, readonly sizeSectors: number, private readonly latencyNs: number) {}

  peek(sector: number, count: number): Uint8Array {
    const out = new Uint8Array(count * 512);
    for (let i = 0; i < count; i++) {
      const s = this.sectors.get(sector + i);
      if (s) out.set(s, i * 512);
    }
    return out;
  }

  poke(sector: number, data: Uint8Array): void {
    for (let i = 0; i * 512 < data.length; i++) this.sectors.set(sector + i, data.slice(i * 512, i * 512 + 512));
  }

  submit(req: BlockRequest, done: (r: BlockResult) => void): void {
    this.submitted++;
    const bad = this.fail || (req.op !== 'flush' && (req.count < 1 || req.sector < 0 || req.sector + req.count > this.sizeSectors
      || (req.op === 'write' && req.data?.length !== req.count * 512)));
    const payload = req.op === 'write' && !bad ? req.data!.slice() : undefined;
    this.engine.after(this.latencyNs, {
      fire: () => {
        this.beforeComplete?.();
        if (bad) return done({ status: 'error' });
        if (req.op === 'read') return done({ status: 'ok', data: this.peek(req.sector, req.count) });
        if (payload) this.poke(req.sector, payload);
        done({ status: 'ok' });
      },
    });
  }
}

/** An interrupt line that remembers a rising edge until a waiter consumes it. */
export class TestIrq implements IrqLine {
  level = false;
  edges = 0;
  latched = false;

  constructor(private readonly onEdge: () => void) {}

  raise(): void {
    if (this.level) return;
    this.level = true;
    this.edges++;
    this.latched = true;
    this.onEdge();
  }

  lower(): void {
    this.level = false;
  }
}

const BLOCK: GuestOp = { op: 'block' };

/** Drives one guest generator on the engine. */
export class GuestRunner<T> implements Handler {
  done = false;
  result: T | undefined;
  blocked = false;
  /** An abandoned runner ignores wake-ups. */
  abandoned = false;

  constructor(private readonly m: NativeMachine, private readonly gen: Generator<GuestOp | number, T, number>) {}

  fire(): void {
    if (this.done || this.abandoned) return;
    this.blocked = false;
    const r = this.gen.next(this.m.engine.now);
    if (r.done) {
      this.done = true;
      this.result = r.value;
      return;
    }
    const y = r.value;
    if (typeof y === 'number') return this.m.engine.after(y, this);
    switch (y.op) {
      case 'compute': return this.m.engine.after(y.ns, this);
      case 'yield': return this.m.engine.after(0, this);
      case 'block':
        this.blocked = true;
        this.m.blocked.add(this);
        return;
      case 'shutdown':
        this.done = true;
        return;
    }
  }
}

export interface MachineOptions {
  readonly ramBytes?: number;
  /** Guest time one register access takes (0: free). */
  readonly accessNs?: number;
}

/** Where allocDma starts handing out buffers. */
const DMA_POOL_BASE = 0x1_0000;

export class NativeMachine {
  readonly engine = new Engine();
  readonly space = new IoSpace();
  readonly ram: FakeRam;
  readonly io: GuestIo;
  readonly blocked = new Set<GuestRunner<unknown>>();
  /** Called before every register access (tests snapshot state there). */
  onAccess: ((space: 'pio' | 'mmio', addr: number, size: 1 | 2 | 4, dir: 'r' | 'w', value: number) => void) | undefined;
  /** Every device DMA write: [gpa, len]. */
  readonly dmaWrites: [number, number][] = [];
  /** Called before each device DMA write lands, and after it has. */
  onDmaWrite: ((gpa: number, len: number) => void) | undefined;
  afterDmaWrite: (() => void) | undefined;
  private readonly irqs = new Map<number, TestIrq>();
  private nextDma = DMA_POOL_BASE;

  constructor(opts: MachineOptions = {}) {
    this.ram = new FakeRam(opts.ramBytes ?? 4 << 20);
    this.io = this.makeIo(opts.accessNs ?? 0);
  }

  /** The RAM as devices see it (their DMA writes are recorded). */
  get deviceMemory(): DmaMemory {
    const view = this.ram.deviceView((gpa, len) => {
      this.dmaWrites.push([gpa, len]);
      this.onDmaWrite?.(gpa, len);
    });
    return {
      read: view.read,
      write: (gpa, data) => {
        view.write(gpa, data);
        this.afterDmaWrite?.();
      },
    };
  }

  irq(line: number): TestIrq {
    let l = this.irqs.get(line);
    if (!l) {
      l = new TestIrq(() => this.wakeAll());
      this.irqs.set(line, l);
    }
    return l;
  }

  allocDma(bytes: number): number {
    const at = this.nextDma;
    this.nextDma += Math.ceil(Math.max(bytes, 1) / 4096) * 4096;
    if (this.nextDma > this.ram.size) throw new Error('test machine: out of DMA memory');
    return at;
  }

  start<T>(gen: Generator<GuestOp | number, T, number>): GuestRunner<T> {
    const r = new GuestRunner(this, gen);
    this.engine.at(this.engine.now, r);
    return r;
  }

  /** Runs a guest generator to completion (throws if it is left waiting forever). */
  run<T>(gen: Generator<GuestOp | number, T, number>): T {
    const r = this.start(gen);
    this.engine.run();
    if (!r.done) throw new Error('test machine: the guest is stuck waiting');
    return r.result as T;
  }

  /** A register access from outside any guest program (a test's hostile access), through the
   *  same hook as the guest's. Sizes other than 1, 2, 4 go to the I/O space as they are. */
  access(dir: 'r' | 'w', space: 'pio' | 'mmio', addr: number, size: number, value = 0): number {
    if (size === 1 || size === 2 || size === 4) this.onAccess?.(space, addr, size, dir, value);
    if (dir === 'r') return this.space.read(addr, size, space);
    this.space.write(addr, size, value, space);
    return 0;
  }

  private wakeAll(): void {
    for (const r of this.blocked) if (!r.abandoned) this.engine.at(this.engine.now, r);
    this.blocked.clear();
  }

  private makeIo(accessNs: number): GuestIo {
    const m = this;
    const access = function* <T>(fn: () => T): IoStep<T> {
      const v = fn();
      if (accessNs > 0) yield { op: 'compute', ns: accessNs, mode: 'kernel' };
      return v;
    };
    const rd = (space: 'pio' | 'mmio', addr: number, size: 1 | 2 | 4) => access(() => {
      m.onAccess?.(space, addr, size, 'r', 0);
      return m.space.read(addr, size, space);
    });
    const wr = (space: 'pio' | 'mmio', addr: number, size: 1 | 2 | 4, value: number) => access(() => {
      m.onAccess?.(space, addr, size, 'w', value);
      m.space.write(addr, size, value, space);
    });
    return {
      inb: (p) => rd('pio', p, 1),
      inw: (p) => rd('pio', p, 2),
      inl: (p) => rd('pio', p, 4),
      outb: (p, v) => wr('pio', p, 1, v),
      outw: (p, v) => wr('pio', p, 2, v),
      outl: (p, v) => wr('pio', p, 4, v),
      mmioRead32: (a) => rd('mmio', a, 4),
      mmioWrite32: (a, v) => wr('mmio', a, 4, v),
      waitIrq: function* (line: number): IoStep<void> {
        const irq = m.irq(line);
        while (!irq.latched) yield BLOCK;
        irq.latched = false;
      },
      memory: this.ram,
      allocDma: (bytes) => this.allocDma(bytes),
    };
  }
}
