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

/** Bytes of one ref's active record: four 8-bit pin counts, then the mapper's domid + 1 and the
 *  pinned frame + 1 as 32-bit words (0 = not pinned), so that a fresh record needs no filling. */
const ACT_BYTES = 12;
const ACT_WORDS = ACT_BYTES / 4;

/** A granter's table: its frames, plus Xen's private active record for each entry. */
export class GrantTable {
  readonly frames: number[] = [];
  readonly pages: Uint8Array[] = [];
  /** The active records, one after another: a ref's pins, mapper and frame share a cache line
   *  (Xen's struct active_grant_entry), and all of them one allocation. Two views of one buffer. */
  private act = new Int32Array(0);
  private pins = new Uint8Array(0);
  /** Set when the granter is destroyed; the table lives on while others still map its frames. */
  dead = false;

  constructor(readonly domid: number) {}

  get nrEntries(): number { return this.frames.length * GRANT_ENTRIES_PER_FRAME; }
  validRef(ref: number): boolean { return Number.isInteger(ref) && ref >= 0 && ref < this.nrEntries; }
  pinCount(ref: number, kind: number): number { return this.pins[ref * ACT_BYTES + kind]!; }
  pinSum(ref: number, kinds: number): number {
    let n = 0;
    for (let k = 0; k < PIN_KINDS; k++) if (kinds & (1 << k)) n += this.pins[ref * ACT_BYTES + k]!;
    return n;
  }
  pinOverflowed(ref: number): boolean {
    for (let k = 0; k < PIN_KINDS; k++) if (this.pins[ref * ACT_BYTES + k]! >= PIN_OVERFLOW) return true;
    return false;
  }
  addPins(ref: number, kinds: number, by: 1 | -1): void {
    for (let k = 0; k < PIN_KINDS; k++) if (kinds & (1 << k)) this.pins[ref * ACT_BYTES + k]! += by;
  }
  /** The domain whose mappings pin `ref`, or NOT_PINNED. */
  activeDomid(ref: number): number { return this.act[ref * ACT_WORDS + 1]! - 1; }
  /** The frame `ref`'s pins are on, or NOT_PINNED. */
  activeMfn(ref: number): number { return this.act[ref * ACT_WORDS + 2]! - 1; }
  setActive(ref: number, domid: number, mfn: number): void {
    this.act[ref * ACT_WORDS + 1] = domid + 1;
    this.act[ref * ACT_WORDS + 2] = mfn + 1;
  }

  /**
   * Machine frames some domain maps through this table. Derived from the active records (a
   * pinned ref's frame and its pin counts), which map and unmap keep anyway, rather than kept
   * in a second structure on every map and unmap: only teardown and the invariant checker ask,
   * by a scan of the table.
   */
  mappedFrames(): Set<number> {
    const out = new Set<number>();
    for (let ref = 0; ref < this.nrEntries; ref++) if (this.activeMfn(ref) !== NOT_PINNED && this.pinSum(ref, ALL_KINDS) > 0) out.add(this.activeMfn(ref));
    return out;
  }

  /** True while a pinned ref of this table points at `mfn`. */
  mapsFrame(mfn: number): boolean {
    for (let ref = 0; ref < this.nrEntries; ref++) if (this.activeMfn(ref) === mfn && this.pinSum(ref, ALL_KINDS) > 0) return true;
    return false;
  }

  addFrames(mfns: number[], pages: Uint8Array[]): void {
    this.frames.push(...mfns);
    this.pages.push(...pages);
    const act = new Int32Array(this.nrEntries * ACT_WORDS);
    act.set(this.act);
    this.act = act;
    this.pins = new Uint8Array(act.buffer);
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
