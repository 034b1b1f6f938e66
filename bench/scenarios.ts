// Scenarios built in code for benchmarks: many domains on a big host, mixed workloads.
import type { Scenario, Domain } from '../lab/scenario/types';

export function scaleScenario(domains: number, pcpus: number, durationNs: number): Scenario {
  const doms: Domain[] = [];
  for (let i = 0; i < domains; i++) {
    const periodic = i % 2 === 1;
    doms.push({
      name: `guest${i}`, type: 'pv', vcpus: 1, maxvcpus: 1, memory: 64, maxmem: 64, cpus: undefined,
      cpu_weight: 256 + (i % 4) * 128, cap: 0, disk: [], vif: [],
      workload: periodic ? { kind: 'cpu-periodic', burst: 500_000, period: 10_000_000, jitter: 0.2 } : { kind: 'cpu-burn' },
    });
  }
  return {
    file: '(bench)', name: `scale-${domains}`, seed: 1, duration: durationNs, platform: 'modern',
    host: { pcpus, memory: Math.max(16384, domains * 64 + 2048), disks: [{ name: 'sda', kind: 'ssd', size: 256 * 2 ** 30 }] },
    scheduler: { name: 'credit', tslice: 30_000_000, ratelimit: 1_000_000 },
    dom0: { vcpus: 1, memory: 1024, cpu_weight: 256, cap: 0, cpus: undefined, volumes: [] },
    domains: doms,
  };
}
