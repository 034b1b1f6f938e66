// The libxl driver (xen:///system): libvirt managing pvlab's Xen host. Starting a domain goes
// the way `xl create` goes (lab/run/world's createGuest: domctl createdomain, the xenstore
// home and INTRODUCE, the disks' frontend and backend directories and blkback, unpause);
// suspend and resume are XEN_DOMCTL_pause/unpausedomain, shutdown is a remote
// SCHEDOP_shutdown, destroy is `xl destroy`'s (XEN_DOMCTL_destroydomain, then the xenstore home,
// the backends and the store connection go), and the scheduler parameters are the
// credit scheduler's weight and cap. Domain-0 is listed, as libvirt lists it, and cannot be
// stopped. Like the libxl driver, it reports RUNNING for a running guest whatever its vCPUs do
// (the xl list `b` column is where blocking shows), never BLOCKED.
import type { Domain } from '../../../hypervisor/domain';
import { destroyGuest } from '../../run/toolstack';
import { createGuest } from '../../run/world';
import type { Domain as DomainSpec, DiskSpec, VifSpec } from '../../scenario/types';
import { mib, type DomainDef } from '../def';
import type { SchedParam } from '../driver';
import { ok, virErr, VIR_ERR, VIR_FROM, type VirResult } from '../errors';
import { SimHostDriver, workloadFor, type StopOp } from './host';
import { adoptXenDomain } from './xen-adopt';

const XEN_VDEV = /^(xvd[a-z]+|hd[a-z]|sd[a-z]+)[0-9]*$/;
const FROM = VIR_FROM.LIBXL;
const CREDIT_PARAMS = ['weight', 'cap'] as const;

export class XenDriver extends SimHostDriver {
  readonly uri = 'xen:///system';
  readonly type = 'Xen';
  readonly from = FROM;
  readonly virtTypes = ['xen'] as const;

  adopt(id: number): DomainDef | undefined {
    const d = this.hv.domain(id);
    return d ? adoptXenDomain(d, this.world.guests.find((g) => g.domain === d)?.spec) : undefined;
  }

  protected build(def: DomainDef): VirResult<Domain> {
    const failed = (why: string) => virErr<Domain>(VIR_ERR.INTERNAL_ERROR, FROM, `libxenlight failed to create new domain '${def.name}': ${why}`);
    if (this.nameTaken(def.name)) return failed(`a domain named ${def.name} already exists`);
    const spec = this.specFromDef(def);
    if (!spec.ok) return spec;
    const d = createGuest(this.world, spec.value);
    if (typeof d !== 'string') return ok(d);
    this.reapHalfBuilt(def.name);
    return failed(d);
  }

  /** `xl destroy`'s way: the domain dies, and its xenstore home, backends and store connection go. */
  override destroy(id: number): VirResult<void> {
    const d = this.hv.domain(id);
    if (id === 0 || !d) return super.destroy(id);
    const backends = this.world.guests.find((g) => g.domain === d)?.backends ?? [];
    return destroyGuest(this.hv, this.world.dom0, d, backends) < 0 ? virErr(VIR_ERR.OPERATION_FAILED, FROM, this.failure('destroy', id)) : ok(undefined);
  }

  protected override guard(id: number, op: StopOp): string | undefined {
    if (id !== 0) return undefined;
    return op === 'suspend' || op === 'resume' ? 'Domain-0 cannot be paused' : 'Domain-0 cannot be shutdown';
  }

  protected failure(op: StopOp, id: number): string {
    return op === 'destroy' ? `Failed to destroy domain '${id}'` : `Failed to ${op} domain '${id}' with libxenlight`;
  }

  schedType(): string {
    return this.hv.scheduler.name;
  }

  getSched(id: number | undefined): VirResult<SchedParam[]> {
    const d = this.live(id);
    if (!d.ok) return d;
    if (this.hv.scheduler.name !== 'credit') return ok([]);
    return ok([{ field: 'weight', type: 'uint', value: d.value.weight }, { field: 'cap', type: 'uint', value: d.value.cap }]);
  }

  setSched(id: number | undefined, def: DomainDef, params: Record<string, number>): VirResult<DomainDef> {
    const d = this.live(id);
    if (!d.ok) return d;
    const unknown = this.unknownParam(params, this.hv.scheduler.name === 'credit' ? CREDIT_PARAMS : []);
    if (unknown) return unknown;
    const rc = this.hv.scheduler.adjust(d.value, { weight: params.weight, cap: params.cap });
    if (rc < 0) return virErr(VIR_ERR.INTERNAL_ERROR, FROM, `Failed to set scheduler parameters for domain '${id}' with libxenlight (weight is 1..65535, cap 0..${100 * this.hv.pcpus})`);
    return ok(def);
  }

  machine(def: DomainDef): string {
    return def.osType === 'xen' ? 'xenpv' : 'xenfv';
  }

  /** The scenario domain entry `xl create` would build from this definition. */
  private specFromDef(def: DomainDef): VirResult<DomainSpec> {
    const disks: DiskSpec[] = [];
    for (const d of def.disks) {
      if (!XEN_VDEV.test(d.target)) return virErr(VIR_ERR.CONFIG_UNSUPPORTED, FROM, `disk target '${d.target}' is not a Xen virtual device (xvd*, hd* or sd*)`);
      if (d.source !== undefined && d.type === 'block' && !this.world.storage.resolve(d.source)) return virErr(VIR_ERR.OPERATION_FAILED, FROM, `disk source ${d.source} does not exist on this host`);
      disks.push({ vdev: d.target, target: d.source ?? '', access: d.readonly ? 'ro' : 'rw', format: 'raw', ...(d.device === 'cdrom' ? { devtype: 'cdrom' as const } : {}) });
    }
    const workload = workloadFor(def, disks);
    if (!workload.ok) return workload;
    const hvm = def.osType === 'hvm';
    return ok({
      name: def.name, type: hvm ? 'hvm' : 'pv', vcpus: def.maxVcpus, maxvcpus: def.maxVcpus,
      memory: mib(def.currentMemoryKiB), maxmem: mib(def.memoryKiB), cpus: undefined, cpu_weight: 256, cap: 0,
      disk: disks, vif: def.interfaces.map((i) => vifOf(i, hvm)),
      workload: workload.value,
    });
  }
}

/** One `<interface>` as an xl vif. On an HVM guest, libxl's driver reads `<model type='netfront'/>`
 *  as a PV-only interface (xl's type=vif: no emulated NIC); any other model is the emulated one. */
function vifOf(i: DomainDef['interfaces'][number], hvm: boolean): VifSpec {
  const v: VifSpec = { bridge: i.source, ...(i.mac ? { mac: i.mac } : {}) };
  if (hvm && i.model === 'netfront') v.type = 'vif';
  else if (hvm && i.model) v.model = i.model;
  return v;
}
