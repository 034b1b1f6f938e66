// Hostile cases on the hypercall interface itself (REFERENCE §1.3, §4.2):
//   T12 privileged hypercalls from a domU (-EPERM) and numbers nobody handles (-ENOSYS);
//   T13 hostile arguments: huge or lying counts, frames outside the guest, half-failing
//       batches (each element answered on its own, rejected ones changing nothing), structs
//       of the wrong shape, sub-ops that do not exist.
import { gnttabSetupTable } from '../../hypervisor/public/calls';
import { EVTCHNOP } from '../../hypervisor/public/event_channel';
import {
  GNTCOPY_source_gref, GNTMAP_host_map, GNTMAP_readonly, GNTTABOP, GNTST, grantAccess, endForeignAccess,
} from '../../hypervisor/public/grant_table';
import { DOMID_SELF, HYPERCALL, VIRQ } from '../../hypervisor/public/xen';
import type { KGen } from '../kernel/types';
import { pattern, targetsOf, type AttackCtx } from './attack';

type Rec = Record<string, unknown>;
/** Numbers with no hypercall behind them in pvlab, and values that are no number at all. */
const NOT_HYPERCALLS: unknown[] = [99, 63, 64, 1000, -1, 1.5, NaN, '20', null];
/** Hypercalls Xen has that pvlab does not model (no handler: -ENOSYS like an unknown one). */
const UNMODELLED = [HYPERCALL.kexec_op, HYPERCALL.argo_op, HYPERCALL.xenpmu_op, HYPERCALL.hypfs_op, HYPERCALL.nmi_op];

/** T12: the control domain's hypercalls, another domain's tables, and non-hypercalls. */
export function* privilegedCalls(c: AttackCtx): KGen {
  const env = c.env;
  const other = targetsOf(c)[0] ?? 0;
  const call = (nr: unknown, ...args: unknown[]): number => {
    c.log.count();
    return env.hypercall(nr as number, ...args);
  };
  c.log.note('domctl', call(HYPERCALL.domctl, { cmd: 1, domain: other }));
  c.log.note('sysctl', call(HYPERCALL.sysctl, { cmd: 1 }));
  c.log.note('dm_op.other', call(HYPERCALL.dm_op, other, []));
  c.log.note('dm_op.self', call(HYPERCALL.dm_op, env.domid, []));
  c.log.note('unknown', NOT_HYPERCALLS.map((nr) => call(nr)));
  c.log.note('unmodelled', UNMODELLED.map((nr) => call(nr, 0, {})));
  c.log.note('xen_version', call(HYPERCALL.xen_version, 0));
  const setup: Rec = { dom: other, nr_frames: 1 };
  call(HYPERCALL.grant_table_op, GNTTABOP.setup_table, [setup], 1);
  c.log.note('setup_table.other', setup['status'] as number);
  const query: Rec = { dom: other };
  call(HYPERCALL.grant_table_op, GNTTABOP.query_size, [query], 1);
  c.log.note('query_size.other', query['status'] as number);
  c.log.note('bind_virq.domExc', call(HYPERCALL.event_channel_op, EVTCHNOP.bind_virq, { virq: VIRQ.DOM_EXC, vcpu: 0 }));
  c.log.note('evtchn.reset.other', call(HYPERCALL.event_channel_op, EVTCHNOP.reset, { dom: other }));
  yield* c.k.settle();
}

/** T13: wrong counts, frames outside the guest, mixed batches, malformed structs and sub-ops. */
export function* hostileArguments(c: AttackCtx): KGen {
  counts(c);
  framesOutside(c);
  halfFailingMaps(c);
  halfFailingCopies(c);
  malformedStructs(c);
  yield* c.k.settle();
}

function grantOp(c: AttackCtx, cmd: unknown, list: unknown, count?: unknown): number {
  c.log.count();
  const args = count === undefined ? [cmd, list] : [cmd, list, count];
  return c.env.hypercall(HYPERCALL.grant_table_op, ...args);
}

/** A self-map of one of our own pages: the cheapest valid element of a batch. */
function selfMap(ref: number, flags = GNTMAP_host_map | GNTMAP_readonly): Rec {
  return { dom: DOMID_SELF, ref, flags, host_addr: 0 };
}

function counts(c: AttackCtx): void {
  const two = [selfMap(8), selfMap(9)];
  c.log.note('count.huge', grantOp(c, GNTTABOP.map_grant_ref, two, 1e9));
  c.log.note('count.negative', grantOp(c, GNTTABOP.map_grant_ref, two, -1));
  c.log.note('count.fraction', grantOp(c, GNTTABOP.map_grant_ref, two, 1.5));
  c.log.note('count.pastTheList', grantOp(c, GNTTABOP.map_grant_ref, two, 3));
  c.log.note('count.overBatchLimit', grantOp(c, GNTTABOP.map_grant_ref, Array.from({ length: 5000 }, () => selfMap(8)), 5000));
  c.log.note('count.statusesWritten', two.filter((o) => 'status' in o).length);
  c.log.note('list.notAList', grantOp(c, GNTTABOP.map_grant_ref, { length: 2 }, 2));
  c.log.note('count.zero', grantOp(c, GNTTABOP.map_grant_ref, two, 0));
}

