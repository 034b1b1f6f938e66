// The device side of a virtqueue as both of pvlab's virtio devices (virtio-blk, virtio-net) run
// it on a host thread: the queue's areas mapped from guest memory, the drain of the available
// ring with notifications off and a re-check after turning them back on, and the used-ring flush
// that signals the irqfd only when the guest asked for it (used_event).
import type { DmaMemory } from '../../hw/devices/bus';
import type { QueueConfig } from '../../hw/devices/virtio/index';
import type { EventFd } from '../../hypervisor/public/kvm';
import type { VirtqDevice } from '../../ringbuf/virtq-device';
import type { VirtqAreas, VirtqSegment } from '../../ringbuf/virtqueue';
import type { HostGen, HostThread } from '../thread';

const PAGE = 4096;

/** A queue's three areas as views of guest memory. pvlab's guest pages are not contiguous in
 *  the simulator's memory, so each area must lie within one page; otherwise undefined. */
export function mapQueueAreas(page: (gfn: number) => Uint8Array | undefined, q: QueueConfig): VirtqAreas | undefined {
  const view = (addr: number, len: number): Uint8Array | undefined => {
    const off = addr % PAGE;
    if (off + len > PAGE) return undefined;
    return page(Math.floor(addr / PAGE))?.subarray(off, off + len);
  };
  const desc = view(q.desc, 16 * q.size);
  const avail = view(q.driver, 6 + 2 * q.size);
  const used = view(q.device, 6 + 8 * q.size);
  return desc && avail && used ? { desc, avail, used } : undefined;
}

/** Why a chain's buffers cannot all be mapped, or undefined. QEMU maps every descriptor of a
 *  chain it pops (virtqueue_map_desc) and refuses one of length 0 or one reaching outside guest
 *  RAM; virtio_error then stops the device until the driver resets it. So a device never reads
 *  or sizes a buffer the guest does not have, and no descriptor is larger than guest RAM. */
export function unmappable(page: (gfn: number) => Uint8Array | undefined, segs: readonly VirtqSegment[]): string | undefined {
  for (const s of segs) {
    if (s.len === 0) return `zero-sized-buffer: a descriptor at 0x${s.addr.toString(16)} has length 0`;
    const last = Math.floor((s.addr + s.len - 1) / PAGE);
    for (let gfn = Math.floor(s.addr / PAGE); gfn <= last; gfn++) {
      if (!page(gfn)) return `bogus-descriptor: ${s.len} bytes at 0x${s.addr.toString(16)} reach frame 0x${gfn.toString(16)}, outside guest RAM`;
    }
  }
  return undefined;
}

/** How a device reads an indirect table: a private copy, or undefined unless every byte of it
 *  is guest RAM (QEMU maps it, and a table it cannot map stops the device). */
export function tableReader(page: (gfn: number) => Uint8Array | undefined, memory: DmaMemory): (addr: number, len: number) => Uint8Array | undefined {
  return (addr, len) => (unmappable(page, [{ addr, len, write: false }]) ? undefined : memory.read(addr, len));
}

/** A kick's work: every available chain to `each`, with notifications off, then notifications
 *  back on and a re-check (a chain may have come meanwhile). Returns why the ring is broken, if
 *  it is (or why a chain's buffers cannot be mapped: see unmappable); the chains before the
 *  break were handled. */
export function* drainAvailable(vq: VirtqDevice, page: (gfn: number) => Uint8Array | undefined, each: (head: number, segs: VirtqSegment[]) => HostGen): HostGen<string | undefined> {
  for (let guard = 0; guard <= 2 * vq.size + 2; guard++) {
    vq.disableNotify();
    for (;;) {
      const p = vq.pop();
      if (p.kind === 'empty') break;
      if (p.kind === 'broken') return `${p.reason}: ${p.detail}`;
      const bad = unmappable(page, p.segments);
      if (bad) return bad;
      yield* each(p.head, p.segments);
    }
    if (!vq.enableNotify()) break;
  }
  return undefined;
}

/** Publishes the used ring; signals the irqfd (a write(2) from QEMU, free in vhost) only if
 *  used_event asks for it. `irqfd` gives the queue's interrupt at the moment it is signalled. */
export function* flushUsed(thread: HostThread, vq: VirtqDevice, irqfd: () => EventFd | undefined, stats: { interrupts: number; interruptsSuppressed: number }): HostGen {
  if (!vq.flushUsed()) {
    stats.interruptsSuppressed++;
    return;
  }
  thread.syscall();
  yield* thread.settle();
  stats.interrupts++;
  irqfd()?.signal(); // looked up after the write: the vector is the one configured now
}
