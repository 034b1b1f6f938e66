// A queue's three areas as views of guest memory, as a device maps them. pvlab's guest pages are
// not contiguous in the simulator's memory, so each area must lie within one page; a queue
// whose area crosses a page boundary is not mapped (undefined). Used by virtio-blk and virtio-net.
import type { QueueConfig } from '../../hw/devices/virtio/index';
import type { VirtqAreas } from '../../ringbuf/virtqueue';

const PAGE = 4096;

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
