// The guest's virtio-net driver (in the manner of Linux's drivers/net/virtio_net.c over
// virtio_ring.c): the network interface of an unmodified kernel on a KVM host, where Xen's guest
// has netfront. Two split virtqueues, each with its descriptor table in one page and its
// available and used rings in a second: queue 0 receives, queue 1 transmits.
//
//   receive   every buffer is one guest page, posted as a device-writable chain of one
//             descriptor; the device writes the 12-byte virtio_net_hdr and the frame into it.
//             Each poll takes frames with interrupts off (with EVENT_IDX: used_event left
//             behind), re-posts their pages at once and kicks only if avail_event asks; re-arming
//             moves used_event to the last frame taken and looks again (virtqueue_enable_cb).
//   transmit  a frame is a chain of one shared, all-zero header and the stack's fragments; one
//             kick per batch, sent only if avail_event says the device sleeps. Completions are
//             reaped lazily (by each poll and when room runs short); the transmit queue asks for
//             an interrupt only when it is filling up, and then only after half of what is in
//             flight (virtqueue_enable_cb_delayed), so bulk transmit makes few interrupts.
//
// A device that answers a chain it was never given is broken: the interface fails, never the
// kernel. Simplifications: no checksum offload, GSO or mergeable receive buffers; one queue pair.
//
// Who calls it: the lab's network bring-up (the kernel's probe of the NIC), then the stack
// (guests/net/stack.ts) through NetDevice.
import type { KernelCosts } from '../../hw/platforms/profile';
import { readMac, type Mac } from '../../hw/net/frame';
import { VIRTIO_F_VERSION_1, VIRTIO_MSIX_FIRST_LINE, VIRTIO_PCI_BAR_NET, VIRTIO_RING_F_EVENT_IDX, featureBits, hasFeature } from '../../hw/devices/virtio/regs';
import type { VcpuEnv } from '../../hypervisor/public/guest';
import { VIRTIO_NET_CFG_MAC, VIRTIO_NET_F_MAC, VIRTIO_NET_HDR_BYTES, VIRTIO_NET_RX_QUEUE, VIRTIO_NET_TX_QUEUE } from '../../hypervisor/public/io/virtio_net';
import { VirtqDriver, virtqLayout, type VirtqAreas } from '../../ringbuf/virtqueue';
import type { KGen } from '../kernel/types';
import { NetDeviceStats, type NetDevice, type TxFrame } from '../net/netdev';
import { VirtioPciDevice } from './pci';

/** Entries per queue: a 256-entry descriptor table fills its page exactly. */
export const VIRTIO_NET_QUEUE_SIZE = 256;
/** MSI-X vectors of the two queues. pvlab maps every virtio device's vector k onto line
 *  VIRTIO_MSIX_FIRST_LINE + k, so the NIC takes vectors the disk (vector 0) does not use. */
export const VIRTIO_NET_RX_VECTOR = 1;
export const VIRTIO_NET_TX_VECTOR = 2;
const PAGE = 4096;
/** The transmit queue asks for an interrupt once fewer than this share of it is free. */
const TX_LOW_WATER = 4;

/** What the driver needs of its kernel (the unmodified kernel provides it). */
export interface VirtioNetKernel {
  readonly env: VcpuEnv;
  readonly costs: KernelCosts;
  readonly pages: { alloc(): number };
  /** True if interrupt `line` fired since it was last taken. */
  takeIrq(line: number): boolean;
  /** Kernel CPU time to spend at the next opportunity (the stack's). */
  charge(ns: number): void;
}

export class VirtioNet implements NetDevice {
  readonly name = 'eth0';
  readonly stats = new NetDeviceStats();
  /** A frame and its header fit one receive page. */
  readonly maxMtu = PAGE - VIRTIO_NET_HDR_BYTES - 14;
  failed: string | undefined;
  /** The re-check after re-arming found work: a signal without an interrupt. */
  private recheck = false;
  private unkicked = 0;
  private readonly rxBuf = new Map<number, number>();
  private readonly txFrame = new Map<number, TxFrame>();
  readonly rxLine = VIRTIO_MSIX_FIRST_LINE + VIRTIO_NET_RX_VECTOR;
  readonly txLine = VIRTIO_MSIX_FIRST_LINE + VIRTIO_NET_TX_VECTOR;
  /** Refill kicks of the receive queue (made, and spared by avail_event). */
  readonly rxKicks = { sent: 0, suppressed: 0 };

