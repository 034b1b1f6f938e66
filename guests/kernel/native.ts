// The unmodified kernel: it believes it owns a PC. It probes its disk controller (legacy IDE
// or AHCI, as the machine offers, or a virtio-blk disk on a KVM host: the kernel carries the
// virtio drivers, as distribution kernels do) with its drivers, and runs I/O through them: every
// register access is an I/O instruction, every wait for the disk a HLT until the interrupt.
// The same kernel runs natively, under hardware-assisted virtualization, binary translation
// and pure emulation: it cannot tell, which is the point of full virtualization.
import type { KernelCosts } from '../../hw/platforms/profile';
import type { DmaMemory } from '../../hw/devices/bus';
import { pagedMemory } from '../../hw/devices/paged';
import { block, pio, mmio, compute, syscall, type VcpuEnv } from '../../hypervisor/public/guest';
import { AHCI_NCQ_TAGS, AhciDriver } from '../drivers/ahci';
import { IdeDriver } from '../drivers/ide';
import type { GuestIo, IoStep } from '../drivers/io';
import type { AtaDiskInfo } from '../drivers/ata';
import { PageAllocator } from './pages';
import type { BlockDevice, BlockIo, KGen } from './types';
import { KERNEL_RESERVED_FRAMES } from './pv';
import { VirtioBlk } from '../virtio/blk';

const PAGE = 4096;

export type DiskController = 'ide' | 'ahci' | 'virtio';

export class NativeKernel implements GuestIo {
  env!: VcpuEnv;
  pages!: PageAllocator;
  private latched = 0;
  driver: IdeDriver | AhciDriver | undefined;
  disk: NativeDisk | undefined;
  /** The virtio-blk disk, when the machine's disk is one (controller 'virtio'). */
  virtio: VirtioBlk | undefined;
  interrupts = 0;

  constructor(
    readonly costs: KernelCosts,
    readonly controller: DiskController,
  ) {}

  *boot(env: VcpuEnv): KGen {
    this.env = env;
    this.pages = new PageAllocator(KERNEL_RESERVED_FRAMES, env.nrPages);
    if (this.controller === 'virtio') {
      this.virtio = yield* VirtioBlk.probe(this);
      return;
    }
    const drv = this.controller === 'ahci' ? new AhciDriver(this) : new IdeDriver(this);
    const info = yield* drv.probe();
    if (info) {
      this.driver = drv;
      this.disk = new NativeDisk(this, drv, info);
    }
  }

  /** `count` system calls of the workload's process: the instruction's own cost natively or
   *  under hardware assistance, more under binary translation or emulation (the hypervisor
   *  charges the `syscall` operation by the domain's mode). */
  *syscall(count = 1): KGen {
    if (count > 0) yield syscall(count);
  }

  // ---- GuestIo: what the native drivers are written against ----
  *inb(port: number): IoStep<number> {
    return yield pio('in', port, 1);
  }
  *inw(port: number): IoStep<number> {
    return yield pio('in', port, 2);
  }
  *inl(port: number): IoStep<number> {
    return yield pio('in', port, 4);
  }
  *outb(port: number, value: number): IoStep<void> {
    yield pio('out', port, 1, value);
  }
  *outw(port: number, value: number): IoStep<void> {
    yield pio('out', port, 2, value);
  }
  *outl(port: number, value: number): IoStep<void> {
    yield pio('out', port, 4, value);
  }
  *mmioRead32(addr: number): IoStep<number> {
    return yield mmio('in', addr, 4);
  }
  *mmioWrite32(addr: number, value: number): IoStep<void> {
    yield mmio('out', addr, 4, value);
  }

  /** HLT until interrupt `line` fires (an edge latched earlier counts), then its handler runs. */
  *waitIrq(line: number): IoStep<void> {
    const bit = 1 << line;
    for (let i = 0; (this.latched & bit) === 0; i++) {
      if (i > 0) yield block();
      const got = this.env.takeInterrupts();
      if (got !== 0) {
        this.interrupts++;
        yield compute(this.costs.irqEntryNs, 'kernel');
      }
      this.latched |= got;
    }
    this.latched &= ~bit;
  }

