// A domain definition: the subset of libvirt's domain XML (formatdomain.html) that pvlab
// models — name, uuid, memory, vCPUs, the OS type (hvm = full virtualization, xen = Xen PV),
// disks, network interfaces, the lifecycle actions, the CPU shares, and the guest's workload
// (pvlab's own, under <metadata> in pvlab's namespace, as libvirt lets applications keep
// their data). Parsed by ./xml-parse, written back by ./xml-format.
import type { WorkloadSpec } from '../scenario/workload';

/** `<domain type='...'>`: the hypervisor a definition is for. */
export const VIRT_TYPES = ['xen', 'kvm', 'qemu', 'test'] as const;
export type VirtType = (typeof VIRT_TYPES)[number];

/** `<os><type>`: hvm (full virtualization) or xen (paravirtualized; `linux` is its old name). */
export type OsType = 'hvm' | 'xen';

export interface DiskDef {
  /** `<disk type=...>`: a block device or an image file. */
  type: 'block' | 'file';
  device: 'disk' | 'cdrom';
  /** `<source dev=...>` or `<source file=...>`; absent for an empty cdrom drive. */
  source?: string;
  /** `<target dev=... bus=...>`. */
  target: string;
  bus?: string;
  readonly: boolean;
}

/** `<interface><driver name=...>`: who serves a virtio NIC on a QEMU/KVM host — QEMU itself in
 *  user space, or vhost-net in the host kernel. */
export const NET_DRIVERS = ['qemu', 'vhost'] as const;
export type NetDriver = (typeof NET_DRIVERS)[number];

export interface InterfaceDef {
  type: 'bridge' | 'network';
  /** `<source bridge=...>` or `<source network=...>`. */
  source: string;
  mac?: string;
  /** `<model type=...>`: virtio, e1000, rtl8139, netfront. */
  model?: string;
  /** `<driver name=...>`; absent = the hypervisor driver's choice (vhost-net for a virtio NIC
   *  under KVM, as libvirt picks it whenever the host has /dev/vhost-net). */
  driver?: NetDriver;
}

export const LIFECYCLE_ACTIONS = ['destroy', 'restart', 'preserve', 'rename-restart'] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

export interface DomainDef {
  virtType: VirtType;
  name: string;
  uuid: string;
  /** `<memory>`: the maximum, in KiB. */
  memoryKiB: number;
  /** `<currentMemory>`, in KiB (≤ memoryKiB). */
  currentMemoryKiB: number;
  /** `<vcpu>`: the maximum number of vCPUs. */
  maxVcpus: number;
  /** `<vcpu current=...>`: how many are online at start. */
  vcpus: number;
  osType: OsType;
  disks: DiskDef[];
  interfaces: InterfaceDef[];
  onPoweroff: LifecycleAction;
  onReboot: LifecycleAction;
  onCrash: LifecycleAction;
  /** `<cputune><shares>`: the cgroup cpu.shares a KVM guest's threads get. */
  cpuShares?: number;
  /** `<metadata><pvlab:workload kind=...>`: what the guest runs (idle when absent), and its
   *  attributes as written (durations and sizes keep their units when the XML is written back). */
  workload?: { spec: WorkloadSpec; written: Record<string, string> };
}

/** pvlab's XML namespace for its metadata. */
export const PVLAB_XMLNS = 'https://pvlab.dev/xmlns/libvirt/1.0';

/** Whole MiB for the simulated host (rounded up, as libvirt rounds memory up to its granule). */
export function mib(kib: number): number {
  return Math.ceil(kib / 1024);
}
