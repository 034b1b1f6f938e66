// Builds small hosts for tests straight from the library, without scenario files.
import { Engine } from '../../hw/engine';
import { modern } from '../../hw/platforms/modern';
import { RandomStreams } from '../../hw/rng';
import type { Domain } from '../../hypervisor/domain';
import { Hypervisor } from '../../hypervisor/hypervisor';
import { CreditScheduler } from '../../hypervisor/sched/credit';
import { RoundRobinScheduler } from '../../hypervisor/sched/rr';
import { cpuBurn, cpuPeriodic, idle } from '../../guests/workloads/cpu';
import type { Workload } from '../../guests/workloads/workload';

export interface GuestSpec {
  name: string;
  workload: 'burn' | 'periodic' | 'idle';
  /** cpu-periodic burst (default 500 µs every 10 ms, jitter 0.2: an interactive guest). */
  burstNs?: number;
  weight?: number;
  cap?: number;
  vcpus?: number;
  affinity?: number[];
}

export interface TestHost {
  engine: Engine;
  hv: Hypervisor;
  doms: Map<string, Domain>;
  workloads: Map<string, Workload>;
  runningNs(name: string): number;
}

export function testHost(opts: { pcpus: number; sched?: 'credit' | 'rr'; seed?: number; guests: GuestSpec[] }): TestHost {
  const engine = new Engine();
  const sched = opts.sched === 'rr' ? new RoundRobinScheduler() : new CreditScheduler();
  const hv = new Hypervisor(engine, modern, { pcpus: opts.pcpus, memoryMiB: 16384 }, sched);
  const streams = new RandomStreams(opts.seed ?? 1);
  const doms = new Map<string, Domain>();
  const workloads = new Map<string, Workload>();
  for (const g of opts.guests) {
    const w =
      g.workload === 'burn' ? cpuBurn()
      : g.workload === 'idle' ? idle()
      : cpuPeriodic({ burstNs: g.burstNs ?? 500_000, periodNs: 10_000_000, jitter: 0.2 }, streams.stream(`workload/${g.name}`));
    const d = hv.createDomain({ name: g.name, type: 'pv', vcpus: g.vcpus ?? 1, memoryMiB: 256, weight: g.weight ?? 256, cap: g.cap ?? 0, affinity: g.affinity }, w.kernel);
    if (typeof d === 'string') throw new Error(d);
    hv.unpause(d.id);
    doms.set(g.name, d);
    workloads.set(g.name, w);
  }
  return {
    engine,
    hv,
    doms,
    workloads,
    runningNs: (name) => doms.get(name)!.vcpus.reduce((s, v) => s + v.runstateAt(engine.now).running, 0),
  };
}

export const SECOND = 1_000_000_000;
export const MS = 1_000_000;
