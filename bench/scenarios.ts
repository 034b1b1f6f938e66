// Scenarios built in code for benchmarks: many domains on a big host, mixed workloads (a third
// each of cpu-burn, cpu-periodic and fio on its own small volume), and single-guest I/O jobs.
import type { Scenario, Domain, Volume } from '../lab/scenario/types';

const GiB = 2 ** 30;

export function scaleScenario(domains: number, pcpus: number, durationNs: number, withIo = true): Scenario {
  const doms: Domain[] = [];
  const volumes: Volume[] = [];
  for (let i = 0; i < domains; i++) {
    const kind = withIo ? i % 3 : i % 2;
    const base: Domain = {
      name: `guest${i}`, type: 'pv', vcpus: 1, maxvcpus: 1, memory: 64, maxmem: 64, cpus: undefined,
      cpu_weight: 256 + (i % 4) * 128, cap: 0, disk: [], vif: [], workload: { kind: 'cpu-burn' },
    };
    if (kind === 1) base.workload = { kind: 'cpu-periodic', burst: 500_000, period: 10_000_000, jitter: 0.2 };
    if (kind === 2) {
      const vol = `/dev/vg0/g${i}`;
      volumes.push({ name: vol, disk: 'sda', size: 64 * 2 ** 20 });
      base.disk = [{ vdev: 'xvda', target: vol, access: 'rw', format: 'raw' }];
      // A rate-limited job (fio's rate_iops): a host of a thousand guests is not a disk benchmark.
      base.workload = { kind: 'fio', rw: 'randread', bs: 4096, iodepth: 1, size: 64 * 2 ** 20, verify: false, ops: undefined, rate_iops: 50, vdev: 'xvda' };
    }
    doms.push(base);
  }
  return {
    file: '(bench)', name: `scale-${domains}`, seed: 1, duration: durationNs, platform: 'modern',
    host: { pcpus, memory: Math.max(16384, domains * 64 + 4096), disks: [{ name: 'sda', kind: 'ssd', size: 256 * GiB }] },
    scheduler: { name: 'credit', tslice: 30_000_000, ratelimit: 1_000_000 },
    dom0: { vcpus: Math.min(8, pcpus), memory: 2048, cpu_weight: 256, cap: 0, cpus: undefined, volumes },
    domains: doms,
  };
}
