// The virtio-net device (virtio spec §5.1) as the host runs it: in QEMU's I/O thread (user
// space, `kvm-virtio`: every frame also crosses the tap with a read(2) or write(2)) or in a
// vhost-net worker inside the host kernel (`kvm-vhost`: it hands frames to the tap's socket
// directly, and QEMU sees none of them). The same code either way; the thread it runs on says
// whether its system calls cost anything, and whose CPU time the work is.
//
//   TX kick   the guest's notify write to queue 1 hits an ioeventfd: the thread wakes, takes
//             every chain off the transmit queue with notifications off, each parsed from
//             private copies (the header, readable; then the frame's bytes, readable), sends
//             the frame into the host kernel's tap, answers the chain, and turns notifications
//             back on with a re-check (VIRTIO_F_EVENT_IDX's avail_event).
//   RX        the tap's fd readable (a frame from the bridge) or the guest's refill kick on
//             queue 0: each waiting frame goes into the next posted buffer, behind a
//             virtio_net_hdr; with no buffer left the device asks to be kicked and waits.
//   interrupt after each batch the used ring is published; the queue's irqfd is signalled only
//             if used_event asks for it: KVM injects the MSI-X vector.
//
// A chain without a readable header, with a device-writable buffer among its frame, or longer
// than a frame can be is answered without sending anything and counted; a receive buffer too
// small for a frame is answered with the frame dropped. A ring whose structure is broken
// (virtqueue.ts faults) stops this device, nothing else.
//
// Who calls it: the virtio-pci transport (activate, reset, notify without ioeventfd), the host
// thread's loop (the eventfd handlers) and the tap (deliver). Wired by the lab.
import type { DmaMemory } from '../../hw/devices/bus';
import { VIRTIO_F_VERSION_1, VIRTIO_ID_NET, VIRTIO_RING_F_EVENT_IDX, featureBits, hasFeature, type QueueConfig, type VirtioBackend } from '../../hw/devices/virtio/index';
import { TAP_QUEUE_FRAMES } from '../../hw/net/ethernet';
import { writeMac, type Mac } from '../../hw/net/frame';
import type { DeviceCosts, KernelCosts, NetCosts } from '../../hw/platforms/profile';
import type { EventFd } from '../../hypervisor/public/kvm';
import {
  VIRTIO_NET_CFG_BYTES, VIRTIO_NET_CFG_MAC, VIRTIO_NET_CFG_STATUS, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_NET_HDR_BYTES,
  VIRTIO_NET_HDR_NUM_BUFFERS, VIRTIO_NET_RX_QUEUE, VIRTIO_NET_S_LINK_UP, VIRTIO_NET_TX_QUEUE,
} from '../../hypervisor/public/io/virtio_net';
import { VirtqDevice } from '../../ringbuf/virtq-device';
import type { VirtqSegment } from '../../ringbuf/virtqueue';
import { drainAvailable, flushUsed, mapQueueAreas, unmappable } from './queue';
import type { HostGen, HostThread } from '../thread';

/** The largest queue offered: a descriptor table of one 4 KiB page. */
export const VIRTIO_NET_QUEUE_MAX = 256;
/** The longest frame either way (64 KiB, the largest a tap passes). */
const MAX_FRAME = 65_550;

export interface VirtioNetDeps {
  /** The thread whose loop runs this device (QEMU's I/O thread, or a vhost worker). */
  readonly thread: HostThread;
  /** A guest page by frame number, as the device maps guest RAM. */
  readonly page: (gfn: number) => Uint8Array | undefined;
  readonly memory: DmaMemory;
  readonly mac: Mac;
  /** The queues' ioeventfds (KVM signals them on a notify write), and the tap's readability. */
  readonly kickRx: EventFd;
  readonly kickTx: EventFd;
  readonly tapReadable: EventFd;
  /** A frame into the host kernel through the tap (the bridge takes it from there). */
  readonly tapSend: (frame: Uint8Array) => void;
  /** The irqfd of an MSI-X vector. */
  readonly irqfd: (vector: number) => EventFd | undefined;
  readonly costs: { kernel: KernelCosts; devices: DeviceCosts; net: NetCosts };
}

