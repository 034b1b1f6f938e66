// Grant tables: the hypervisor's side of GNTTABOP (grant_table_op, hypercall 20), v1 entries.
// A granter's table lives in frames of machine memory it owns and writes itself (see
// public/grant_table.ts); Xen keeps beside it, privately, an "active" record per entry (who
// pinned it, which frame, pin counts per kind) and, per MAPPING domain, a maptrack table whose
// index is the grant handle. Map follows every check of Xen's map_grant_ref in order; each
// refusal keeps a precise internal reason and is reported to the guest as a GNTST_* code.
// Called by the hypercall dispatcher (caller = calling domain), by domain teardown, and by
// hypervisor code that needs a mapped page (accessFrame). Guests' bad arguments never throw.

import { type MachineMemory, FREE, PAGE_SIZE } from '../hw/memory';
import { EEXIST, EINVAL, ENOMEM, ESRCH } from './public/errno';
import {
  GNTCOPY_dest_gref, GNTCOPY_source_gref, GNTMAP_contains_pte, GNTMAP_device_map, GNTMAP_host_map,
  GNTMAP_readonly, GNTST, GTF_permit_access, GTF_reading,
  GTF_readonly, GTF_type_mask, GTF_writing, gntstName, readGrantEntry,
  type CopyOp, type CopySide, type MapOp,
} from './public/grant_table';
import { DOMID_SELF } from './public/xen';
import { ALL_KINDS, DEVICE_KINDS, GrantTable, Maptrack, NOT_PINNED, PIN_KINDS, WRITE_KINDS, bump, pinKindsOf, type Mapping } from './grant-records';

export type { CopyOp, CopySide, MapOp } from './public/grant_table';

export interface GrantDomain {
  id: number;
  privileged: boolean;
  hvm: boolean;
  dying: boolean;
  /** The machine frame behind `gfn`: GFN_NOT_RAM if none, GFN_PAGED_OUT if paged out. */
  gfnToMfn(gfn: number): number;
  maxGrantFrames: number;
  maxMaptrackFrames: number;
}
export interface GrantDeps {
  memory: MachineMemory;
  domain(id: number): GrantDomain | undefined;
  /** The XSM hook on map and copy; absent = the dummy policy, which allows. */
  xsmAllowsGrant?(caller: number, granter: number): boolean;
}
export const GFN_NOT_RAM = -1;
export const GFN_PAGED_OUT = -2;

/** Xen's struct grant_mapping is 16 bytes, so one maptrack frame holds 256 handles. */
export const MAPTRACK_ENTRIES_PER_FRAME = PAGE_SIZE / 16;

/** Why an operation was refused (the precise reason, kept for traces) -> the GNTST_* the guest sees. */
const REJECTIONS = {
  'no-map-kind': GNTST.bad_gntref, 'ref-out-of-range': GNTST.bad_gntref,
  'no-such-domain': GNTST.bad_domain, 'granter-dying': GNTST.bad_domain,
  'xsm-denied': GNTST.permission_denied, 'foreign-frame-copy': GNTST.permission_denied,
  'not-privileged': GNTST.permission_denied,
  'maptrack-full': GNTST.no_space, 'frame-not-granter-ram': GNTST.bad_page, 'frame-paged-out': GNTST.eagain,
  'unknown-handle': GNTST.bad_handle, 'dev-addr-mismatch': GNTST.bad_dev_addr,
  'copy-crosses-page': GNTST.bad_copy_arg,
  'unknown-caller': GNTST.general_error, 'hvm-device-map': GNTST.general_error,
  'pinned-by-other-domid': GNTST.general_error, 'pin-overflow': GNTST.general_error,
  'not-permit-access': GNTST.general_error, 'wrong-domid': GNTST.general_error,
  'readonly-violation': GNTST.general_error, 'table-too-big': GNTST.general_error,
  'out-of-memory': GNTST.general_error,
} as const;
export type GrantRejectionKind = keyof typeof REJECTIONS;
export interface GrantRejection { kind: GrantRejectionKind }
const reject = (kind: GrantRejectionKind): GrantRejection => ({ kind });
const isRejection = (x: unknown): x is GrantRejection => typeof x === 'object' && x !== null && 'kind' in x;

