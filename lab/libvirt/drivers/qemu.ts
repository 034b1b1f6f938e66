// The QEMU driver (qemu:///system): libvirt managing a KVM host, where each guest is a QEMU
// process whose vCPU threads the host kernel schedules with CFS. There is no dom0 to list;
// suspend and resume stop and continue the vCPU threads (QMP `stop`/`cont`); shutdown is the
// ACPI power button; destroy kills the QEMU process, its I/O thread and vhost worker with it.
// The scheduler parameters are the VM cgroup's: cpu_shares (cgroup v1 cpu.shares, 1024 by default) — which the CFS scheduler reads
// from the domain's weight — and the bandwidth knobs libvirt shows beside it (vcpu_period,
// vcpu_quota, ...), which pvlab reports at their defaults and does not model.
// Each device's backend is chosen as libvirt's QEMU driver chooses it: a virtio interface is
// served by vhost-net in the host kernel unless its <driver name='qemu'/> asks for QEMU's own
// user-space backend (or the domain is plain QEMU, type='qemu'); a virtio disk is always QEMU's
// user-space virtio-blk (the host kernel has no vhost-blk for libvirt to use).
import type { Domain } from '../../../hypervisor/domain';
import { createGuest, type World } from '../../run/world';
import type { Domain as DomainSpec, DiskSpec } from '../../scenario/types';
import { mib, type DomainDef, type InterfaceDef } from '../def';
import type { Instance, SchedParam } from '../driver';
import { ok, virErr, VIR_ERR, VIR_FROM, type VirResult } from '../errors';
import { CPU_SHARES_MAX, CPU_SHARES_MIN } from '../xml-node';
import { uuidFor } from '../xml-parse';
import { setVcpuOnline } from '../../../hypervisor/sched/hotplug';
import { SimHostDriver, workloadFor, type StopOp } from './host';

const FROM = VIR_FROM.QEMU;
/** cgroup v1 cpu.shares when libvirt sets none. */
export const DEFAULT_CPU_SHARES = 1024;
/** CFS bandwidth defaults: a 100 ms period, no quota. */
const PERIOD_US = 100_000;
const NO_QUOTA = -1;
const VDEV = /^(vd[a-z]+|hd[a-z]|sd[a-z]+)[0-9]*$/;

/** Whether a simulated host runs KVM (`host: {hypervisor: kvm}`: its World has a KVM host). */
export function kvmHostOf(w: World): boolean {
  return w.kvm !== undefined;
}

/** The host kernel's own threads (QEMU's I/O threads, vhost workers) live in domain 0. */
const HOST_DOMID = 0;

export class QemuDriver extends SimHostDriver {
  readonly uri = 'qemu:///system';
  readonly type = 'QEMU';
  readonly from = FROM;
  readonly virtTypes = ['kvm', 'qemu'] as const;

  constructor(world: World) {
    super(world);
  }

  /** The VMs: the host's own threads are not a domain libvirt shows. */
  override instances(): Instance[] {
    return super.instances().filter((i) => i.id !== HOST_DOMID);
  }

  adopt(id: number): DomainDef | undefined {
    const d = id === HOST_DOMID ? undefined : this.hv.domain(id);
    if (!d) return undefined;
    const cfg = d.config;
    return {
      virtType: 'kvm', name: d.name, uuid: uuidFor(d.name), memoryKiB: (cfg.maxmemMiB ?? cfg.memoryMiB) * 1024, currentMemoryKiB: cfg.memoryMiB * 1024,
      maxVcpus: d.vcpus.length, vcpus: d.vcpus.filter((v) => !v.unplugged).length, osType: 'hvm', disks: [], interfaces: [],
      onPoweroff: 'destroy', onReboot: 'restart', onCrash: 'destroy', cpuShares: d.weight,
    };
  }

  protected build(def: DomainDef): VirResult<Domain> {
    const failed = (why: string) => virErr<Domain>(VIR_ERR.OPERATION_FAILED, FROM, `domain '${def.name}' failed to start: ${why}`);
    if (this.nameTaken(def.name)) return failed(`a guest named ${def.name} is already running`);
    const spec = this.specFromDef(def);
    if (!spec.ok) return spec;
    const d = createGuest(this.world, spec.value);
    if (typeof d !== 'string') return ok(d);
    this.reapHalfBuilt(def.name);
    return failed(d);
  }

  /** The QEMU process is killed: the VM goes, and so do its I/O thread and vhost workers (host
   *  threads, vCPUs of the host domain, taken offline for good). */
  override destroy(id: number): VirResult<void> {
    const qemu = this.world.guests.find((g) => g.domain.id === id && g.domain.life === 'alive')?.qemu;
    const r = super.destroy(id);
    if (!r.ok || !qemu) return r;
    const host = this.hv.domain(HOST_DOMID);
    for (const t of [qemu.ioThread, qemu.vhostBlk, qemu.vhostNet]) {
      const v = t?.env === undefined ? undefined : host?.vcpus[t.env.vcpu];
      if (v) setVcpuOnline(this.hv.core, v, false);
    }
    return r;
  }