export interface VirtioNetStats {
  txFrames: number;
  txBytes: number;
  rxFrames: number;
  rxBytes: number;
  /** Chains answered without a frame sent, and frames dropped (tap queue full, buffer too small). */
  txInvalid: number;
  rxDropped: number;
  /** Handler runs woken by each queue's kick. */
  txKicks: number;
  rxKicks: number;
  /** Used-ring flushes that signalled the irqfd, and those that did not need to. */
  interrupts: number;
  interruptsSuppressed: number;
  /** Times the receive queue had no buffer for a waiting frame. */
  rxStalls: number;
}

interface Queue {
  vq: VirtqDevice;
  vector: number;
  unflushed: number;
}

export class VirtioNetDevice implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_NET;
  readonly numQueues = 2;
  readonly queueMax = VIRTIO_NET_QUEUE_MAX;
  readonly features = featureBits(VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS);
  private rx: Queue | undefined;
  private tx: Queue | undefined;
  /** The tap's queue: frames the bridge handed over that no receive buffer took yet. */
  private readonly waiting: Uint8Array[] = [];
  failed: string | undefined;
  readonly stats: VirtioNetStats = { txFrames: 0, txBytes: 0, rxFrames: 0, rxBytes: 0, txInvalid: 0, rxDropped: 0, txKicks: 0, rxKicks: 0, interrupts: 0, interruptsSuppressed: 0, rxStalls: 0 };

  constructor(private readonly deps: VirtioNetDeps) {
    deps.thread.watch(deps.kickTx, () => this.onTxKick());
    deps.thread.watch(deps.kickRx, () => {
      this.stats.rxKicks++;
      return this.onRx();
    });
    deps.thread.watch(deps.tapReadable, () => this.onRx());
  }

  config(): Uint8Array {
    const c = new Uint8Array(VIRTIO_NET_CFG_BYTES);
    writeMac(c, VIRTIO_NET_CFG_MAC, this.deps.mac);
    c[VIRTIO_NET_CFG_STATUS] = VIRTIO_NET_S_LINK_UP;
    return c;
  }

  activate(queues: QueueConfig[], features: readonly [number, number]): void {
    const opts = { eventIdx: hasFeature(features, VIRTIO_RING_F_EVENT_IDX) };
    const make = (index: number): Queue | undefined => {
      const q = queues.find((x) => x.index === index);
      const areas = q && mapQueueAreas(this.deps.page, q);
      return q && areas ? { vq: new VirtqDevice(areas, q.size, opts), vector: q.vector, unflushed: 0 } : undefined;
    };
    this.rx = make(VIRTIO_NET_RX_QUEUE);
    this.tx = make(VIRTIO_NET_TX_QUEUE);
    this.failed = this.rx && this.tx ? undefined : 'a queue is missing, or its area crosses a page boundary or lies outside RAM';
  }

  reset(): void {
    this.rx = this.tx = undefined;
    this.failed = undefined;
    this.waiting.length = 0;
  }

  needsReset(): boolean {
    return this.failed !== undefined;
  }

  /** A notify write that reached QEMU (no ioeventfd): the same as a kick. */
  notify(queue: number): void {
    (queue === VIRTIO_NET_TX_QUEUE ? this.deps.kickTx : this.deps.kickRx).signal();
  }

  /** A frame the bridge sends the tap: it waits in the tap until the device places it. */
  deliver(frame: Uint8Array): void {
    if (this.waiting.length >= TAP_QUEUE_FRAMES) return void this.stats.rxDropped++;
    this.waiting.push(frame);
    this.deps.tapReadable.signal();
  }

  /** The transmit kick: every available chain, then notifications back on and a re-check. */
  private *onTxKick(): HostGen {
    this.stats.txKicks++;
    const q = this.tx;
    if (!q || this.failed) return;
    const broken = yield* drainAvailable(q.vq, this.deps.page, (head, segs) => this.transmit(q, head, segs));
    if (broken) return void (this.failed = broken);
    yield* this.notifyGuest(q);
  }

  /** One chain: its bytes copied once, checked, and written into the tap. */
  private *transmit(q: Queue, head: number, segs: VirtqSegment[]): HostGen {
    const t = this.deps.thread;
    const c = this.deps.costs;
    t.charge(c.devices.virtqueueRequestNs);
    const frame = this.gather(segs);
    q.vq.pushUsed(head, 0);
    q.unflushed++;
    if (!frame) return void this.stats.txInvalid++;
    t.charge(Math.ceil(frame.length / c.kernel.memcpyBytesPerNs));
    t.syscall(); // write(2) to the tap (vhost-net calls the tap's sendmsg itself)
    t.charge(c.net.driverPerPacketNs, 'kernel'); // the tun driver's work on the frame
    yield* t.settle();
    this.stats.txFrames++;
    this.stats.txBytes += frame.length;
    this.deps.tapSend(frame);
  }

  /** The frame behind a transmit chain's header, or undefined if the chain is malformed. */
  private gather(segs: VirtqSegment[]): Uint8Array | undefined {
    const total = segs.reduce((n, s) => n + s.len, 0);
    if (segs.some((s) => s.write) || total <= VIRTIO_NET_HDR_BYTES || total > VIRTIO_NET_HDR_BYTES + MAX_FRAME) return undefined;
    const all = new Uint8Array(total);
    let at = 0;
    for (const s of segs) {
      all.set(this.deps.memory.read(s.addr, s.len), at);
      at += s.len;
    }
    return all.slice(VIRTIO_NET_HDR_BYTES);
  }

  /** Waiting frames into posted receive buffers, until either runs out. */
  private *onRx(): HostGen {
    const q = this.rx;
    if (!q || this.failed) return;
    const t = this.deps.thread;
    const c = this.deps.costs;
    for (let guard = 0; this.waiting.length > 0 && guard <= TAP_QUEUE_FRAMES + q.vq.size; guard++) {
      const p = q.vq.pop();
      if (p.kind === 'broken') return void (this.failed = `${p.reason}: ${p.detail}`);
      if (p.kind === 'empty') {
        // No buffer: ask for the guest's refill kick, and look once more (it may have come).
        if (q.vq.enableNotify()) continue;
        this.stats.rxStalls++;
        break;
      }
      const bad = unmappable(this.deps.page, p.segments);
      if (bad) return void (this.failed = bad);
      q.vq.disableNotify();
      const frame = this.waiting.shift()!;
      t.syscall(); // read(2) from the tap
      t.charge(c.net.driverPerPacketNs, 'kernel');
      t.charge(c.devices.virtqueueRequestNs + Math.ceil(frame.length / c.kernel.memcpyBytesPerNs));
      yield* t.settle();
      const written = this.scatter(p.segments, frame);
      if (written === 0) this.stats.rxDropped++;
      else {
        this.stats.rxFrames++;
        this.stats.rxBytes += frame.length;
      }
      q.vq.pushUsed(p.head, written);
      q.unflushed++;
    }
    yield* this.notifyGuest(q);
  }

  /** The header and the frame into a chain's writable buffers; 0 if they do not fit. */
  private scatter(segs: VirtqSegment[], frame: Uint8Array): number {
    const room = segs.reduce((n, s) => n + (s.write ? s.len : 0), 0);
    if (segs.some((s) => !s.write) || room < VIRTIO_NET_HDR_BYTES + frame.length) return 0;
    const data = new Uint8Array(VIRTIO_NET_HDR_BYTES + frame.length);
    new DataView(data.buffer).setUint16(VIRTIO_NET_HDR_NUM_BUFFERS, 1, true);
    data.set(frame, VIRTIO_NET_HDR_BYTES);
    let at = 0;
    for (const s of segs) {
      const n = Math.min(s.len, data.length - at);
      if (n <= 0) break;
      this.deps.memory.write(s.addr, data.subarray(at, at + n));
      at += n;
    }
    return data.length;
  }

  /** Publishes a queue's used ring; signals its irqfd only if used_event asks for it. */
  private *notifyGuest(q: Queue): HostGen {
    if (q.unflushed === 0) return;
    q.unflushed = 0;
    yield* flushUsed(this.deps.thread, q.vq, () => this.deps.irqfd(q.vector), this.stats);
  }
}
