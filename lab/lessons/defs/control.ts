// Lessons 5 and 6, the control plane: event channels (pending, masked, the lost edge, the
// unbound port) and the xenbus handshake and teardown.
import { XenbusState } from '../../../hypervisor/public/io/xs_wire';
import { EVTCHNSTAT } from '../../../hypervisor/public/event_channel';
import { dom, fig, ios, type LessonSpec } from '../lesson';

const stat = (w: Record<string, unknown>, key: string): number => Number(w[key] ?? 0);

export const eventChannels: LessonSpec = {
  name: 'event-channels',
  number: 5,
  figures: ({ base }) => {
    const w = dom(base, 'guest').workload;
    const c = base.world.hv.evtchn.counters;
    return [
      fig('sends', 'EVTCHNOP_send calls by the guest', stat(w, 'sends'), 'sends'),
      fig('dropped', 'sends Xen dropped (port unbound)', c.sendsDropped, 'sends'),
      fig('coalesced', 'sends that found the port already pending', c.pendingAlreadySet, 'sends'),
      fig('handled', 'times the listening port\'s handler ran', stat(w, 'handled'), 'runs'),
      fig('stuck', 'events left pending that nobody was told about', stat(w, 'stuck'), 'events'),
    ];
  },
};

export const xenbusHandshake: LessonSpec = {
  name: 'xenbus-handshake',
  number: 6,
  figures: ({ base }) => {
    const w = base.world;
    const g = w.guests.find((x) => x.domain.name === 'guest')!;
    const bb = g.backends[0]!;
    const xs = (path: string): number => Number(w.dom0.xs.read(undefined, path) ?? NaN);
    const fePort = xs(`${bb.fe}/event-channel`);
    const portState = w.hv.evtchn.status(g.domain.id, g.domain.id, fePort).info?.status ?? -1;
    return [
      fig('ios', 'writes completed over the ring', ios(dom(base, 'guest')), 'I/Os'),
      fig('frontState', 'frontend state at the end (xenstore)', xs(`${bb.fe}/state`), `(${XenbusState.Closed} = Closed)`),
      fig('backState', 'backend state at the end (xenstore)', xs(`${bb.be}/state`), `(${XenbusState.Closed} = Closed)`),
      fig('portClosed', 'guest\'s ring port closed at the end', portState === EVTCHNSTAT.closed ? 1 : 0, '(1 = yes)'),
      fig('shutdown', 'guest shut down (poweroff)', g.domain.shutdownReason === 'poweroff' ? 1 : 0, '(1 = yes)'),
      fig('ringRequests', 'requests the backend took off the ring (data plane)', bb.stats.requests, 'requests'),
    ];
  },
};
