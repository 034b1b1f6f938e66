// Address spaces and their page tables, page by page, as a Linux kernel keeps them: a process
// maps regions (text, data, heap, stack, libraries, mmaps), each backed by page frames of the
// guest's memory, and the kernel writes one page-table entry (PTE) per page it maps, unmaps or
// write-protects. This module only plans those writes: which frames become page tables, which
// entries change to what. How a write reaches the MMU (a store, a trapped store, an mmu_update
// hypercall) is the kernel personality's business (personality.ts).
//
// Layout: the top table and one table per lower upper level (levels - 1 frames) link down to
// the L1 tables; every region occupies whole L1 tables of its own, in slots of the lowest upper
// table, so a region of n pages needs ceil(n / entries) of them when fully present.
import { PTE_PRESENT, PTE_RW, PTE_USER } from '../../hypervisor/public/mmu';
import type { PageAllocator } from './pages';

export interface Geometry {
  /** Paging levels: 2 on 32-bit x86 without PAE, 4 on x86-64. */
  readonly levels: number;
  /** Entries per table. */
  readonly entries: number;
  readonly entryBytes: number;
}

export function geometry(levels: number): Geometry {
  return levels === 2 ? { levels, entries: 1024, entryBytes: 4 } : { levels, entries: 512, entryBytes: 8 };
}

/** Page frames with reference counts: copy-on-write sharing and the page cache's own hold. */
export class Frames {
  private readonly refs = new Map<number, number>();
  constructor(private readonly pages: PageAllocator) {}

  /** A fresh frame with one reference, or -1 when memory is exhausted. */
  alloc(): number {
    const gfn = this.pages.alloc();
    if (gfn >= 0) this.refs.set(gfn, 1);
    return gfn;
  }

  get(gfn: number): void {
    this.refs.set(gfn, (this.refs.get(gfn) ?? 0) + 1);
  }

  put(gfn: number): void {
    const n = (this.refs.get(gfn) ?? 1) - 1;
    if (n > 0) this.refs.set(gfn, n);
    else {
      this.refs.delete(gfn);
      this.pages.free(gfn);
    }
  }

  refsOf(gfn: number): number {
    return this.refs.get(gfn) ?? 0;
  }
}

/** PTE writes to make, in order; `groups` cuts it where separate faults made them. */
export class PteBatch {
  readonly table: number[] = [];
  readonly index: number[] = [];
  /** The frame mapped, or -1 to clear the entry. */
  readonly frame: number[] = [];
  readonly flags: number[] = [];
  /** The level of the table written: 1 for an L1 (a page's entry), more for a link. */
  readonly level: number[] = [];
  readonly groups: number[] = [];

  get length(): number {
    return this.table.length;
  }

  push(table: number, index: number, frame: number, flags: number, level = 1): void {
    this.table.push(table);
    this.index.push(index);
    this.frame.push(frame);
    this.flags.push(flags);
    this.level.push(level);
  }

  /** Ends a group (one fault's writes). */
  cut(): void {
    if (this.groups[this.groups.length - 1] !== this.length) this.groups.push(this.length);
  }
}

/** A table frame the kernel needs typed (PV pins it) and its level. */
export interface NewTable {
  gfn: number;
  level: number;
}

export interface RegionSpec {
  name: string;
  pages: number;
  writable: boolean;
  /** Shared mappings (program text, a MAP_SHARED file) are never copy-on-write. */
  shared: boolean;
  /** Its frames belong to the page cache (program text, a mapped file): mapping one takes no
   *  reference, unmapping frees nothing. */
  external?: boolean;
}

export class Region {
  /** The frame mapped at each page, -1 where nothing is. */
  readonly frames: Int32Array;
  /** Pages write-protected for copy-on-write. */
  readonly cow: Uint8Array;
  /** The L1 table frame of each of the region's table slots, -1 where none is yet. */
  readonly tables: Int32Array;
  readonly tablePresent: Int32Array;
  present = 0;

  constructor(
    readonly spec: RegionSpec,
    /** Its first slot in the lowest upper table. */
    readonly slot: number,
    readonly g: Geometry,
  ) {
    this.frames = new Int32Array(spec.pages).fill(-1);
    this.cow = new Uint8Array(spec.pages);
    const t = Math.ceil(spec.pages / g.entries);
    this.tables = new Int32Array(t).fill(-1);
    this.tablePresent = new Int32Array(t);
  }

  /** The flags of page `i`'s entry. */
  flags(i: number): number {
    const rw = this.spec.writable && this.cow[i] === 0 ? PTE_RW : 0;
    return PTE_PRESENT | PTE_USER | rw;
  }

  /** Private and writable: shared with a fork's child copy-on-write. */
  get cowable(): boolean {
    return this.spec.writable && !this.spec.shared;
  }
}

export class AddressSpace {
  readonly regions: Region[] = [];

  constructor(
    readonly g: Geometry,
    /** The top table first, then one per lower upper level (levels - 1 frames). */
    readonly upper: number[],
  ) {}

  get top(): number {
    return this.upper[0]!;
  }

  get lowest(): number {
    return this.upper[this.upper.length - 1]!;
  }

  /** Adds a region of unmapped pages in table slots of its own (the first gap that fits). */
  addRegion(spec: RegionSpec): Region {
    const need = Math.ceil(spec.pages / this.g.entries);
    const taken = this.regions.map((r) => [r.slot, r.slot + r.tables.length] as const).sort((a, b) => a[0] - b[0]);
    let slot = 0;
    for (const [lo, hi] of taken) {
      if (slot + need <= lo) break;
      slot = Math.max(slot, hi);
    }
    if (slot + need > this.g.entries) throw new Error('pvlab: an address space outgrew its lowest upper table');
    const r = new Region(spec, slot, this.g);
    this.regions.push(r);
    return r;
  }

