// What the drivers of a simulated host share (xen:///system and qemu:///system): both drive a
// lab World's hypervisor object — its domain table, its pause/unpause, shutdown and destroy,
// and its scheduling core for vCPU online counts and pinning. A subclass says how an instance
// is built from a definition, how the hypervisor's failures read, and what its scheduler's
// parameters are.
import type { Domain } from '../../../hypervisor/domain';
import type { Vcpu } from '../../../hypervisor/vcpu';
import type { World } from '../../run/world';
import type { DomainDef, VirtType } from '../def';
import type { Driver, Instance, NodeInfo, SchedParam, VcpuInfo } from '../driver';
import { ok, virErr, VIR_ERR, VIR_FROM, type VirErrorDomain, type VirResult } from '../errors';
import { VIR_VCPU } from '../state';
import { setVcpuAffinity, setVcpuOnline } from '../../../hypervisor/sched/hotplug';
import type { Workload } from '../../scenario/types';

export type StopOp = 'suspend' | 'resume' | 'shutdown' | 'reboot' | 'destroy';

export abstract class SimHostDriver implements Driver {
  abstract readonly uri: string;
  abstract readonly type: string;
  abstract readonly from: VirErrorDomain;
  abstract readonly virtTypes: readonly VirtType[];

  constructor(readonly world: World) {}

  protected get hv() {
    return this.world.hv;
  }

  abstract adopt(id: number): DomainDef | undefined;
  /** Builds and unpauses the instance (the toolstack's create path); a domain or why not. */
  protected abstract build(def: DomainDef): VirResult<Domain>;
  /** The error when the hypervisor refuses `op` on instance `id`. */
  protected abstract failure(op: StopOp, id: number): string;
  /** An instance that may not be stopped (Domain-0), with the reason. */
  protected guard(_id: number, _op: StopOp): string | undefined {
    return undefined;
  }
  abstract schedType(): string;
  abstract getSched(id: number | undefined, def: DomainDef): VirResult<SchedParam[]>;
  abstract setSched(id: number | undefined, def: DomainDef, params: Record<string, number>): VirResult<DomainDef>;
  abstract machine(def: DomainDef): string;

  nodeInfo(): NodeInfo {
    const cpus = this.hv.pcpus;
    return { model: 'x86_64', memoryKiB: this.hv.host.memoryMiB * 1024, cpus, mhz: Math.round(this.world.profile.cpuGHz * 1000), nodes: 1, sockets: 1, cores: cpus, threads: 1 };
  }

  instances(): Instance[] {
    return this.hv.list().filter((d) => d.life === 'alive').map((d) => ({ id: d.id, name: d.name, status: statusOf(d) }));
  }

  start(def: DomainDef): VirResult<number> {
    const d = this.build(def);
    if (!d.ok) return d;
    for (const v of d.value.vcpus) if (v.id >= def.vcpus) setVcpuOnline(this.hv.core, v, false);
    return ok(d.value.id);
  }

  pause(id: number): VirResult<void> {
    return this.op(id, 'suspend', () => this.hv.pause(id));
  }

  unpause(id: number): VirResult<void> {
    return this.op(id, 'resume', () => this.hv.unpause(id));
  }

  shutdown(id: number, reason: 'poweroff' | 'reboot'): VirResult<void> {
    return this.op(id, reason === 'reboot' ? 'reboot' : 'shutdown', () => this.hv.shutdown(id, reason));
  }

  destroy(id: number): VirResult<void> {
    return this.op(id, 'destroy', () => this.hv.destroy(id));
  }

  cpuTimeNs(id: number): number {
    const d = this.hv.domain(id);
    if (!d) return 0;
    this.hv.core.settleAll();
    return d.cpu.user + d.cpu.kernel + d.cpu.hypervisor;
  }

  vcpus(id: number): VcpuInfo[] {
    const d = this.hv.domain(id);
    if (!d) return [];
    this.hv.core.settleAll();
    return d.vcpus.map((v) => vcpuInfo(v, this.hv.pcpus));
  }

