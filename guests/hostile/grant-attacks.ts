// Hostile cases on grant tables (REFERENCE §4.3):
//   T4 refs out of range → GNTST_bad_gntref, nothing pinned;
//   T5 mapping another domain's grants, entries without permit_access, a writable map of a
//      read-only grant → GNTST_general_error (the precise reason travels in the op and trace);
//   T6 unmap abuse (bogus, stale and double handles, a wrong device address);
//   T7 revoking a grant the backend has mapped, then dying with it mapped.
// The attacker reaches its own table through setup_table and writes entries itself, as a
// kernel does, so it can put any flags, domid or frame in them.
import { evtchnSend, gnttabMap, gnttabSetupTable, gnttabUnmap } from '../../hypervisor/public/calls';
import {
  GNTMAP_device_map, GNTMAP_host_map, GNTMAP_readonly, GNTST, GNTTABOP, GTF_accept_transfer, GTF_reading, GTF_writing,
  GRANT_ENTRY_FLAGS, endForeignAccess, grantAccess, grantEntryAt, readGrantEntry, readU16, writeU16,
} from '../../hypervisor/public/grant_table';
import { BLKIF_OP_READ } from '../../hypervisor/public/io/blkif';
import { DOMID_SELF, HYPERCALL } from '../../hypervisor/public/xen';
import type { KGen } from '../kernel/types';
import { grantedPage, targetsOf, type AttackCtx } from './attack';
import { sleep, spinFor, vbdDevids } from './kernel';
import { RawFront } from './rawfront';

const MS = 1_000_000;
/** Refs at the top of the 4-frame table: the kernel's allocator hands them out last. */
const SCRATCH_REF = 2040;
/** Refs past the end of any table (64 frames hold 32768), and the u32 extremes. */
const OUT_OF_RANGE_REFS = [2048 * 16, 32768, 0x7fffffff, 0xffffffff, -1];

/** The attacker's own table pages, as its kernel sees them after setup_table. */
function ownTable(c: AttackCtx): Uint8Array[] {
  const r = gnttabSetupTable(c.env, 4);
  return r.frames.map((mfn) => c.env.machinePage(mfn)).filter((p): p is Uint8Array => p !== undefined);
}

/** One raw map_grant_ref: status and, when refused, pvlab's precise reason. */
function mapRaw(c: AttackCtx, dom: number, ref: number, flags: number): { status: number; handle: number; reason?: string } {
  const op: Record<string, unknown> = { dom, ref, flags, host_addr: 0 };
  c.env.hypercall(HYPERCALL.grant_table_op, GNTTABOP.map_grant_ref, [op], 1);
  c.log.count();
  return { status: op['status'] as number, handle: op['handle'] as number, reason: op['reason'] as string | undefined };
}

/** T4: out-of-range refs at every target, by map and by copy. */
export function* badGrantRefs(c: AttackCtx): KGen {
  const statuses = new Set<number>();
  let okay = 0;
  for (const dom of [DOMID_SELF, ...targetsOf(c)]) {
    for (const ref of OUT_OF_RANGE_REFS) {
      const r = mapRaw(c, dom, ref, GNTMAP_host_map);
      statuses.add(r.status);
      if (r.status === GNTST.okay) okay++;
    }
  }
  c.log.note('map.okay', okay);
  c.log.note('map.self', mapRaw(c, DOMID_SELF, 0xffffffff, GNTMAP_host_map).status);
  c.log.note('map.statuses', [...statuses].sort((a, b) => a - b));
  const gfn = c.k.pages.alloc();
  const copy = { source: { refOrGfn: 0xffffffff, domid: DOMID_SELF, offset: 0 }, dest: { refOrGfn: gfn, domid: DOMID_SELF, offset: 0 }, len: 64, flags: 1 };
  const list = [copy as unknown as Record<string, unknown>];
  c.env.hypercall(HYPERCALL.grant_table_op, GNTTABOP.copy, list, 1);
  c.log.count();
  c.log.note('copy.fromBadRef', list[0]!['status'] as number);
  yield* c.k.settle();
}

/** T5: others' grants, entries that do not permit access, and write maps of read-only grants. */
export function* foreignGrants(c: AttackCtx): KGen {
  let okay = 0;
  const reasons = new Set<string>();
  const statuses = new Set<number>();
  const deadline = c.env.now() + (c.opts.durationNs ?? 0);
  do {
    for (const dom of targetsOf(c)) {
      for (let ref = 0; ref < 64; ref++) {
        const r = mapRaw(c, dom, ref, GNTMAP_host_map | GNTMAP_readonly);
        if (r.status === GNTST.okay) {
          okay++;
          gnttabUnmap(c.env, [r.handle]);
        }
        statuses.add(r.status);
        if (r.reason) reasons.add(r.reason);
      }
    }
    if (c.env.now() < deadline) yield* sleep(c.k, 50_000); // and again, while others' grants come and go
  } while (c.env.now() < deadline);
  c.log.note('foreign.okay', okay);
  c.log.note('foreign.statuses', [...statuses].sort((a, b) => a - b));
  c.log.note('foreign.reasons', [...reasons].sort().join(','));
  const table = ownTable(c);
  const gfn = c.k.pages.alloc();
  grantAccess(table, SCRATCH_REF, c.env.domid, gfn, true);
  const rw = mapRaw(c, DOMID_SELF, SCRATCH_REF, GNTMAP_host_map);
  c.log.note('self.writableMapOfReadonly', rw.status);
  c.log.note('self.writableMapOfReadonly.reason', rw.reason ?? '');
  const ro = mapRaw(c, DOMID_SELF, SCRATCH_REF, GNTMAP_host_map | GNTMAP_readonly);
  c.log.note('self.readonlyMapOfReadonly', ro.status);
  if (ro.status === GNTST.okay) gnttabUnmap(c.env, [ro.handle]);
  grantAccess(table, SCRATCH_REF + 1, c.env.domid, gfn, false);
  const at = grantEntryAt(table, SCRATCH_REF + 1)!;
  writeU16(at.page, at.offset + GRANT_ENTRY_FLAGS, GTF_accept_transfer);
  const nt = mapRaw(c, DOMID_SELF, SCRATCH_REF + 1, GNTMAP_host_map);
  c.log.note('self.notPermitAccess', nt.status);
  c.log.note('self.notPermitAccess.reason', nt.reason ?? '');
  const other = targetsOf(c)[0] ?? 0;
  grantAccess(table, SCRATCH_REF + 2, other, gfn, false); // granted to someone else, mapped by me
  const wd = mapRaw(c, DOMID_SELF, SCRATCH_REF + 2, GNTMAP_host_map);
  c.log.note('self.grantedToAnother', wd.status);
  c.log.note('self.grantedToAnother.reason', wd.reason ?? '');
  for (const r of [SCRATCH_REF, SCRATCH_REF + 1, SCRATCH_REF + 2]) endForeignAccess(table, r);
  yield* c.k.settle();
}

