// Dom0's kernel runs queued work on a vCPU that is awake; work queued from outside its own
// handlers (the toolstack's xenstore writes, a domain's teardown) while every dom0 vCPU sleeps
// must wake one, or it waits for whatever event comes next, perhaps for ever.
import { describe, expect, it } from 'vitest';
import { buildWorld } from '../../lab/run/world';
import { scenarioFrom } from '../helpers/world';
import type { DGen } from '../../dom0/kernel';

const MS = 1_000_000;

/** Dom0 and one idle guest: after boot nothing wakes dom0 by itself. */
function quietHost() {
  return buildWorld(scenarioFrom(`
name: dom0-wake
duration: 1s
host: {pcpus: 2, memory: 4096}
domains:
  - {name: quiet, memory: 256, workload: {kind: idle}}
`));
}

describe('work deferred to a sleeping dom0', () => {
  it('wakes vCPU 0, which runs it within microseconds', () => {
    const w = quietHost();
    w.engine.run(200 * MS);
    const dom0 = w.dom0.domain.vcpus[0]!;
    expect(dom0.blocked).toBe(true);
    const upcalls = w.dom0.kernel.stats.upcalls;
    let ranAt = -1;
    const queuedAt = w.engine.now;
    w.dom0.kernel.defer(function* (env): DGen {
      ranAt = env.now();
    });
    w.engine.run(300 * MS);
    expect(ranAt).toBeGreaterThanOrEqual(queuedAt);
    // One upcall: the event channel's delivery, dom0's IRQ entry and a schedule decision.
    expect(ranAt - queuedAt).toBeLessThan(20_000);
    expect(w.dom0.kernel.stats.upcalls).toBe(upcalls + 1);
  });

  it('raises no wake-up when a vCPU is awake to run it (work queued by dom0\'s own handlers)', () => {
    const w = quietHost();
    w.engine.run(200 * MS);
    const upcalls = w.dom0.kernel.stats.upcalls;
    const order: string[] = [];
    w.dom0.kernel.defer(function* (): DGen {
      order.push('first');
      w.dom0.kernel.defer(function* (): DGen {
        order.push('second');
      });
    });
    w.engine.run(300 * MS);
    expect(order).toEqual(['first', 'second']);
    expect(w.dom0.kernel.stats.upcalls).toBe(upcalls + 1);
  });
});