  /** Forgets an unmapped region, freeing its slots. */
  removeRegion(r: Region): void {
    const i = this.regions.indexOf(r);
    if (i >= 0) this.regions.splice(i, 1);
  }

  get presentPages(): number {
    return this.regions.reduce((s, r) => s + r.present, 0);
  }
}

/** A new, empty address space: its upper tables, linked top-down. */
export function newAddressSpace(g: Geometry, frames: Frames, tables: NewTable[], writes: PteBatch): AddressSpace | undefined {
  const upper: number[] = [];
  for (let i = 0; i < g.levels - 1; i++) {
    const gfn = frames.alloc();
    if (gfn < 0) return undefined;
    upper.push(gfn);
  }
  // Pinned bottom-up, so that each link's target is already a table of the level below.
  for (let i = upper.length - 1; i >= 0; i--) tables.push({ gfn: upper[i]!, level: g.levels - i });
  for (let i = 0; i + 1 < upper.length; i++) writes.push(upper[i]!, 0, upper[i + 1]!, PTE_PRESENT | PTE_RW | PTE_USER, g.levels - i);
  return new AddressSpace(g, upper);
}

/** Makes sure page `i`'s L1 table exists (a new frame, pinned, linked); false if out of memory. */
function ensureTable(as: AddressSpace, r: Region, i: number, frames: Frames, tables: NewTable[], writes: PteBatch): boolean {
  const t = Math.floor(i / as.g.entries);
  if (r.tables[t]! >= 0) return true;
  const gfn = frames.alloc();
  if (gfn < 0) return false;
  r.tables[t] = gfn;
  tables.push({ gfn, level: 1 });
  writes.push(as.lowest, r.slot + t, gfn, PTE_PRESENT | PTE_RW | PTE_USER, 2);
  return true;
}

/** Maps `frame` at page `i` (the frame's reference is the caller's to give). */
export function mapPage(as: AddressSpace, r: Region, i: number, frame: number, frames: Frames, tables: NewTable[], writes: PteBatch): boolean {
  if (!ensureTable(as, r, i, frames, tables, writes)) return false;
  const t = Math.floor(i / as.g.entries);
  r.frames[i] = frame;
  r.cow[i] = 0;
  r.present++;
  r.tablePresent[t]!++;
  writes.push(r.tables[t]!, i % as.g.entries, frame, r.flags(i));
  return true;
}

/** Re-writes page `i`'s entry (after a copy-on-write break gave it `frame`, writable). */
export function remapWritable(as: AddressSpace, r: Region, i: number, frame: number, writes: PteBatch): void {
  r.frames[i] = frame;
  r.cow[i] = 0;
  writes.push(r.tables[Math.floor(i / as.g.entries)]!, i % as.g.entries, frame, r.flags(i));
}

/**
 * fork's copy of the page tables (Linux's copy_page_range): the child gets new upper tables and
 * an L1 table for every parent table holding a present page, an entry for every present page,
 * and the parent's private writable pages become read-only in both (copy-on-write).
 */
export function forkAddressSpace(parent: AddressSpace, frames: Frames, tables: NewTable[], writes: PteBatch): AddressSpace | undefined {
  const child = newAddressSpace(parent.g, frames, tables, writes);
  if (!child) return undefined;
  for (const pr of parent.regions) {
    const cr = child.addRegion(pr.spec);
    for (let i = 0; i < pr.frames.length; i++) {
      const f = pr.frames[i]!;
      if (f < 0) continue;
      if (pr.cowable && pr.cow[i] === 0) {
        pr.cow[i] = 1;
        writes.push(pr.tables[Math.floor(i / parent.g.entries)]!, i % parent.g.entries, f, pr.flags(i));
      }
      if (!pr.spec.external) frames.get(f);
      if (!mapPage(child, cr, i, f, frames, tables, writes)) return undefined;
      cr.cow[i] = pr.cow[i]!;
      writes.flags[writes.length - 1] = cr.flags(i);
    }
  }
  return child;
}

/** Unmaps a whole region: every entry cleared, every L1 table unlinked and handed back. */
export function unmapRegion(as: AddressSpace, r: Region, frames: Frames, freed: number[], writes: PteBatch): void {
  for (let i = 0; i < r.frames.length; i++) {
    const f = r.frames[i]!;
    if (f < 0) continue;
    writes.push(r.tables[Math.floor(i / as.g.entries)]!, i % as.g.entries, -1, 0);
    r.frames[i] = -1;
    if (!r.spec.external) frames.put(f);
  }
  r.present = 0;
  for (let t = 0; t < r.tables.length; t++) {
    const gfn = r.tables[t]!;
    if (gfn < 0) continue;
    writes.push(as.lowest, r.slot + t, -1, 0, 2);
    freed.push(gfn);
    r.tables[t] = -1;
    r.tablePresent[t] = 0;
  }
}

/** Tears the whole address space down (exit, exec): `freed` gets every table frame. */
export function teardown(as: AddressSpace, frames: Frames, freed: number[], writes: PteBatch): void {
  for (const r of as.regions) unmapRegion(as, r, frames, freed, writes);
  as.regions.length = 0;
  for (let i = 0; i + 1 < as.upper.length; i++) writes.push(as.upper[i]!, 0, -1, 0, as.g.levels - i);
  freed.push(...as.upper);
}
