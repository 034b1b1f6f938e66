// With nobody subscribed to the trace, a run builds no trace events at all: every emitter checks
// `trace.on` first (issue 10: no trace objects when nobody listens). Subscribing turns them on.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { buildWorld } from '../../lab/run/world';
import type { TraceEvent } from '../../hypervisor/trace';
import { scenarioFrom } from '../helpers/world';

const MS = 1_000_000;

function world() {
  // PV and HVM disk I/O, credit with wake-ups and preemption, and a PV network transfer.
  const base = readFileSync(new URL('../../scenarios/pv-vs-hvm.yaml', import.meta.url), 'utf8');
  const extra = `
  - name: periodic
    type: pv
    memory: 256
    workload: {kind: cpu-periodic, burst: 500us, period: 2ms}
  - name: burner
    type: pv
    memory: 256
    workload: {kind: cpu-burn}
  - name: net
    type: pv
    memory: 256
    vif: ['bridge=xenbr0']
    workload: {kind: ttcp, bytes: 1MiB}
`;
  return buildWorld(scenarioFrom(base + extra));
}

describe('the trace when nobody listens', () => {
  it('is never emitted to, though the run does real work; a subscriber then sees events', () => {
    const w = world();
    const emitted: TraceEvent[] = [];
    const real = w.hv.trace.emit.bind(w.hv.trace);
    w.hv.trace.emit = (e) => {
      emitted.push(e);
      real(e);
    };
    w.engine.run(100 * MS);
    const fio = w.guests.filter((g) => g.fio);
    expect(fio.length).toBe(2);
    for (const g of fio) expect(g.fio!.ops).toBeGreaterThan(100);
    expect(w.engine.eventsRun).toBeGreaterThan(10_000);
    expect(emitted).toHaveLength(0);

    const seen: TraceEvent[] = [];
    const sub = w.hv.trace.events.subscribe((e) => seen.push(e));
    w.engine.run(110 * MS);
    sub.unsubscribe();
    expect(emitted.length).toBeGreaterThan(100);
    expect(seen).toEqual(emitted);
    const kinds = new Set(seen.map((e) => e.type));
    for (const k of ['sched', 'runstate', 'hypercall'] as const) expect(kinds.has(k)).toBe(true);
  });
});
