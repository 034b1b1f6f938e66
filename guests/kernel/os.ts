// The guest kernel's operating system, shared by the PV and the unmodified kernel: system
// calls, signals, page faults (not-present, copy-on-write, protection), context switches
// between processes, mmap/munmap, and the file system over the block device (fs.ts). Process
// creation and death (fork, exec, exit, wait) are in lifecycle.ts. Where the two kernels
// differ — how a PTE is written, how the page-table base is loaded, how a system call enters
// — it asks its personality (personality.ts). Each call spends the kernel work the platform
// profile gives for it (KernelCosts) as guest kernel time, and counts what it did.
import type { KernelCosts, MmuCosts } from '../../hw/platforms/profile';
import { compute, mmuOp, type VcpuEnv } from '../../hypervisor/public/guest';
import type { MmuPersonality } from './personality';
import { ImageCache, Process, type Image } from './process';
import type { KGen } from './types';
import { Frames, PteBatch, mapPage, remapWritable, unmapRegion, type AddressSpace, type Geometry, type NewTable, type Region, type RegionSpec } from './vm';
import type { PageAllocator } from './pages';

/** What the kernel did, for the reports' "per operation" counts. */
export interface OsCounters {
  syscalls: number;
  forks: number;
  execs: number;
  exits: number;
  contextSwitches: number;
  pageFaults: number;
  cowFaults: number;
  protFaults: number;
  pteWrites: number;
  tlbFlushes: number;
  signals: number;
}

const PAGE = 4096;

export class GuestOs {
  readonly counters: OsCounters = { syscalls: 0, forks: 0, execs: 0, exits: 0, contextSwitches: 0, pageFaults: 0, cowFaults: 0, protFaults: 0, pteWrites: 0, tlbFlushes: 0, signals: 0 };
  readonly frames: Frames;
  readonly images = new ImageCache();
  current: Process | undefined;
  private nextPid = 1;
  /** Operations that failed for want of memory (a kernel would return -ENOMEM). */
  enomem = 0;
  /** Where the pages of a file mapping come from (the page cache's frame of each page). */
  private readonly fileMaps = new WeakMap<Region, (i: number) => number>();

  constructor(
    readonly env: VcpuEnv,
    readonly mmu: MmuPersonality,
    readonly g: Geometry,
    readonly costs: KernelCosts,
    readonly mmuCosts: MmuCosts,
    pages: PageAllocator,
    /** The core clock: workloads state user work in cycles. */
    readonly cpuGHz: number,
  ) {
    this.frames = new Frames(pages);
  }

  now(): number {
    return this.env.now();
  }

  pid(): number {
    return this.nextPid++;
  }

  /** `cycles` of user-mode work, as time at this CPU's clock. */
  cyclesNs(cycles: number): number {
    return Math.round(cycles / this.cpuGHz);
  }

  /** Kernel work of `ns` (rounded to the engine's whole nanoseconds). */
  *work(ns: number): KGen {
    const t = Math.round(ns);
    if (t > 0) yield compute(t, 'kernel');
  }

  /** Copying `bytes` inside the kernel (a page copy, a read() into a user buffer). */
  copyNs(bytes: number): number {
    return bytes / this.costs.memcpyBytesPerNs;
  }

  /** `count` system calls, each doing `workNs` of kernel work. */
  *syscall(workNs: number, count = 1): KGen {
    this.counters.syscalls += count;
    yield* this.mmu.syscalls(count);
    yield* this.work(workNs * count);
  }

  // ---- page tables ----

  /** Makes new tables tables, writes the batch, then frees old tables (in that order, so that
   *  a PV kernel's links always point at pinned tables and unpinned ones are unlinked). */
  *apply(tables: readonly NewTable[], writes: PteBatch, freed: readonly number[] = []): KGen {
    yield* this.mmu.newTables(tables);
    this.counters.pteWrites += writes.length;
    yield* this.mmu.writePtes(writes);
    yield* this.mmu.freeTables(freed);
    for (const gfn of freed) this.frames.put(gfn);
  }

  /** Switches the CPU to `next`: the kernel's switch, a page-table base load, and the TLB refills
   *  of the working set `next` touches again. */
  *switchTo(next: Process): KGen {
    if (this.current === next) return;
    this.counters.contextSwitches++;
    yield* this.work(this.mmuCosts.processSwitchNs);
    yield* this.mmu.loadBase(next.as);
    this.current = next;
    if (next.workingSet > 0) yield mmuOp('tlb-miss', next.workingSet);
  }