  private constructor(
    private readonly k: VirtioNetKernel,
    private readonly dev: VirtioPciDevice,
    private readonly rx: VirtqDriver,
    private readonly tx: VirtqDriver,
    private readonly txHdrGpa: number,
    readonly mac: Mac,
  ) {}

  /** virtnet_probe: negotiate, set up both queues, read the MAC, DRIVER_OK, post the buffers. */
  static *probe(k: VirtioNetKernel, base = VIRTIO_PCI_BAR_NET): KGen<VirtioNet | string> {
    const dev = new VirtioPciDevice(base);
    const features = yield* dev.negotiate(featureBits(VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX, VIRTIO_NET_F_MAC));
    if (!features) return 'the device refused the features';
    if (!hasFeature(features, VIRTIO_NET_F_MAC)) return 'the device has no MAC address';
    const opts = { eventIdx: hasFeature(features, VIRTIO_RING_F_EVENT_IDX) };
    const rx = yield* queue(k, dev, VIRTIO_NET_RX_QUEUE, VIRTIO_NET_RX_VECTOR, opts);
    const tx = yield* queue(k, dev, VIRTIO_NET_TX_QUEUE, VIRTIO_NET_TX_VECTOR, opts);
    if (typeof rx === 'string' || typeof tx === 'string') return typeof rx === 'string' ? rx : (tx as string);
    const lo = yield* dev.readConfig32(VIRTIO_NET_CFG_MAC);
    const hi = yield* dev.readConfig32(VIRTIO_NET_CFG_MAC + 4);
    const cfg = new DataView(new ArrayBuffer(8)); // the config space's mac[6], as read in two words
    cfg.setUint32(0, lo, true);
    cfg.setUint32(4, hi, true);
    const mac = readMac(new Uint8Array(cfg.buffer), 0);
    const hdrGfn = k.pages.alloc();
    if (hdrGfn < 0) return 'out of memory';
    k.env.page(hdrGfn)!.fill(0, 0, VIRTIO_NET_HDR_BYTES);
    yield* dev.ready();
    const nic = new VirtioNet(k, dev, rx, tx, hdrGfn * PAGE, mac);
    if (!nic.postRx()) return 'out of memory for receive buffers';
    yield* nic.kickRx();
    rx.enableCb();
    return nic;
  }

  /** Register accesses made at probe time (each an exit to QEMU). */
  get probeAccesses(): number {
    return this.dev.accesses;
  }

  txRoom(frags: number): number {
    if (this.failed) return 0;
    const per = frags + 1;
    if (this.tx.numFree < per * 2) {
      this.reapTx();
      // Running short (netif_stop_queue): ask for an interrupt after half of what is in flight.
      if (this.tx.numFree < this.tx.size / TX_LOW_WATER && this.tx.delayCb(Math.ceil(this.tx.outstanding / 2))) this.reapTx();
    }
    return Math.floor(this.tx.numFree / per);
  }

  queue(f: TxFrame): boolean {
    if (this.failed || f.frags.length === 0) return false;
    const r = this.tx.add([{ addr: this.txHdrGpa, len: VIRTIO_NET_HDR_BYTES, write: false }, ...f.frags.map((x) => ({ addr: x.gpa, len: x.len, write: false }))]);
    if (r.kind !== 'ok') return false;
    this.txFrame.set(r.head, f);
    this.unkicked++;
    this.stats.txFrames++;
    this.stats.txBytes += f.bytes;
    return true;
  }

  /** virtqueue_kick on the transmit queue: publish the batch, notify only if asked. */
  *kick(): KGen {
    if (this.unkicked === 0) return;
    this.unkicked = 0;
    this.stats.kicks++;
    if (this.tx.kickPrepare()) {
      this.stats.notifications++;
      yield* this.dev.notify(VIRTIO_NET_TX_QUEUE);
    } else this.stats.suppressed++;
  }

  signalled(): boolean {
    const rx = this.k.takeIrq(this.rxLine);
    const tx = this.k.takeIrq(this.txLine);
    if (rx || tx) {
      this.stats.interrupts++;
      this.k.charge(this.k.costs.irqEntryNs);
    }
    const any = rx || tx || this.recheck;
    this.recheck = false;
    return any && !this.failed;
  }

