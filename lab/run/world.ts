// Builds a simulated host from a Scenario: the engine, the platform profile, the scheduler,
// the hypervisor with dom0 (its kernel, xenstored, the disks and volumes) at boot, and every
// guest domain with its kernel and workload, unpaused the way `xl create` leaves them. The
// lab is the only layer that sees all the others.
import { Engine } from '../../hw/engine';
import { platform, type PlatformProfile } from '../../hw/platforms/index';
import { RandomStreams, streamSeed } from '../../hw/rng';
import type { Domain } from '../../hypervisor/domain';
import { Hypervisor } from '../../hypervisor/hypervisor';
import { CreditScheduler } from '../../hypervisor/sched/credit';
import { RoundRobinScheduler } from '../../hypervisor/sched/rr';
import { CfsScheduler } from '../../hypervisor/sched/cfs';
import type { KvmHost } from '../../hypervisor/kvm/host';
import type { Scheduler } from '../../hypervisor/sched/scheduler';
import { block, pio, type GuestKernel, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import type { Accel } from '../../hypervisor/hvm';
import { NativeKernel } from '../../guests/kernel/native';
import type { KGen } from '../../guests/kernel/types';
import { XenPlatformDevice, XEN_PLATFORM_UNPLUG_PORT, UNPLUG_ALL_IDE_DISKS, UNPLUG_ALL_NICS } from '../../dom0/qemu/platform';
import { emulatedPlatform, type EmulatedPlatform } from './hvm';
import { attachNetwork, unplugNics, type GuestNet, type HostNetwork } from './net';
import { isNetSpec, netWorkload } from './net-workload';
import { cpuBurn, cpuPeriodic, idle } from '../../guests/workloads/cpu';
import { evtchnDemo } from '../../guests/workloads/evtchn-demo';
import { powerOff } from '../../guests/kernel/shutdown';
import { NO_INTERRUPTS, noInterrupts, idleLoop, type InterruptsFor, type Workload } from '../../guests/workloads/workload';
import { FioJob, type IoKernel } from '../../guests/workloads/fio';
import { chain } from '../../guests/kernel/program';
import { benchFor } from './bench';
import { PvKernel } from '../../guests/kernel/pv';
import { hostileWorkload } from '../../guests/hostile/index';
import type { Blkback } from '../../dom0/blkback';
import { vdevToDevid } from '../../dom0/xenstore/paths';
import type { Scenario, Domain as DomainSpec, Workload as WorkloadSpec } from '../scenario/types';
import { createDom0, type Dom0 } from './dom0';
import { buildStorage, type Storage } from './storage';
import { addDisk, introduce } from './toolstack';
import { createKvmGuest, kvmWorld, type QemuProcess } from './kvm';
import { attachKvmNetwork } from './kvm-net';
import { TCG_FALLBACK } from './qemu-notice';

export interface GuestEntry {
  spec: DomainSpec | undefined;
  mode: Mode | 'dom0' | 'host';
  domain: Domain;
  workload: Workload;
  kernel?: PvKernel;
  native?: NativeKernel;
  platform?: EmulatedPlatform;
  fio?: FioJob;
  /** Its network interface, stack and job, when it has one. */
  net?: GuestNet;
  backends: Blkback[];
  /** On a KVM host: its QEMU process's threads and devices (./kvm.ts). */
  qemu?: QemuProcess;
}

export interface World {
  scenario: Scenario;
  engine: Engine;
  profile: PlatformProfile;
  hv: Hypervisor;
  streams: RandomStreams;
  storage: Storage;
  /** Xen's dom0. A KVM host has none: reading it there is a pvlab bug, and throws. */
  dom0: Dom0;
  /** A KVM host (scenario host.hypervisor: kvm): the host kernel as hypervisor (./kvm.ts). */
  kvm?: KvmHost;
  guests: GuestEntry[];
  /** The host's network (bridge, physical NIC, remote peer), once a guest has one. */
  net?: HostNetwork;
  /** Things a real toolstack would have printed (the TCG fallback). */
  notices: string[];
}

export function makeScheduler(s: Scenario['scheduler']): Scheduler {
  switch (s.name) {
    case 'credit':
      return new CreditScheduler({ tsliceNs: s.tslice, ratelimitNs: s.ratelimit });
    case 'rr':
      return new RoundRobinScheduler(s.tslice);
    case 'cfs':
      return new CfsScheduler();
  }
}

export function buildWorld(scenario: Scenario): World {
  const engine = new Engine();
  const profile = platform(scenario.platform) ?? platform('modern')!;
  // A KVM host's scheduler is its Linux kernel's CFS, whatever the scenario's scheduler section says.
  const cfs = scenario.host.hypervisor === 'kvm' ? new CfsScheduler() : undefined;
  const hv = new Hypervisor(engine, profile, { pcpus: scenario.host.pcpus, memoryMiB: scenario.host.memory }, cfs ?? makeScheduler(scenario.scheduler));
  const streams = new RandomStreams(scenario.seed);
  const storage = buildStorage(engine, scenario);
  const base = { scenario, engine, profile, hv, streams, storage, guests: [] as GuestEntry[], notices: [] as string[] };
  const world: World = cfs ? kvmWorld(base, cfs) : { ...base, dom0: createDom0(hv, scenario) };
  if (!cfs) world.guests.push({ spec: undefined, mode: 'dom0', domain: world.dom0.domain, workload: idle(), backends: [] });
  for (const spec of scenario.domains) {
    const r = createGuest(world, spec);
    if (typeof r === 'string') throw new Error(`${spec.name}: ${r}`); // the scenario check rules this out
  }
  return world;
}

/** How a guest runs: the mode the comparison tables name. */
export type Mode = 'native' | 'pv' | 'hvm' | 'bt' | 'tcg' | 'pvhvm' | 'pvh' | 'kvm' | 'kvm-virtio' | 'kvm-vhost';

export interface ModeChoice {
  mode: Mode;
  accel?: Accel;
  /** What QEMU would print when it had to fall back (no hardware virtualization). */
  notice?: string;
}

export { TCG_FALLBACK } from './qemu-notice';

export function modeOf(spec: DomainSpec, profile: PlatformProfile): ModeChoice {
  switch (spec.type) {
    case 'pv':
      return { mode: 'pv' };
    case 'pvh':
      return { mode: 'pvh', accel: 'vtx' };
    case 'native':
      return { mode: 'native', accel: 'bare' };
    case 'hvm': {
      if (spec.xen_platform_pci) return { mode: 'pvhvm', accel: 'vtx' };
      const accel = spec.accel ?? 'vtx';
      if (accel === 'vtx' && !profile.hardwareVirt) return { mode: 'tcg', accel: 'tcg', notice: `${spec.name}: ${TCG_FALLBACK}` };
      return { mode: accel === 'vtx' ? 'hvm' : accel, accel };
    }
  }
}

/** `xl create` of one domain from its scenario entry (on a KVM host, QEMU's start of one
 *  guest); returns an error text on failure. */
export function createGuest(w: World, spec: DomainSpec): Domain | string {
  if (w.kvm) return createQemuGuest(w, spec);
  const choice = modeOf(spec, w.profile);
  if (choice.notice) w.notices.push(choice.notice);
  let kernelFor: GuestKernel = () => idle().kernel({} as VcpuEnv);
  const d = w.hv.createDomain(
    {
      name: spec.name, type: choice.mode === 'pv' ? 'pv' : choice.mode === 'pvh' ? 'pvh' : 'hvm', vcpus: spec.vcpus, memoryMiB: spec.memory,
      maxmemMiB: spec.maxmem, weight: spec.cpu_weight, cap: spec.cap, affinity: spec.cpus,
    },
    (env) => chain(() => kernelFor(env)),
    { accel: choice.accel, hap: spec.hap },
  );
  if (typeof d === 'string') return d;
  const entry: GuestEntry = { spec, mode: choice.mode, domain: d, workload: idle(), backends: [] };
  const pvDrivers = choice.mode === 'pv' || choice.mode === 'pvh' || choice.mode === 'pvhvm';
  if (pvDrivers) {
    const start = introduce(w.hv, w.dom0, d, spec.cmdline);
    for (const disk of spec.disk) {
      const bb = addDisk(w.hv, w.dom0, w.storage, d, disk);
      if (typeof bb === 'string') return bb;
      entry.backends.push(bb);
    }
    // Only a PV kernel runs its user space under Xen's own syscall entry; PVH and PVHVM kernels
    // run in an HVM container, where a system call never leaves the guest.
    entry.kernel = new PvKernel(w.profile.kernel, start, choice.mode === 'pv' && !w.profile.hypervisor.pvSyscallFastTrap);
  }
  if (choice.mode !== 'pv' && choice.mode !== 'pvh') {
    const first = spec.disk[0];
    const target = first ? w.storage.resolve(first.target) : undefined;
    const platform = emulatedPlatform(w, d, choice.accel!, spec.hdtype ?? 'ide', target);
    entry.platform = platform;
    // PVHVM: the emulated disk is there at boot, until the kernel unplugs it for blkfront.
    if (choice.mode === 'pvhvm') {
      platform.io.attach(new XenPlatformDevice((mask) => {
        if (mask & UNPLUG_ALL_IDE_DISKS && platform.disk) platform.io.detach(platform.disk);
        if (mask & UNPLUG_ALL_NICS) unplugNics(entry);
      }));
    }
    else entry.native = new NativeKernel(w.profile.kernel, spec.hdtype ?? 'ide');
  }
  const netError = attachNetwork(w, entry, spec.vif, isNetSpec(spec.workload));
  if (netError) return netError;
  entry.workload = makeWorkload(w, entry, spec.workload);
  kernelFor = entry.workload.kernel;
  w.hv.unpause(d.id);
  w.guests.push(entry);
  return d;
}

/** A guest on a KVM host: QEMU's process (./kvm.ts), then the same workloads as on Xen. */
function createQemuGuest(w: World, spec: DomainSpec): Domain | string {
  let kernelFor: GuestKernel = () => idle().kernel({} as VcpuEnv);
  const entry = createKvmGuest(w, spec, (env) => chain(() => kernelFor(env)));
  if (typeof entry === 'string') return entry;
  const netError = attachKvmNetwork(w, entry, spec.vif, isNetSpec(spec.workload));
  if (netError) return netError;
  entry.workload = makeWorkload(w, entry, spec.workload);
  kernelFor = entry.workload.kernel;
  w.hv.unpause(entry.domain.id);
  w.guests.push(entry);
  return entry.domain;
}

/** The kernel's boot, whichever kernel the mode runs. */
function* bootKernel(g: GuestEntry, env: VcpuEnv): KGen {
  if (g.native) return yield* g.native.boot(env);
  if (g.mode === 'pvhvm') yield pio('out', XEN_PLATFORM_UNPLUG_PORT, 2, UNPLUG_ALL_IDE_DISKS | UNPLUG_ALL_NICS);
  yield* g.kernel!.boot(env);
}

function makeWorkload(w: World, g: GuestEntry, spec: WorkloadSpec): Workload {
  const rng = w.streams.stream(`workload/${g.domain.name}`);
  const booted = (inner: Workload): Workload => ({
    kind: inner.kind,
    stats: inner.stats,
    kernel: (env: VcpuEnv): GuestProgram => (env.vcpu === 0 ? chain(() => bootKernel(g, env), () => inner.kernel(env)) : chain(() => inner.kernel(env))),
  });
  switch (spec.kind) {
    case 'cpu-burn':
      return booted(cpuBurn(interruptsFor(g)));
    case 'idle':
      return booted(idle(interruptsFor(g)));
    case 'hostile': // boots its PV kernel bare itself; without a PV kernel there is nothing to attack with
      return g.kernel ? hostileWorkload(spec.attack, g.kernel, { variant: spec.variant, durationNs: spec.duration }) : booted(idle());
    case 'cpu-periodic':
      return booted(cpuPeriodic({ burstNs: spec.burst, periodNs: spec.period, jitter: spec.jitter }, rng, interruptsFor(g)));
    case 'evtchn-demo': // the scenario check admits it only where a PV kernel runs
      return booted(g.kernel ? evtchnDemo(g.kernel, spec.gap) : idle());
    case 'ttcp':
    case 'netperf-rr':
    case 'udp-flood':
      return netWorkload(w, g, spec, bootKernel);
    case 'lmbench':
    case 'forkwait':
    case 'specint':
    case 'kernel-build':
    case 'dbench':
    case 'oltp':
    case 'web':
      return benchFor(w, g, spec, bootKernel, interruptsFor(g));
    case 'fio': {
      // The verify pattern is the domain's own: were two guests' disks to overlap, verify would see it.
      const job = new FioJob({ rw: spec.rw, bs: spec.bs, iodepth: spec.iodepth, size: spec.size, verify: spec.verify, ops: spec.ops, rateIops: spec.rate_iops }, rng, streamSeed(w.scenario.seed, `fio/${g.domain.name}`));
      g.fio = job;
      if (g.native && g.native.controller === 'ide' && spec.iodepth > 1) {
        // Said where it shows: legacy IDE cannot queue (AHCI queues 32 with NCQ, virtio 128).
        w.notices.push(`${g.domain.name}: an IDE channel runs one command at a time, as real ones do, so fio's iodepth ${spec.iodepth} runs as iodepth 1`);
      }
      const devid = vdevToDevid(spec.vdev);
      return {
        kind: 'fio',
        stats: () => job.stats(),
        kernel: (env: VcpuEnv): GuestProgram => {
          if (env.vcpu !== 0) return idle().kernel(env);
          return chain(
            () => bootKernel(g, env),
            () => { // after boot: the job runs on the disk the kernel found (a program of its own, not one level down)
              const disk = g.native ? g.native.virtio ?? g.native.disk : g.kernel!.disks.find((b) => b.devid === devid);
              return disk ? job.run(ioKernel(g.native ?? g.kernel!, env), disk) : chain();
            },
            function* () {
              if (spec.then === 'poweroff') yield* powerOff(g.kernel?.disks ?? []);
              yield* idleLoop(interruptsFor(g)(env));
            },
          );
        },
      };
    }
  }
}

/** How the guest's workloads take events (../../guests/workloads/workload.ts): on a PV
 *  kernel's vCPU 0, where its handlers are bound, through the kernel, whose handler is then
 *  the vCPU's event callback. */
function interruptsFor(g: GuestEntry): InterruptsFor {
  const k = g.kernel;
  if (!k) return noInterrupts;
  return (env) => {
    if (env.vcpu !== 0) return NO_INTERRUPTS;
    env.setUpcallHandler(() => k.takeInterrupt());
    return k;
  };
}

function ioKernel(k: PvKernel | NativeKernel, env: VcpuEnv): IoKernel {
  return {
    now: () => env.now(),
    wait: () => (k instanceof PvKernel ? k.wait() : k.virtio ? k.virtio.wait() : k.disk?.queued ? k.disk.wait() : nativeWait(env)),
    // A native kernel's interrupts stay latched until its driver's next wait takes them.
    sleep: (t) => (k instanceof PvKernel ? k.wait(t) : nativeWait(env, t)),
    allocPage: () => k.pages.alloc(),
    page: (gfn) => env.page(gfn),
    syscall: () => k.syscall(),
  };
}

/** The native kernel's idle wait: HLT until any interrupt (or, given `until`, its timer). */
function* nativeWait(env: VcpuEnv, until?: number): KGen {
  yield block(until);
  void env;
}
