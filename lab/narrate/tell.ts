// One trace event in plain words, with the state that explains it: who the scheduler picked
// and what the vCPU it displaced looks like now (BOOST/UNDER/OVER and its credit), which
// register a VM exit touched, whether a ring push fell inside the peer's event window. One
// entry per TraceEvent type, so a new type cannot be forgotten; `undefined` means the event
// is bookkeeping a student need not read (a vCPU going to running is told by `sched`).
import type { TraceEvent } from '../../hypervisor/trace';
import type { Vcpu } from '../../hypervisor/vcpu';
import { EVTCHNOP } from '../../hypervisor/public/event_channel';
import { GNTTABOP } from '../../hypervisor/public/grant_table';
import { errnoName } from '../../hypervisor/public/errno';
import { EXIT_REASON_NAME } from '../../hypervisor/public/hvm/ioreq';
import { xenbusStateName } from '../../hypervisor/public/io/xs_wire';
import type { EvtchnNote, GuestNote, RingNote, XenbusNote } from '../../hypervisor/public/notes';
import { xenOwned } from '../../hypervisor/hvm';
import { devidToVdev } from '../../dom0/xenstore/paths';
import type { World } from '../run/world';

/** What the narrator knows besides the event: the world, and what each pCPU was running. */
export interface TellContext {
  readonly w: World;
  /** The vCPU a pCPU runs; while a decision is being traced, the one it is leaving. */
  running(pcpu: number): Vcpu | null;
}

type Of<K extends TraceEvent['type']> = Extract<TraceEvent, { type: K }>;
type Teller<E> = (e: E, c: TellContext) => string | undefined;

const TELL: { [K in TraceEvent['type']]: Teller<Of<K>> } = {
  sched: (e, c) => tellSched(e, c),
  idle: (e, c) => {
    const prev = c.running(e.pcpu);
    return `pCPU${e.pcpu} goes idle${prev ? ` (${prev.name} ${LEFT[e.reason] ?? e.reason})` : ''}: nothing is runnable`;
  },
  runstate: (e) => (e.from === 'blocked' && e.to === 'runnable' ? `d${e.dom}v${e.vcpu} wakes: blocked → runnable` : undefined),
  'credit-acct': (e) => `accounting: d${e.dom}v${e.vcpu} gets its share for the next 30 ms: ${e.pri} (credit ${e.credit})${e.parked ? ', parked by its cap' : ''}`,
  tickle: (e) => `pCPU${e.pcpu} is tickled (asked to reschedule): ${e.why}`,
  domain: (e) => `d${e.dom} (${e.name}) ${e.what}`,
  hypercall: (e) => `d${e.dom}v${e.vcpu}'s hypercall ${e.name}(${opName(e.name, e.op)}) returns ${e.rc < 0 ? errnoName(e.rc) : e.rc}`,
  evtchn: (e) => `d${e.dom} port ${e.port}: ${e.what}${e.peer ? ` (peer d${e.peer.dom} port ${e.peer.port})` : ''}`,
  note: (e) => `d${e.dom}: ${e.what}`,
  vmexit: (e, c) => tellExit(e, c),
  guest: (e) => `d${e.dom}v${e.vcpu} ${tellNote(e.note)}`,
};

/** What made the previous vCPU leave the pCPU, by the reason the schedule ran. */
const LEFT: Partial<Record<string, string>> = {
  blocked: 'blocked', 'slice-expired': 'used up its slice', preempted: 'was preempted', woken: 'was preempted',
  yield: 'yielded', paused: 'was paused', ratelimit: 'kept by ratelimit', stolen: 'lost its turn', offline: 'went offline',
};

export function tell(e: TraceEvent, c: TellContext): string | undefined {
  return (TELL[e.type] as Teller<TraceEvent>)(e, c);
}

function tellSched(e: Of<'sched'>, c: TellContext): string {
  const prev = c.running(e.pcpu);
  const next = `d${e.dom}v${e.vcpu}`;
  if (prev && prev.domain.id === e.dom && prev.id === e.vcpu) return `pCPU${e.pcpu} keeps ${next}: ${e.detail}`;
  const out = `pCPU${e.pcpu} picks ${next}: ${e.detail}`;
  if (!prev) return `${out}; the pCPU was idle`;
  return `${out}; ${prev.name} ${LEFT[e.reason] ?? e.reason} and is ${c.w.hv.scheduler.describe(prev)}`;
}

