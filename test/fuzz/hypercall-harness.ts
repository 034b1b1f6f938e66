// The hypercall fuzzer's host and operations (issue 9, item 4): dom0 and three domUs making
// random event-channel and grant operations, guest-side grant entries, garbage hypercalls and
// domain destructions, each run against the hypervisor and against a naive reference model
// (./model.ts) that predicts every return code; then the invariant checker, and after every
// sequence nothing may be left of a destroyed domain. Used by the two hypercalls*.fuzz files.
import { expect } from 'vitest';
import fc from 'fast-check';
import { Engine } from '../../hw/engine';
import { modern } from '../../hw/platforms/modern';
import type { Domain } from '../../hypervisor/domain';
import { Hypervisor } from '../../hypervisor/hypervisor';
import { RoundRobinScheduler } from '../../hypervisor/sched/rr';
import { EFAULT } from '../../hypervisor/public/errno';
import { EVTCHNOP, EVTCHNSTAT } from '../../hypervisor/public/event_channel';
import {
  GNTMAP_device_map, GNTMAP_host_map, GNTMAP_readonly, GNTTABOP, GNTST, GTF_accept_transfer, GTF_permit_access,
  GTF_readonly, endForeignAccess, grantEntryAt, writeU16, writeU32,
} from '../../hypervisor/public/grant_table';
import { DOMID_SELF, HYPERCALL } from '../../hypervisor/public/xen';
import { idle } from '../../guests/workloads/cpu';
import { InvariantChecker, leftovers } from '../../lab/check/invariants';
import { Model, type PortState } from './model';
import type { FuzzStats } from './fuzz-config';

const DOMU_MIB = 8;
/** A target domain: one of the four slots, or a raw id (DOMID_SELF, a missing one). */
type Dom = { slot: number } | { raw: number };
type Op =
  | { t: 'alloc'; d: number; dom: Dom; remote: Dom }
  | { t: 'bind'; d: number; remote: Dom; port: number }
  | { t: 'ipi'; d: number; vcpu: number }
  | { t: 'close' | 'send' | 'unmask'; d: number; port: number }
  | { t: 'status'; d: number; dom: Dom; port: number }
  | { t: 'reset'; d: number; dom: Dom }
  | { t: 'entry'; d: number; ref: number; to: Dom; gfn: number; kind: 'rw' | 'ro' | 'transfer' }
  | { t: 'revoke'; d: number; ref: number }
  | { t: 'map'; d: number; dom: Dom; ref: number; flags: number }
  | { t: 'unmap'; d: number; handle: number }
  | { t: 'copy'; d: number; src: number; dst: number; off: number; len: number }
  | { t: 'setup'; d: number; dom: Dom; nr: number }
  | { t: 'raw'; d: number; nr: unknown; cmd: unknown; arg: unknown }
  | { t: 'destroy'; d: number }
  | { t: 'time'; ns: number };

