// The grant table's private records (Xen's active entries and maptrack): per granter, the
// table's frames with pin counts per kind and the mapper and frame of each pinned ref; per
// mapping domain, the maptrack whose index is the grant handle. Only grant.ts uses them.
import { GNTMAP_device_map, GNTMAP_host_map, GNTMAP_readonly, GRANT_ENTRIES_PER_FRAME, GRANT_ENTRY_FLAGS, grantEntryAt, readU16, writeU16 } from './public/grant_table';

/** Pin counts are 8-bit fields; once one has its top bit set, Xen refuses more pins. */
export const PIN_OVERFLOW = 0x80;
/** Pin kinds, as Xen counts them: host/device mappings, each read-only or writable. */
export const PIN_HOST_READ = 0, PIN_HOST_WRITE = 1, PIN_DEV_READ = 2, PIN_DEV_WRITE = 3;
export const PIN_KINDS = 4;
export const NOT_PINNED = -1;

/** Pin kinds as bit sets: all, writable, and device ones. */
export const ALL_KINDS = (1 << PIN_KINDS) - 1;
export const WRITE_KINDS = (1 << PIN_HOST_WRITE) | (1 << PIN_DEV_WRITE);
export const DEVICE_KINDS = (1 << PIN_DEV_READ) | (1 << PIN_DEV_WRITE);

/** Bit set of pin kinds for a map request's flags. */
export function pinKindsOf(flags: number): number {
  const ro = (flags & GNTMAP_readonly) !== 0;
  let kinds = 0;
  if (flags & GNTMAP_host_map) kinds |= 1 << (ro ? PIN_HOST_READ : PIN_HOST_WRITE);
  if (flags & GNTMAP_device_map) kinds |= 1 << (ro ? PIN_DEV_READ : PIN_DEV_WRITE);
  return kinds;
}

export function bump<K>(m: Map<K, number>, key: K, by = 1): number {
  const n = (m.get(key) ?? 0) + by;
  if (n === 0) m.delete(key);
  else m.set(key, n);
  return n;
}

/** A granter's table: its frames, plus Xen's private active record for each entry. */
export class GrantTable {
  readonly frames: number[] = [];
  readonly pages: Uint8Array[] = [];
  /** Pin counts, PIN_KINDS per ref; the mapper and frame of each pinned ref. */
  pins = new Uint8Array(0);
  actDomid = new Int32Array(0);
  actMfn = new Int32Array(0);
  /** Set when the granter is destroyed; the table lives on while others still map its frames. */
  dead = false;

  constructor(readonly domid: number) {}

  get nrEntries(): number { return this.frames.length * GRANT_ENTRIES_PER_FRAME; }
  validRef(ref: number): boolean { return Number.isInteger(ref) && ref >= 0 && ref < this.nrEntries; }
  pinSum(ref: number, kinds: number): number {
    let n = 0;
    for (let k = 0; k < PIN_KINDS; k++) if (kinds & (1 << k)) n += this.pins[ref * PIN_KINDS + k]!;
    return n;
  }
  pinOverflowed(ref: number): boolean {
    for (let k = 0; k < PIN_KINDS; k++) if (this.pins[ref * PIN_KINDS + k]! >= PIN_OVERFLOW) return true;
    return false;
  }
  addPins(ref: number, kinds: number, by: 1 | -1): void {
    for (let k = 0; k < PIN_KINDS; k++) if (kinds & (1 << k)) this.pins[ref * PIN_KINDS + k]! += by;
  }

  /**
   * Machine frames some domain maps through this table. Derived from the active records (a
   * pinned ref's frame and its pin counts), which map and unmap keep anyway, rather than kept
   * in a second structure on every map and unmap: only teardown and the invariant checker ask,
   * by a scan of the table.
   */
  mappedFrames(): Set<number> {
    const out = new Set<number>();
    for (let ref = 0; ref < this.actMfn.length; ref++) if (this.actMfn[ref] !== NOT_PINNED && this.pinSum(ref, ALL_KINDS) > 0) out.add(this.actMfn[ref]!);
    return out;
  }

  /** True while a pinned ref of this table points at `mfn`. */
  mapsFrame(mfn: number): boolean {
    for (let ref = 0; ref < this.actMfn.length; ref++) if (this.actMfn[ref] === mfn && this.pinSum(ref, ALL_KINDS) > 0) return true;
    return false;
  }

  addFrames(mfns: number[], pages: Uint8Array[]): void {
    this.frames.push(...mfns);
    this.pages.push(...pages);
    const pins = new Uint8Array(this.nrEntries * PIN_KINDS);
    pins.set(this.pins);
    this.pins = pins;
    const grow = (old: Int32Array) => { const a = new Int32Array(this.nrEntries).fill(NOT_PINNED); a.set(old); return a; };
    this.actDomid = grow(this.actDomid);
    this.actMfn = grow(this.actMfn);
  }

  /** Sets or clears GTF_reading/GTF_writing in the guest-visible entry (not once dead). */
  updateStatus(ref: number, set: number, clear: number): void {
    const at = grantEntryAt(this.pages, ref);
    if (this.dead || at === undefined) return;
    const off = at.offset + GRANT_ENTRY_FLAGS;
    writeU16(at.page, off, (readU16(at.page, off) | set) & ~clear);
  }
}

export interface Mapping { table: GrantTable; ref: number; kinds: number; mfn: number }

/** One mapping domain's maptrack: the handle is the index. Freed handles are reused LIFO. */
export class Maptrack {
  readonly entries: (Mapping | undefined)[] = [];
  private readonly freeHandles: number[] = [];
  live = 0;

  constructor(readonly capacity: number) {}

  get full(): boolean { return this.live >= this.capacity; }
  get(h: number): Mapping | undefined { return Number.isInteger(h) && h >= 0 ? this.entries[h] : undefined; }
  handles(): number[] { return this.entries.flatMap((m, h) => (m === undefined ? [] : [h])); }
  add(m: Mapping): number {
    const h = this.freeHandles.pop() ?? this.entries.length;
    this.entries[h] = m;
    this.live++;
    return h;
  }
  remove(h: number): void {
    this.entries[h] = undefined;
    this.freeHandles.push(h);
    this.live--;
  }
}