function opName(call: string, op: string): string {
  const n = Number(op);
  if (call === 'dm_op') return `for d${op}`; // a device model's call names the domain it serves
  const table: Record<string, number> | undefined = call === 'event_channel_op' ? EVTCHNOP : call === 'grant_table_op' ? GNTTABOP : undefined;
  const name = table && Object.entries(table).find(([, v]) => v === n)?.[0];
  return name ?? op;
}

function tellExit(e: Of<'vmexit'>, c: TellContext): string {
  const reason = EXIT_REASON_NAME[e.reason] ?? String(e.reason);
  const where = e.space === 'pio' ? `port 0x${e.addr.toString(16)}` : `0x${e.addr.toString(16)}`;
  const reg = registerName(c, e.dom, e.space, e.addr);
  const access = e.dir === 'out' ? `writing 0x${e.value.toString(16)} to ${where}` : `reading ${where}`;
  const op = { op: 'io', space: e.space, dir: e.dir, addr: e.addr, size: 4, value: e.value } as const; // the size does not decide who emulates it
  const then = xenOwned(op) ? 'Xen emulates it itself' : `Xen hands it to the device model in dom0 as an ioreq and d${e.dom}v${e.vcpu} waits`;
  return `d${e.dom}v${e.vcpu} exits (${reason}) ${access}${reg ? ` (${reg})` : ''}; ${then}`;
}

/** The guest driver's own name for a register, when its kernel has one. */
function registerName(c: TellContext, dom: number, space: 'pio' | 'mmio', addr: number): string | undefined {
  const g = c.w.guests.find((x) => x.domain.id === dom);
  const name = g?.native?.driver?.dio.regName(space, addr);
  if (name && name !== 'unknown') return name;
  return space === 'pio' ? FIXED_PORTS[addr] : undefined;
}

/** Ports with a fixed meaning on every PC (and the Xen platform device's unplug port). */
const FIXED_PORTS: Partial<Record<number, string>> = {
  0x10: 'Xen platform device: unplug', 0x12: 'Xen platform device: protocol version',
  0x20: 'PIC master', 0xa0: 'PIC slave', 0x40: 'PIT counter 0', 0x43: 'PIT mode', 0x70: 'RTC index', 0x71: 'RTC data',
  0x1f0: 'IDE data', 0x1f1: 'IDE error/feature', 0x1f2: 'IDE nsect', 0x1f3: 'IDE lbal', 0x1f4: 'IDE lbam', 0x1f5: 'IDE lbah',
  0x1f6: 'IDE device', 0x1f7: 'IDE status/command', 0x3f6: 'IDE altstatus/devctl',
};

function tellNote(n: GuestNote): string {
  switch (n.kind) {
    case 'ring':
      return tellRing(n);
    case 'xenbus':
      return tellXenbus(n);
    case 'evtchn':
      return tellEvtchn(n);
  }
}

/** "pushes 3 requests ...; req_event was 1201, inside (1200, 1203], so it notifies port 5". */
export function tellRing(n: RingNote): string {
  const count = (n.newProd - n.oldProd) >>> 0;
  const front = n.end === 'front';
  const items = `${count} ${front ? 'request' : 'response'}${count === 1 ? '' : 's'}`;
  const prod = front ? 'req_prod' : 'rsp_prod';
  const ev = front ? 'req_event' : 'rsp_event';
  const vdev = devidToVdev(n.devid) ?? `vbd ${n.devid}`;
  const window = `(${n.oldProd}, ${n.newProd}]`;
  const head = `pushes ${items} on ${vdev}'s ${n.proto} ring (${prod} ${n.oldProd} → ${n.newProd})`;
  if (n.notify) return `${head}; ${ev} was ${n.event}, inside ${window}, so it notifies port ${n.port}`;
  const peer = front ? 'the backend is still working through earlier requests' : 'the frontend is still busy taking earlier responses';
  return `${head}; ${ev} was ${n.event}, not inside ${window}, so it sends nothing: ${peer}`;
}

function tellXenbus(n: XenbusNote): string {
  const vdev = devidToVdev(n.devid) ?? `vbd ${n.devid}`;
  const state = `${xenbusStateName(n.state) ?? 'state'} (${n.state})`;
  const who = n.end === 'front' ? `${vdev} frontend` : `${vdev} backend`;
  return `${who} → ${state}${n.detail ? `: ${n.detail}` : ''}`;
}

function tellEvtchn(n: EvtchnNote): string {
  const bit = (b: boolean): number => (b ? 1 : 0);
  return `${n.action}: port ${n.port} pending=${bit(n.pending)} masked=${bit(n.masked)}, evtchn_upcall_pending=${bit(n.upcallPending)}`;
}