export interface MapResult { status: number; handle: number; mfn: number; devBusAddr: number; reason?: GrantRejection }
export interface UnmapResult { status: number; reason?: GrantRejection }
export interface SetupResult { status: number; frames: number[]; reason?: GrantRejection }
/** One live mapping as invariant checkers and reports see it (never handed to guests). */
export interface LiveMapping { mapper: number; handle: number; granter: number; ref: number; mfn: number; writable: boolean }
/** A mapped page as a backend sees it. Writing it when `writable` is false is a pvlab bug. */
export interface MappedFrame { page: Uint8Array; mfn: number; writable: boolean }

export interface GrantCounters {
  maps: number; unmaps: number; copies: number; bytesCopied: number;
  /** Failed elements by GNTST name ("GNTST_bad_gntref") and by internal reason. */
  failures: Record<string, number>;
  failuresByReason: Partial<Record<GrantRejectionKind, number>>;
}

interface DomState { table: GrantTable; maptrack: Maptrack }

export class GrantTables {
  readonly counters: GrantCounters = { maps: 0, unmaps: 0, copies: 0, bytesCopied: 0, failures: {}, failuresByReason: {} };
  private readonly doms = new Map<number, DomState>();
  /** Frames of destroyed granters kept alive because others still map them. */
  private readonly zombieFrames = new Set<number>();

  constructor(private readonly deps: GrantDeps) {}

  /** Builds the domain's table in `initialFrames` frames of its own memory (0 or -errno). */
  initDomain(id: number, initialFrames: number): number {
    const d = this.deps.domain(id);
    if (d === undefined) return -ESRCH;
    if (this.doms.has(id)) return -EEXIST;
    if (!Number.isInteger(initialFrames) || initialFrames < 0 || initialFrames > d.maxGrantFrames) return -EINVAL;
    const state = { table: new GrantTable(id), maptrack: new Maptrack(d.maxMaptrackFrames * MAPTRACK_ENTRIES_PER_FRAME) };
    if (!this.grow(state.table, initialFrames)) return -ENOMEM;
    this.doms.set(id, state);
    return 0;
  }

  /** GNTTABOP_setup_table: grows `dom`'s table to `nrFrames` and lists its first frames. */
  setupTable(caller: number, dom: number, nrFrames: number): SetupResult {
    const tgt = this.target(caller, dom);
    let why = isRejection(tgt) ? tgt : undefined;
    if (!isRejection(tgt)) {
      const fits = Number.isInteger(nrFrames) && nrFrames >= 0 && nrFrames <= tgt.d.maxGrantFrames;
      if (!fits) why = reject('table-too-big');
      else if (!this.grow(tgt.s.table, nrFrames)) why = reject('out-of-memory');
      else return { status: GNTST.okay, frames: tgt.s.table.frames.slice(0, nrFrames) };
    }
    return { status: this.fail(why!), frames: [], reason: why };
  }

  /** GNTTABOP_query_size. */
  querySize(caller: number, dom: number): { status: number; nrFrames: number; maxFrames: number } {
    const tgt = this.target(caller, dom);
    if (isRejection(tgt)) return { status: REJECTIONS[tgt.kind], nrFrames: 0, maxFrames: 0 };
    return { status: GNTST.okay, nrFrames: tgt.s.table.frames.length, maxFrames: tgt.d.maxGrantFrames };
  }

  /** The pages of `dom`'s table, for the domain builder and for guests' helpers. */
  tablePages(dom: number): readonly Uint8Array[] | undefined {
    return this.doms.get(dom)?.table.pages;
  }

  /** GNTTABOP_map_grant_ref, one element. */
  map(caller: number, op: MapOp): MapResult {
    const r = this.tryMap(caller, op);
    if (isRejection(r)) return { status: this.fail(r), handle: -1, mfn: -1, devBusAddr: 0, reason: r };
    this.counters.maps++;
    return r;
  }

  /** GNTTABOP_unmap_grant_ref, one element. A non-zero `devBusAddr` must match a device map. */
  unmap(caller: number, handle: number, devBusAddr = 0): UnmapResult {
    const mt = this.doms.get(caller)?.maptrack;
    const m = mt?.get(handle);
    let why: GrantRejection | undefined;
    if (m === undefined) why = reject('unknown-handle');
    else if (devBusAddr !== 0 && (m.kinds & DEVICE_KINDS) !== 0 && devBusAddr !== m.mfn * PAGE_SIZE) {
      why = reject('dev-addr-mismatch');
    }
    if (why !== undefined) return { status: this.fail(why), reason: why };
    this.release(mt!, handle);
    this.counters.unmaps++;
    return { status: GNTST.okay };
  }

