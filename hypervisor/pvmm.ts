// PV direct paging (REFERENCE §9.1): what Xen knows about the frames of a PV domain so that
// the guest's page tables, which hold machine frame numbers and are walked by the real MMU,
// can never map a frame the guest does not own, nor map one of its own page tables writable.
//
// Every frame has a type (a page table of level 1..4, or writable) and a count of the
// references holding it in that type: a pin, an entry of a higher-level table, or (for
// `writable`) a writable L1 mapping. A frame changes type only when its count is 0. The
// guest pins a table before linking it or filling it (Xen would also type it on first
// reference; pvlab's kernel always pins first, so an unpinned table is an error here).
// Entries live in the table frame's real bytes: 4 bytes each with two levels (32-bit x86),
// 8 bytes with four (x86-64).
import type { MachineMemory } from '../hw/memory';
import { EINVAL, ENOSYS } from './public/errno';
import { MMU_MACHPHYS_UPDATE, MMU_NORMAL_PT_UPDATE, MMU_PT_UPDATE_PRESERVE_AD, PAGE_BYTES, PTE_PRESENT, PTE_RW } from './public/mmu';

/** 0: not a page table (plain or writably mapped); 1..4: a page table of that level. */
type Level = 0 | 1 | 2 | 3 | 4;

interface FrameType {
  /** The page-table level it is typed as, or 0 for `writable`. */
  level: Level;
  count: number;
  pinned: boolean;
}

/** Why an update was refused, kept precise inside and mapped to Xen's errno at the ABI. */
export type PvRefusal = 'not-owner' | 'misaligned' | 'maps-foreign-frame' | 'maps-page-table-writable' | 'not-a-lower-table' | 'too-wide' | 'busy-as-other-type' | 'already-pinned' | 'not-pinned' | 'not-a-top-table' | 'unknown-command';

export class PvPaging {
  private readonly types = new Map<number, FrameType>();
  /** VMASST_TYPE_writable_pagetables: PTE stores trap and are emulated (ptwr). */
  writablePageTables = false;
  /** The loaded page-table bases (MMUEXT_NEW_BASEPTR, NEW_USER_BASEPTR); -1 before any. */
  baseptr = -1;
  userBaseptr = -1;
  /** The last refusal, for tests and reports. */
  lastRefusal: PvRefusal | undefined;
  readonly entryBytes: number;

  constructor(
    /** Paging levels of the platform (2: 32-bit x86 without PAE; 4: x86-64). */
    readonly levels: number,
    private readonly memory: MachineMemory,
    private readonly domid: number,
  ) {
    this.entryBytes = levels === 2 ? 4 : 8;
  }

  /** The level a frame is typed as (0 when it is not a page table). */
  levelOf(mfn: number): number {
    const t = this.types.get(mfn);
    return t && t.count > 0 ? t.level : 0;
  }

  isPinned(mfn: number): boolean {
    return this.types.get(mfn)?.pinned ?? false;
  }

  /** One mmu_update request: 0, or -errno with `lastRefusal` saying why. */
  update(ptr: number, val: number): number {
    const cmd = ptr % 4;
    const addr = ptr - cmd;
    const mfn = Math.floor(addr / PAGE_BYTES);
    if (this.memory.owner(mfn) !== this.domid) return this.refuse('not-owner');
    if (cmd === MMU_MACHPHYS_UPDATE) return 0; // the M2P entry of a frame it owns
    if (cmd !== MMU_NORMAL_PT_UPDATE && cmd !== MMU_PT_UPDATE_PRESERVE_AD) return this.refuse('unknown-command', -ENOSYS);
    const off = addr % PAGE_BYTES;
    if (off % this.entryBytes !== 0) return this.refuse('misaligned');
    const level = this.levelOf(mfn) as Level;
    // A frame that is not a page table is ordinary memory: Xen writes it as such.
    if (level === 0) return this.write(mfn, off, val), 0;
    const rc = this.check(level, val);
    if (rc !== 0) return rc;
    const old = this.read(mfn, off);
    this.take(level, val);
    this.drop(level, old);
    this.write(mfn, off, val);
    return 0;
  }

  /** MMUEXT_PIN_Ln_TABLE: validates every present entry, then holds the type. */
  pin(mfn: number, level: number): number {
    if (level < 1 || level > this.levels) return this.refuse('unknown-command');
    if (this.memory.owner(mfn) !== this.domid) return this.refuse('not-owner');
    const t = this.types.get(mfn);
    if (t?.pinned) return this.refuse('already-pinned');
    if (t && t.count > 0 && t.level !== level) return this.refuse('busy-as-other-type');
    if (!t || t.count === 0) {
      const entries = this.present(mfn);
      for (const e of entries) {
        const rc = this.check(level as Level, e);
        if (rc !== 0) return rc;
      }
      for (const e of entries) this.take(level as Level, e);
    }
    const ft = t ?? { level: level as Level, count: 0, pinned: false };
    ft.level = level as Level;
    ft.count++;
    ft.pinned = true;
    this.types.set(mfn, ft);
    return 0;
  }

