// The virtio-pci modern transport's register model (hw/devices/virtio): feature negotiation as
// §3.1.1 has it, queues handed to the backend at DRIVER_OK, frozen afterwards, and no access
// that throws.
import { describe, expect, it } from 'vitest';
import {
  COMMON, STATUS_ACKNOWLEDGE, STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FEATURES_OK, VIRTIO_F_VERSION_1,
  VIRTIO_PCI_DEVICE, VIRTIO_RING_F_EVENT_IDX, VirtioPciTransport, featureBits, type QueueConfig, type VirtioBackend,
} from '../../../hw/devices/virtio/index';

const BASE = 0xfe00_0000;

function fixture(opts: { broken?: boolean } = {}) {
  const seen: { activated: QueueConfig[][]; resets: number; notified: number[] } = { activated: [], resets: 0, notified: [] };
  const backend: VirtioBackend = {
    deviceId: 2, features: featureBits(VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX), numQueues: 1, queueMax: 128,
    config: () => Uint8Array.of(0x00, 0x10, 0, 0, 0, 0, 0, 0),
    activate: (q) => void seen.activated.push(q),
    reset: () => void seen.resets++,
    notify: (q) => void seen.notified.push(q),
    needsReset: () => opts.broken === true,
  };
  const t = new VirtioPciTransport(backend, BASE);
  const rd = (f: keyof typeof COMMON, hi = false) => t.read(BASE + COMMON[f].off + (hi ? 4 : 0), (COMMON[f].size === 8 ? 4 : COMMON[f].size) as 1 | 2 | 4, 'mmio');
  const wr = (f: keyof typeof COMMON, v: number, hi = false) => t.write(BASE + COMMON[f].off + (hi ? 4 : 0), (COMMON[f].size === 8 ? 4 : COMMON[f].size) as 1 | 2 | 4, v, 'mmio');
  return { t, seen, rd, wr };
}

describe('the virtio-pci transport', () => {
  it('negotiates, sizes and places a queue, and hands it to the device at DRIVER_OK', () => {
    const { t, seen, rd, wr } = fixture();
    wr('deviceStatus', STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    wr('deviceFeatureSelect', 1);
    expect(rd('deviceFeature')).toBe(1); // VERSION_1 is bit 32
    wr('driverFeatureSelect', 0);
    wr('driverFeature', 1 << VIRTIO_RING_F_EVENT_IDX);
    wr('driverFeatureSelect', 1);
    wr('driverFeature', 1);
    wr('deviceStatus', STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    expect(rd('deviceStatus') & STATUS_FEATURES_OK).toBe(STATUS_FEATURES_OK);
    wr('queueSelect', 0);
    expect(rd('queueSize')).toBe(128);
    wr('queueSize', 64);
    wr('queueDesc', 0x1000);
    wr('queueDriver', 0x1400);
    wr('queueDevice', 0x1580);
    wr('queueDevice', 0, true);
    wr('queueMsixVector', 0);
    wr('queueEnable', 1);
    wr('deviceStatus', STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    expect(seen.activated).toEqual([[{ index: 0, size: 64, desc: 0x1000, driver: 0x1400, device: 0x1580, vector: 0 }]]);
    wr('queueSize', 32); // frozen while live
    expect(rd('queueSize')).toBe(64);
    expect(t.read(BASE + VIRTIO_PCI_DEVICE, 4, 'mmio')).toBe(0x1000); // capacity's low word
    t.write(t.notifyAddress(0), 2, 0, 'mmio');
    expect(seen.notified).toEqual([0]);
    wr('deviceStatus', 0);
    expect(seen.resets).toBe(1);
    expect(rd('deviceStatus')).toBe(0);
  });

  it('refuses FEATURES_OK for a feature it never offered, or without VERSION_1', () => {
    for (const [half, bits] of [[0, 1 << 28], [1, 0]] as const) {
      const { t, rd, wr } = fixture();
      wr('driverFeatureSelect', half);
      wr('driverFeature', bits);
      wr('deviceStatus', STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
      expect(rd('deviceStatus') & STATUS_FEATURES_OK).toBe(0);
      expect(t.stats.featureRefusals).toBe(1);
    }
  });

  it('answers a bad offset or width with all-ones, never throws, and shows DEVICE_NEEDS_RESET for a broken device', () => {
    const { t, rd } = fixture({ broken: true });
    expect(t.read(BASE + 0x13, 1, 'mmio')).toBe(0xff);
    expect(t.read(BASE + COMMON.queueSelect.off, 4, 'mmio')).toBe(0xffffffff);
    t.write(BASE + 0x0e, 2, 5, 'mmio');
    expect(t.stats.badAccesses).toBe(3);
    expect(rd('deviceStatus') & STATUS_DEVICE_NEEDS_RESET).toBe(STATUS_DEVICE_NEEDS_RESET);
  });
});
