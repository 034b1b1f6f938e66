// A guest's RAM as the host's devices reach it directly: by page (a device mapping guest memory,
// as QEMU and vhost do) or as DMA memory (the native machine's devices, TCG's in-process
// emulator, QEMU's device models under KVM). A gfn with no frame behind it reads as no page.
import type { DmaMemory } from '../../hw/devices/bus';
import { pagedMemory } from '../../hw/devices/paged';
import type { Domain } from '../../hypervisor/domain';
import type { World } from './world';

export function guestPage(w: World, d: Domain): (gfn: number) => Uint8Array | undefined {
  return (gfn) => {
    const mfn = w.hv.gfnToMfn(d, gfn);
    return mfn < 0 ? undefined : w.hv.memory.page(mfn);
  };
}

export function guestRam(w: World, d: Domain): DmaMemory {
  return pagedMemory(guestPage(w, d));
}
