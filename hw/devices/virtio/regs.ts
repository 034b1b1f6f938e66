// Register map of a virtio 1.x device on PCI, "modern" layout (virtio spec §4.1.4), with the
// regions in one memory BAR where QEMU puts them: common configuration at 0x0000, ISR status at
// 0x1000, the device-specific configuration at 0x2000 and the notification area at 0x3000
// (notify_off_multiplier 4). Interrupts are MSI-X: each queue names its vector, so a driver never
// reads the ISR register. pvlab does not model PCI enumeration: the guest finds the BAR where
// firmware put it, as its IDE and AHCI drivers find theirs.

/** Where firmware put the BAR of the first virtio device, and its size. */
export const VIRTIO_PCI_BAR = 0xfe00_0000;
export const VIRTIO_PCI_BAR_SIZE = 0x4000;
/** Where firmware put the BAR of the second virtio device, the NIC (virtio-net), right after the disk's. */
export const VIRTIO_PCI_BAR_NET = VIRTIO_PCI_BAR + VIRTIO_PCI_BAR_SIZE;
/** Region offsets inside the BAR. */
export const VIRTIO_PCI_COMMON = 0x0000;
export const VIRTIO_PCI_ISR = 0x1000;
export const VIRTIO_PCI_DEVICE = 0x2000;
export const VIRTIO_PCI_NOTIFY = 0x3000;
export const VIRTIO_PCI_NOTIFY_MULTIPLIER = 4;

/** struct virtio_pci_common_cfg: offset and width of each field. */
export const COMMON = {
  deviceFeatureSelect: { off: 0x00, size: 4 },
  deviceFeature: { off: 0x04, size: 4 },
  driverFeatureSelect: { off: 0x08, size: 4 },
  driverFeature: { off: 0x0c, size: 4 },
  configMsixVector: { off: 0x10, size: 2 },
  numQueues: { off: 0x12, size: 2 },
  deviceStatus: { off: 0x14, size: 1 },
  configGeneration: { off: 0x15, size: 1 },
  queueSelect: { off: 0x16, size: 2 },
  queueSize: { off: 0x18, size: 2 },
  queueMsixVector: { off: 0x1a, size: 2 },
  queueEnable: { off: 0x1c, size: 2 },
  queueNotifyOff: { off: 0x1e, size: 2 },
  /** 64-bit addresses, accessed as two 32-bit halves (low first). */
  queueDesc: { off: 0x20, size: 8 },
  queueDriver: { off: 0x28, size: 8 },
  queueDevice: { off: 0x30, size: 8 },
} as const;
export type CommonField = keyof typeof COMMON;

/** device_status bits (§2.1). */
export const STATUS_ACKNOWLEDGE = 1;
export const STATUS_DRIVER = 2;
export const STATUS_DRIVER_OK = 4;
export const STATUS_FEATURES_OK = 8;
export const STATUS_DEVICE_NEEDS_RESET = 64;
export const STATUS_FAILED = 128;

/** Feature bits shared by every device (§6): bit numbers. */
export const VIRTIO_RING_F_INDIRECT_DESC = 28;
export const VIRTIO_RING_F_EVENT_IDX = 29;
export const VIRTIO_F_VERSION_1 = 32;

/** No MSI-X vector: the queue or the configuration does not interrupt. */
export const VIRTIO_MSI_NO_VECTOR = 0xffff;
/** pvlab's virtual interrupt controller has 32 lines; MSI-X vector k of the virtio device
 *  arrives on line VIRTIO_MSIX_FIRST_LINE + k (the guest programmed its MSI-X table so). */
export const VIRTIO_MSIX_FIRST_LINE = 24;
export const VIRTIO_MSIX_VECTORS = 8;

/** virtio device ids (§5). */
export const VIRTIO_ID_NET = 1;
export const VIRTIO_ID_BLOCK = 2;

/** Bit `bit` of a 64-bit feature set held as two u32 halves. */
export function hasFeature(features: readonly [number, number], bit: number): boolean {
  return ((features[bit >> 5]! >>> (bit & 31)) & 1) === 1;
}

export function featureBits(...bits: number[]): [number, number] {
  const f: [number, number] = [0, 0];
  for (const b of bits) f[b >> 5] = (f[b >> 5]! | (1 << (b & 31))) >>> 0;
  return f;
}