/** T6: bogus, stale and double handles; a device map unmapped with the wrong address. */
export function* unmapAbuse(c: AttackCtx): KGen {
  const table = ownTable(c);
  const gfn = c.k.pages.alloc();
  grantAccess(table, SCRATCH_REF, c.env.domid, gfn, false);
  const [a, b] = gnttabMap(c.env, [
    { dom: DOMID_SELF, ref: SCRATCH_REF, flags: GNTMAP_host_map },
    { dom: DOMID_SELF, ref: SCRATCH_REF, flags: GNTMAP_host_map },
  ]);
  c.log.count(2);
  c.log.note('map.twice', [a!.status, b!.status]);
  c.log.note('bogus', gnttabUnmap(c.env, [12345, -1, 0x100000000, 2 ** 53]));
  const raw = [{ handle: 'h' }, { handle: NaN }, { nothing: 1 }] as unknown as Record<string, unknown>[];
  c.env.hypercall(HYPERCALL.grant_table_op, GNTTABOP.unmap_grant_ref, raw, raw.length);
  c.log.note('malformed', raw.map((o) => o['status'] as number));
  c.log.note('first', gnttabUnmap(c.env, [a!.handle]));
  c.log.note('revokeWithOneLeft', endForeignAccess(table, SCRATCH_REF));
  c.log.note('double', gnttabUnmap(c.env, [a!.handle]));
  c.log.note('second', gnttabUnmap(c.env, [b!.handle]));
  c.log.note('flagsAfter', readU16(grantEntryAt(table, SCRATCH_REF)!.page, grantEntryAt(table, SCRATCH_REF)!.offset) & (GTF_reading | GTF_writing));
  c.log.note('revokeWhenUnmapped', endForeignAccess(table, SCRATCH_REF));
  grantAccess(table, SCRATCH_REF, c.env.domid, gfn, false);
  const [dev] = gnttabMap(c.env, [{ dom: DOMID_SELF, ref: SCRATCH_REF, flags: GNTMAP_host_map | GNTMAP_device_map }]);
  const wrongAddr = [{ handle: dev!.handle, host_addr: 0, dev_bus_addr: 4096 * 7 + 1 }] as Record<string, unknown>[];
  c.env.hypercall(HYPERCALL.grant_table_op, GNTTABOP.unmap_grant_ref, wrongAddr, 1);
  c.log.note('wrongDevAddr', wrongAddr[0]!['status'] as number);
  c.log.note('devUnmap', gnttabUnmap(c.env, [dev!.handle]));
  endForeignAccess(table, SCRATCH_REF);
  c.log.count(14);
  yield* c.k.settle();
}

/** T7: a read in flight holds our page mapped in dom0; revoke it, then wait to be destroyed. */
export function* revokeWhileMapped(c: AttackCtx): KGen {
  const ids = yield* vbdDevids(c.k);
  if (ids.length === 0) return void (c.log.skipped = 'no disk to attack');
  const f = new RawFront(c.k, ids[0]!);
  if (!(yield* f.connect()).ok) return void (c.log.skipped = 'the disk did not connect');
  const table = ownTable(c);
  const p = grantedPage(c, f.beId, false)!;
  c.log.note('page.gfn', p.gfn);
  c.log.note('page.gref', p.gref);
  const inUse = (): boolean => (readGrantEntry(table, p.gref)!.flags & (GTF_reading | GTF_writing)) !== 0;
  for (let i = 0; i < 16; i++) f.produce({ op: BLKIF_OP_READ, id: i, sector: i * 64, segs: [{ gref: p.gref, first: 0, last: 7 }] });
  f.publish();
  const mapped = yield* spinFor(c.k, inUse, c.env.now() + 10 * MS, 100);
  c.log.note('mappedByBackend', mapped);
  c.log.note('revokeWhileMapped', endForeignAccess(table, p.gref));
  c.log.note('entryAfterRevoke', readGrantEntry(table, p.gref)!.domid === f.beId);
  c.log.note('waitingToBeDestroyed', true);
  c.log.count(18);
  if (c.opts.holdInFlight === false) return;
  evtchnSend(c.env, f.port); // and keep the backend busy while the toolstack destroys us
}
