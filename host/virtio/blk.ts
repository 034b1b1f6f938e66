// The virtio-blk device (virtio spec §5.2) as the host runs it: in QEMU's I/O thread (user
// space; `virtio`) or in a vhost worker inside the host kernel (`vhost`). The same code either
// way; the thread it runs on says whether its system calls cost anything.
//
//   kick     the guest's notify write hits an ioeventfd in KVM: the eventfd wakes the thread,
//            which takes every chain off the available ring (notifications off meanwhile,
//            then back on with a re-check: VIRTIO_F_EVENT_IDX's avail_event), parses each
//            from private copies, and submits it to the host block device.
//   done     completions wake the thread through another eventfd (linux-aio's, or the block
//            layer's for vhost); it writes the data and the status byte into guest memory,
//            puts each on the used ring and, if used_event asks for it, signals the queue's
//            irqfd: KVM injects the interrupt.
//
// A malformed request (no header, no status byte, a direction that does not match its type,
// a sector past the end) is answered VIRTIO_BLK_S_IOERR or _UNSUPP; a ring whose structure is
// broken (virtqueue.ts faults) stops this device, nothing else.
//
// Who calls it: the virtio-pci transport (activate, reset, notify without ioeventfd) and the
// host thread's loop (the eventfd handlers). Wired by the lab.
import type { BlockBackend, BlockResult, DmaMemory } from '../../hw/devices/bus';
import { VIRTIO_F_VERSION_1, VIRTIO_ID_BLOCK, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC, featureBits, hasFeature, type QueueConfig, type VirtioBackend } from '../../hw/devices/virtio/index';
import type { DeviceCosts, KernelCosts } from '../../hw/platforms/profile';
import type { EventFd } from '../../hypervisor/public/kvm';
import {
  VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_CFG_BYTES, VIRTIO_BLK_CFG_CAPACITY, VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_OUTHDR_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_SECTOR,
  VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, decodeOutHdr,
} from '../../hypervisor/public/io/virtio_blk';
import { VirtqDevice } from '../../ringbuf/virtq-device';
import type { VirtqSegment } from '../../ringbuf/virtqueue';
import { drainAvailable, flushUsed, mapQueueAreas, tableReader } from './queue';
import type { HostGen, HostThread } from '../thread';

/** The largest queue offered: its three areas then fit in one 4 KiB page (virtqLayout). */
export const VIRTIO_BLK_QUEUE_MAX = 128;
/** Data segments per request offered in seg_max (one descriptor each for header and status). */
export const VIRTIO_BLK_SEG_MAX = VIRTIO_BLK_QUEUE_MAX - 2;
/** The largest request QEMU's block layer takes (BDRV_REQUEST_MAX_SECTORS: INT_MAX bytes in
 *  sectors); virtio-blk answers a larger one VIRTIO_BLK_S_IOERR. Each buffer of a chain lies in
 *  guest RAM (queue.ts, unmappable), so a request is at most the queue's size times the RAM. */
const REQUEST_MAX_SECTORS = Math.floor(0x7fff_ffff / VIRTIO_BLK_SECTOR);
/** What GET_ID answers (at most 20 bytes, VIRTIO_BLK_ID_BYTES). */
const DEVICE_ID = 'pvlab-virtio-blk';

export interface VirtioBlkDeps {
  /** The thread whose loop runs this device. */
  readonly thread: HostThread;
  /** A guest page by frame number, as the device maps guest RAM. */
  readonly page: (gfn: number) => Uint8Array | undefined;
  readonly memory: DmaMemory;
  /** The host block device behind the disk (a logical volume). */
  readonly target: BlockBackend;
  /** The queue's ioeventfd (KVM signals it on a notify write) and the completion eventfd. */
  readonly kick: EventFd;
  readonly done: EventFd;
  /** The irqfd of an MSI-X vector. */
  readonly irqfd: (vector: number) => EventFd | undefined;
  readonly costs: { kernel: KernelCosts; devices: DeviceCosts };
  readonly readonly?: boolean;
}

interface Request {
  head: number;
  status: VirtqSegment;
  data: VirtqSegment[];
  type: number;
  /** IN and OUT: where, and how many sectors. */
  sector: number;
  count: number;
}

interface Completed {
  req: Request;
  result: BlockResult;
}

export interface VirtioBlkStats {
  requests: number;
  completions: number;
  errors: number;
  invalid: number;
  /** Used-ring flushes that signalled the irqfd, and those that did not need to. */
  interrupts: number;
  interruptsSuppressed: number;
  kicks: number;
  bytes: number;
}