  /** GNTTABOP_copy: Xen copies the bytes itself. One status per element. */
  copy(caller: number, ops: readonly CopyOp[]): number[] {
    return ops.map((op) => {
      const r = this.copyOne(caller, op);
      if (r !== undefined) return this.fail(r);
      this.counters.copies++;
      this.counters.bytesCopied += op.len;
      return GNTST.okay;
    });
  }

  /** The frame behind one of `mapper`'s handles, or undefined for a handle it does not hold. */
  accessFrame(mapper: number, handle: number): MappedFrame | undefined {
    const m = this.doms.get(mapper)?.maptrack.get(handle);
    if (m === undefined) return undefined;
    return { page: this.deps.memory.page(m.mfn), mfn: m.mfn, writable: (m.kinds & WRITE_KINDS) !== 0 };
  }

  /** Every live mapping of every domain, in (mapper, handle) order: read-only, for checkers. */
  liveMappings(): LiveMapping[] {
    const out: LiveMapping[] = [];
    for (const [mapper, s] of this.doms) {
      for (const h of s.maptrack.handles()) {
        const m = s.maptrack.get(h)!;
        out.push({ mapper, handle: h, granter: m.table.domid, ref: m.ref, mfn: m.mfn, writable: (m.kinds & WRITE_KINDS) !== 0 });
      }
    }
    return out;
  }

  /** True while some domain maps `mfn`: domain teardown must not free such a frame. */
  isFrameMapped(mfn: number): boolean {
    return this.zombieFrames.has(mfn) || this.doms.get(this.deps.memory.owner(mfn))?.table.mapsFrame(mfn) === true;
  }

  /**
   * Tears down `id`'s grant state: releases every mapping it holds, then its table. Returns the
   * frames of `id` that others still map. The caller must leave those allocated (call this
   * BEFORE freeing the domain's memory); each is freed here when its last mapping goes.
   */
  destroyDomain(id: number): number[] {
    const s = this.doms.get(id);
    if (s === undefined) return [];
    for (const h of s.maptrack.handles()) this.release(s.maptrack, h);
    this.doms.delete(id);
    const t = s.table;
    t.dead = true;
    const mapped = t.mappedFrames();
    for (const mfn of t.frames) if (!mapped.has(mfn)) this.deps.memory.free(mfn);
    const retained = [...mapped];
    for (const mfn of retained) this.zombieFrames.add(mfn);
    return retained;
  }

  /** Broken internal state, one message each; empty when all is well. */
  checkInvariants(): string[] {
    const out: string[] = [];
    const want = new Map<GrantTable, Expected>();
    const expect = (t: GrantTable): Expected =>
      want.get(t) ?? want.set(t, { pins: new Uint16Array(t.nrEntries * PIN_KINDS), mfns: new Map() }).get(t)!;
    for (const s of this.doms.values()) expect(s.table);
    for (const [id, s] of this.doms) {
      if (s.table.dead || s.maptrack.live !== s.maptrack.handles().length) out.push(`dom${id}: bookkeeping wrong`);
      for (const h of s.maptrack.handles()) {
        const m = s.maptrack.get(h)!;
        const w = expect(m.table);
        const act = m.table.activeDomid(m.ref) === id && m.table.activeMfn(m.ref) === m.mfn;
        if (!act) out.push(`dom${id} handle ${h}: active record of ${m.table.domid}:${m.ref} disagrees`);
        for (let k = 0; k < PIN_KINDS; k++) if (m.kinds & (1 << k)) w.pins[m.ref * PIN_KINDS + k]!++;
        bump(w.mfns, m.mfn);
      }
    }
    for (const [t, w] of want) checkTable(t, w, out);
    const zombiesMapped = new Set([...want].flatMap(([t, w]) => (t.dead ? [...w.mfns.keys()] : [])));
    for (const mfn of this.zombieFrames) {
      if (this.deps.memory.owner(mfn) === FREE) out.push(`zombie frame ${mfn} was freed while mapped`);
      if (!zombiesMapped.has(mfn)) out.push(`zombie frame ${mfn} kept though nobody maps it`);
    }
    return out;
  }

  // ---- map ----------------------------------------------------------------------------