const slot = fc.integer({ min: 0, max: 3 });
const domArb: fc.Arbitrary<Dom> = fc.oneof(
  { weight: 6, arbitrary: slot.map((s) => ({ slot: s })) },
  { weight: 1, arbitrary: fc.constantFrom(DOMID_SELF, 0x7ff4, 999, -1).map((raw) => ({ raw })) },
);
const port = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 8 }) }, { weight: 1, arbitrary: fc.constantFrom(4095, 4096, -1, 2 ** 32) });
const ref = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 8, max: 12 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 2047, 2048, -1, 0xffffffff) });
const gfn = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 16, max: 20 }) }, { weight: 1, arbitrary: fc.constantFrom(0, DOMU_MIB * 256 - 1, DOMU_MIB * 256, 1e9) });
const flags = fc.constantFrom(GNTMAP_host_map, GNTMAP_host_map | GNTMAP_readonly, GNTMAP_device_map, 0, GNTMAP_host_map | GNTMAP_device_map | GNTMAP_readonly);
const garbage = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 4 }), fc.constant(null), fc.constant(undefined));

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('alloc' as const), d: slot, dom: domArb, remote: domArb }),
  fc.record({ t: fc.constant('bind' as const), d: slot, remote: domArb, port }),
  fc.record({ t: fc.constant('ipi' as const), d: slot, vcpu: fc.integer({ min: -1, max: 1 }) }),
  fc.record({ t: fc.constantFrom('close' as const, 'send' as const, 'unmask' as const), d: slot, port }),
  fc.record({ t: fc.constant('status' as const), d: slot, dom: domArb, port }),
  fc.record({ t: fc.constant('reset' as const), d: slot, dom: domArb }),
  fc.record({ t: fc.constant('entry' as const), d: slot, ref, to: domArb, gfn, kind: fc.constantFrom('rw' as const, 'ro' as const, 'transfer' as const) }),
  fc.record({ t: fc.constant('revoke' as const), d: slot, ref }),
  fc.record({ t: fc.constant('map' as const), d: slot, dom: domArb, ref, flags }),
  fc.record({ t: fc.constant('unmap' as const), d: slot, handle: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(-1, 99999)) }),
  fc.record({ t: fc.constant('copy' as const), d: slot, src: gfn, dst: gfn, off: fc.constantFrom(0, 100, 4000), len: fc.constantFrom(0, 64, 200, 4096, -1) }),
  fc.record({ t: fc.constant('setup' as const), d: slot, dom: domArb, nr: fc.constantFrom(0, 4, 5, 64, 65, -1) }),
  fc.record({ t: fc.constant('raw' as const), d: slot, nr: fc.oneof(fc.integer({ min: 0, max: 45 }), fc.constantFrom(-1, 99, 1.5, '20')), cmd: fc.oneof(fc.integer({ min: 0, max: 14 }), garbage), arg: garbage }),
  fc.record({ t: fc.constant('destroy' as const), d: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ t: fc.constant('time' as const), ns: fc.integer({ min: 1, max: 100_000 }) }),
);

/** dom0 and three domUs with idle programs; hypercalls are made on their vCPU 0. */
class Host {
  readonly engine = new Engine();
  readonly hv = new Hypervisor(this.engine, modern, { pcpus: 1, memoryMiB: 96 }, new RoundRobinScheduler());
  readonly model = new Model();
  readonly slots: Domain[] = [];
  readonly gone: number[] = [];

  constructor() {
    this.slots.push(this.create('dom0', true));
    for (let i = 1; i <= 3; i++) this.slots.push(this.create(`u${i}`, false));
  }

  private create(name: string, privileged: boolean): Domain {
    const d = this.hv.createDomain({ name, type: 'pv', vcpus: 1, memoryMiB: privileged ? 16 : DOMU_MIB, weight: 256, cap: 0 }, idle().kernel, privileged ? { privileged, id: 0 } : {});
    if (typeof d === 'string') throw new Error(d);
    this.hv.unpause(d.id);
    this.model.add(d.id, privileged, d.memFrames, this.hv.grants.tablePages(d.id)!.length);
    return d;
  }

  dom(x: Dom): number {
    return 'slot' in x ? this.slots[x.slot]!.id : x.raw;
  }

  call(d: number, nr: unknown, ...args: unknown[]): number {
    return this.hv.hypercalls.call(this.slots[d]!.vcpus[0]!, nr as number, args);
  }

  evtchn(d: number, cmd: number, arg: Record<string, unknown>): number {
    return this.call(d, HYPERCALL.event_channel_op, cmd, arg);
  }

  gnttab(d: number, cmd: number, op: Record<string, unknown>): Record<string, unknown> {
    this.call(d, HYPERCALL.grant_table_op, cmd, [op], 1);
    return op;
  }

  destroy(s: number): void {
    const d = this.slots[s]!;
    expect(this.hv.destroy(d.id)).toBe(0);
    this.engine.run(this.engine.now + 10_000);
    this.model.destroy(d.id);
    this.gone.push(d.id);
    this.slots[s] = this.create(`u${s}'`, false);
  }
}

