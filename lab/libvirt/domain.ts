// A domain handle (virDomainPtr): the per-domain calls of the API. A handle names a domain by
// name and uuid; each call finds it again (after syncing with the host), checks that the call
// makes sense in the domain's state with libvirt's errors ("Requested operation is not valid:
// domain is not running"), then asks the driver. Handles stay valid across start and stop, as
// libvirt's do, and fail with VIR_ERR_NO_DOMAIN once the domain is gone.
import type { Connection } from './connection';
import type { OsType } from './def';
import { INACTIVE_ID, isActive, type DomainObj } from './domain-obj';
import type { SchedParam, VcpuInfo } from './driver';
import { notRunning, ok, virErr, VIR_ERR, type VirResult } from './errors';
import { REASON, VIR_DOMAIN, type VirDomainState } from './state';
import { formatDomainXML } from './xml-format';

/** virDomainInfo: memory in KiB, CPU time in ns. */
export interface DomainInfo {
  state: VirDomainState;
  maxMem: number;
  memory: number;
  nrVirtCpu: number;
  cpuTime: number;
}

export class VirDomain {
  constructor(
    readonly conn: Connection,
    readonly name: string,
    readonly uuid: string,
  ) {}

  /** virDomainGetID: the running instance's id, or -1 (virsh shows "-"). */
  getID(): number {
    const o = this.find();
    return o.ok ? o.value.id : INACTIVE_ID;
  }

  getOSType(): VirResult<OsType> {
    return this.with((o) => ok(o.def.osType));
  }

  isActive(): VirResult<boolean> {
    return this.with((o) => ok(isActive(o)));
  }

  isPersistent(): VirResult<boolean> {
    return this.with((o) => ok(o.persistent));
  }

  /** virDomainGetState: the state and its reason. */
  getState(): VirResult<{ state: VirDomainState; reason: number }> {
    return this.with((o) => ok({ state: o.state, reason: o.reason }));
  }

  getInfo(): VirResult<DomainInfo> {
    return this.with((o) => ok({
      state: o.state,
      maxMem: o.def.memoryKiB,
      memory: o.def.currentMemoryKiB,
      nrVirtCpu: o.vcpus,
      cpuTime: isActive(o) ? this.conn.driver.cpuTimeNs(o.id) : 0,
    }));
  }

  /** virDomainCreate: starts a defined domain. */
  create(): VirResult<void> {
    return this.with((o) => (isActive(o) ? virErr(VIR_ERR.OPERATION_INVALID, this.from, 'domain is already running') : this.conn.start(o)));
  }

  /** virDomainShutdown: asks the guest to power off; on_poweroff follows. */
  shutdown(): VirResult<void> {
    return this.running((o) => this.then(this.conn.driver.shutdown(o.id, 'poweroff')));
  }

  /** virDomainReboot: asks the guest to reboot; on_reboot follows. */
  reboot(): VirResult<void> {
    return this.running((o) => this.then(this.conn.driver.shutdown(o.id, 'reboot')));
  }

  /** virDomainDestroy: the instance is gone at once. */
  destroy(): VirResult<void> {
    return this.running((o) => {
      const r = this.conn.driver.destroy(o.id);
      if (r.ok) this.conn.stopped(o, REASON.SHUTOFF_DESTROYED);
      return r;
    });
  }

  /** virDomainSuspend: pauses every vCPU; the domain keeps its memory. */
  suspend(): VirResult<void> {
    return this.running((o) => (o.state === VIR_DOMAIN.PAUSED ? ok(undefined) : this.then(this.conn.driver.pause(o.id))));
  }

  /** virDomainResume. Resuming a domain that is not paused does nothing, as in libvirt. */
  resume(): VirResult<void> {
    return this.running((o) => (o.state !== VIR_DOMAIN.PAUSED ? ok(undefined) : this.then(this.conn.driver.unpause(o.id))));
  }

  /** virDomainUndefine: an inactive domain is forgotten; a running one becomes transient. */
  undefine(): VirResult<void> {
    return this.with((o) => {
      if (!o.persistent) return virErr(VIR_ERR.OPERATION_INVALID, this.from, 'cannot undefine transient domain');
      if (isActive(o)) o.persistent = false;
      else this.conn.objs.remove(o);
      delete o.newDef;
      return ok(undefined);
    });
  }

