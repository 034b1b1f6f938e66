// Lesson 15, the network path of full virtualization: interrupt moderation on QEMU's e1000,
// bulk TCP against request/response, under no moderation, the driver's dynamic mode and a
// fixed rate.
import { netperfRrWorkload, ttcpWorkload } from '../../scenario/workload';
import type { Scenario } from '../../scenario/types';
import type { RunOutcome } from '../../run/runner';
import { dom, fig, per, withDomain, type Figure, type LessonSpec } from '../lesson';
import { E1000Driver } from '../../../guests/drivers/e1000';
import { E1000 } from '../../../hw/devices/e1000';

const GUEST = 'web';

/** The guest running `kind` with InterruptThrottleRate `itr` (the rest of the job's defaults). */
function job(kind: 'ttcp' | 'netperf-rr', itr: number): (s: Scenario) => Scenario {
  const workload = kind === 'ttcp' ? ttcpWorkload.parse({ kind, bytes: '256MiB', itr }) : netperfRrWorkload.parse({ kind, itr });
  return (s) => withDomain(s, GUEST, (d) => ({ ...d, workload }));
}

/** The e1000 driver's own counts: register accesses after its probe (each one a VM exit),
 *  interrupts taken, and the packets its stack moved. */
function nic(o: RunOutcome): { accesses: number; interrupts: number; packets: number } {
  const stack = guestNet(o).stack!;
  const dev = stack.dev;
  if (!(dev instanceof E1000Driver)) throw new Error(`${GUEST} has no e1000 driver`);
  let accesses = 0;
  for (const [op, t] of dev.dio.perOp) if (op !== 'probe') accesses += t.accesses;
  return { accesses, interrupts: dev.stats.interrupts, packets: stack.stats.framesIn + stack.stats.framesOut };
}

function guestNet(o: RunOutcome) {
  const net = o.world.guests.find((x) => x.domain.name === GUEST)?.net;
  if (!net) throw new Error(`${GUEST} has no network`);
  return net;
}

const score = (o: RunOutcome): number => Number(dom(o, GUEST).workload['score'] ?? 0);

/** "bulk, itr N" or "TCP_RR, itr N", from the job the run was given (--set may change it). */
function what(o: RunOutcome): string {
  const w = o.world.scenario.domains.find((d) => d.name === GUEST)!.workload;
  const itr = 'itr' in w ? w.itr : 0;
  return `${w.kind === 'ttcp' ? 'bulk' : 'TCP_RR'}, itr ${itr}`;
}

/** The interrupts per second the NIC's ITR register allows at the end of the run (0: no limit). */
function itrRate(o: RunOutcome): number {
  const device = guestNet(o).device;
  if (!(device instanceof E1000)) throw new Error(`${GUEST} has no e1000`);
  const itr = device.inspect().itr;
  return itr > 0 ? 1e9 / (itr * 256) : 0;
}

function bulk(o: RunOutcome, id: string): Figure[] {
  const n = nic(o);
  const w = what(o);
  return [
    fig(`${id}.mbps`, `${w}: ttcp throughput`, score(o), 'Mb/s'),
    fig(`${id}.exitsPerPacket`, `${w}: register exits per packet`, per(n.accesses, n.packets), 'exits'),
    fig(`${id}.packetsPerIrq`, `${w}: packets per interrupt`, per(n.packets, n.interrupts), 'packets'),
    fig(`${id}.itrRate`, `${w}: interrupts a second ITR allows`, itrRate(o), '/s'),
  ];
}

function rr(o: RunOutcome, id: string): Figure[] {
  const n = nic(o);
  const w = what(o);
  return [
    fig(`${id}.tps`, `${w}: TCP_RR transactions per second`, score(o), 'trans/s'),
    fig(`${id}.latency`, `${w}: mean transaction time`, Number(dom(o, GUEST).workload['latencyMeanNs'] ?? 0) / 1000, 'us'),
    fig(`${id}.exitsPerPacket`, `${w}: register exits per packet`, per(n.accesses, n.packets), 'exits'),
  ];
}

export const interruptModeration: LessonSpec = {
  name: 'interrupt-moderation',
  number: 15,
  variants: {
    dynamic: { about: 'ttcp with itr 1 (dynamic moderation)', change: job('ttcp', 1) },
    fixed: { about: 'ttcp with itr 8000 (a fixed 8,000 interrupts a second)', change: job('ttcp', 8000) },
    rr: { about: 'netperf TCP_RR with itr 0', change: job('netperf-rr', 0) },
    rrDynamic: { about: 'netperf TCP_RR with itr 1', change: job('netperf-rr', 1) },
    rrFixed: { about: 'netperf TCP_RR with itr 8000', change: job('netperf-rr', 8000) },
  },
  figures: (runs) => [
    ...bulk(runs.base, 'none'),
    ...bulk(runs['dynamic']!, 'dynamic'),
    ...bulk(runs['fixed']!, 'fixed'),
    ...rr(runs['rr']!, 'rr.none'),
    ...rr(runs['rrDynamic']!, 'rr.dynamic'),
    ...rr(runs['rrFixed']!, 'rr.fixed'),
  ],
};
