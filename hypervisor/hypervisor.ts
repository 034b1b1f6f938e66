// The type-1 hypervisor: the domain table, domain lifecycle (REFERENCE §8.2), vCPUs and
// their scheduling core, and the hypercall entry point. Dom0 exists from boot with id 0 and
// is privileged. Everything a guest can do reaches the hypervisor through `VcpuEnv`.
import type { Engine } from '../hw/engine';
import { MachineMemory } from '../hw/memory';
import type { PlatformProfile } from '../hw/platforms/profile';
import { Domain, type DomainConfig } from './domain';
import { ESRCH, EINVAL } from './public/errno';
import type { GuestKernel, VcpuEnv } from './public/guest';
import type { ShutdownReason } from './public/xen';
import { SchedulingCore } from './sched/core';
import type { Scheduler } from './sched/scheduler';
import { Trace } from './trace';
import { Vcpu } from './vcpu';
import { HypercallTable } from './hypercall';

export interface HostConfig {
  pcpus: number;
  memoryMiB: number;
}

export interface HypervisorCounters {
  hypercalls: Map<string, number>;
  domainsCreated: number;
  domainsDestroyed: number;
}

export class Hypervisor {
  readonly trace = new Trace();
  readonly core: SchedulingCore;
  readonly memory: MachineMemory;
  readonly hypercalls: HypercallTable;
  private readonly domains = new Map<number, Domain>();
  private nextDomid = 1;
  private reservedFrames = 0;
  readonly counters: HypervisorCounters = { hypercalls: new Map(), domainsCreated: 0, domainsDestroyed: 0 };

  constructor(
    readonly engine: Engine,
    readonly profile: PlatformProfile,
    readonly host: HostConfig,
    readonly scheduler: Scheduler,
  ) {
    this.memory = new MachineMemory((host.memoryMiB * 1024 * 1024) / 4096);
    this.core = new SchedulingCore(engine, scheduler, profile, this.trace, host.pcpus, {
      eventsPending: (v) => v.upcallPending,
      enterUpcall: (v) => this.enterUpcall(v),
      shutdown: (v, op) => this.shutdown(v.domain.id, op.reason),
      timerExpired: (v) => this.deliverUpcall(v),
      schedOp: (v) => this.hypercalls.count(v, 'sched_op'),
    });
    this.hypercalls = new HypercallTable(this);
  }

  get pcpus(): number {
    return this.host.pcpus;
  }

  domain(id: number): Domain | undefined {
    return this.domains.get(id);
  }

  domainByName(name: string): Domain | undefined {
    for (const d of this.domains.values()) if (d.name === name) return d;
    return undefined;
  }

  /** Live domains in id order (dead ones are gone from the table). */
  list(): Domain[] {
    return [...this.domains.values()].sort((a, b) => a.id - b.id);
  }

  /** XEN_DOMCTL_createdomain and the domain build: the domain starts paused.
   *  Returns the domain, or a reason when the host cannot hold it. */
  createDomain(cfg: DomainConfig, kernel: GuestKernel, opts: { privileged?: boolean; id?: number } = {}): Domain | string {
    const frames = cfg.memoryMiB * 256;
    if (this.reservedFrames + frames > this.memory.totalFrames) return `not enough memory for ${cfg.name}: ${cfg.memoryMiB} MiB asked, ${Math.floor((this.memory.totalFrames - this.reservedFrames) / 256)} MiB free`;
    const id = opts.id ?? this.nextDomid++;
    if (this.domains.has(id)) return `domain id ${id} is in use`;
    const d = new Domain(id, cfg, opts.privileged ?? false);
    d.memFrames = frames;
    this.reservedFrames += frames;
    this.domains.set(id, d);
    this.scheduler.insertDomain(d);
    const affinity = cfg.affinity ?? range(this.pcpus);
    for (let i = 0; i < cfg.vcpus; i++) {
      const v = new Vcpu(d, i, affinity[0]!, affinity);
      d.vcpus.push(v);
      this.scheduler.insertVcpu(v);
      v.program = kernel(this.envFor(v));
    }
    this.counters.domainsCreated++;
    this.note(d, 'created (paused)');
    return d;
  }