  /** virDomainSetVcpus: online vCPUs of the running instance, or the definition's count. */
  setVcpus(n: number): VirResult<void> {
    return this.with((o) => {
      if (!Number.isInteger(n) || n < 1) return virErr(VIR_ERR.INVALID_ARG, this.from, `argument unsupported: vcpu count must be at least 1 (got ${n})`);
      if (n > o.def.maxVcpus) return virErr(VIR_ERR.INVALID_ARG, this.from, `requested vcpus is greater than max allowable vcpus for the domain: ${n} > ${o.def.maxVcpus}`);
      if (!isActive(o)) {
        o.def = { ...o.def, vcpus: n };
        o.vcpus = n;
        return ok(undefined);
      }
      const r = this.conn.driver.setVcpus(o.id, n);
      if (r.ok) o.vcpus = n;
      return r;
    });
  }

  /** virDomainPinVcpu: the host CPUs one vCPU may run on. */
  pinVcpu(vcpu: number, cpus: readonly number[]): VirResult<void> {
    return this.with((o) => {
      if (!isActive(o)) return virErr(VIR_ERR.OPERATION_INVALID, this.from, 'cannot change affinity of an inactive domain');
      const host = this.conn.driver.nodeInfo().cpus;
      if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= o.vcpus) return virErr(VIR_ERR.INVALID_ARG, this.from, `vcpu ${vcpu} is out of range of live cpu count ${o.vcpus}`);
      const bad = cpus.find((c) => !Number.isInteger(c) || c < 0 || c >= host);
      if (bad !== undefined) return virErr(VIR_ERR.INVALID_ARG, this.from, `CPU ${bad} is out of range of the host's ${host} CPUs`);
      if (cpus.length === 0) return virErr(VIR_ERR.INVALID_ARG, this.from, 'an empty CPU map pins the vCPU nowhere');
      return this.conn.driver.pinVcpu(o.id, vcpu, [...new Set(cpus)].sort((a, b) => a - b));
    });
  }

  /** virDomainGetVcpus. */
  getVcpus(): VirResult<VcpuInfo[]> {
    return this.running((o) => ok(this.conn.driver.vcpus(o.id).slice(0, o.vcpus)));
  }

  getSchedulerType(): VirResult<string> {
    return this.with(() => ok(this.conn.driver.schedType()));
  }

  getSchedulerParameters(): VirResult<SchedParam[]> {
    return this.with((o) => this.conn.driver.getSched(isActive(o) ? o.id : undefined, o.def));
  }

  /** virDomainSetSchedulerParameters: `{weight: 512}`, `{cap: 50}`, `{cpu_shares: 2048}`. */
  setSchedulerParameters(params: Record<string, number>): VirResult<void> {
    return this.with((o) => {
      const r = this.conn.driver.setSched(isActive(o) ? o.id : undefined, o.def, params);
      if (!r.ok) return r;
      o.def = r.value;
      return ok(undefined);
    });
  }

  /** virDomainGetXMLDesc. */
  getXMLDesc(): VirResult<string> {
    return this.with((o) => ok(formatDomainXML(o.def, { id: isActive(o) ? o.id : undefined, machine: this.conn.driver.machine(o.def), vcpus: o.vcpus })));
  }

  private get from() {
    return this.conn.driver.from;
  }

  private find(): VirResult<DomainObj> {
    this.conn.sync();
    const o = this.conn.objs.get(this.name);
    if (o && o.def.uuid === this.uuid) return ok(o);
    return virErr(VIR_ERR.NO_DOMAIN, this.from, `no domain with matching uuid '${this.uuid}' (${this.name})`);
  }

  private with<T>(fn: (o: DomainObj) => VirResult<T>): VirResult<T> {
    const o = this.find();
    return o.ok ? fn(o.value) : o;
  }

  private running<T>(fn: (o: DomainObj) => VirResult<T>): VirResult<T> {
    return this.with((o) => (isActive(o) ? fn(o) : notRunning(this.from)));
  }

  /** After a driver call that changes the instance: the connection's view follows the host. */
  private then(r: VirResult<void>): VirResult<void> {
    if (r.ok) this.conn.sync();
    return r;
  }
}