  protected failure(op: StopOp, id: number): string {
    return `QEMU refused to ${op} domain ${id}`;
  }

  schedType(): string {
    return 'posix';
  }

  getSched(id: number | undefined, def: DomainDef): VirResult<SchedParam[]> {
    const shares = id === undefined ? (def.cpuShares ?? DEFAULT_CPU_SHARES) : this.live(id);
    if (typeof shares !== 'number' && !shares.ok) return shares;
    const value = typeof shares === 'number' ? shares : shares.value.weight;
    const period = (field: string): SchedParam => ({ field, type: 'ullong', value: PERIOD_US });
    const quota = (field: string): SchedParam => ({ field, type: 'llong', value: NO_QUOTA });
    return ok([
      { field: 'cpu_shares', type: 'ullong', value }, period('vcpu_period'), quota('vcpu_quota'), period('emulator_period'), quota('emulator_quota'),
      period('global_period'), quota('global_quota'), period('iothread_period'), quota('iothread_quota'),
    ]);
  }

  setSched(id: number | undefined, def: DomainDef, params: Record<string, number>): VirResult<DomainDef> {
    const unknown = this.unknownParam(params, ['cpu_shares']);
    if (unknown) return unknown;
    const shares = params.cpu_shares;
    if (shares === undefined) return ok(def);
    if (!Number.isInteger(shares) || shares < CPU_SHARES_MIN || shares > CPU_SHARES_MAX) {
      return virErr(VIR_ERR.INVALID_ARG, FROM, `shares must be in range [${CPU_SHARES_MIN}, ${CPU_SHARES_MAX}]`);
    }
    if (id !== undefined) {
      const d = this.live(id);
      if (!d.ok) return d;
      if (this.hv.scheduler.adjust(d.value, { weight: shares }) < 0) return virErr(VIR_ERR.OPERATION_FAILED, FROM, `Unable to set cpu shares tunable to ${shares}`);
    }
    return ok({ ...def, cpuShares: shares });
  }

  machine(): string {
    return 'pc-i440fx-8.2';
  }

  /** The guest QEMU would run for this definition. */
  private specFromDef(def: DomainDef): VirResult<DomainSpec> {
    if (def.osType !== 'hvm') return virErr(VIR_ERR.CONFIG_UNSUPPORTED, FROM, `os type '${def.osType}' needs Xen; QEMU/KVM runs hvm guests`);
    const disks: DiskSpec[] = [];
    for (const d of def.disks) {
      if (!VDEV.test(d.target)) return virErr(VIR_ERR.CONFIG_UNSUPPORTED, FROM, `disk target '${d.target}' is not a QEMU device name (vd*, hd* or sd*)`);
      if (d.source !== undefined && d.type === 'block' && !this.world.storage.resolve(d.source)) return virErr(VIR_ERR.OPERATION_FAILED, FROM, `Cannot access storage file '${d.source}': No such file or directory`);
      disks.push({ vdev: d.target, target: d.source ?? '', access: d.readonly ? 'ro' : 'rw', format: 'raw', ...(d.device === 'cdrom' ? { devtype: 'cdrom' as const } : {}) });
    }
    const workload = workloadFor(def, disks);
    if (!workload.ok) return workload;
    const vhostNet: boolean[] = [];
    for (const i of def.interfaces) {
      const v = vhostNetFor(def, i);
      if (!v.ok) return v;
      vhostNet.push(v.value);
    }
    return ok({
      name: def.name, type: 'hvm', vcpus: def.maxVcpus, maxvcpus: def.maxVcpus, memory: mib(def.currentMemoryKiB), maxmem: mib(def.memoryKiB),
      cpus: undefined, cpu_weight: def.cpuShares ?? DEFAULT_CPU_SHARES, cap: 0, disk: disks,
      vif: def.interfaces.map((i) => ({ bridge: i.source, ...(i.mac ? { mac: i.mac } : {}), ...(i.model ? { model: i.model } : {}) })),
      // The NIC QEMU gets is the first interface's (lab/run/kvm-net.ts); vhostBlk stays unset.
      ...(vhostNet[0] ? { vhostNet: true } : {}),
      workload: workload.value,
    });
  }
}

/** Whether vhost-net serves interface `i` when the domain starts. Plain QEMU (type='qemu') and
 *  `<driver name='qemu'/>` keep QEMU's user-space backend; a virtio NIC otherwise gets vhost-net
 *  (pvlab's KVM host always has /dev/vhost-net); any other model has no vhost backend, which is
 *  an error only when the XML asked for one by name. */
function vhostNetFor(def: DomainDef, i: InterfaceDef): VirResult<boolean> {
  if (def.virtType !== 'kvm' || i.driver === 'qemu') return ok(false);
  if (i.model === 'virtio') return ok(true);
  if (i.driver === 'vhost') return virErr(VIR_ERR.CONFIG_UNSUPPORTED, FROM, 'vhost-net is only supported for virtio network interfaces');
  return ok(false);
}