  /** MSI-X needs no acknowledgement, and the queues' interrupts are already off (used_event
   *  is left behind until rearm). */
  *ack(): KGen {}

  *poll(budget: number): KGen<Uint8Array[]> {
    this.reapTx();
    const out: Uint8Array[] = [];
    let reposted = 0;
    while (out.length < budget && !this.failed) {
      const u = this.rx.getUsed();
      if (u.kind === 'empty') break;
      if (u.kind === 'broken') {
        this.fail(`device is broken: ${u.reason} (${u.detail})`);
        break;
      }
      const gfn = this.rxBuf.get(u.head);
      if (gfn === undefined) {
        this.fail(`device answered unknown receive head ${u.head}`);
        break;
      }
      this.rxBuf.delete(u.head);
      const len = u.len - VIRTIO_NET_HDR_BYTES;
      if (len <= 0 || u.len > PAGE) this.stats.rxErrors++;
      else {
        out.push(this.k.env.page(gfn)!.slice(VIRTIO_NET_HDR_BYTES, u.len)); // one private copy
        this.stats.rxFrames++;
        this.stats.rxBytes += len;
      }
      if (this.post(gfn)) reposted++;
    }
    if (reposted > 0) yield* this.kickRx();
    return out;
  }

  /** virtqueue_enable_cb on the receive queue, and the re-check: work already there is a signal. */
  *rearm(): KGen {
    if (this.failed) return;
    if (this.rx.enableCb()) this.recheck = true;
  }

  /** Every free receive descriptor gets a fresh page; false if memory ran out first. */
  private postRx(): boolean {
    while (this.rx.numFree > 0) {
      const gfn = this.k.pages.alloc();
      if (gfn < 0) return this.rxBuf.size > 0;
      this.post(gfn);
    }
    return true;
  }

  private post(gfn: number): boolean {
    const r = this.rx.add([{ addr: gfn * PAGE, len: PAGE, write: true }]);
    if (r.kind !== 'ok') return false;
    this.rxBuf.set(r.head, gfn);
    return true;
  }

  private *kickRx(): KGen {
    if (this.rx.kickPrepare()) {
      this.rxKicks.sent++;
      yield* this.dev.notify(VIRTIO_NET_RX_QUEUE);
    } else this.rxKicks.suppressed++;
  }

  /** free_old_xmit_skbs: every transmitted frame's memory goes back to the stack. */
  private reapTx(): void {
    for (let guard = 0; guard <= this.tx.size && !this.failed; guard++) {
      const u = this.tx.getUsed();
      if (u.kind === 'empty') return;
      if (u.kind === 'broken') return this.fail(`device is broken: ${u.reason} (${u.detail})`);
      const f = this.txFrame.get(u.head);
      if (!f) return this.fail(`device answered unknown transmit head ${u.head}`);
      this.txFrame.delete(u.head);
      f.done();
    }
  }

  /** The interface is dropped: transmitted frames' memory is released, nothing else is touched. */
  private fail(why: string): void {
    this.failed = why;
    for (const f of this.txFrame.values()) f.done();
    this.txFrame.clear();
  }
}

/** One queue: its descriptor table in one page, its two rings in another. */
function* queue(k: VirtioNetKernel, dev: VirtioPciDevice, index: number, vector: number, opts: { eventIdx: boolean }): KGen<VirtqDriver | string> {
  const descGfn = k.pages.alloc();
  const ringGfn = k.pages.alloc();
  const descPage = descGfn < 0 ? undefined : k.env.page(descGfn);
  const ringPage = ringGfn < 0 ? undefined : k.env.page(ringGfn);
  if (!descPage || !ringPage) return 'out of memory for the queues';
  const l = virtqLayout(VIRTIO_NET_QUEUE_SIZE);
  const usedOff = (l.availBytes + 3) & ~3;
  const size = yield* dev.setupQueue(index, VIRTIO_NET_QUEUE_SIZE, { desc: descGfn * PAGE, driver: ringGfn * PAGE, device: ringGfn * PAGE + usedOff }, vector);
  if (size === 0) return `queue ${index} could not be set up`;
  const s = virtqLayout(size);
  const areas: VirtqAreas = { desc: descPage.subarray(0, s.descBytes), avail: ringPage.subarray(0, s.availBytes), used: ringPage.subarray(usedOff, usedOff + s.usedBytes) };
  return new VirtqDriver(areas, size, opts);
}
