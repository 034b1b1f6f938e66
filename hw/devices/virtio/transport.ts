// The virtio-pci modern transport as a register model (virtio spec §4.1): the common
// configuration a driver uses to reset the device, negotiate features, size and place each
// virtqueue and set DRIVER_OK; the device-specific configuration window; the notification
// area. It knows nothing of rings: on DRIVER_OK it hands the queues' addresses to its backend
// (QEMU's virtio-blk, or a vhost worker), which reads the rings in guest memory itself.
//
// Who calls it: an IoSpace (whoever dispatches the guest's register accesses: QEMU's vCPU
// thread after KVM_EXIT_MMIO). A notification normally never gets here — KVM's ioeventfd
// catches the write in the kernel — but without one (ioeventfd=off) it does, and the backend
// is told directly. No access ever throws: a bad offset or width reads all-ones, is counted,
// and a write to it goes nowhere.
import { allOnes, type AddressSpace, type IoSize, type MmioRange, type PortDevice } from '../bus';
import {
  COMMON, STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER_OK, STATUS_FEATURES_OK, VIRTIO_F_VERSION_1, VIRTIO_MSI_NO_VECTOR, VIRTIO_PCI_BAR_SIZE, VIRTIO_PCI_COMMON,
  VIRTIO_PCI_DEVICE, VIRTIO_PCI_ISR, VIRTIO_PCI_NOTIFY, VIRTIO_PCI_NOTIFY_MULTIPLIER, hasFeature, type CommonField,
} from './regs';

/** One queue as the driver configured it. Addresses are guest-physical. */
export interface QueueConfig {
  readonly index: number;
  readonly size: number;
  readonly desc: number;
  readonly driver: number;
  readonly device: number;
  readonly vector: number;
}

/** The device behind the transport. */
export interface VirtioBackend {
  readonly deviceId: number;
  /** The features it offers, as two u32 halves (bits 0-31, 32-63). */
  readonly features: readonly [number, number];
  readonly numQueues: number;
  /** The largest queue it supports (queue_size reads this until the driver writes less). */
  readonly queueMax: number;
  /** Its device-specific configuration bytes (virtio_blk_config, ...). */
  config(): Uint8Array;
  /** DRIVER_OK: the enabled queues and the features the driver accepted. */
  activate(queues: QueueConfig[], features: readonly [number, number]): void;
  /** device_status written 0. */
  reset(): void;
  /** A queue notification that no ioeventfd caught. */
  notify(queue: number): void;
  /** The device gave up on a broken ring: device_status reads DEVICE_NEEDS_RESET. */
  needsReset?(): boolean;
}

interface QueueRegs {
  size: number;
  vector: number;
  enable: number;
  addr: { desc: [number, number]; driver: [number, number]; device: [number, number] };
}

export class VirtioPciTransport implements PortDevice {
  readonly name: string;
  ports = [];
  mmio: MmioRange[];
  status = 0;
  private deviceFeatureSelect = 0;
  private driverFeatureSelect = 0;
  private driverFeatures: [number, number] = [0, 0];
  private configVector = VIRTIO_MSI_NO_VECTOR;
  private queueSelect = 0;
  private queues: QueueRegs[] = [];
  readonly stats = { badAccesses: 0, notifications: 0, resets: 0, activations: 0, featureRefusals: 0 };

  constructor(
    private readonly backend: VirtioBackend,
    readonly base: number,
  ) {
    this.name = `virtio-pci@${base.toString(16)}`;
    this.mmio = [{ base, size: VIRTIO_PCI_BAR_SIZE }];
    this.resetRegs();
  }

  /** The guest-physical address a driver writes to notify `queue`: where an ioeventfd goes. */
  notifyAddress(queue: number): number {
    return this.base + VIRTIO_PCI_NOTIFY + queue * VIRTIO_PCI_NOTIFY_MULTIPLIER;
  }

  read(addr: number, size: IoSize, _space: AddressSpace): number {
    const off = addr - this.base;
    if (off >= VIRTIO_PCI_DEVICE && off < VIRTIO_PCI_NOTIFY) return this.readConfig(off - VIRTIO_PCI_DEVICE, size);
    if (off === VIRTIO_PCI_ISR && size === 1) return 0; // MSI-X only: the ISR never has a bit set
    const f = this.field(off - VIRTIO_PCI_COMMON, size);
    if (f === undefined) return this.bad(size);
    return this.readCommon(f.name, f.high) & allOnes(size);
  }

  write(addr: number, size: IoSize, value: number, _space: AddressSpace): void {
    const off = addr - this.base;
    if (off >= VIRTIO_PCI_NOTIFY && size === 2) {
      this.stats.notifications++;
      if (value < this.backend.numQueues) this.backend.notify(value);
      return;
    }
    const f = this.field(off - VIRTIO_PCI_COMMON, size);
    if (f === undefined) return void this.bad(size);
    this.writeCommon(f.name, f.high, value >>> 0);
  }

  /** The field at `off` accessed with width `size`; `high` for the upper half of a 64-bit one. */
  private field(off: number, size: number): { name: CommonField; high: boolean } | undefined {
    for (const [name, f] of Object.entries(COMMON) as [CommonField, { off: number; size: number }][]) {
      if (f.size === 8 && size === 4 && (off === f.off || off === f.off + 4)) return { name, high: off !== f.off };
      if (off === f.off && size === f.size) return { name, high: false };
    }
    return undefined;
  }