  /** The process touches `count` pages of `region` from `first` on: each absent page is a page
   *  fault that maps a frame (the image's cached page, or a fresh anonymous one). With `write`,
   *  a copy-on-write page is a fault that copies it (or just makes it writable when no one else
   *  shares it any more). */
  *touch(p: Process, region: Region, first: number, count: number, write = false): KGen {
    const tables: NewTable[] = [];
    const writes = new PteBatch();
    const done = { faults: 0, copied: 0, cowed: 0 };
    const end = Math.min(region.frames.length, first + count);
    for (let i = first; i < end; i++) {
      let ok = true;
      if (region.frames[i]! < 0) {
        const frame = this.frameFor(p, region, i);
        ok = frame >= 0 && mapPage(p.as, region, i, frame, this.frames, tables, writes);
      } else if (write && region.cow[i] === 1) {
        const copied = this.breakCow(p, region, i, writes);
        ok = copied !== undefined;
        if (ok) (done.cowed++, (done.copied += copied ? 1 : 0));
      } else continue;
      if (!ok) {
        this.enomem++;
        break;
      }
      done.faults++;
      writes.cut();
    }
    this.counters.pageFaults += done.faults;
    this.counters.cowFaults += done.cowed;
    yield* this.mmu.faults('page-fault', done.faults);
    yield* this.apply(tables, writes);
    yield* this.work(this.copyNs(done.copied * PAGE));
    // A page that became writable drops its stale read-only TLB entry.
    yield* this.mmu.invlpg(done.cowed);
  }

  /** A write to a copy-on-write page: a private copy when the frame is still shared, or the
   *  same frame made writable. Returns whether it copied, or undefined without memory. */
  private breakCow(p: Process, region: Region, i: number, writes: PteBatch): boolean | undefined {
    const f = region.frames[i]!;
    if (this.frames.refsOf(f) <= 1) return remapWritable(p.as, region, i, f, writes), false;
    const copy = this.frames.alloc();
    if (copy < 0) return undefined;
    this.frames.put(f);
    remapWritable(p.as, region, i, copy, writes);
    return true;
  }

  /** The frame page `i` of a region maps when first touched. */
  private frameFor(p: Process, region: Region, i: number): number {
    const file = this.fileMaps.get(region);
    if (file) return file(i);
    if (region.spec.external) return this.images.frame(p.image, region.spec, i, () => this.frames.alloc());
    return this.frames.alloc();
  }

  /** A protection fault delivered to the process's SIGSEGV handler (lmbench prot fault). */
  *protFault(): KGen {
    this.counters.protFaults++;
    yield* this.mmu.faults('prot-fault', 1);
  }

  /** A new mapping (mmap): a region with no page mapped yet; the VMA work is the caller's.
   *  A file mapping passes where each page's frame is (the page cache). */
  mmap(p: Process, spec: RegionSpec, file?: (i: number) => number): Region {
    const r = p.as.addRegion(spec);
    if (file) this.fileMaps.set(r, file);
    return r;
  }

  /** munmap: every entry cleared, the tables freed, the TLB flushed. */
  *munmap(p: Process, r: Region): KGen {
    const writes = new PteBatch();
    const freed: number[] = [];
    unmapRegion(p.as, r, this.frames, freed, writes);
    p.as.removeRegion(r);
    yield* this.apply([], writes, freed);
    yield* this.flushTlb();
  }

  *flushTlb(): KGen {
    this.counters.tlbFlushes++;
    yield* this.mmu.flushTlb();
  }

  // ---- signals ----

  /** sigaction(): installs a handler. */
  *sigaction(p: Process, sig: number): KGen {
    p.handlers.add(sig);
    yield* this.syscall(this.costs.sigInstallNs);
  }

  /** kill() to itself, the handler run, and sigreturn (lmbench sig handler). */
  *signalSelf(p: Process, sig: number): KGen {
    if (!p.handlers.has(sig)) return;
    this.counters.signals++;
    yield* this.syscall(0); // kill
    yield* this.work(this.costs.sigDeliverNs);
    yield* this.syscall(0); // sigreturn
  }

  /** A process and its address space, ready to run `image` (used by lifecycle.ts). */
  newProcess(image: Image, as: AddressSpace, parent: Process | undefined): Process {
    const p = new Process(this.pid(), image, as, parent);
    parent?.children.push(p);
    return p;
  }
}
