// `evtchn-demo`: a PV kernel walks one event channel through the cases REFERENCE §3 and §12.4
// teach, with a pause of `gap` between steps so each can be told on its own:
//   1. unbound   a send on a port nobody has bound is dropped, and the send still returns 0;
//   2. bind      binding the other end (a loopback channel, to itself) — Xen sets the new port
//                pending in case events were lost before, so one event arrives at once;
//   3. deliver   a send sets the peer port pending and the upcall runs its handler once;
//   4. coalesce  three sends before the handler runs are one event: PENDING is a bit, not a count;
//   5. masked    a send to a masked port sets PENDING but wakes nobody (the edge is lost)
//                until EVTCHNOP_unmask sees it pending and delivers it;
//   6. lost edge a kernel that clears the mask bit itself, without the unmask hypercall,
//                leaves the event pending with nobody told — and later sends add no new edge.
// Every step is reported as a narration note with the port's bits after it.
import { block, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import { evtchnAllocUnbound, evtchnBindInterdomain, evtchnSend, evtchnUnmask } from '../../hypervisor/public/calls';
import { clearMask, isMasked, isPending, isUpcallPending, setMask } from '../../hypervisor/public/event_channel';
import type { PvKernel } from '../kernel/pv';
import type { KGen } from '../kernel/types';
import { idle } from './cpu';
import type { Workload } from './workload';

export interface EvtchnDemoStats {
  sends: number;
  /** Sends Xen dropped because the port was unbound. */
  dropped: number;
  /** Times the handler of the listening port ran. */
  handled: number;
  /** Events still pending at the end that nobody was told about (the lost edge). */
  stuck: number;
  steps: number;
}

export function evtchnDemo(k: PvKernel, gapNs: number): Workload {
  const st: EvtchnDemoStats = { sends: 0, dropped: 0, handled: 0, stuck: 0, steps: 0 };
  return {
    kind: 'evtchn-demo',
    kernel: function* (env: VcpuEnv): GuestProgram {
      if (env.vcpu !== 0) return yield* idle().kernel(env);
      yield* demo(k, env, gapNs, st);
      for (;;) yield* k.wait();
    },
    stats: () => ({ kind: 'evtchn-demo', ops: st.steps, unit: 'steps', ...st }),
  };
}

function* demo(k: PvKernel, env: VcpuEnv, gap: number, st: EvtchnDemoStats): KGen {
  const si = (): Uint8Array => env.sharedInfo;
  const tell = (port: number, action: string): void => {
    st.steps++;
    if (env.tracing) env.note?.({ kind: 'evtchn', port, action, pending: isPending(si(), port), masked: isMasked(si(), port), upcallPending: isUpcallPending(si(), env.vcpu) });
  };
  const send = (port: number): void => {
    st.sends++;
    evtchnSend(env, port);
  };
  const listen = evtchnAllocUnbound(env, env.domid);
  if (listen < 0) return;
  k.events.bind(listen, () => void st.handled++);
  send(listen);
  st.dropped++;
  tell(listen, `sends on port ${listen}, which is still unbound (allocated, its other end not bound): Xen drops it and returns 0`);
  yield* pause(k, env, gap);
  const other = evtchnBindInterdomain(env, env.domid, listen);
  if (other < 0) return;
  k.events.bind(other, () => {});
  tell(other, `binds port ${other} to port ${listen} (a loopback channel): Xen marks the new port pending, in case an event was lost before`);
  yield* pause(k, env, gap);
  send(other);
  tell(listen, `sends on port ${other}: its peer, port ${listen}, becomes pending and the vCPU's upcall is flagged`);
  yield* pause(k, env, gap);
  tell(listen, `the upcall ran port ${listen}'s handler (${times(st.handled)} so far) and cleared its pending bit`);
  for (let i = 0; i < 3; i++) send(other);
  tell(listen, `sends 3 times on port ${other} before the handler can run: PENDING is one bit, so this is one event`);
  yield* pause(k, env, gap);
  tell(listen, `the handler ran once for the 3 sends (${times(st.handled)} so far)`);
  yield* masked(k, env, gap, listen, other, tell, send);
  st.stuck = isPending(si(), listen) ? 1 : 0;
}

/** Steps 5 and 6: a masked port, unmasked properly, then by a buggy kernel. */
function* masked(k: PvKernel, env: VcpuEnv, gap: number, listen: number, other: number, tell: (p: number, a: string) => void, send: (p: number) => void): KGen {
  setMask(env.sharedInfo, listen);
  send(other);
  tell(listen, `masks port ${listen} and sends on port ${other}: pending is set but nobody is told, the edge is lost`);
  yield* pause(k, env, gap);
  evtchnUnmask(env, listen);
  tell(listen, `EVTCHNOP_unmask: Xen clears the mask, sees the port pending and raises the upcall it held back`);
  yield* pause(k, env, gap);
  setMask(env.sharedInfo, listen);
  send(other);
  clearMask(env.sharedInfo, listen);
  tell(listen, `masks, sends, then clears the mask bit itself without EVTCHNOP_unmask (a kernel bug): pending, unmasked, and nobody told`);
  yield* pause(k, env, gap);
  send(other);
  tell(listen, `sends again: the port is already pending, so Xen sees no new edge and still tells nobody; the event is stuck`);
  yield* pause(k, env, gap);
}

/** Sleeps `gap` (a timer), handling whatever events arrive meanwhile. */
function* pause(k: PvKernel, env: VcpuEnv, gap: number): KGen {
  const until = env.now() + gap;
  while (env.now() < until) {
    yield block(until);
    k.events.dispatch();
    yield* k.settle();
  }
}

const times = (n: number): string => `${n} time${n === 1 ? '' : 's'}`;