  /** map_grant_ref's checks, in Xen's order; effects only once every check has passed. */
  private tryMap(caller: number, op: MapOp): MapResult | GrantRejection {
    const mapper = this.deps.domain(caller);
    const ms = this.doms.get(caller);
    if (mapper === undefined || ms === undefined) return reject('unknown-caller');
    if ((op.flags & (GNTMAP_host_map | GNTMAP_device_map)) === 0) return reject('no-map-kind');
    if (mapper.hvm && (op.flags & (GNTMAP_device_map | GNTMAP_contains_pte)) !== 0) return reject('hvm-device-map');
    const gid = op.dom === DOMID_SELF ? caller : op.dom;
    const granter = this.granter(caller, gid);
    if (isRejection(granter)) return granter;
    if (ms.maptrack.full) return reject('maptrack-full');
    const table = this.doms.get(gid)!.table;
    if (!table.validRef(op.ref)) return reject('ref-out-of-range');
    const readonly = (op.flags & GNTMAP_readonly) !== 0;
    const mfn = this.claim(table, granter, caller, op.ref, readonly);
    if (isRejection(mfn)) return mfn;
    const m: Mapping = { table, ref: op.ref, kinds: pinKindsOf(op.flags), mfn };
    this.pin(m, caller, readonly);
    const devBusAddr = (op.flags & GNTMAP_device_map) !== 0 ? mfn * PAGE_SIZE : 0;
    return { status: GNTST.okay, handle: ms.maptrack.add(m), mfn, devBusAddr };
  }

  /** The granting domain, if it may be used by `caller` (map and copy). */
  private granter(caller: number, gid: number): GrantDomain | GrantRejection {
    const g = this.deps.domain(gid);
    if (g === undefined || !this.doms.has(gid)) return reject('no-such-domain');
    if (g.dying) return reject('granter-dying');
    if (this.deps.xsmAllowsGrant !== undefined && !this.deps.xsmAllowsGrant(caller, gid)) return reject('xsm-denied');
    return g;
  }

  /**
   * Steps 5-8 of map (also used by copy): the pinned entry's owner and pin room, else one copy
   * of the guest entry checked for type, domid and readonly; then the frame. Pure: no effects.
   */
  private claim(t: GrantTable, g: GrantDomain, caller: number, ref: number, readonly: boolean): number | GrantRejection {
    const pinned = t.pinSum(ref, ALL_KINDS) > 0;
    if (pinned && t.activeDomid(ref) !== caller) return reject('pinned-by-other-domid');
    if (pinned && t.pinOverflowed(ref)) return reject('pin-overflow');
    if (pinned && (readonly || t.pinSum(ref, WRITE_KINDS) > 0)) return t.activeMfn(ref);
    const e = readGrantEntry(t.pages, ref)!;
    if ((e.flags & GTF_type_mask) !== GTF_permit_access) return reject('not-permit-access');
    if (e.domid !== caller) return reject('wrong-domid');
    if (!readonly && (e.flags & GTF_readonly) !== 0) return reject('readonly-violation');
    return pinned ? t.activeMfn(ref) : this.frameOf(g, e.frame);
  }

  /** A gfn of `g` as a machine frame that really is `g`'s RAM. */
  private frameOf(g: GrantDomain, gfn: number): number | GrantRejection {
    const mfn = g.gfnToMfn(gfn);
    if (mfn === GFN_PAGED_OUT) return reject('frame-paged-out');
    const mem = this.deps.memory;
    return mfn >= 0 && mem.isValid(mfn) && mem.owner(mfn) === g.id ? mfn : reject('frame-not-granter-ram');
  }

  /** Takes the pins of a new mapping and marks the entry in use (Xen's bounded CMPXCHG). */
  private pin(m: Mapping, mapper: number, readonly: boolean): void {
    m.table.addPins(m.ref, m.kinds, 1);
    m.table.setActive(m.ref, mapper, m.mfn);
    m.table.updateStatus(m.ref, GTF_reading | (readonly ? 0 : GTF_writing), 0);
  }

  /** Drops one mapping: pins, GTF bits when their counts reach 0, and a zombie's frame. */
  private release(mt: Maptrack, h: number): void {
    const { table: t, ref, kinds, mfn } = mt.get(h)!;
    t.addPins(ref, kinds, -1);
    mt.remove(h);
    if (t.pinSum(ref, WRITE_KINDS) === 0) t.updateStatus(ref, 0, GTF_writing);
    if (t.pinSum(ref, ALL_KINDS) === 0) {
      t.updateStatus(ref, 0, GTF_reading);
      t.setActive(ref, NOT_PINNED, NOT_PINNED);
    }
    if (t.dead && !t.mapsFrame(mfn) && this.zombieFrames.delete(mfn) && this.deps.memory.owner(mfn) === t.domid) {
      this.deps.memory.free(mfn);
    }
  }

