// The type-1 hypervisor: the domain table, domain lifecycle (REFERENCE §8.2), vCPUs and
// their scheduling core, and the hypercall entry point. Dom0 exists from boot with id 0 and
// is privileged. Everything a guest can do reaches the hypervisor through `VcpuEnv` (views.ts).
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
import { EventChannels } from './evtchn';
import { GrantTables, GFN_NOT_RAM } from './grant';
import { GrantDomainView, GuestVcpuEnv } from './views';
import { evtchnOp } from './hypercalls/evtchn-op';
import { grantOp } from './hypercalls/grant-op';
import { isUpcallPending, isUpcallMasked, setUpcallPending, testAndSetUpcallPending, EVTCHN_2L_NR_CHANNELS } from './public/event_channel';
import { HYPERCALL, VIRQ } from './public/xen';
import { HvmState, hvmIo, injectIrq, ioreqCompleted, type Accel } from './hvm';
import { EXIT_REASON } from './public/hvm/ioreq';
import { dmOp } from './hypercalls/dm-op';
import { mmuOp } from './mmu';
import { PvPaging } from './pvmm';
import { iretOp, mmuextOp, mmuUpdateOp, vmAssistOp } from './hypercalls/mmu-op';
import { multicallOp } from './hypercalls/multicall';

/** Grant-table frames a domain starts with (2048 entries); setup_table grows it. */
export const INITIAL_GRANT_FRAMES = 4;

export interface HostConfig {
  pcpus: number;
  memoryMiB: number;
}

export interface HypervisorCounters {
  /** EVTCHNOP_send calls made by each domain. */
  evtchnSends: Map<number, number>;
  domainsCreated: number;
  domainsDestroyed: number;
}

export class Hypervisor {
  readonly trace = new Trace();
  readonly core: SchedulingCore;
  readonly memory: MachineMemory;
  readonly hypercalls: HypercallTable;
  private readonly domains = new Map<number, Domain>();
  /** The same domains indexed by id, for the lookups on every event-channel send, kick and
   *  grant operation: an array slot rather than a probe of a hash table of every domain. */
  private readonly byId: (Domain | undefined)[] = [];
  /** The grant tables' view of each domain, by id (see GrantDomainView). */
  private readonly grantViewById: (GrantDomainView | undefined)[] = [];
  private nextDomid = 1;
  private reservedFrames = 0;
  readonly counters: HypervisorCounters = { evtchnSends: new Map(), domainsCreated: 0, domainsDestroyed: 0 };

  constructor(
    readonly engine: Engine,
    readonly profile: PlatformProfile,
    readonly host: HostConfig,
    readonly scheduler: Scheduler,
  ) {
    this.memory = new MachineMemory((host.memoryMiB * 1024 * 1024) / 4096);
    this.core = new SchedulingCore(engine, scheduler, profile, this.trace, host.pcpus, {
      eventsPending: (v) => v.irqPending !== 0 || (isUpcallPending(v.domain.sharedInfo, v.id) && !isUpcallMasked(v.domain.sharedInfo, v.id)),
      enterUpcall: (v) => this.enterUpcall(v),
      shutdown: (v, op) => this.shutdown(v.domain.id, op.reason),
      crash: (v, why) => this.crash(v.domain.id, `${v.name}: ${why}`),
      timerExpired: (v) => this.timerExpired(v),
      schedOp: (v) => this.hypercalls.countCall(v, HYPERCALL.sched_op),
      io: (v, op) => hvmIo(this, v, op),
      mmu: (v, op) => mmuOp(this, v, op),
      halt: (v) => {
        const h = v.domain.hvm;
        if (h?.accel === 'vtx') {
          h.exit(EXIT_REASON.HLT);
          v.hvOwedNs += this.profile.virt.vmexitRoundTripNs;
        }
      },
    });
    this.hypercalls = new HypercallTable(this);
    this.evtchn = new EventChannels({
      domain: (id) => {
        const d = this.domain(id);
        return d && d.life === 'alive' ? { id, privileged: d.privileged, nrVcpus: d.vcpus.length, sharedInfo: d.sharedInfo, maxPorts: EVTCHN_2L_NR_CHANNELS } : undefined;
      },
      kick: (dom, vcpu) => {
        const v = this.domain(dom)?.vcpus[vcpu];
        if (v) this.core.kick(v);
      },
    });
    this.grants = new GrantTables({
      memory: this.memory,
      domain: (id) => {
        const d = this.domain(id);
        if (!d) return undefined;
        let view = this.grantViewById[id]; // one per domain: grant calls ask several times each
        if (view?.d !== d) this.grantViewById[id] = view = new GrantDomainView(this, d);
        return view;
      },
    });
    this.hypercalls.register('event_channel_op', evtchnOp(this));
    this.hypercalls.register('grant_table_op', grantOp(this));
    this.hypercalls.register('dm_op', dmOp(this), { xsm: 'dm_priv' });
    this.hypercalls.register('mmu_update', mmuUpdateOp(this), { pvOnly: true });
    this.hypercalls.register('mmuext_op', mmuextOp(this), { pvOnly: true });
    this.hypercalls.register('vm_assist', vmAssistOp(), { pvOnly: true });
    this.hypercalls.register('iret', iretOp(), { pvOnly: true });
    this.hypercalls.register('multicall', multicallOp(this));
  }