const STAT: Record<PortState['s'] | 'closed', number> = { closed: EVTCHNSTAT.closed, unbound: EVTCHNSTAT.unbound, inter: EVTCHNSTAT.interdomain, ipi: EVTCHNSTAT.ipi };

/** Runs one operation on the host and the model; expects the same answer from both. */
function apply(h: Host, op: Op): void {
  const m = h.model;
  const c = op.t === 'time' ? -1 : h.slots[op.d]!.id;
  switch (op.t) {
    case 'alloc': {
      const arg: Record<string, unknown> = { dom: h.dom(op.dom), remote_dom: h.dom(op.remote) };
      const rc = h.evtchn(op.d, EVTCHNOP.alloc_unbound, arg);
      return void expect(rc < 0 ? rc : arg['port']).toBe(m.allocUnbound(c, h.dom(op.dom), h.dom(op.remote)));
    }
    case 'bind': {
      const arg: Record<string, unknown> = { remote_dom: h.dom(op.remote), remote_port: op.port };
      const rc = h.evtchn(op.d, EVTCHNOP.bind_interdomain, arg);
      return void expect(rc < 0 ? rc : arg['local_port']).toBe(m.bindInterdomain(c, h.dom(op.remote), op.port));
    }
    case 'ipi': {
      const arg: Record<string, unknown> = { vcpu: op.vcpu };
      const rc = h.evtchn(op.d, EVTCHNOP.bind_ipi, arg);
      return void expect(rc < 0 ? rc : arg['port']).toBe(m.bindIpi(c, op.vcpu));
    }
    case 'close':
    case 'send':
    case 'unmask': {
      const rc = h.evtchn(op.d, EVTCHNOP[op.t], { port: op.port });
      return void expect(rc).toBe(op.t === 'close' ? m.close(c, op.port) : op.t === 'send' ? m.send(c, op.port) : m.unmask(c, op.port));
    }
    case 'status': {
      const arg: Record<string, unknown> = { dom: h.dom(op.dom), port: op.port };
      const rc = h.evtchn(op.d, EVTCHNOP.status, arg);
      const want = m.status(c, h.dom(op.dom), op.port);
      expect(rc).toBe(want.rc);
      if (rc === 0) expect(arg['status']).toBe(STAT[want.state === 'closed' ? 'closed' : want.state!.s]);
      return;
    }
    case 'reset':
      return void expect(h.evtchn(op.d, EVTCHNOP.reset, { dom: h.dom(op.dom) })).toBe(m.reset(c, h.dom(op.dom)));
    default:
      return applyGrant(h, op, c);
  }
}

/** The grant half of apply(). */
function applyGrant(h: Host, op: Op, c: number): void {
  const m = h.model;
  switch (op.t) {
    case 'entry': {
      const table = h.hv.grants.tablePages(c)!;
      const at = grantEntryAt(table, op.ref);
      if (!at) return;
      const kind = op.kind === 'transfer' ? GTF_accept_transfer : GTF_permit_access | (op.kind === 'ro' ? GTF_readonly : 0);
      const to = h.dom(op.to) & 0xffff;
      writeU16(at.page, at.offset + 2, to);
      writeU32(at.page, at.offset + 4, op.gfn >>> 0);
      const keep = at.page[at.offset]! & 0x18; // GTF_reading/GTF_writing are Xen's
      writeU16(at.page, at.offset, kind | keep);
      m.doms.get(c)!.entries.set(op.ref, { to, gfn: op.gfn >>> 0, readonly: op.kind === 'ro', permit: op.kind !== 'transfer' });
      return;
    }
    case 'revoke':
      return void expect(endForeignAccess(h.hv.grants.tablePages(c)!, op.ref)).toBe(grantEntryAt(h.hv.grants.tablePages(c)!, op.ref) ? m.revoke(c, op.ref) : false);
    case 'map': {
      const want = m.map(c, h.dom(op.dom), op.ref, op.flags);
      const r = h.gnttab(op.d, GNTTABOP.map_grant_ref, { dom: h.dom(op.dom), ref: op.ref, flags: op.flags, host_addr: 0 });
      expect(r['status'], `map ${JSON.stringify(op)}: ${String(r['reason'])}`).toBe(want);
      if (want === GNTST.okay) m.mapped(c, r['handle'] as number, h.dom(op.dom), op.ref, op.flags);
      return;
    }
    case 'unmap':
      return void expect(h.gnttab(op.d, GNTTABOP.unmap_grant_ref, { handle: op.handle, host_addr: 0, dev_bus_addr: 0 })['status']).toBe(m.unmap(c, op.handle));
    case 'copy':
      return copy(h, op, c);
    case 'setup':
      return void expect(h.gnttab(op.d, GNTTABOP.setup_table, { dom: h.dom(op.dom), nr_frames: op.nr })['status']).toBe(m.setup(c, h.dom(op.dom), op.nr));
    case 'raw': {
      const rc = h.call(op.d, op.nr, op.cmd, op.arg);
      const structured = op.nr === HYPERCALL.event_channel_op || op.nr === HYPERCALL.grant_table_op;
      if (structured && typeof op.cmd === 'number') expect([-EFAULT, -38]).toContain(rc); // no struct, or no such sub-op
      return;
    }
    case 'destroy':
      return h.destroy(op.d);
    case 'time':
      return void h.engine.run(h.engine.now + op.ns);
    default:
      throw new Error(`fuzz bug: ${op.t}`);
  }
}

