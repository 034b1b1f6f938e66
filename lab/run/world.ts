// Builds a simulated host from a Scenario: the engine, the platform profile, the scheduler,
// the hypervisor with dom0 at boot, and every guest domain with its workload, unpaused the
// way `xl create` leaves them. The lab is the only layer that sees all the others.
import { Engine } from '../../hw/engine';
import { platform, type PlatformProfile } from '../../hw/platforms/index';
import { RandomStreams } from '../../hw/rng';
import type { Domain } from '../../hypervisor/domain';
import { Hypervisor } from '../../hypervisor/hypervisor';
import { CreditScheduler } from '../../hypervisor/sched/credit';
import { RoundRobinScheduler } from '../../hypervisor/sched/rr';
import type { Scheduler } from '../../hypervisor/sched/scheduler';
import { cpuBurn, cpuPeriodic, idle } from '../../guests/workloads/cpu';
import type { Workload } from '../../guests/workloads/workload';
import type { Scenario, Domain as DomainSpec, Workload as WorkloadSpec } from '../scenario/types';

export interface GuestEntry {
  spec: DomainSpec | undefined;
  domain: Domain;
  workload: Workload;
}

export interface World {
  scenario: Scenario;
  engine: Engine;
  profile: PlatformProfile;
  hv: Hypervisor;
  streams: RandomStreams;
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
  const world: World = { scenario, engine, profile, hv, streams, guests: [] };
  createDom0(world);
  for (const spec of scenario.domains) createGuest(world, spec);
  return world;
}

function createDom0(w: World): void {
  const s = w.scenario.dom0;
  const workload = idle();
  const d = w.hv.createDomain(
    { name: 'Domain-0', type: 'pv', vcpus: s.vcpus, memoryMiB: s.memory, weight: s.cpu_weight, cap: s.cap, affinity: s.cpus },
    workload.kernel,
    { privileged: true, id: 0 },
  );
  if (typeof d === 'string') throw new Error(`dom0: ${d}`); // the scenario check rules this out
  w.hv.unpause(d.id);
  w.guests.push({ spec: undefined, domain: d, workload });
}

/** `xl create` of one domain from its scenario entry; returns an error text on failure. */
export function createGuest(w: World, spec: DomainSpec): Domain | string {
  const workload = makeWorkload(w, spec.name, spec.workload);
  const d = w.hv.createDomain(
    {
      name: spec.name,
      type: spec.type === 'native' ? 'hvm' : spec.type,
      vcpus: spec.vcpus,
      memoryMiB: spec.memory,
      maxmemMiB: spec.maxmem,
      weight: spec.cpu_weight,
      cap: spec.cap,
      affinity: spec.cpus,
    },
    workload.kernel,
  );
  if (typeof d === 'string') return d;
  w.hv.unpause(d.id);
  w.guests.push({ spec, domain: d, workload });
  return d;
}

function makeWorkload(w: World, domName: string, spec: WorkloadSpec): Workload {
  const rng = w.streams.stream(`workload/${domName}`);
  switch (spec.kind) {
    case 'cpu-burn':
      return cpuBurn();
    case 'idle':
      return idle();
    case 'cpu-periodic':
      return cpuPeriodic({ burstNs: spec.burst, periodNs: spec.period, jitter: spec.jitter }, rng);
    case 'fio':
      throw new Error('fio needs the PV block path, which is not built yet');
  }
}
