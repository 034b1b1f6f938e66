// QEMU's Xen platform device as a PVHVM guest sees it: writing the unplug mask to I/O port
// 0x10 takes the emulated disks (and NICs) away, so the guest's PV drivers own the disks and
// nothing is reachable twice (REFERENCE §6.4).
import type { IoSize, PortDevice } from '../../hw/devices/bus';

export const XEN_PLATFORM_UNPLUG_PORT = 0x10;
/** Unplug mask bits: all IDE disks, all NICs, aux IDE disks. */
export const UNPLUG_ALL_IDE_DISKS = 1;
export const UNPLUG_ALL_NICS = 2;

export class XenPlatformDevice implements PortDevice {
  readonly name = 'xen-platform';
  ports = [{ base: XEN_PLATFORM_UNPLUG_PORT, count: 2 }];
  unplugged = 0;

  constructor(private readonly unplug: (mask: number) => void) {}

  read(_addr: number, size: IoSize): number {
    // The magic number a PVHVM kernel checks before unplugging.
    return size === 2 ? 0x49d2 : 0xff;
  }

  write(addr: number, _size: IoSize, value: number): void {
    if (addr !== XEN_PLATFORM_UNPLUG_PORT) return;
    this.unplugged |= value;
    this.unplug(value);
  }
}