  /** Takes interrupt `line` if it fired since it was last taken (an edge latched while waiting
   *  for another line counts), without sleeping: how the NIC driver checks its line from the
   *  network stack's bottom half. The caller charges the interrupt's entry. */
  takeIrq(line: number): boolean {
    const got = this.env.takeInterrupts();
    if (got !== 0) this.interrupts++;
    this.latched |= got;
    const bit = 1 << line;
    const fired = (this.latched & bit) !== 0;
    this.latched &= ~bit;
    return fired;
  }

  get memory(): DmaMemory {
    return pagedMemory((gfn) => this.env.page(gfn));
  }

  /** Physically contiguous pages from the allocator (it hands out ascending frames). */
  allocDma(bytes: number): number {
    const n = Math.max(1, Math.ceil(bytes / PAGE));
    const first = this.pages.alloc();
    for (let i = 1; i < n; i++) this.pages.alloc();
    return first * PAGE;
  }
}

/** The block layer's view of the native disk. On IDE (and AHCI without NCQ), one request at a
 *  time, run to completion inside `submit`. On AHCI with NCQ, up to 32 queued, one per tag:
 *  `submit` issues and returns, and `wait` sleeps until the disk's interrupt and completes every
 *  tag that finished. */
export class NativeDisk implements BlockDevice {
  readonly name = 'sda';
  readonly sizeSectors: number;
  readonly maxPages = 256;
  private busy = false;
  /** NCQ: the request on each tag. */
  private readonly tagged: (BlockIo | undefined)[] = [];
  private inflight = 0;

  constructor(
    private readonly k: NativeKernel,
    readonly driver: IdeDriver | AhciDriver,
    info: AtaDiskInfo,
  ) {
    this.sizeSectors = info.sectors;
  }

  /** Whether requests are queued (AHCI with NCQ): then the kernel waits through `wait`. */
  get queued(): boolean {
    return this.driver instanceof AhciDriver && this.driver.queued;
  }

  canSubmit(): boolean {
    return this.queued ? this.inflight < AHCI_NCQ_TAGS : !this.busy;
  }

  *submit(io: BlockIo): KGen {
    const contiguous = io.gfns.every((g, i) => g === io.gfns[0]! + i);
    if (this.queued && this.driver instanceof AhciDriver) {
      let tag = 0;
      while (tag < AHCI_NCQ_TAGS && this.tagged[tag]) tag++;
      if (!contiguous || tag === AHCI_NCQ_TAGS) return io.done(-1);
      yield compute(this.k.costs.blockSubmitNs, 'kernel');
      if (!(yield* this.driver.start(io.op === 'write', io.sector, io.count, io.gfns[0]! * PAGE, tag))) return io.done(-1);
      this.tagged[tag] = io;
      this.inflight++;
      return;
    }
    if (!contiguous || this.busy) return io.done(-1);
    this.busy = true;
    yield compute(this.k.costs.blockSubmitNs, 'kernel');
    const gpa = io.gfns[0]! * PAGE;
    const r = io.op === 'read' ? yield* this.driver.read(io.sector, io.count, gpa) : yield* this.driver.write(io.sector, io.count, gpa);
    yield compute(this.k.costs.blockCompleteNs, 'kernel');
    this.busy = false;
    io.done(r.ok ? 0 : -1);
  }

  *kick(): KGen {}

  /** NCQ: HLT until the disk's interrupt, then its handler; each finished tag completes. */
  *wait(): KGen {
    const drv = this.driver;
    if (!(drv instanceof AhciDriver) || this.inflight === 0) {
      yield block();
      return;
    }
    yield* drv.dio.waitIrq(drv.irq);
    const { done, failed } = yield* drv.service();
    for (let tag = 0; tag < AHCI_NCQ_TAGS; tag++) {
      const bit = (1 << tag) >>> 0;
      const io = this.tagged[tag];
      if (!io || !((done | failed) & bit)) continue;
      this.tagged[tag] = undefined;
      this.inflight--;
      yield compute(this.k.costs.blockCompleteNs, 'kernel');
      io.done(done & bit ? 0 : -1);
    }
  }
}
