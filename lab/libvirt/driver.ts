// The hypervisor driver interface: what a connection asks of the host behind its URI, like
// libvirt's virHypervisorDriver table (one per hypervisor: libxl for xen:///system, QEMU for
// qemu:///system, the in-memory test driver for test:///default). The bookkeeping every driver
// shares — defined domains, states and reasons, lifecycle actions, the argument checks and
// their errors — lives in the connection (./connection, ./domain); a driver only runs, stops
// and inspects instances on its host.
import type { DomainDef, VirtType } from './def';
import type { VirErrorDomain, VirResult } from './errors';
import type { VirVcpuState } from './state';

/** virNodeInfo. */
export interface NodeInfo {
  model: string;
  memoryKiB: number;
  cpus: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
}

/** What the hypervisor says about a running instance. */
export type InstanceStatus =
  | { kind: 'running' }
  | { kind: 'paused' }
  /** The guest shut down (or was told to) and is waiting for the toolstack to act on it. */
  | { kind: 'shutdown'; reason: 'poweroff' | 'reboot' | 'crash' | 'other' };

/** An instance on the host, as the driver finds it. */
export interface Instance {
  id: number;
  name: string;
  status: InstanceStatus;
}

/** virVcpuInfo plus its affinity row (virDomainGetVcpus' cpumap). */
export interface VcpuInfo {
  number: number;
  state: VirVcpuState;
  cpuTimeNs: number;
  /** The pCPU it runs on or last ran on; -1 when offline. */
  cpu: number;
  /** One entry per host CPU: may it run there. */
  affinity: boolean[];
}

/** One virTypedParameter of the scheduler (weight, cap, cpu_shares, vcpu_quota, ...). */
export interface SchedParam {
  field: string;
  type: 'uint' | 'ullong' | 'llong';
  value: number;
}

export interface Driver {
  readonly uri: string;
  /** virConnectGetType: "Xen", "QEMU", "TEST". */
  readonly type: string;
  /** Which part of libvirt raises this driver's errors (VIR_FROM_LIBXL, VIR_FROM_QEMU, ...). */
  readonly from: VirErrorDomain;
  /** The `<domain type=...>` values it runs. */
  readonly virtTypes: readonly VirtType[];
  nodeInfo(): NodeInfo;
  /** Every instance on the host, in id order, including ones libvirt did not start. */
  instances(): Instance[];
  /** A definition for an instance libvirt did not start (Domain-0, one made with xl create). */
  adopt(id: number): DomainDef | undefined;
  /** Starts an instance of `def`, `vcpus` of its vCPUs online; answers its id. */
  start(def: DomainDef): VirResult<number>;
  pause(id: number): VirResult<void>;
  unpause(id: number): VirResult<void>;
  /** Asks the guest to power off or reboot. */
  shutdown(id: number, reason: 'poweroff' | 'reboot'): VirResult<void>;
  /** Pulls the plug; the instance is gone when this returns (its teardown may go on). */
  destroy(id: number): VirResult<void>;
  cpuTimeNs(id: number): number;
  vcpus(id: number): VcpuInfo[];
  /** Sets how many vCPUs are online (1..the number it was started with). */
  setVcpus(id: number, n: number): VirResult<void>;
  pinVcpu(id: number, vcpu: number, cpus: number[]): VirResult<void>;
  /** virDomainGetSchedulerType: credit, posix, fair. */
  schedType(): string;
  /** The scheduler parameters of a running instance, or of a definition that is not running. */
  getSched(id: number | undefined, def: DomainDef): VirResult<SchedParam[]>;
  setSched(id: number | undefined, def: DomainDef, params: Record<string, number>): VirResult<DomainDef>;
  /** `<os><type machine=...>` for this definition. */
  machine(def: DomainDef): string;
  /** Runs `fn` once the current instant's work is done (the driver's event thread). */
  later(fn: () => void): void;
}