/** A copy between two of the caller's own frames: done exactly, or nothing changes. */
function copy(h: Host, op: Extract<Op, { t: 'copy' }>, c: number): void {
  const d = h.hv.domain(c)!;
  const page = (g: number) => (g >= 0 && g < d.memFrames ? h.hv.memory.page(h.hv.gfnToMfn(d, g)) : undefined);
  const src = page(op.src)?.slice();
  const before = page(op.dst)?.slice();
  const side = (g: number, off: number) => ({ refOrGfn: g, domid: DOMID_SELF, offset: off });
  const r = h.gnttab(op.d, GNTTABOP.copy, { source: side(op.src, op.off), dest: side(op.dst, 0), len: op.len, flags: 0 });
  const after = page(op.dst);
  if (r['status'] === GNTST.okay) {
    expect(after!.subarray(0, op.len)).toEqual(src!.subarray(op.off, op.off + op.len));
    expect(op.off + op.len).toBeLessThanOrEqual(4096);
  } else if (before && after) expect(after).toEqual(before);
}

/** Unmaps every mapping, destroys every domU, and expects nothing left of any gone domain. */
function finish(h: Host): void {
  for (const [i, d] of h.slots.entries()) {
    for (const handle of [...h.model.doms.get(d.id)!.handles.keys(), ...h.model.zombies.filter((z) => z.mapper === d.id).map((z) => z.handle)]) {
      expect(h.gnttab(i, GNTTABOP.unmap_grant_ref, { handle, host_addr: 0, dev_bus_addr: 0 })['status']).toBe(GNTST.okay);
    }
  }
  for (let s = 1; s <= 3; s++) h.destroy(s);
  for (let s = 1; s <= 3; s++) h.hv.evtchn.reset(0, h.slots[s]!.id); // dom0 closes its own ends to them
  h.hv.evtchn.reset(0, 0);
  for (const id of h.gone) expect(leftovers({ hv: h.hv }, id), `dom${id}`).toEqual([]);
}

/** One sequence per run: build, apply every operation (walking the tables after each when
 *  `checkEveryOp`), walk them at the end, destroy everything, and count. */
export function hypercallProperty(checkEveryOp: boolean, stats: FuzzStats) {
  return fc.property(fc.array(opArb, { minLength: 1, maxLength: 24 }), (ops) => {
    const h = new Host();
    const checker = new InvariantChecker({ engine: h.engine, hv: h.hv }, { writes: false });
    for (const op of ops) {
      apply(h, op);
      if (checkEveryOp) checker.check();
    }
    checker.check();
    finish(h);
    checker.check();
    stats.sequences++;
    stats.ops += ops.length;
  });
}
