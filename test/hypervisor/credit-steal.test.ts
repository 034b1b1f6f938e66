import { describe, expect, it } from 'vitest';
import { CreditScheduler } from '../../hypervisor/sched/credit';
import type { SchedCore } from '../../hypervisor/sched/scheduler';
import { Fifo, Link, Occupancy } from '../../hypervisor/sched/runq';
import { Vcpu } from '../../hypervisor/vcpu';
import type { Domain } from '../../hypervisor/domain';
import type { Trace } from '../../hypervisor/trace';

/** A credit scheduler on `n` pCPUs that all run something (so a woken vCPU stays queued). */
function busyHost(n: number) {
  const running: (Vcpu | null)[] = new Array(n).fill(null);
  const core: SchedCore = {
    nrPcpus: n,
    trace: { on: false } as Trace,
    now: () => 0,
    idlePcpus: 0,
    current: (p) => running[p]!,
    tickle: () => {},
    pauseVcpu: () => {},
    unpauseVcpu: () => {},
    every: () => {},
    pcpuTick: () => {},
  };
  const credit = new CreditScheduler();
  credit.attach(core);
  const all = Array.from({ length: n }, (_, i) => i);
  let next = 0;
  const vcpu = (processor: number, affinity = all): Vcpu => {
    const d = { id: next, weight: 256, cap: 0, sched: undefined } as unknown as Domain;
    credit.insertDomain(d);
    const v = new Vcpu(d, next++, processor, affinity);
    credit.insertVcpu(v);
    v.processor = processor;
    return v;
  };
  for (let p = 0; p < n; p++) running[p] = vcpu(p);
  /** Queues a new vCPU on `pcpu` (it wakes there; every pCPU is busy, so it waits). */
  const queued = (pcpu: number, affinity = all): Vcpu => {
    const v = vcpu(pcpu, affinity);
    credit.wake(v);
    return v;
  };
  /** What an idle pCPU picks when it reschedules. */
  const pick = (pcpu: number): Vcpu | null => credit.schedule(pcpu, null, false, 0).next;
  return { credit, queued, pick };
}

describe('credit work stealing', () => {
  it('takes from the first peer after itself, in pCPU order and wrapping round, past peers with nothing queued', () => {
    const h = busyHost(40); // two 32-bit words of pCPUs
    const on3 = h.queued(3);
    const on35 = h.queued(35);
    const on36 = h.queued(36);
    expect(h.pick(37)).toBe(on3); // 38, 39, then 0, 1, 2, 3
    expect(h.pick(20)).toBe(on35);
    expect(h.pick(36)).toBe(on36); // its own queue first
    expect(h.pick(0)).toBeNull(); // nothing left anywhere
    expect(h.credit.stats.steals).toBe(2);
  });

  it('skips a vCPU whose affinity excludes the thief and takes the next one that may run there', () => {
    const h = busyHost(64);
    h.queued(5, [5]);
    const free = h.queued(40);
    expect(h.pick(4)).toBe(free);
    expect(h.pick(4)).toBeNull(); // the pinned vCPU stays for pCPU 5
  });

  it('finds work again on a peer whose queue emptied and filled', () => {
    const h = busyHost(33);
    const a = h.queued(32);
    expect(h.pick(0)).toBe(a);
    expect(h.pick(0)).toBeNull();
    const b = h.queued(32);
    expect(h.pick(1)).toBe(b);
  });
});

describe('a runqueue FIFO', () => {
  it('holds its bit in the occupancy bitmap exactly while it is not empty', () => {
    const bits = new Uint32Array(2);
    const q = new Fifo<string>(undefined, 0, bits, 37);
    const x = new Link('x');
    const y = new Link('y');
    q.push(x);
    expect(bits[1]).toBe(1 << 5);
    q.push(y);
    q.remove(x);
    expect(bits[1]).toBe(1 << 5);
    q.shift();
    expect(bits[0]).toBe(0);
    expect(bits[1]).toBe(0);
  });
});

describe('runqueue occupancy', () => {
  it('finds the next pCPU with work at the levels asked for, within [from, to)', () => {
    const occ = new Occupancy(3, 70); // three 32-bit words per level
    const q = (level: number, pcpu: number): Fifo<string> => new Fifo<string>(undefined, 0, occ.bits, occ.bit(level, pcpu));
    q(0, 5).push(new Link('boost on 5'));
    q(2, 9).push(new Link('over on 9'));
    q(1, 66).push(new Link('under on 66'));
    expect(occ.next(0, 70, 3)).toBe(5);
    expect(occ.next(6, 70, 3)).toBe(9);
    expect(occ.next(6, 70, 2)).toBe(66); // level 2 (OVER) not asked for
    expect(occ.next(6, 66, 2)).toBe(-1); // 66 is past the end
    expect(occ.next(67, 70, 3)).toBe(-1);
    expect(occ.next(0, 5, 3)).toBe(-1);
  });
});

