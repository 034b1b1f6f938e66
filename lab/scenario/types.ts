// The Scenario: a validated scenario file with every default applied, in the units the model
// uses. Durations are integer nanoseconds, sizes integer bytes, memory integer MiB (xl's "MB"),
// affinities sorted pCPU numbers. Keys keep their names from the file (xl.cfg's where xl has
// one), so an error's key path is also the path to the value here.

import type { DiskSpec, VifSpec } from './xlspec';
import type { WorkloadSpec } from './workload';
import type { TimelineEvent } from './timeline';

export type { TimelineEvent } from './timeline';

export type { BackendType, DiskAccess, DiskFormat, DiskSpec, VifSpec } from './xlspec';

export const PLATFORMS = ['modern', 'core2-2006', 'xeon-2003'] as const;
/** Hardware era: modern = EPT/NPT; core2-2006 = first VT-x, no EPT; xeon-2003 = no VT-x. */
export type Platform = (typeof PLATFORMS)[number];

export const DOMAIN_TYPES = ['pv', 'hvm', 'pvh', 'native'] as const;
export type DomainType = (typeof DOMAIN_TYPES)[number];

/** cfs: a KVM host's Linux scheduler (the only one there, and only there). */
export const SCHEDULERS = ['credit', 'rr', 'cfs'] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];

export type Accel = 'vtx' | 'bt' | 'tcg';
export type HdType = 'ide' | 'ahci';

export interface HostDisk {
  name: string;
  kind: 'ssd' | 'hdd';
  /** Bytes, a multiple of 512. */
  size: number;
  /** Image file backing the disk's bytes, as written (relative to the scenario file). */
  image?: string;
}

/** What the host runs: Xen with its dom0 (the default), or Linux with KVM (no dom0; QEMU
 *  processes under CFS). */
export const HYPERVISORS = ['xen', 'kvm'] as const;
export type HypervisorKind = (typeof HYPERVISORS)[number];

export interface Host {
  /** Absent = xen. */
  hypervisor?: HypervisorKind;
  pcpus: number;
  /** MiB. */
  memory: number;
  disks: HostDisk[];
}

export interface Scheduler {
  name: SchedulerName;
  /** ns: the credit timeslice, or the rr slice. */
  tslice: number;
  /** ns; 0 = rate limiting off. Always below tslice. */
  ratelimit: number;
}

/** A logical volume dom0 carves out of a host disk, e.g. /dev/vg0/web. */
export interface Volume {
  name: string;
  /** Name of the host disk it lives on. */
  disk: string;
  /** Bytes. */
  size: number;
}

export interface Dom0 {
  vcpus: number;
  /** MiB. */
  memory: number;
  cpu_weight: number;
  /** Percent of one pCPU; 0 = uncapped. */
  cap: number;
  /** Hard affinity: sorted pCPU numbers, or undefined for "any pCPU". */
  cpus: number[] | undefined;
  volumes: Volume[];
}

/** fio with its disk resolved: `vdev` always names one of the domain's disks. */
export type Workload = ResolvedWorkload<WorkloadSpec>;
type ResolvedWorkload<W> = W extends { kind: 'fio' } ? Omit<W, 'vdev'> & { vdev: string } : W;
export type FioWorkload = Extract<Workload, { kind: 'fio' }>;

export interface Domain {
  name: string;
  type: DomainType;
  vcpus: number;
  /** ≥ vcpus; defaults to vcpus. */
  maxvcpus: number;
  /** MiB. */
  memory: number;
  /** MiB, ≥ memory; defaults to memory. */
  maxmem: number;
  cpus: number[] | undefined;
  cpu_weight: number;
  cap: number;
  disk: DiskSpec[];
  vif: VifSpec[];
  /** hvm and native only. */
  hdtype?: HdType;
  /** hvm only; absent = the platform's natural choice. */
  accel?: Accel;
  /** hvm and pvh only: true = EPT/NPT, false = shadow paging. */
  hap?: boolean;
  /** hvm only. */
  xen_platform_pci?: boolean;
  /** KVM hosts only, one decision per kind of virtio device: true = served by a vhost worker in
   *  the host kernel (vhost-net for a model=virtio vif, vhost-blk for vd* disks) rather than by
   *  QEMU's I/O thread. The file's `vhost: 1` sets both; libvirt's QEMU driver sets vhostNet
   *  alone, as libvirt defaults a virtio NIC to vhost-net and has no vhost-blk. (On a KVM host,
   *  cpu_weight holds the cgroup's cpu.shares, from the file's cpu_shares key.) */
  vhostNet?: boolean;
  vhostBlk?: boolean;
  /** The guest kernel's command line (xl's cmdline, or else extra); absent = empty. */
  cmdline?: string;
  workload: Workload;
}

export interface Scenario {
  /** The scenario file as it was named when loaded. */
  file: string;
  name: string;
  seed: number;
  /** ns of simulated time. */
  duration: number;
  platform: Platform;
  host: Host;
  scheduler: Scheduler;
  dom0: Dom0;
  domains: Domain[];
  /** The timeline, in file order (absent = none). */
  events?: TimelineEvent[];
}
