// The narrator and the guest-note path it reads: notes are built only while someone listens,
// the run is the same with and without a narrator, and what the narrator says agrees with the
// ring protocol's own rule.
import { describe, expect, it } from 'vitest';
import { baseScenario, withMode } from '../../../lab/compare';
import { runScenario } from '../../../lab/run/runner';
import { Narrator } from '../../../lab/narrate/narrator';
import { notifyNeeded } from '../../../ringbuf/ring';
import type { TraceEvent } from '../../../hypervisor/trace';
import type { RingNote } from '../../../hypervisor/public/notes';

const fio = (mode: 'pv' | 'hvm', iodepth: string) =>
  withMode(baseScenario({ workload: { kind: 'fio', options: { rw: 'randread', bs: '4k', iodepth } }, duration: '40ms' }), mode, undefined);

describe('narrated stepping', () => {
  it('leaves the run unchanged: the report is the same with and without a narrator', () => {
    const plain = runScenario(fio('pv', '8')).report;
    let n: Narrator | undefined;
    const told = runScenario(fio('pv', '8'), { onWorld: (w) => (n = Narrator.attach(w, { fromNs: 10e6, events: 50 })) }).report;
    expect(JSON.stringify(told)).toBe(JSON.stringify(plain));
    expect(n!.lines).toHaveLength(50);
    expect(n!.lines.every((l) => l.t >= 10e6)).toBe(true);
  });

  it('hands no guest note to the hypervisor while nobody listens', () => {
    const s = fio('pv', '1');
    let notes = 0;
    runScenario(s, {
      onWorld: (w) => {
        const hv = w.hv as unknown as { trace: { emit: (e: TraceEvent) => void } };
        const emit = hv.trace.emit.bind(hv.trace);
        hv.trace.emit = (e) => {
          if (e.type === 'guest') notes++;
          emit(e);
        };
      },
    });
    expect(notes).toBe(0);
  });

  it('reports every blkif push with the window and event index the notify rule used', () => {
    const notes: RingNote[] = [];
    runScenario(fio('pv', '32'), { onWorld: (w) => w.hv.trace.events.subscribe((e) => e.type === 'guest' && e.note.kind === 'ring' && notes.push(e.note)) });
    expect(notes.length).toBeGreaterThan(50);
    for (const n of notes) expect(n.notify).toBe(notifyNeeded(n.oldProd, n.newProd, n.event));
    expect(notes.some((n) => n.end === 'front' && n.newProd - n.oldProd > 1)).toBe(true); // batched pushes
    expect(notes.some((n) => n.end === 'back' && n.notify)).toBe(true);
  });

  it('tells only the topics asked for', () => {
    let n: Narrator | undefined;
    runScenario(fio('hvm', '1'), { onWorld: (w) => (n = Narrator.attach(w, { fromNs: 5e6, events: 30, topics: new Set(['exits']) })) });
    expect(n!.lines).toHaveLength(30);
    expect(n!.lines.every((l) => l.type === 'vmexit')).toBe(true);
    expect(n!.render()).toContain('(exits)');
  });
});
