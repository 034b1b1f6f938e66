// A running vCPU is not blocked, so an event for it cannot wake it: Xen interrupts it (an IPI,
// then the bounce into its callback on the way back to the guest). pvlab tells the program when
// its computation ends: the compute resumes with EVENTS_DUE, and the kernel takes the upcall.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../hw/engine';
import { modern } from '../../hw/platforms/modern';
import { Hypervisor } from '../../hypervisor/hypervisor';
import { CreditScheduler } from '../../hypervisor/sched/credit';
import { block, compute, EVENTS_DUE, type GuestProgram } from '../../hypervisor/public/guest';
import { DOMID_SELF } from '../../hypervisor/public/xen';
import { isUpcallPending } from '../../hypervisor/public/event_channel';
import { idle } from '../../guests/workloads/cpu';

const MS = 1_000_000;

function twoDomains(program: (seen: number[]) => () => GuestProgram) {
  const engine = new Engine();
  const hv = new Hypervisor(engine, modern, { pcpus: 2, memoryMiB: 4096 }, new CreditScheduler());
  const seen: number[] = [];
  const a = hv.createDomain({ name: 'a', type: 'pv', vcpus: 1, memoryMiB: 64, weight: 256, cap: 0 }, program(seen));
  const b = hv.createDomain({ name: 'b', type: 'pv', vcpus: 1, memoryMiB: 64, weight: 256, cap: 0 }, idle().kernel);
  if (typeof a === 'string' || typeof b === 'string') throw new Error('domain creation failed');
  const pa = hv.evtchn.allocUnbound(a.id, DOMID_SELF, b.id);
  const pb = hv.evtchn.bindInterdomain(b.id, a.id, pa);
  expect(pa).toBeGreaterThan(0);
  expect(pb).toBeGreaterThan(0);
  hv.unpause(a.id);
  hv.unpause(b.id);
  const sendAt = (t: number): void => engine.at(t, { fire: () => void hv.evtchn.send(b.id, pb) });
  return { engine, hv, a, seen, sendAt };
}

describe('an event for a running vCPU', () => {
  it('makes its computation resume with EVENTS_DUE, until the vCPU enters its upcall', () => {
    const w = twoDomains((seen) => function* (): GuestProgram {
      seen.push(yield compute(MS)); // nothing sent yet
      seen.push(yield compute(MS)); // sent during this one
      seen.push(yield compute(MS)); // not taken yet: still due
      yield block(); // the upcall is pending, so SCHEDOP_block returns at once, into it
      seen.push(yield compute(MS));
      for (;;) yield block();
    });
    w.sendAt(1.5 * MS);
    w.engine.run(10 * MS);
    expect(w.seen).toEqual([0, EVENTS_DUE, EVENTS_DUE, 0]);
    expect(isUpcallPending(w.a.sharedInfo, 0)).toBe(false);
    expect(w.a.vcpus[0]!.blocked).toBe(true);
  });

  it('does not make a blocked vCPU\'s next computation resume with EVENTS_DUE: it woke into the upcall', () => {
    const w = twoDomains((seen) => function* (): GuestProgram {
      yield block();
      seen.push(yield compute(MS));
      for (;;) yield block();
    });
    w.sendAt(2 * MS);
    w.engine.run(10 * MS);
    expect(w.seen).toEqual([0]);
  });
});