  /** XEN_DOMCTL_pausedomain: the controller pause count goes up; vCPUs come off the CPUs. */
  pause(id: number): number {
    const d = this.domains.get(id);
    if (!d) return -ESRCH;
    d.pauseCount++;
    for (const v of d.vcpus) this.core.sleep(v);
    this.note(d, 'paused');
    return 0;
  }

  /** XEN_DOMCTL_unpausedomain. Unpausing a domain that is not paused is -EINVAL. */
  unpause(id: number): number {
    const d = this.domains.get(id);
    if (!d) return -ESRCH;
    if (d.pauseCount === 0) return -EINVAL;
    d.pauseCount--;
    if (d.pauseCount === 0) for (const v of d.vcpus) this.core.wake(v);
    this.note(d, 'unpaused');
    return 0;
  }

  /** SCHEDOP_shutdown or a remote shutdown: records the reason and stops every vCPU. */
  shutdown(id: number, reason: ShutdownReason): number {
    const d = this.domains.get(id);
    if (!d) return -ESRCH;
    if (d.shutdownReason !== undefined) return 0;
    d.shutdownReason = reason;
    for (const v of d.vcpus) this.core.sleep(v);
    this.note(d, `shutdown (${reason})`);
    return 0;
  }

  /** A guest misbehaved badly enough to be killed: shutdown with reason crash. */
  crash(id: number, why: string): number {
    const d = this.domains.get(id);
    if (d) this.note(d, `crashed: ${why}`);
    return this.shutdown(id, 'crash');
  }

  /** XEN_DOMCTL_destroydomain: alive → dying → dead; the domain leaves the table. */
  destroy(id: number): number {
    const d = this.domains.get(id);
    if (!d || d.life !== 'alive') return -ESRCH;
    d.life = 'dying';
    for (const v of d.vcpus) this.core.sleep(v);
    this.note(d, 'dying');
    // A running vCPU leaves its pCPU at the next schedule; finish teardown after that.
    this.engine.after(0, { fire: () => this.finishDestroy(d) });
    return 0;
  }

  private finishDestroy(d: Domain): void {
    if (d.vcpus.some((v) => v.runstate === 'running')) {
      this.engine.after(1000, { fire: () => this.finishDestroy(d) });
      return;
    }
    for (const v of d.vcpus) {
      if (v.runstate !== 'offline') v.setRunstate('offline', this.engine.now);
      this.scheduler.removeVcpu(v);
    }
    this.scheduler.removeDomain(d);
    for (const mfn of d.p2m) if (mfn !== undefined) this.memory.free(mfn);
    this.reservedFrames -= d.memFrames;
    d.life = 'dead';
    this.domains.delete(d.id);
    this.counters.domainsDestroyed++;
    this.note(d, 'destroyed');
  }

  /** Marks an upcall pending on a vCPU and kicks it if it is blocked. */
  deliverUpcall(v: Vcpu): void {
    v.upcallPending = true;
    this.core.kick(v);
  }

  private enterUpcall(v: Vcpu): void {
    v.upcallPending = false;
    v.hvOwedNs += this.profile.hypervisor.upcallNs;
  }

  private envFor(v: Vcpu): VcpuEnv {
    const hv = this;
    return {
      domid: v.domain.id,
      vcpu: v.id,
      now: () => hv.engine.now,
      hypercall: (nr, ...args) => hv.hypercalls.call(v, nr, args),
      upcallPending: () => v.upcallPending,
    };
  }

  private note(d: Domain, what: string): void {
    if (this.trace.on) this.trace.emit({ type: 'domain', t: this.engine.now, dom: d.id, name: d.name, what });
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