  setVcpus(id: number, n: number): VirResult<void> {
    const d = this.hv.domain(id);
    if (!d) return virErr(VIR_ERR.OPERATION_INVALID, this.from, 'domain is not running');
    if (n > d.vcpus.length) return virErr(VIR_ERR.INVALID_ARG, this.from, `requested vcpus is greater than max allowable vcpus for the domain: ${n} > ${d.vcpus.length}`);
    for (const v of d.vcpus) setVcpuOnline(this.hv.core, v, v.id < n);
    return ok(undefined);
  }

  pinVcpu(id: number, vcpu: number, cpus: number[]): VirResult<void> {
    const v = this.hv.domain(id)?.vcpus[vcpu];
    if (!v) return virErr(VIR_ERR.INVALID_ARG, this.from, `vcpu ${vcpu} is out of range`);
    setVcpuAffinity(this.hv.core, v, cpus);
    return ok(undefined);
  }

  later(fn: () => void): void {
    this.world.engine.after(0, { fire: fn });
  }

  /** The running domain `id`, or "domain is not running". */
  protected live(id: number | undefined): VirResult<Domain> {
    const d = id === undefined ? undefined : this.hv.domain(id);
    return d ? ok(d) : virErr(VIR_ERR.OPERATION_INVALID, this.from, 'domain is not running');
  }

  /** Parameters other than `known` are refused, as virTypedParamsValidate refuses them. */
  protected unknownParam(params: Record<string, number>, known: readonly string[]): VirResult<never> | undefined {
    const unknown = Object.keys(params).find((k) => !known.includes(k));
    return unknown === undefined ? undefined : virErr(VIR_ERR.INVALID_ARG, this.from, `parameter '${unknown}' not supported`);
  }

  /** A build that failed after the domain existed (a disk that would not attach): destroy it. */
  protected reapHalfBuilt(name: string): void {
    const d = this.hv.list().find((x) => x.name === name && x.life === 'alive' && !this.world.guests.some((g) => g.domain === x));
    if (d) this.hv.destroy(d.id);
  }

  protected nameTaken(name: string): boolean {
    return this.hv.list().some((d) => d.name === name && d.life === 'alive');
  }

  private op(id: number, op: StopOp, call: () => number): VirResult<void> {
    const refused = this.guard(id, op);
    if (refused !== undefined) return virErr(VIR_ERR.OPERATION_INVALID, this.from, refused);
    return call() < 0 ? virErr(VIR_ERR.OPERATION_FAILED, this.from, this.failure(op, id)) : ok(undefined);
  }
}

function statusOf(d: Domain): Instance['status'] {
  const r = d.shutdownReason;
  if (r !== undefined) return { kind: 'shutdown', reason: r === 'poweroff' || r === 'reboot' || r === 'crash' ? r : 'other' };
  return d.pauseCount > 0 ? { kind: 'paused' } : { kind: 'running' };
}

function vcpuInfo(v: Vcpu, pcpus: number): VcpuInfo {
  const offline = v.unplugged || v.down || v.runstate === 'offline';
  const state = offline ? VIR_VCPU.OFFLINE : v.runstate === 'blocked' ? VIR_VCPU.BLOCKED : VIR_VCPU.RUNNING;
  return {
    number: v.id, state, cpuTimeNs: v.ran.user + v.ran.kernel + v.ran.hypervisor, cpu: v.unplugged ? -1 : v.processor,
    affinity: Array.from({ length: pcpus }, (_, p) => v.canRunOn(p)),
  };
}

/** The guest's workload; fio runs on its named disk, or the first. */
export function workloadFor(def: DomainDef, disks: readonly { vdev: string }[]): VirResult<Workload> {
  const w = def.workload?.spec ?? { kind: 'idle' as const };
  if (w.kind !== 'fio') return ok(w);
  const vdev = w.vdev ?? disks[0]?.vdev;
  if (vdev === undefined || !disks.some((d) => d.vdev === vdev)) return virErr(VIR_ERR.CONFIG_UNSUPPORTED, VIR_FROM.DOMAIN, `the fio workload needs a disk${w.vdev ? ` named ${w.vdev}` : ''}`);
  return ok({ ...w, vdev });
}
