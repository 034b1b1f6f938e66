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
import type { Scheduler } from '../../hypervisor/sched/scheduler';
import { block, type GuestKernel, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import { cpuBurn, cpuPeriodic, idle } from '../../guests/workloads/cpu';
import type { Workload } from '../../guests/workloads/workload';
import { FioJob, type IoKernel } from '../../guests/workloads/fio';
import { PvKernel } from '../../guests/kernel/pv';
import type { Blkback } from '../../dom0/blkback';
import { vdevToDevid } from '../../dom0/xenstore/paths';
import type { Scenario, Domain as DomainSpec, Workload as WorkloadSpec } from '../scenario/types';
import { createDom0, type Dom0 } from './dom0';
import { buildStorage, type Storage } from './storage';
import { addDisk, introduce } from './toolstack';

export interface GuestEntry {
  spec: DomainSpec | undefined;
  domain: Domain;
  workload: Workload;
  kernel?: PvKernel;
  fio?: FioJob;
  backends: Blkback[];
}

export interface World {
  scenario: Scenario;
  engine: Engine;
  profile: PlatformProfile;
  hv: Hypervisor;
  streams: RandomStreams;
  storage: Storage;
  dom0: Dom0;
  guests: GuestEntry[];
}

export function makeScheduler(s: Scenario['scheduler']): Scheduler {
  switch (s.name) {
    case 'credit':
      return new CreditScheduler({ tsliceNs: s.tslice, ratelimitNs: s.ratelimit });
    case 'rr':
      return new RoundRobinScheduler(s.tslice);
  }
}

export function buildWorld(scenario: Scenario): World {
  const engine = new Engine();
  const profile = platform(scenario.platform) ?? platform('modern')!;
  const hv = new Hypervisor(engine, profile, { pcpus: scenario.host.pcpus, memoryMiB: scenario.host.memory }, makeScheduler(scenario.scheduler));
  const streams = new RandomStreams(scenario.seed);
  const storage = buildStorage(engine, scenario);
  const dom0 = createDom0(hv, scenario);
  const world: World = { scenario, engine, profile, hv, streams, storage, dom0, guests: [] };
  world.guests.push({ spec: undefined, domain: dom0.domain, workload: idle(), backends: [] });
  for (const spec of scenario.domains) {
    const r = createGuest(world, spec);
    if (typeof r === 'string') throw new Error(`${spec.name}: ${r}`); // the scenario check rules this out
  }
  return world;
}

/** `xl create` of one PV domain from its scenario entry; returns an error text on failure. */
export function createGuest(w: World, spec: DomainSpec): Domain | string {
  let kernelFor: GuestKernel = () => idle().kernel({} as VcpuEnv);
  const d = w.hv.createDomain(
    {
      name: spec.name, type: spec.type === 'native' ? 'hvm' : spec.type, vcpus: spec.vcpus, memoryMiB: spec.memory, maxmemMiB: spec.maxmem,
      weight: spec.cpu_weight, cap: spec.cap, affinity: spec.cpus,
    },
    (env) => (function* (): GuestProgram { yield* kernelFor(env); })(),
  );
  if (typeof d === 'string') return d;
  const start = introduce(w.hv, w.dom0, d);
  const backends: Blkback[] = [];
  for (const disk of spec.disk) {
    const bb = addDisk(w.hv, w.dom0, w.storage, d, disk);
    if (typeof bb === 'string') return bb;
    backends.push(bb);
  }
  const kernel = new PvKernel(w.profile.kernel, start);
  const entry: GuestEntry = { spec, domain: d, workload: idle(), kernel, backends };
  entry.workload = makeWorkload(w, entry, spec.workload);
  kernelFor = entry.workload.kernel;
  w.hv.unpause(d.id);
  w.guests.push(entry);
  return d;
}

function makeWorkload(w: World, g: GuestEntry, spec: WorkloadSpec): Workload {
  const rng = w.streams.stream(`workload/${g.domain.name}`);
  const k = g.kernel!;
  const booted = (inner: Workload): Workload => ({
    kind: inner.kind,
    stats: inner.stats,
    kernel: function* (env: VcpuEnv): GuestProgram {
      if (env.vcpu === 0) yield* k.boot(env);
      yield* inner.kernel(env);
    },
  });
  switch (spec.kind) {
    case 'cpu-burn':
      return booted(cpuBurn());
    case 'idle':
      return booted(idle());
    case 'cpu-periodic':
      return booted(cpuPeriodic({ burstNs: spec.burst, periodNs: spec.period, jitter: spec.jitter }, rng));
    case 'fio': {
      // The verify pattern is the domain's own: were two guests' disks to overlap, verify would see it.
      const job = new FioJob({ rw: spec.rw, bs: spec.bs, iodepth: spec.iodepth, size: spec.size, verify: spec.verify, ops: spec.ops }, rng, streamSeed(w.scenario.seed, `fio/${g.domain.name}`));
      g.fio = job;
      const devid = vdevToDevid(spec.vdev);
      return {
        kind: 'fio',
        stats: () => job.stats(),
        kernel: function* (env: VcpuEnv): GuestProgram {
          if (env.vcpu !== 0) return yield* idle().kernel(env);
          yield* k.boot(env);
          const disk = k.disks.find((b) => b.devid === devid);
          if (disk) yield* job.run(ioKernel(k, env), disk);
          for (;;) yield block();
        },
      };
    }
  }
}

function ioKernel(k: PvKernel, env: VcpuEnv): IoKernel {
  return {
    now: () => env.now(),
    wait: () => k.wait(),
    allocPage: () => k.pages.alloc(),
    page: (gfn) => env.page(gfn),
    syscallNs: k.costs.syscallNs,
  };
}
