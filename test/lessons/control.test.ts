// Lessons 5 and 6, the control plane: event channels and the xenbus handshake.
import { describe, expect, it } from 'vitest';
import { lesson, narrate } from './helpers';

describe('lesson 5, event-channels', () => {
  it('drops the send on an unbound port, coalesces sends into one pending bit, and loses the edge of a hand-cleared mask', () => {
    const l = lesson('event-channels');
    expect(l.f('dropped')).toBe(1);
    expect(l.f('coalesced')).toBeGreaterThanOrEqual(2); // three sends, one event; and the stuck port's later send
    expect(l.f('handled')).toBeGreaterThanOrEqual(2);
    expect(l.f('handled')).toBeLessThan(l.f('sends') - l.f('dropped'));
    expect(l.f('stuck')).toBe(1);
  });

  it('narrates each step with the port\'s pending and mask bits and the upcall flag', () => {
    const lines = narrate('event-channels', { fromNs: 0, events: 12, topics: new Set(['evtchn']) });
    console.log(lines.join('\n'));
    const step = (re: RegExp) => lines.find((l) => re.test(l)) ?? '';
    expect(step(/still unbound/)).toMatch(/pending=0 masked=0/);
    expect(step(/masks port \d+ and sends/)).toMatch(/pending=1 masked=1, evtchn_upcall_pending=0/);
    expect(step(/EVTCHNOP_unmask/)).toMatch(/pending=1 masked=0, evtchn_upcall_pending=1/);
    expect(step(/without EVTCHNOP_unmask/)).toMatch(/pending=1 masked=0, evtchn_upcall_pending=0/);
  });
});

describe('lesson 6, xenbus-handshake', () => {
  it('connects through Initialised and Connected, carries the I/O over the ring, and tears down to Closed at both ends', () => {
    const l = lesson('xenbus-handshake');
    expect(l.f('ios')).toBe(200);
    expect(l.f('ringRequests')).toBe(200);
    expect(l.f('frontState')).toBe(6);
    expect(l.f('backState')).toBe(6);
    expect(l.f('portClosed')).toBe(1);
    expect(l.f('shutdown')).toBe(1);
  });

  it('narrates the states in REFERENCE §5.3\'s order: 3, 4, 4 at connect and 5, 6, 6 at teardown', () => {
    const lines = narrate('xenbus-handshake', { fromNs: 0, events: 20, topics: new Set(['xenbus']) });
    console.log(lines.join('\n'));
    const states = lines.map((l) => /^(d\d)v\d xvda (frontend|backend) → \w+ \((\d)\)/.exec(l)).map((m) => `${m![2]}=${m![3]}`);
    expect(states).toEqual(['frontend=3', 'backend=4', 'frontend=4', 'frontend=5', 'backend=6', 'frontend=6']);
    expect(lines[0]).toMatch(/granted the ring page as ref (\d+)/);
    const ref = /ref (\d+)/.exec(lines[0]!)![1];
    expect(lines[1]).toContain(`mapped ring-ref ${ref} of dom1`);
    expect(Number(ref)).toBeGreaterThanOrEqual(8); // refs 0-7 are reserved
  });
});