  readonly evtchn: EventChannels;
  readonly grants: GrantTables;

  /** The machine frame behind a domain's gfn, populated on first touch. */
  gfnToMfn(d: Domain, gfn: number): number {
    if (!Number.isInteger(gfn) || gfn < 0 || gfn >= d.memFrames || d.life === 'dead') return GFN_NOT_RAM;
    let mfn = d.p2m[gfn];
    if (mfn === undefined) {
      const got = this.memory.allocate(d.id, 1);
      if (got === null) return GFN_NOT_RAM;
      mfn = got[0]!;
      d.p2m[gfn] = mfn;
    }
    return mfn;
  }

  get pcpus(): number {
    return this.host.pcpus;
  }

  domain(id: number): Domain | undefined {
    return Number.isInteger(id) && id >= 0 ? this.byId[id] : undefined;
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
  createDomain(cfg: DomainConfig, kernel: GuestKernel, opts: { privileged?: boolean; id?: number; accel?: Accel; hap?: boolean } = {}): Domain | string {
    const frames = cfg.memoryMiB * 256;
    if (this.reservedFrames + frames > this.memory.totalFrames) return `not enough memory for ${cfg.name}: ${cfg.memoryMiB} MiB asked, ${Math.floor((this.memory.totalFrames - this.reservedFrames) / 256)} MiB free`;
    const id = opts.id ?? this.nextDomid++;
    if (this.domains.has(id)) return `domain id ${id} is in use`;
    const d = new Domain(id, cfg, opts.privileged ?? false);
    // hap (xl.cfg): nested paging when the CPU has it, unless the domain asks for shadow paging.
    if (cfg.type === 'host') d.hvm = undefined; // a KVM host's own threads: neither HVM nor PV
    else if (cfg.type !== 'pv') d.hvm = new HvmState(opts.accel ?? (cfg.type === 'pvh' ? 'vtx' : 'vtx'), this.profile.nestedPaging && (opts.hap ?? true));
    else d.pv = new PvPaging(this.profile.mmu.nativeWalkRefs, this.memory, id);
    const si = this.memory.allocate(id, 1);
    if (si === null) return `not enough memory for ${cfg.name}'s shared_info`;
    d.memFrames = frames;
    d.sharedInfoMfn = si[0]!;
    d.sharedInfo = this.memory.page(d.sharedInfoMfn);
    this.reservedFrames += frames;
    this.domains.set(id, d);
    this.byId[id] = d;
    this.scheduler.insertDomain(d);
    const affinity = cfg.affinity ?? range(this.pcpus);
    for (let i = 0; i < cfg.vcpus; i++) {
      const v = new Vcpu(d, i, affinity[0]!, affinity);
      d.vcpus.push(v);
      this.scheduler.insertVcpu(v);
      v.program = kernel(this.envFor(v));
    }
    this.evtchn.initDomain(id);
    this.grants.initDomain(id, INITIAL_GRANT_FRAMES);
    this.counters.domainsCreated++;
    this.note(d, 'created (paused)');
    return d;
  }

  /** One more vCPU for `d`, running `kernel` (a hot-plugged vCPU coming up; on a KVM host, a new
   *  host thread). It is runnable at once if the domain is not paused. */
  addVcpu(d: Domain, kernel: GuestKernel): Vcpu {
    const affinity = d.config.affinity ?? range(this.pcpus);
    const v = new Vcpu(d, d.vcpus.length, affinity[0]!, affinity);
    d.vcpus.push(v);
    this.scheduler.insertVcpu(v);
    v.program = kernel(this.envFor(v));
    this.core.wake(v);
    return v;
  }

  /** XEN_DOMCTL_pausedomain: the controller pause count goes up; vCPUs come off the CPUs. */
  pause(id: number): number {
    const d = this.domain(id);
    if (!d) return -ESRCH;
    d.pauseCount++;
    for (const v of d.vcpus) this.core.sleep(v);
    this.note(d, 'paused');
    return 0;
  }

  /** XEN_DOMCTL_unpausedomain. Unpausing a domain that is not paused is -EINVAL. */
  unpause(id: number): number {
    const d = this.domain(id);
    if (!d) return -ESRCH;
    if (d.pauseCount === 0) return -EINVAL;
    d.pauseCount--;
    if (d.pauseCount === 0) for (const v of d.vcpus) this.core.wake(v);
    this.note(d, 'unpaused');
    return 0;
  }

  /** SCHEDOP_shutdown or a remote shutdown: records the reason and stops every vCPU. */
  shutdown(id: number, reason: ShutdownReason): number {
    const d = this.domain(id);
    if (!d) return -ESRCH;
    if (d.shutdownReason !== undefined) return 0;
    d.shutdownReason = reason;
    for (const v of d.vcpus) this.core.sleep(v);
    this.note(d, `shutdown (${reason})`);
    return 0;
  }

  /** A guest misbehaved badly enough to be killed: shutdown with reason crash. */
  crash(id: number, why: string): number {
    const d = this.domain(id);
    if (d) this.note(d, `crashed: ${why}`);
    return this.shutdown(id, 'crash');
  }

  /** XEN_DOMCTL_destroydomain: alive → dying → dead; the domain leaves the table. */
  destroy(id: number): number {
    const d = this.domain(id);
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
      this.core.setRunstate(v, 'offline');
      this.scheduler.removeVcpu(v);
    }
    this.scheduler.removeDomain(d);
    this.evtchn.destroyDomain(d.id);
    this.grants.destroyDomain(d.id);
    // A frame another domain still maps stays allocated until its last unmap (grant.ts frees it).
    for (const mfn of d.p2m) if (mfn !== undefined && !this.grants.isFrameMapped(mfn)) this.memory.free(mfn);
    this.memory.free(d.sharedInfoMfn);
    this.reservedFrames -= d.memFrames;
    d.life = 'dead';
    this.domains.delete(d.id);
    this.byId[d.id] = undefined;
    this.grantViewById[d.id] = undefined;
    this.counters.domainsDestroyed++;
    this.note(d, 'destroyed');
  }

