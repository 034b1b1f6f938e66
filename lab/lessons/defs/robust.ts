// Lesson 13, robustness: a hostile guest whose misbehaviour costs it its own device and nothing
// else (docs/threat-model.md, case T1; and T11's event storm as a variant).
import type { Scenario } from '../../scenario/types';
import type { RunOutcome } from '../../run/runner';
import { XenbusState } from '../../../hypervisor/public/io/xs_wire';
import { dom, fig, ios, withDomain, type LessonSpec } from '../lesson';

const victimP99Us = (o: RunOutcome): number => (dom(o, 'victim').devices[0]?.latencyNs.p99 ?? 0) / 1000;
const stat = (o: RunOutcome, key: string): number => Number(dom(o, 'victim').workload[key] ?? 0);
const coalescedPct = (o: RunOutcome): number => {
  const c = o.world.hv.evtchn.counters;
  return c.sends > 0 ? (100 * c.pendingAlreadySet) / c.sends : 0;
};
const backendOf = (o: RunOutcome, name: string) => o.world.guests.find((g) => g.domain.name === name)?.backends[0];

export const hostileGuest: LessonSpec = {
  name: 'hostile-guest',
  number: 13,
  variants: {
    alone: { about: 'the victim alone, without mallory', change: (s: Scenario) => ({ ...s, domains: s.domains.filter((d) => d.name !== 'mallory') }) },
    storm: { about: 'mallory storming event channels instead (T11)', change: (s: Scenario) => withDomain(s, 'mallory', (d) => ({ ...d, workload: { kind: 'hostile', attack: 'T11', variant: undefined, duration: undefined } })) },
  },
  figures: (runs) => {
    const { base } = runs;
    const bad = backendOf(base, 'mallory');
    const good = backendOf(base, 'victim');
    return [
      fig('victim.ios', 'victim: I/Os completed (writes, then verifying reads)', ios(dom(base, 'victim')), 'I/Os'),
      fig('victim.errors', 'victim: I/O errors', stat(base, 'errors'), 'errors'),
      fig('victim.verifyErrors', 'victim: blocks that read back wrong', stat(base, 'verifyErrors'), 'blocks'),
      fig('victim.backendState', 'victim\'s backend state at the end', good?.state ?? -1, `(${XenbusState.Connected} = Connected)`),
      fig('mallory.cutOff', 'mallory\'s backend gave up on its ring', bad?.failed ? 1 : 0, '(1 = yes)'),
      fig('mallory.backendState', 'mallory\'s backend state at the end', bad?.state ?? -1, `(${XenbusState.Closing} = Closing)`),
      fig('p99', 'victim p99 write latency beside mallory', victimP99Us(base), 'us'),
      fig('alone.p99', 'victim p99 write latency alone', victimP99Us(runs['alone']!), 'us'),
      fig('storm.p99', 'victim p99 write latency beside an event storm', victimP99Us(runs['storm']!), 'us'),
      fig('storm.verifyErrors', 'victim verify errors beside an event storm', stat(runs['storm']!, 'verifyErrors'), 'blocks'),
      fig('storm.coalesced', 'event sends of the storm run that found the port already pending', coalescedPct(runs['storm']!), '%'),
    ];
  },
};
