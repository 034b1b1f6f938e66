// The guest's virtio-pci modern transport driver (Linux drivers/virtio/virtio_pci_modern.c):
// the initialization sequence of virtio spec §3.1.1 through the common configuration — reset,
// ACKNOWLEDGE, DRIVER, feature negotiation, FEATURES_OK (and its re-check), each queue sized,
// placed and given an MSI-X vector, DRIVER_OK — then the device configuration window and the
// queue notification. Every access is a register access: at probe time, each is a VM exit to
// QEMU on a KVM host; the per-request path touches only the notify register, and only when
// the ring says the device is asleep.
//
// Who calls it: virtio device drivers (./blk.ts).
import { mmio } from '../../hypervisor/public/guest';
import {
  COMMON, STATUS_ACKNOWLEDGE, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FAILED, STATUS_FEATURES_OK, VIRTIO_MSI_NO_VECTOR,
  VIRTIO_PCI_COMMON, VIRTIO_PCI_DEVICE, VIRTIO_PCI_NOTIFY, VIRTIO_PCI_NOTIFY_MULTIPLIER, type CommonField,
} from '../../hw/devices/virtio/regs';
import type { KGen } from '../kernel/types';

type Size = 1 | 2 | 4;

export class VirtioPciDevice {
  /** Register accesses made (each one an exit under KVM, a trap under any full virtualization). */
  accesses = 0;

  constructor(readonly base: number) {}

  *read(field: CommonField, high = false): KGen<number> {
    const f = COMMON[field];
    this.accesses++;
    return yield mmio('in', this.base + VIRTIO_PCI_COMMON + f.off + (high ? 4 : 0), (f.size === 8 ? 4 : f.size) as Size);
  }

  *write(field: CommonField, value: number, high = false): KGen {
    const f = COMMON[field];
    this.accesses++;
    yield mmio('out', this.base + VIRTIO_PCI_COMMON + f.off + (high ? 4 : 0), (f.size === 8 ? 4 : f.size) as Size, value >>> 0);
  }

  /** A 64-bit address field, low half first (vp_iowrite64_twopart). */
  *write64(field: CommonField, value: number): KGen {
    yield* this.write(field, value >>> 0);
    yield* this.write(field, Math.floor(value / 0x1_0000_0000), true);
  }

  *readConfig32(off: number): KGen<number> {
    this.accesses++;
    return yield mmio('in', this.base + VIRTIO_PCI_DEVICE + off, 4);
  }

  /** Reset, ACKNOWLEDGE, DRIVER; then the features both sides have, as [low, high] halves,
   *  or undefined if the device refused them at FEATURES_OK. */
  *negotiate(wanted: readonly [number, number]): KGen<[number, number] | undefined> {
    yield* this.write('deviceStatus', 0);
    let status = STATUS_ACKNOWLEDGE;
    yield* this.write('deviceStatus', status);
    status |= STATUS_DRIVER;
    yield* this.write('deviceStatus', status);
    const offered: [number, number] = [0, 0];
    for (const half of [0, 1] as const) {
      yield* this.write('deviceFeatureSelect', half);
      offered[half] = yield* this.read('deviceFeature');
    }
    const accepted: [number, number] = [(offered[0] & wanted[0]) >>> 0, (offered[1] & wanted[1]) >>> 0];
    for (const half of [0, 1] as const) {
      yield* this.write('driverFeatureSelect', half);
      yield* this.write('driverFeature', accepted[half]);
    }
    status |= STATUS_FEATURES_OK;
    yield* this.write('deviceStatus', status);
    if (((yield* this.read('deviceStatus')) & STATUS_FEATURES_OK) === 0) {
      yield* this.write('deviceStatus', status | STATUS_FAILED);
      return undefined;
    }
    return accepted;
  }

  /** Sizes queue `index` (at most `max`), places its three areas and gives it MSI-X vector
   *  `vector`; returns the size, or 0 if the device has no such queue or took no vector. */
  *setupQueue(index: number, max: number, areas: { desc: number; driver: number; device: number }, vector: number): KGen<number> {
    yield* this.write('queueSelect', index);
    const offered = yield* this.read('queueSize');
    if (offered === 0) return 0;
    const size = Math.min(offered, max);
    if (size !== offered) yield* this.write('queueSize', size);
    yield* this.write64('queueDesc', areas.desc);
    yield* this.write64('queueDriver', areas.driver);
    yield* this.write64('queueDevice', areas.device);
    yield* this.write('queueMsixVector', vector);
    if ((yield* this.read('queueMsixVector')) === VIRTIO_MSI_NO_VECTOR) return 0;
    yield* this.write('queueEnable', 1);
    return size;
  }

  /** DRIVER_OK: the device is live. */
  *ready(): KGen {
    yield* this.write('configMsixVector', VIRTIO_MSI_NO_VECTOR);
    const s = yield* this.read('deviceStatus');
    yield* this.write('deviceStatus', s | STATUS_DRIVER_OK);
  }

  /** The notification of queue `index`: one 16-bit write of its index to its notify address. */
  *notify(index: number): KGen {
    yield mmio('out', this.base + VIRTIO_PCI_NOTIFY + index * VIRTIO_PCI_NOTIFY_MULTIPLIER, 2, index);
  }
}
