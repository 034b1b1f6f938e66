// The guest's virtio-blk driver (Linux drivers/block/virtio_blk.c over virtio_ring.c): the
// block device of an unmodified kernel on a KVM host, where Xen's guest has blkfront. One
// virtqueue in one page of guest memory; each request is a chain of three or more descriptors —
// its 16-byte header, the data pages, one status byte — with headers and status bytes in a
// second page, one slot per request in flight. When the device offers
// VIRTIO_RING_F_INDIRECT_DESC (QEMU does by default) the chain goes in the slot's indirect
// table and takes one descriptor of the ring, as Linux's virtqueue_add_split does, so the
// queue holds as many requests as it has entries, whatever their size. `kick` publishes the
// available ring and writes the notify register only when avail_event says the device sleeps
// (VIRTIO_F_EVENT_IDX); the interrupt handler takes every completion with callbacks off, then
// re-enables them at the last one taken and looks again (virtblk_done), so a busy device
// interrupts rarely.
// A device that answers a chain it was never given is broken: the disk fails, never the kernel.
//
// Who calls it: the unmodified kernel (guests/kernel/native.ts) when its machine has a virtio
// disk, and the workloads through BlockDevice.
import type { KernelCosts } from '../../hw/platforms/profile';
import { VIRTIO_F_VERSION_1, VIRTIO_MSIX_FIRST_LINE, VIRTIO_PCI_BAR, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC, featureBits, hasFeature } from '../../hw/devices/virtio/regs';
import { compute, type VcpuEnv } from '../../hypervisor/public/guest';
import {
  VIRTIO_BLK_CFG_CAPACITY, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_OUTHDR_BYTES, VIRTIO_BLK_S_OK,
  VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, encodeOutHdr,
} from '../../hypervisor/public/io/virtio_blk';
import { VirtqDriver, virtqAreasIn, virtqLayout, type IndirectTable } from '../../ringbuf/virtqueue';
import type { IoStep } from '../drivers/io';
import type { BlockDevice, BlockIo, KGen } from '../kernel/types';
import { sectorsInPage } from '../kernel/bio';
import { VirtioPciDevice } from './pci';

/** The queue the driver asks for: all three areas in one page (virtqLayout). */
export const VIRTIO_BLK_QUEUE_SIZE = 128;
/** Descriptors per request besides its data: the header and the status byte. */
const OVERHEAD_DESCS = 2;
const PAGE = 4096;
/** The status bytes follow the headers in the request page. */
const STATUS_OFF = VIRTIO_BLK_QUEUE_SIZE * VIRTIO_BLK_OUTHDR_BYTES;
/** Bytes of one request's indirect table: a descriptor for each of the queue's entries. */
const TABLE_BYTES = VIRTIO_BLK_QUEUE_SIZE * 16;
/** The MSI-X vector of the request queue. */
const QUEUE_VECTOR = 0;

/** What the driver needs of its kernel (the unmodified kernel provides it). */
export interface VirtioKernel {
  readonly env: VcpuEnv;
  readonly costs: KernelCosts;
  readonly pages: { alloc(): number };
  /** HLT until interrupt `line` fires, then its entry is charged. */
  waitIrq(line: number): IoStep<void>;
}

interface InFlight {
  io: BlockIo;
  slot: number;
}

export interface VirtioBlkStats {
  requests: number;
  completions: number;
  errors: number;
  /** Notify writes made (each an exit: in-kernel with ioeventfd), and kicks the ring spared. */
  notifications: number;
  notificationsSuppressed: number;
  interrupts: number;
  /** Requests per kick that reached the ring (for the batch mean). */
  batches: number;
}

export class VirtioBlk implements BlockDevice {
  readonly name = 'vda';
  readonly maxPages: number;
  failed: string | undefined;
  private readonly inflight = new Map<number, InFlight>();
  private readonly freeSlots: number[];
  private unkicked = 0;
  readonly line = VIRTIO_MSIX_FIRST_LINE + QUEUE_VECTOR;
  readonly stats: VirtioBlkStats = { requests: 0, completions: 0, errors: 0, notifications: 0, notificationsSuppressed: 0, interrupts: 0, batches: 0 };

  private constructor(
    private readonly k: VirtioKernel,
    private readonly dev: VirtioPciDevice,
    private readonly vq: VirtqDriver,
    private readonly reqGfn: number,
    readonly sizeSectors: number,
    /** The pages of indirect tables, by slot pair; undefined without INDIRECT_DESC. */
    private readonly tablePages: number[] | undefined,
  ) {
    this.maxPages = vq.size - OVERHEAD_DESCS;
    this.freeSlots = Array.from({ length: vq.size }, (_, i) => vq.size - 1 - i);
  }