  // ---- copy ---------------------------------------------------------------------------

  private copyOne(caller: number, op: CopyOp): GrantRejection | undefined {
    if (this.deps.domain(caller) === undefined || !this.doms.has(caller)) return reject('unknown-caller');
    if (!inPage(op.source.offset, op.len) || !inPage(op.dest.offset, op.len)) return reject('copy-crosses-page');
    const src = this.copyFrame(caller, op.source, (op.flags & GNTCOPY_source_gref) !== 0, true);
    if (isRejection(src)) return src;
    const dst = this.copyFrame(caller, op.dest, (op.flags & GNTCOPY_dest_gref) !== 0, false);
    if (isRejection(dst)) return dst;
    const mem = this.deps.memory;
    mem.page(dst).set(mem.page(src).subarray(op.source.offset, op.source.offset + op.len), op.dest.offset);
    return undefined;
  }

  /** One side of a copy as a machine frame: a grant (same rules as map) or a local gfn. */
  private copyFrame(caller: number, side: CopySide, isGref: boolean, readonly: boolean): number | GrantRejection {
    const did = side.domid === DOMID_SELF ? caller : side.domid;
    const g = this.granter(caller, did);
    if (isRejection(g)) return g;
    if (!isGref) {
      if (did !== caller && !this.privileged(caller)) return reject('foreign-frame-copy');
      return this.frameOf(g, side.refOrGfn);
    }
    const t = this.doms.get(did)!.table;
    if (!t.validRef(side.refOrGfn)) return reject('ref-out-of-range');
    return this.claim(t, g, caller, side.refOrGfn, readonly);
  }

  // ---- plumbing -----------------------------------------------------------------------

  /** `dom` (DOMID_SELF = caller), if the caller may act on its table (privileged for others). */
  private target(caller: number, dom: number): { d: GrantDomain; s: DomState } | GrantRejection {
    const did = dom === DOMID_SELF ? caller : dom;
    const d = this.deps.domain(did);
    const s = this.doms.get(did);
    if (d === undefined || s === undefined) return reject('no-such-domain');
    return did !== caller && !this.privileged(caller) ? reject('not-privileged') : { d, s };
  }

  private grow(t: GrantTable, nrFrames: number): boolean {
    const more = nrFrames - t.frames.length;
    if (more <= 0) return true;
    const mfns = this.deps.memory.allocate(t.domid, more);
    if (mfns === null) return false;
    t.addFrames(mfns, mfns.map((m) => this.deps.memory.page(m)));
    return true;
  }

  private privileged(id: number): boolean { return this.deps.domain(id)?.privileged === true; }

  private fail(r: GrantRejection): number {
    const status = REJECTIONS[r.kind];
    const c = this.counters;
    c.failures[gntstName(status)] = (c.failures[gntstName(status)] ?? 0) + 1;
    c.failuresByReason[r.kind] = (c.failuresByReason[r.kind] ?? 0) + 1;
    return status;
  }
}

/** What a table's private records must say, recomputed from every maptrack. */
interface Expected { pins: Uint16Array; mfns: Map<number, number> }

function checkTable(t: GrantTable, want: Expected, out: string[]): void {
  for (let i = 0; i < t.nrEntries * PIN_KINDS; i++) {
    const have = t.pinCount(Math.floor(i / PIN_KINDS), i % PIN_KINDS);
    if (have !== want.pins[i]) out.push(`dom${t.domid} ref ${Math.floor(i / PIN_KINDS)}: pin count ${have}, ${want.pins[i]} mappings`);
  }
  for (let ref = 0; ref < t.nrEntries; ref++) {
    const pinned = t.pinSum(ref, ALL_KINDS) > 0;
    if (pinned !== (t.activeDomid(ref) !== NOT_PINNED)) out.push(`dom${t.domid} ref ${ref}: active record disagrees with pins`);
  }
  const have = t.mappedFrames();
  const same = have.size === want.mfns.size && [...want.mfns.keys()].every((mfn) => have.has(mfn));
  if (!same) out.push(`dom${t.domid}: mapped frames disagree with maptrack`);
}

function inPage(offset: number, len: number): boolean {
  return Number.isInteger(offset) && Number.isInteger(len) && offset >= 0 && len >= 0 && offset + len <= PAGE_SIZE;
}