function framesOutside(c: AttackCtx): void {
  const table = gnttabSetupTable(c.env, 4).frames.map((m) => c.env.machinePage(m)!);
  grantAccess(table, 2000, c.env.domid, c.env.nrPages + 10, true); // a frame past our memory
  const map = [selfMap(2000)];
  grantOp(c, GNTTABOP.map_grant_ref, map, 1);
  c.log.note('map.framePastMemory', map[0]!['status'] as number);
  endForeignAccess(table, 2000);
  const copy: Rec[] = [{ source: { refOrGfn: c.env.nrPages + 5, domid: DOMID_SELF, offset: 0 }, dest: { refOrGfn: c.k.pages.alloc(), domid: DOMID_SELF, offset: 0 }, len: 8, flags: 0 }];
  grantOp(c, GNTTABOP.copy, copy, 1);
  c.log.note('copy.gfnPastMemory', copy[0]!['status'] as number);
  for (const nr of [65, 1e9, -1, 2.5]) {
    const op: Rec = { dom: DOMID_SELF, nr_frames: nr };
    const rc = grantOp(c, GNTTABOP.setup_table, [op], 1);
    c.log.note(`setup_table.${nr}`, (op['status'] as number | undefined) ?? rc);
  }
}

/** [valid, bad ref, valid, not a struct, wrong types, valid]: statuses per element. */
function halfFailingMaps(c: AttackCtx): void {
  const table = gnttabSetupTable(c.env, 4).frames.map((m) => c.env.machinePage(m)!);
  for (const ref of [2001, 2002, 2003]) grantAccess(table, ref, c.env.domid, c.k.pages.alloc(), true);
  const list: unknown[] = [selfMap(2001), selfMap(0xfffffff), selfMap(2002), 42, { dom: 'me', ref: 2003, flags: GNTMAP_host_map }, selfMap(2003)];
  grantOp(c, GNTTABOP.map_grant_ref, list, list.length);
  c.log.note('mapBatch.statuses', list.map((o) => (typeof o === 'object' && o !== null ? ((o as Rec)['status'] as number) : 1)));
  const handles = list.flatMap((o) => (typeof o === 'object' && o !== null && (o as Rec)['status'] === GNTST.okay ? [{ handle: (o as Rec)['handle'] }] : []));
  c.log.note('mapBatch.mapped', handles.length);
  const unmap = [...handles, { handle: 99999 }, 'x'];
  grantOp(c, GNTTABOP.unmap_grant_ref, unmap, unmap.length);
  c.log.note('unmapBatch.statuses', unmap.map((o) => (typeof o === 'object' ? ((o as Rec)['status'] as number) : 1)));
  for (const ref of [2001, 2002, 2003]) endForeignAccess(table, ref);
}

/** Copies between our own pages, one valid, the others refused: a refused one copies nothing. */
function halfFailingCopies(c: AttackCtx): void {
  const src = c.k.pages.alloc();
  const dsts = [0, 1, 2, 3, 4].map(() => c.k.pages.alloc());
  pattern(9)(c.env.page(src)!);
  for (const d of dsts) c.env.page(d)!.fill(0xcc);
  const side = (g: number, offset = 0, domid = DOMID_SELF) => ({ refOrGfn: g, domid, offset });
  const other = targetsOf(c)[0] ?? 0;
  const list: Rec[] = [
    { source: side(src), dest: side(dsts[0]!), len: 4096, flags: 0 },
    { source: side(src, 4000), dest: side(dsts[1]!), len: 200, flags: 0 }, // crosses the page end
    { source: side(src), dest: side(dsts[2]!), len: -1, flags: 0 },
    { source: side(0xffff, 0, other), dest: side(dsts[3]!), len: 64, flags: GNTCOPY_source_gref }, // someone else's ref
    { source: side(3, 0, other), dest: side(dsts[4]!), len: 64, flags: 0 }, // someone else's frame
  ];
  grantOp(c, GNTTABOP.copy, list, list.length);
  c.log.note('copyBatch.statuses', list.map((o) => o['status'] as number));
  c.log.note('copyBatch.refusedLeftDestinationsAlone', dsts.slice(1).every((d) => c.env.page(d)!.every((b) => b === 0xcc)));
  c.log.note('copyBatch.validCopied', c.env.page(dsts[0]!)!.every((b, i) => b === c.env.page(src)![i]));
}

function malformedStructs(c: AttackCtx): void {
  const ev = (cmd: unknown, arg: unknown): number => {
    c.log.count();
    return c.env.hypercall(HYPERCALL.event_channel_op, cmd, arg);
  };
  c.log.note('evtchn.argNotAStruct', ev(EVTCHNOP.send, 5));
  c.log.note('evtchn.argNull', ev(EVTCHNOP.send, null));
  c.log.note('evtchn.fieldMissing', ev(EVTCHNOP.alloc_unbound, { dom: DOMID_SELF }));
  c.log.note('evtchn.fieldAString', ev(EVTCHNOP.bind_ipi, { vcpu: '0' }));
  c.log.note('evtchn.cmdNotANumber', ev('send', { port: 1 }));
  c.log.note('evtchn.unknownCmd', ev(99, { port: 1 }));
  c.log.note('evtchn.fifoCmd', ev(EVTCHNOP.init_control, {}));
  c.log.note('evtchn.hugePort', ev(EVTCHNOP.unmask, { port: 1e12 }));
  c.log.note('evtchn.vcpuPastTheEnd', ev(EVTCHNOP.bind_ipi, { vcpu: 999 }));
  c.log.note('gnttab.unknownCmd', grantOp(c, 99, []));
  c.log.note('gnttab.cmdNotANumber', grantOp(c, 'map', []));
  c.log.note('gnttab.unmodelledCmd', grantOp(c, GNTTABOP.transfer, [{}], 1));
}