  /** virtblk_probe: negotiate, set up the queue, read the capacity, DRIVER_OK. */
  static *probe(k: VirtioKernel, base = VIRTIO_PCI_BAR): KGen<VirtioBlk | undefined> {
    const dev = new VirtioPciDevice(base);
    const want = featureBits(VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH);
    const features = yield* dev.negotiate(want);
    if (!features) return undefined;
    const ringGfn = k.pages.alloc();
    const reqGfn = k.pages.alloc();
    const ring = ringGfn < 0 ? undefined : k.env.page(ringGfn);
    if (!ring || reqGfn < 0) return undefined;
    const l = virtqLayout(VIRTIO_BLK_QUEUE_SIZE);
    const gpa = ringGfn * PAGE;
    const size = yield* dev.setupQueue(0, VIRTIO_BLK_QUEUE_SIZE, { desc: gpa + l.desc, driver: gpa + l.avail, device: gpa + l.used }, QUEUE_VECTOR);
    if (size === 0) return undefined;
    const vq = new VirtqDriver(virtqAreasIn(ring, size)!, size, { eventIdx: hasFeature(features, VIRTIO_RING_F_EVENT_IDX), indirect: hasFeature(features, VIRTIO_RING_F_INDIRECT_DESC) });
    const lo = yield* dev.readConfig32(VIRTIO_BLK_CFG_CAPACITY);
    const hi = yield* dev.readConfig32(VIRTIO_BLK_CFG_CAPACITY + 4);
    yield* dev.ready();
    vq.enableCb();
    return new VirtioBlk(k, dev, vq, reqGfn, lo + hi * 0x1_0000_0000, hasFeature(features, VIRTIO_RING_F_INDIRECT_DESC) ? [] : undefined);
  }

  /** Register accesses made at probe time (each an exit to QEMU). */
  get probeAccesses(): number {
    return this.dev.accesses;
  }

  canSubmit(pages = 1): boolean {
    const descs = this.indirect ? 1 : OVERHEAD_DESCS + pages; // a request's table takes one descriptor
    return this.failed === undefined && this.freeSlots.length > 0 && this.vq.numFree >= descs;
  }

  /** Whether requests go in indirect tables (VIRTIO_RING_F_INDIRECT_DESC negotiated). */
  private get indirect(): boolean {
    return this.tablePages !== undefined;
  }

  /** Slot `slot`'s indirect table, in a page shared by two slots, allocated on first use. */
  private table(slot: number): IndirectTable | undefined {
    const pages = this.tablePages;
    if (!pages) return undefined;
    const n = Math.floor(slot / 2);
    pages[n] ??= this.k.pages.alloc();
    const page = pages[n]! < 0 ? undefined : this.k.env.page(pages[n]!);
    const off = (slot % 2) * TABLE_BYTES;
    return page && { addr: pages[n]! * PAGE + off, bytes: page.subarray(off, off + TABLE_BYTES) };
  }

  /** virtio_queue_rq: header, data pages and status as one chain on the available ring. */
  *submit(io: BlockIo): KGen {
    if (!this.canSubmit(io.gfns.length) || io.gfns.length === 0 || io.gfns.length > this.maxPages) {
      io.done(-1);
      return;
    }
    yield compute(this.k.costs.blockSubmitNs, 'kernel');
    const slot = this.freeSlots.pop()!;
    const page = this.k.env.page(this.reqGfn)!;
    page.set(encodeOutHdr({ type: io.op === 'write' ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector: io.sector }), slot * VIRTIO_BLK_OUTHDR_BYTES);
    page[STATUS_OFF + slot] = 0xff;
    const base = this.reqGfn * PAGE;
    const toDevice = io.op === 'write';
    const r = this.vq.add([
      { addr: base + slot * VIRTIO_BLK_OUTHDR_BYTES, len: VIRTIO_BLK_OUTHDR_BYTES, write: false },
      ...io.gfns.map((g, i) => ({ addr: g * PAGE, len: sectorsInPage(io.count, i) * 512, write: !toDevice })),
      { addr: base + STATUS_OFF + slot, len: 1, write: true },
    ], this.table(slot));
    if (r.kind !== 'ok') {
      this.freeSlots.push(slot);
      io.done(-1);
      return;
    }
    this.inflight.set(r.head, { io, slot });
    this.stats.requests++;
    this.unkicked++;
  }

  /** virtqueue_kick: publish, and notify only if the device asked to be. */
  *kick(): KGen {
    if (this.unkicked === 0) return;
    this.unkicked = 0;
    this.stats.batches++;
    if (this.vq.kickPrepare()) {
      this.stats.notifications++;
      yield* this.dev.notify(0);
    } else this.stats.notificationsSuppressed++;
  }

  /** The kernel waits for the disk: HLT until the queue's interrupt, then its handler. */
  *wait(): KGen {
    yield* this.k.waitIrq(this.line);
    this.stats.interrupts++;
    yield* this.onInterrupt();
  }

  /** virtblk_done: completions with callbacks off, then back on with a re-check. */
  private *onInterrupt(): KGen {
    for (let guard = 0; guard <= 2 * this.vq.size + 2; guard++) {
      this.vq.disableCb();
      for (;;) {
        const u = this.vq.getUsed();
        if (u.kind === 'empty') break;
        if (u.kind === 'broken') return this.fail(`device is broken: ${u.reason} (${u.detail})`);
        yield* this.complete(u.head);
      }
      if (!this.vq.enableCb()) return;
    }
  }

  private *complete(head: number): KGen {
    const f = this.inflight.get(head);
    if (!f) return this.fail(`device answered unknown head ${head}`);
    this.inflight.delete(head);
    const status = this.k.env.page(this.reqGfn)![STATUS_OFF + f.slot]!;
    this.freeSlots.push(f.slot);
    this.stats.completions++;
    if (status !== VIRTIO_BLK_S_OK) this.stats.errors++;
    yield compute(this.k.costs.blockCompleteNs, 'kernel');
    f.io.done(status === VIRTIO_BLK_S_OK ? 0 : -1);
  }

  /** The disk is dropped: every request in flight fails, nothing else is touched. */
  private fail(why: string): void {
    this.failed = why;
    for (const [head, f] of this.inflight) {
      this.inflight.delete(head);
      f.io.done(-1);
    }
  }
}