  private readCommon(name: CommonField, high: boolean): number {
    const q = this.queues[this.queueSelect];
    switch (name) {
      case 'deviceFeatureSelect': return this.deviceFeatureSelect;
      case 'deviceFeature': return this.backend.features[this.deviceFeatureSelect] ?? 0;
      case 'driverFeatureSelect': return this.driverFeatureSelect;
      case 'driverFeature': return this.driverFeatures[this.driverFeatureSelect] ?? 0;
      case 'configMsixVector': return this.configVector;
      case 'numQueues': return this.backend.numQueues;
      case 'deviceStatus': return this.status | (this.backend.needsReset?.() ? STATUS_DEVICE_NEEDS_RESET : 0);
      case 'configGeneration': return 0;
      case 'queueSelect': return this.queueSelect;
      case 'queueSize': return q?.size ?? 0;
      case 'queueMsixVector': return q?.vector ?? VIRTIO_MSI_NO_VECTOR;
      case 'queueEnable': return q?.enable ?? 0;
      case 'queueNotifyOff': return this.queueSelect;
      case 'queueDesc': return q ? q.addr.desc[high ? 1 : 0] : 0;
      case 'queueDriver': return q ? q.addr.driver[high ? 1 : 0] : 0;
      case 'queueDevice': return q ? q.addr.device[high ? 1 : 0] : 0;
    }
  }

  private writeCommon(name: CommonField, high: boolean, value: number): void {
    const q = this.queues[this.queueSelect];
    const live = (this.status & STATUS_DRIVER_OK) !== 0; // queue registers are frozen once live
    switch (name) {
      case 'deviceFeatureSelect': this.deviceFeatureSelect = value; return;
      case 'driverFeatureSelect': this.driverFeatureSelect = value; return;
      case 'driverFeature': if (this.driverFeatureSelect < 2 && !live) this.driverFeatures[this.driverFeatureSelect] = value; return;
      case 'configMsixVector': this.configVector = value & 0xffff; return;
      case 'deviceStatus': return this.writeStatus(value & 0xff);
      case 'queueSelect': this.queueSelect = value & 0xffff; return;
      case 'queueSize': if (q && !live && isPow2(value) && value <= this.backend.queueMax) q.size = value; return;
      case 'queueMsixVector': if (q) q.vector = value & 0xffff; return;
      case 'queueEnable': if (q && !live) q.enable = value & 1; return;
      case 'queueDesc': if (q && !live) q.addr.desc[high ? 1 : 0] = value; return;
      case 'queueDriver': if (q && !live) q.addr.driver[high ? 1 : 0] = value; return;
      case 'queueDevice': if (q && !live) q.addr.device[high ? 1 : 0] = value; return;
      default: this.stats.badAccesses++; // read-only fields
    }
  }

  /** device_status: 0 resets; FEATURES_OK sticks only for features the device offered, with
   *  VERSION_1; DRIVER_OK hands the enabled queues to the backend. */
  private writeStatus(v: number): void {
    if (v === 0) {
      this.stats.resets++;
      this.resetRegs();
      this.backend.reset();
      return;
    }
    const offered = this.backend.features;
    const accepted = this.driverFeatures;
    if (v & STATUS_FEATURES_OK && !(this.status & STATUS_FEATURES_OK)) {
      const subset = (accepted[0] & ~offered[0]) === 0 && (accepted[1] & ~offered[1]) === 0;
      if (!subset || !hasFeature(accepted, VIRTIO_F_VERSION_1)) {
        this.stats.featureRefusals++;
        v &= ~STATUS_FEATURES_OK;
      }
    }
    const wasLive = (this.status & STATUS_DRIVER_OK) !== 0;
    this.status = v;
    if (!wasLive && v & STATUS_DRIVER_OK && v & STATUS_FEATURES_OK) {
      this.stats.activations++;
      this.backend.activate(this.queueConfigs(), [...accepted] as [number, number]);
    }
  }

  /** The queues as the driver enabled them (guest-physical addresses). */
  queueConfigs(): QueueConfig[] {
    const hi = (p: [number, number]): number => p[0] + p[1] * 0x1_0000_0000;
    return this.queues.flatMap((q, index) =>
      q.enable ? [{ index, size: q.size, desc: hi(q.addr.desc), driver: hi(q.addr.driver), device: hi(q.addr.device), vector: q.vector }] : []);
  }

  private readConfig(off: number, size: IoSize): number {
    const c = this.backend.config();
    if (off + size > c.length) return this.bad(size);
    let v = 0;
    for (let i = 0; i < size; i++) v |= c[off + i]! << (8 * i);
    return v >>> 0;
  }

  private resetRegs(): void {
    this.status = 0;
    this.deviceFeatureSelect = this.driverFeatureSelect = this.queueSelect = 0;
    this.driverFeatures = [0, 0];
    this.configVector = VIRTIO_MSI_NO_VECTOR;
    this.queues = Array.from({ length: this.backend.numQueues }, () => ({
      size: this.backend.queueMax, vector: VIRTIO_MSI_NO_VECTOR, enable: 0, addr: { desc: [0, 0], driver: [0, 0], device: [0, 0] },
    }));
  }

  private bad(size: number): number {
    this.stats.badAccesses++;
    return allOnes(size);
  }
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}