  /** MMUEXT_UNPIN_TABLE: drops the pin; a table nothing references any more loses its type. */
  unpin(mfn: number): number {
    if (this.memory.owner(mfn) !== this.domid) return this.refuse('not-owner');
    const t = this.types.get(mfn);
    if (!t?.pinned) return this.refuse('not-pinned');
    t.pinned = false;
    this.put(mfn, t);
    return 0;
  }

  /** MMUEXT_NEW_BASEPTR / NEW_USER_BASEPTR: the frame must be a top-level table. */
  newBaseptr(mfn: number, user: boolean): number {
    if (this.memory.owner(mfn) !== this.domid) return this.refuse('not-owner');
    if (this.levelOf(mfn) !== this.levels) return this.refuse('not-a-top-table');
    if (user) this.userBaseptr = mfn;
    else this.baseptr = mfn;
    return 0;
  }

  /** Can `val` be an entry of a level-`level` table? */
  private check(level: Level, val: number): number {
    if (val % 2 === 0) return 0; // not present: anything goes
    if (this.entryBytes === 4 && val >= 2 ** 32) return this.refuse('too-wide');
    const target = Math.floor(val / PAGE_BYTES);
    if (this.memory.owner(target) !== this.domid) return this.refuse('maps-foreign-frame');
    if (level === 1) return writable(val) && this.levelOf(target) !== 0 ? this.refuse('maps-page-table-writable') : 0;
    return this.levelOf(target) === level - 1 ? 0 : this.refuse('not-a-lower-table');
  }

  /** Takes the reference an entry holds on its target. */
  private take(level: Level, val: number): void {
    if (val % 2 === 0) return;
    const target = Math.floor(val / PAGE_BYTES);
    if (level === 1 && !writable(val)) return;
    const t = this.types.get(target);
    if (t) t.count++;
    else this.types.set(target, { level: level === 1 ? 0 : ((level - 1) as Level), count: 1, pinned: false });
  }

  /** Drops the reference an old entry held. */
  private drop(level: Level, val: number): void {
    if (val % 2 === 0 || (level === 1 && !writable(val))) return;
    const target = Math.floor(val / PAGE_BYTES);
    const t = this.types.get(target);
    if (t && t.count > 0) this.put(target, t);
  }

  /** One reference fewer; at zero a page table releases what its entries held. */
  private put(mfn: number, t: FrameType): void {
    t.count--;
    if (t.count > 0) return;
    this.types.delete(mfn);
    if (t.level === 0) return;
    for (const e of this.present(mfn)) this.drop(t.level, e);
  }

  /** The present entries of a table frame (read through one view of the page). */
  private present(mfn: number): number[] {
    const page = this.memory.page(mfn);
    const out: number[] = [];
    if (this.entryBytes === 4) {
      const w = new Uint32Array(page.buffer, page.byteOffset, PAGE_BYTES / 4);
      for (let i = 0; i < w.length; i++) if (w[i]! % 2 === 1) out.push(w[i]!);
    } else {
      const w = new Uint32Array(page.buffer, page.byteOffset, PAGE_BYTES / 4);
      for (let i = 0; i < w.length; i += 2) if (w[i]! % 2 === 1) out.push(w[i + 1]! * 2 ** 32 + w[i]!);
    }
    return out;
  }

  private read(mfn: number, off: number): number {
    const v = view(this.memory.page(mfn));
    return this.entryBytes === 4 ? v.getUint32(off, true) : v.getUint32(off + 4, true) * 2 ** 32 + v.getUint32(off, true);
  }

  private write(mfn: number, off: number, val: number): void {
    const v = view(this.memory.page(mfn));
    v.setUint32(off, val % 2 ** 32, true);
    if (this.entryBytes === 8) v.setUint32(off + 4, Math.floor(val / 2 ** 32), true);
  }

  private refuse(why: PvRefusal, rc = -EINVAL): number {
    this.lastRefusal = why;
    return rc;
  }
}

function writable(val: number): boolean {
  return Math.floor(val / PTE_RW) % 2 === 1 && val % 2 === PTE_PRESENT;
}

function view(page: Uint8Array): DataView {
  return new DataView(page.buffer, page.byteOffset, page.byteLength);
}