export class VirtioBlkDevice implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly numQueues = 1;
  readonly queueMax = VIRTIO_BLK_QUEUE_MAX;
  readonly features = featureBits(VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH);
  private vq: VirtqDevice | undefined;
  private vector = 0;
  private readonly completed: Completed[] = [];
  /** Chains answered since the used ring was last published. */
  private unflushed = 0;
  /** Why the device stopped (a broken ring), if it did. */
  failed: string | undefined;
  readonly stats: VirtioBlkStats = { requests: 0, completions: 0, errors: 0, invalid: 0, interrupts: 0, interruptsSuppressed: 0, kicks: 0, bytes: 0 };

  constructor(private readonly deps: VirtioBlkDeps) {
    deps.thread.watch(deps.kick, () => this.onKick());
    deps.thread.watch(deps.done, () => this.onDone());
  }

  config(): Uint8Array {
    const c = new Uint8Array(VIRTIO_BLK_CFG_BYTES);
    const v = new DataView(c.buffer);
    const cap = this.deps.target.sizeSectors;
    v.setUint32(VIRTIO_BLK_CFG_CAPACITY, cap >>> 0, true);
    v.setUint32(VIRTIO_BLK_CFG_CAPACITY + 4, Math.floor(cap / 0x1_0000_0000), true);
    v.setUint32(VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX, true);
    v.setUint32(VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR, true);
    return c;
  }

  activate(queues: QueueConfig[], features: readonly [number, number]): void {
    const q = queues.find((x) => x.index === 0);
    if (!q) return;
    const areas = mapQueueAreas(this.deps.page, q);
    if (!areas) return void (this.failed = 'a queue area crosses a page boundary or lies outside RAM');
    this.vq = new VirtqDevice(areas, q.size, {
      eventIdx: hasFeature(features, VIRTIO_RING_F_EVENT_IDX),
      indirect: hasFeature(features, VIRTIO_RING_F_INDIRECT_DESC) ? tableReader(this.deps.page, this.deps.memory) : undefined,
    });
    this.vector = q.vector;
    this.failed = undefined;
  }

  reset(): void {
    this.vq = undefined;
    this.failed = undefined;
  }

  needsReset(): boolean {
    return this.failed !== undefined;
  }

  /** A notify write that reached QEMU (no ioeventfd): the same as a kick. */
  notify(): void {
    this.deps.kick.signal();
  }

  /** The kick handler: every available chain, then notifications back on and a re-check. */
  private *onKick(): HostGen {
    this.stats.kicks++;
    const q = this.vq;
    if (!q || this.failed) return;
    const broken = yield* drainAvailable(q, this.deps.page, (head, segs) => this.start(head, segs));
    if (broken) return void (this.failed = broken);
    yield* this.notifyGuest();
  }

  /** One chain: its own work, then parse and submit (or answer at once if it is malformed). */
  private *start(head: number, segs: VirtqSegment[]): HostGen {
    this.stats.requests++;
    const t = this.deps.thread;
    t.charge(this.deps.costs.devices.virtqueueRequestNs);
    const parsed = this.parse(head, segs);
    if (typeof parsed === 'number') {
      this.stats.invalid++;
      const status = segs[segs.length - 1];
      if (status?.write && status.len >= 1) this.answer(head, status, parsed, 0);
      else this.answer(head, undefined, parsed, 0);
      return;
    }
    t.syscall(); // io_submit (free for a vhost worker)
    t.charge(this.deps.costs.kernel.blockSubmitNs, 'kernel');
    yield* t.settle();
    this.submit(parsed);
  }

  /** The chain as a request, or the status that answers it. */
  private parse(head: number, segs: VirtqSegment[]): Request | number {
    const hdrSeg = segs[0];
    const status = segs[segs.length - 1];
    if (segs.length < 2 || !hdrSeg || hdrSeg.write || hdrSeg.len < VIRTIO_BLK_OUTHDR_BYTES || !status?.write || status.len < 1) return VIRTIO_BLK_S_IOERR;
    const hdr = decodeOutHdr(this.deps.memory.read(hdrSeg.addr, VIRTIO_BLK_OUTHDR_BYTES)); // one private copy
    const data = segs.slice(1, -1);
    const req: Request = { head, status, data, type: hdr.type, sector: 0, count: 0 };
    const bytes = data.reduce((n, s) => n + s.len, 0);
    switch (hdr.type) {
      case VIRTIO_BLK_T_IN:
      case VIRTIO_BLK_T_OUT: {
        const toDevice = hdr.type === VIRTIO_BLK_T_OUT;
        if (data.length === 0 || data.some((s) => s.write === toDevice) || bytes % VIRTIO_BLK_SECTOR !== 0) return VIRTIO_BLK_S_IOERR;
        if (toDevice && this.deps.readonly) return VIRTIO_BLK_S_IOERR;
        if (bytes / VIRTIO_BLK_SECTOR > REQUEST_MAX_SECTORS) return VIRTIO_BLK_S_IOERR;
        if (!Number.isSafeInteger(hdr.sector) || hdr.sector + bytes / VIRTIO_BLK_SECTOR > this.deps.target.sizeSectors) return VIRTIO_BLK_S_IOERR;
        return { ...req, sector: hdr.sector, count: bytes / VIRTIO_BLK_SECTOR };
      }
      case VIRTIO_BLK_T_FLUSH:
        return data.length === 0 ? req : VIRTIO_BLK_S_IOERR;
      case VIRTIO_BLK_T_GET_ID:
        return data.length > 0 && data.every((s) => s.write) ? req : VIRTIO_BLK_S_IOERR;
      default:
        return VIRTIO_BLK_S_UNSUPP;
    }
  }

  private submit(req: Request): void {
    const { target, memory, done } = this.deps;
    const finish = (result: BlockResult): void => {
      this.completed.push({ req, result });
      done.signal();
    };
    switch (req.type) {
      case VIRTIO_BLK_T_GET_ID:
        return finish({ status: 'ok', data: new TextEncoder().encode(DEVICE_ID) });
      case VIRTIO_BLK_T_FLUSH:
        return target.submit({ op: 'flush', sector: 0, count: 0 }, finish);
      case VIRTIO_BLK_T_OUT: {
        const bytes = new Uint8Array(req.count * VIRTIO_BLK_SECTOR);
        let at = 0;
        for (const s of req.data) {
          bytes.set(memory.read(s.addr, s.len), at);
          at += s.len;
        }
        return target.submit({ op: 'write', sector: req.sector, count: req.count, data: bytes }, finish);
      }
      default:
        return target.submit({ op: 'read', sector: req.sector, count: req.count }, finish);
    }
  }

  /** The completion handler: the host's disk interrupt, then each request answered. */
  private *onDone(): HostGen {
    const batch = this.completed.splice(0);
    if (batch.length === 0 || !this.vq) return;
    const t = this.deps.thread;
    t.charge(this.deps.costs.kernel.irqEntryNs, 'kernel');
    for (const { req, result } of batch) {
      t.charge(this.deps.costs.kernel.blockCompleteNs, 'kernel');
      yield* t.settle();
      this.stats.completions++;
      const ok = result.status === 'ok';
      const written = ok && req.type !== VIRTIO_BLK_T_OUT ? this.scatter(req.data, result.data) : 0;
      if (ok && (req.type === VIRTIO_BLK_T_IN || req.type === VIRTIO_BLK_T_OUT)) this.stats.bytes += req.data.reduce((n, s) => n + s.len, 0);
      this.answer(req.head, req.status, ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR, written);
    }
    yield* this.notifyGuest();
  }

  /** A read's bytes into the chain's writable buffers; returns the bytes written. */
  private scatter(segs: VirtqSegment[], data: Uint8Array | undefined): number {
    if (!data) return 0;
    let at = 0;
    for (const s of segs) {
      const n = Math.min(s.len, data.length - at);
      if (n <= 0) break;
      this.deps.memory.write(s.addr, data.subarray(at, at + n));
      at += n;
    }
    return at;
  }

  /** The status byte, then the chain on the used ring (published at the next notifyGuest). */
  private answer(head: number, status: VirtqSegment | undefined, code: number, written: number): void {
    if (code !== VIRTIO_BLK_S_OK) this.stats.errors++;
    if (status) this.deps.memory.write(status.addr, Uint8Array.of(code));
    this.vq?.pushUsed(head, written + (status ? 1 : 0));
    this.unflushed++;
  }

  /** Publishes the used ring; signals the irqfd only if used_event asks for it. */
  private *notifyGuest(): HostGen {
    const q = this.vq;
    if (!q || this.unflushed === 0) return;
    this.unflushed = 0;
    yield* flushUsed(this.deps.thread, q, () => this.deps.irqfd(this.vector), this.stats);
  }
}