  /** Sets up the ioreq server of an HVM domain: its shared page, and one Xen-consumer port per
   *  vCPU reserved for the device-model domain `dm` (which binds it). Returns the ports. */
  createIoreqServer(d: Domain, dm: number): number[] {
    const h = d.hvm;
    if (!h) return [];
    const frame = this.memory.allocate(d.id, 1);
    if (frame === null) return [];
    h.ioreqPage = this.memory.page(frame[0]!);
    h.ioreqPorts = d.vcpus.map((v) => {
      const port = this.evtchn.allocUnbound(0, d.id, dm);
      this.evtchn.setXenConsumer(d.id, port, () => ioreqCompleted(this, v));
      return port;
    });
    return h.ioreqPorts;
  }

  /** Raises an interrupt line of an HVM (or native) domain. */
  injectIrq(d: Domain, irq: number): void {
    injectIrq(this, d, irq);
  }

  /** The vCPU's one-shot timer: VIRQ_TIMER through its port if bound, else a bare upcall. */
  private timerExpired(v: Vcpu): void {
    if (this.evtchn.raiseVirq(v.domain.id, VIRQ.TIMER, v.id)) return;
    if (!testAndSetUpcallPending(v.domain.sharedInfo, v.id)) this.core.kick(v);
  }

  /** The guest enters its event upcall: the handler clears evtchn_upcall_pending first. */
  enterUpcall(v: Vcpu): void {
    setUpcallPending(v.domain.sharedInfo, v.id, false);
    // A PV guest is bounced into its event callback; an HVM guest gets the interrupt injected
    // at the VM entry its HLT exit already paid for; a native CPU just takes the interrupt.
    // A KVM host's own threads wake from an eventfd, with no upcall at all.
    if (!v.domain.hvm && v.domain.config.type !== 'host') v.hvOwedNs += this.profile.hypervisor.upcallNs;
  }

  private envFor(v: Vcpu): VcpuEnv {
    return new GuestVcpuEnv(this, v);
  }

  private note(d: Domain, what: string): void {
    if (this.trace.on) this.trace.emit({ type: 'domain', t: this.engine.now, dom: d.id, name: d.name, what });
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
