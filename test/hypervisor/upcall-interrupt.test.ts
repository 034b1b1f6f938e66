// A running vCPU is not blocked, so an event for it cannot wake it: Xen sends it an IPI and, on
// the way back to the guest, bounces it into its event callback. pvlab does this for user code
// marked interruptible, once the kernel has registered its upcall handler: the computation
// stops at the event, the handler runs to its end, and the computation goes on.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../hw/engine';
import { modern } from '../../hw/platforms/modern';
import { Hypervisor } from '../../hypervisor/hypervisor';
import { CreditScheduler } from '../../hypervisor/sched/credit';
import { block, compute, interruptible, type GuestOp, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import { DOMID_SELF } from '../../hypervisor/public/xen';
import { isPending, isUpcallPending } from '../../hypervisor/public/event_channel';
import { idle } from '../../guests/workloads/cpu';

const MS = 1_000_000;
const HANDLER_NS = 20_000;

interface Seen {
  handlerAt: number[];
  resumedAt: number[];
}

/** Domain `a` runs `work` after registering (or not) a handler that records when it runs and
 *  computes 20 µs of kernel time; domain `b` sends to `a` at `sendAt`. */
function host(work: GuestOp, opts: { register: boolean; sendAt: number }) {
  const engine = new Engine();
  const hv = new Hypervisor(engine, modern, { pcpus: 2, memoryMiB: 4096 }, new CreditScheduler());
  const seen: Seen = { handlerAt: [], resumedAt: [] };
  let port = -1;
  const program = function* (env: VcpuEnv): GuestProgram {
    if (opts.register) {
      env.setUpcallHandler(function* (): GuestProgram {
        seen.handlerAt.push(env.now());
        yield compute(HANDLER_NS, 'kernel');
      });
    }
    yield work;
    seen.resumedAt.push(env.now());
    for (;;) yield block();
  };
  const a = hv.createDomain({ name: 'a', type: 'pv', vcpus: 1, memoryMiB: 64, weight: 256, cap: 0 }, program);
  const b = hv.createDomain({ name: 'b', type: 'pv', vcpus: 1, memoryMiB: 64, weight: 256, cap: 0 }, idle().kernel);
  if (typeof a === 'string' || typeof b === 'string') throw new Error('domain creation failed');
  port = hv.evtchn.allocUnbound(a.id, DOMID_SELF, b.id);
  const pb = hv.evtchn.bindInterdomain(b.id, a.id, port);
  expect(pb).toBeGreaterThan(0);
  hv.unpause(a.id);
  hv.unpause(b.id);
  engine.at(opts.sendAt, { fire: () => void hv.evtchn.send(b.id, pb) });
  engine.run(10 * MS);
  return { seen, a, port };
}

describe('an event for a vCPU running interruptible code', () => {
  it('bounces it into its handler at once; the computation then finishes, late by the bounce and the handler', () => {
    const { seen, a, port } = host(interruptible(MS), { register: true, sendAt: MS / 2 });
    const bounce = modern.hypervisor.upcallNs;
    const start = seen.resumedAt[0]! - MS - bounce - HANDLER_NS; // when the computation began
    expect(start).toBeGreaterThanOrEqual(0);
    expect(start).toBeLessThan(MS / 2);
    expect(seen.handlerAt).toEqual([MS / 2 + bounce]);
    expect(isUpcallPending(a.sharedInfo, 0)).toBe(false); // Xen cleared it as it bounced
    expect(isPending(a.sharedInfo, port)).toBe(true); // the handler here acknowledged nothing
  });

  it('is not interrupted without a registered handler, nor when the computation is not interruptible', () => {
    for (const [work, register] of [[interruptible(MS), false], [compute(MS), true]] as const) {
      const { seen } = host(work, { register, sendAt: MS / 2 });
      expect(seen.handlerAt).toEqual([]);
      const late = host(work, { register, sendAt: 20 * MS }); // the same run with no event in it
      expect(seen.resumedAt).toEqual(late.seen.resumedAt);
    }
  });
});
