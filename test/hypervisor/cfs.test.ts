// The CFS-like fair scheduler of a KVM host (hypervisor/sched/cfs.ts): shares by cpu.shares,
// group splitting, sleeper fairness, wake-up preemption and idle balancing.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../hw/engine';
import { modern } from '../../hw/platforms/modern';
import { Hypervisor } from '../../hypervisor/hypervisor';
import { CfsScheduler, CFS_SCHED_LATENCY_NS } from '../../hypervisor/sched/cfs';
import { cpuBurn, cpuPeriodic } from '../../guests/workloads/cpu';
import { RandomStreams } from '../../hw/rng';
import { EINVAL } from '../../hypervisor/public/errno';
import type { Workload } from '../../guests/workloads/workload';

const SECOND = 1_000_000_000;
const MS = 1_000_000;

interface Thread {
  name: string;
  shares?: number;
  work?: Workload;
  vcpus?: number;
  affinity?: number[];
}

function cfsHost(pcpus: number, threads: Thread[]) {
  const engine = new Engine();
  const cfs = new CfsScheduler();
  const hv = new Hypervisor(engine, modern, { pcpus, memoryMiB: 16384 }, cfs);
  const doms = threads.map((t) => {
    const d = hv.createDomain({ name: t.name, type: 'hvm', vcpus: t.vcpus ?? 1, memoryMiB: 64, weight: t.shares ?? 1024, cap: 0, affinity: t.affinity }, (t.work ?? cpuBurn()).kernel);
    if (typeof d === 'string') throw new Error(d);
    hv.unpause(d.id);
    return d;
  });
  const running = (i: number) => doms[i]!.vcpus.reduce((s, v) => s + v.runstateAt(engine.now).running, 0);
  return { engine, hv, cfs, doms, running };
}

describe('the CFS-like host scheduler', () => {
  it('shares one pCPU 1:2 between cpu.shares 1024 and 2048 (within 3%)', () => {
    const h = cfsHost(1, [{ name: 'a', shares: 1024 }, { name: 'b', shares: 2048 }]);
    h.engine.run(5 * SECOND);
    const ratio = h.running(1) / h.running(0);
    console.log(`cpu.shares 1024 vs 2048 on one pCPU: ${(h.running(0) / 1e6).toFixed(1)} ms vs ${(h.running(1) / 1e6).toFixed(1)} ms, ratio ${ratio.toFixed(4)}`);
    expect(Math.abs(ratio - 2) / 2).toBeLessThan(0.03);
    expect(h.running(0) + h.running(1)).toBeGreaterThan(0.99 * 5 * SECOND);
  });

  it('splits a group\'s shares between its runnable threads: a 2-vCPU VM gets what a 1-vCPU VM gets', () => {
    const h = cfsHost(1, [{ name: 'two', vcpus: 2 }, { name: 'one' }]);
    h.engine.run(4 * SECOND);
    expect(Math.abs(h.running(0) / h.running(1) - 1)).toBeLessThan(0.03);
  });

  it('gives slices of the 6 ms latency period by weight, never under the minimum granularity', () => {
    const h = cfsHost(1, [{ name: 'a' }, { name: 'b' }, { name: 'c', shares: 2048 }]);
    const slices: number[] = [];
    const sub = h.hv.trace.events.subscribe((e) => { if (e.type === 'sched') slices.push(e.t); });
    h.engine.run(1 * SECOND);
    sub.unsubscribe();
    const gaps = slices.slice(10).map((t, i) => t - slices[9 + i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(CFS_SCHED_LATENCY_NS / 2 + 0.1 * MS); // c's half of the period
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(CFS_SCHED_LATENCY_NS / 4 - 0.1 * MS);
  });

  it('lets a waking interactive thread preempt a CPU hog at once (wake-up preemption)', () => {
    const streams = new RandomStreams(1);
    const h = cfsHost(1, [{ name: 'hog' }, { name: 'interactive', work: cpuPeriodic({ burstNs: 200_000, periodNs: 10 * MS, jitter: 0 }, streams.stream('i')) }]);
    h.engine.run(2 * SECOND);
    const v = h.doms[1]!.vcpus[0]!;
    console.log(`interactive thread wake latency under a hog: p50 ${(v.wakeLatency.quantile(0.5) / 1e3).toFixed(1)} us, p99 ${(v.wakeLatency.quantile(0.99) / 1e3).toFixed(1)} us`);
    expect(v.wakeLatency.quantile(0.99)).toBeLessThan(50_000);
    expect(h.cfs.stats.wakeupPreemptions).toBeGreaterThan(100);
  });

  it('leaves no pCPU idle while a thread is runnable: 3 hogs on 2 pCPUs', () => {
    const h = cfsHost(2, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    h.engine.run(2 * SECOND);
    h.hv.core.settleAll();
    for (const p of h.hv.core.pcpus) expect(p.time.idle).toBeLessThan(1 * MS);
  });

  it('takes cpu_shares through adjust, refusing what cgroups refuse and caps it does not model', () => {
    const h = cfsHost(1, [{ name: 'a' }]);
    const d = h.doms[0]!;
    expect(h.cfs.adjust(d, { weight: 4096 })).toBe(0);
    expect(d.weight).toBe(4096);
    expect(h.cfs.adjust(d, { weight: 1 })).toBe(-EINVAL);
    expect(h.cfs.adjust(d, { weight: 300_000 })).toBe(-EINVAL);
    expect(h.cfs.adjust(d, { cap: 50 })).toBe(-EINVAL);
    expect(h.cfs.describe(d.vcpus[0]!)).toMatch(/cpu.shares 4096/);
  });
});
