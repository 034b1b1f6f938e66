// Hostile cases on event channels (REFERENCE §3.1):
//   T8  sends on out-of-range, free, reserved, closed and unbound ports;
//   T9  binding ports offered to others, ports of missing domains, allocating in others' tables;
//   T10 allocating ports until -ENOSPC, and recovering after one close;
//   T11 an event storm: as many sends as the vCPU can make, at dom0 (through the xenstore
//       channel) and at itself; pending bits coalesce and every send is charged to the sender.
import {
  evtchnAllocUnbound, evtchnBindInterdomain, evtchnBindIpi, evtchnBindVcpu, evtchnClose, evtchnSend, evtchnUnmask,
} from '../../hypervisor/public/calls';
import { EVTCHN_2L_NR_CHANNELS, EVTCHNOP } from '../../hypervisor/public/event_channel';
import { compute } from '../../hypervisor/public/guest';
import { HYPERCALL } from '../../hypervisor/public/xen';
import type { KGen } from '../kernel/types';
import { targetsOf, type AttackCtx } from './attack';
import { sleep } from './kernel';

const MS = 1_000_000;
/** A domain id no toolstack hands out in pvlab's runs (ids count up from 1). */
export const MISSING_DOMAIN = 0x7000;

/** T8: every kind of port a send must refuse, and the unbound port whose send is dropped. */
export function* badSends(c: AttackCtx): KGen {
  const env = c.env;
  c.log.note('send.outOfRange', [EVTCHN_2L_NR_CHANNELS, 1e9, -1, 2 ** 32, 1.5].map((p) => evtchnSend(env, p)));
  c.log.note('send.reserved', evtchnSend(env, 0));
  c.log.note('send.free', evtchnSend(env, EVTCHN_2L_NR_CHANNELS - 1));
  const unbound = evtchnAllocUnbound(env, 0);
  c.log.note('unbound.port', unbound);
  c.log.note('send.unbound', evtchnSend(env, unbound));
  c.log.note('close.unbound', evtchnClose(env, unbound));
  c.log.note('send.closed', evtchnSend(env, unbound));
  c.log.note('close.again', evtchnClose(env, unbound));
  c.log.note('unmask.outOfRange', evtchnUnmask(env, EVTCHN_2L_NR_CHANNELS + 5));
  c.log.note('bindVcpu.free', evtchnBindVcpu(env, EVTCHN_2L_NR_CHANNELS - 1, 0));
  c.log.count(14);
  yield* c.k.settle();
}

/** T9: scans every target's first ports trying to bind them; allocates in others' tables. */
export function* hijackPorts(c: AttackCtx): KGen {
  const env = c.env;
  const deadline = env.now() + (c.opts.durationNs ?? 0);
  const codes = new Set<number>();
  let bound = 0;
  let scans = 0;
  do {
    for (const dom of targetsOf(c)) {
      for (let p = 1; p <= 64; p++) {
        const rc = evtchnBindInterdomain(env, dom, p);
        c.log.count();
        if (rc >= 0) {
          bound++;
          evtchnClose(env, rc);
        } else codes.add(rc);
      }
    }
    scans++;
    if (env.now() < deadline) yield* sleep(c.k, 20_000);
  } while (env.now() < deadline);
  c.log.note('hijack.bound', bound);
  c.log.note('hijack.codes', [...codes].sort((a, b) => a - b));
  c.log.note('hijack.scans', scans);
  c.log.note('bind.missingDomain', evtchnBindInterdomain(env, MISSING_DOMAIN, 1));
  const other = targetsOf(c)[0] ?? 0;
  c.log.note('allocUnbound.forAnother', evtchnAllocUnbound(env, env.domid, other));
  c.log.note('allocUnbound.remoteMissing', evtchnAllocUnbound(env, MISSING_DOMAIN));
  const reset = { dom: other };
  c.log.note('reset.another', env.hypercall(HYPERCALL.event_channel_op, EVTCHNOP.reset, reset));
  const status = { dom: other, port: 1 };
  c.log.note('status.another', env.hypercall(HYPERCALL.event_channel_op, EVTCHNOP.status, status));
  c.log.count(5);
  yield* c.k.settle();
}

/** T10: allocates ports until -ENOSPC, checks the other allocators fail too, recovers one. */
export function* exhaustPorts(c: AttackCtx): KGen {
  const env = c.env;
  const ports: number[] = [];
  let rc = 0;
  for (let i = 0; i < EVTCHN_2L_NR_CHANNELS + 8; i++) {
    rc = evtchnAllocUnbound(env, 0);
    c.log.count();
    if (rc < 0) break;
    ports.push(rc);
    if (i % 256 === 255) yield compute(1000, 'kernel'); // let the hypercalls' time be paid
  }
  c.log.note('allocated', ports.length);
  c.log.note('atLimit', rc);
  c.log.note('bindIpi.atLimit', evtchnBindIpi(env, 0));
  const victim = ports[ports.length >> 1]!;
  c.log.note('close', evtchnClose(env, victim));
  c.log.note('reallocated', evtchnAllocUnbound(env, 0));
  c.log.note('reallocatedIsClosedPort', victim);
  c.log.note('afterRecovery', evtchnAllocUnbound(env, 0));
  for (const p of ports) evtchnClose(env, p);
  c.log.note('closedAll', ports.length);
  c.log.count(ports.length + 5);
  yield* c.k.settle();
}

/** T11: a storm at dom0 through the store channel, then at itself through an IPI port. */
export function* eventStorm(c: AttackCtx): KGen {
  const env = c.env;
  const half = (c.opts.durationNs ?? 20 * MS) / 2;
  const dom0Sends = yield* storm(c, c.k.start.storePort, env.now() + half);
  c.log.note('storm.dom0.sends', dom0Sends);
  const ipi = evtchnBindIpi(env, 0);
  c.k.events.bind(ipi, () => undefined);
  const selfSends = yield* storm(c, ipi, env.now() + half);
  c.log.note('storm.self.sends', selfSends);
  c.log.note('storm.self.port', ipi);
  evtchnClose(env, ipi);
}

/** Sends on `port` in bursts of 64 until `deadline`; returns how many sends returned 0. */
function* storm(c: AttackCtx, port: number, deadline: number): KGen<number> {
  let ok = 0;
  while (c.env.now() < deadline) {
    for (let i = 0; i < 64; i++) if (evtchnSend(c.env, port) === 0) ok++;
    c.log.count(64);
    yield compute(10, 'kernel'); // the 64 sends' hypervisor time is paid before this
  }
  return ok;
}
