// Frame integrity, the memory half of the isolation promise (DESIGN.md "Memory and data"): a
// machine frame changes only by its owner, through a grant its owner made, or by a privileged
// domain (dom0's toolstack, backends and device model are trusted). Two checks:
//
// 1. Ownership (structural, cheap, every check): each live domain's p2m and shared_info frames
//    are owned by it and by nobody else, and every live grant mapping names a frame of its
//    granter (a destroyed granter's frame stays allocated, still its, while it is mapped).
//
// 2. Write attribution (opt-in, per guest code segment). Guest code runs only inside its
//    vCPU's generator, so the watcher wraps every vCPU program and knows which domain's code
//    runs (hypercalls included: Xen acts on the caller's behalf). Before a suspect domain's
//    segment it snapshots every materialized frame the suspect does not own (a 32-bit hash of
//    ordinary frames, a full copy of shared_info and grant-table frames); after it, each
//    changed frame must be explained:
//      - another domain's shared_info: only what Xen does for a sender (pending and selector
//        bits set, the upcall-pending byte); mask bits and cleared pending bits are the owner's;
//      - another domain's grant table: only GTF_reading/GTF_writing, which Xen flips on map;
//      - an ordinary frame: the suspect holds (or held at the start) a writable mapping of it,
//        or the owner's grant table grants the suspect write access to that gfn (grant copy).
//    Anything else is a violation naming the frame, its owner and the suspect. Trusted code
//    (privileged domains, Xen's own events, the lab) is not checked. Cost: two hash passes
//    over the other domains' materialized frames per engine step in which a suspect runs.
//    Limits: a hash collision (2^-32) hides a change; a frame first touched during the segment
//    had no "before" and is skipped; hashing materializes a frame that had no bytes yet.
//
// Who calls it: lab/check/invariants.ts. Reads hypervisor internals, changes nothing but the
// vCPUs' program wrappers.
import type { Hypervisor } from '../../hypervisor/hypervisor';
import type { Domain } from '../../hypervisor/domain';
import type { LiveMapping } from '../../hypervisor/grant';
import type { GuestProgram } from '../../hypervisor/public/guest';
import {
  SHARED_INFO_EVTCHN_MASK, SHARED_INFO_EVTCHN_PENDING, SHARED_INFO_VCPU_INFO, VCPU_INFO_PENDING_SEL, VCPU_INFO_SIZE,
  VCPU_INFO_UPCALL_PENDING, XEN_LEGACY_MAX_VCPUS,
} from '../../hypervisor/public/event_channel';
import {
  GRANT_ENTRIES_PER_FRAME, GRANT_ENTRY_V1_SIZE, GTF_permit_access, GTF_reading, GTF_readonly, GTF_type_mask, GTF_writing,
  readGrantEntry,
} from '../../hypervisor/public/grant_table';

/** Every domain's frames are its own, and every mapping names a frame of its granter. */
export function checkFrameOwnership(hv: Hypervisor): string[] {
  const out: string[] = [];
  const holder = new Map<number, number>();
  for (const d of hv.list()) {
    if (d.life === 'dead') continue;
    const siOwner = hv.memory.owner(d.sharedInfoMfn);
    if (siOwner !== d.id) out.push(`dom${d.id}'s shared_info (mfn ${d.sharedInfoMfn}) is owned by dom${siOwner}`);
    forEachP2m(d, (gfn, mfn) => {
      const owner = hv.memory.owner(mfn);
      if (owner !== d.id) out.push(`dom${d.id} gfn ${gfn} is mfn ${mfn}, owned by dom${owner}`);
      const other = holder.get(mfn);
      if (other !== undefined) out.push(`mfn ${mfn} is in the p2m of dom${other} and of dom${d.id}`);
      holder.set(mfn, d.id);
    });
  }
  for (const m of hv.grants.liveMappings()) {
    const owner = hv.memory.owner(m.mfn);
    if (owner !== m.granter) out.push(`dom${m.mapper} handle ${m.handle} maps mfn ${m.mfn} of dom${owner}, not of its granter dom${m.granter}`);
    if (hv.domain(m.mapper) === undefined) out.push(`dom${m.mapper} is gone but still maps dom${m.granter}'s ref ${m.ref}`);
  }
  return out;
}

/** Each (gfn, mfn) of a domain's p2m. `for...in` visits only populated slots of the sparse array. */
export function forEachP2m(d: Domain, fn: (gfn: number, mfn: number) => void): void {
  for (const key in d.p2m) {
    const mfn = d.p2m[key as unknown as number];
    if (mfn !== undefined) fn(Number(key), mfn);
  }
}

type FrameKind = 'ram' | 'shared_info' | 'grant-table';

interface Before {
  owner: number;
  kind: FrameKind;
  gfn: number;
  page: Uint8Array;
  hash: number;
  /** Full copy, for the frames Xen itself writes bits of. */
  copy?: Uint8Array;
}

export interface WriteWatchOptions {
  /** Domains whose code is checked; default: every unprivileged domain. */
  suspects?: readonly number[];
}

/** Write attribution over vCPU program segments (see the header). */
export class WriteWatch {
  private readonly wrapped = new WeakSet<object>();
  private snap: Map<Uint8Array, Before> | undefined;
  private snapFor = -1;
  private mappingsBefore: LiveMapping[] = [];
  /** Segments checked and frames compared, for reports. */
  segments = 0;
  framesCompared = 0;

  constructor(
    private readonly hv: Hypervisor,
    private readonly report: (msg: string) => void,
    private readonly opts: WriteWatchOptions = {},
  ) {}

  /** Wraps the programs of vCPUs not seen yet; call before each engine step. */
  adopt(): void {
    for (const d of this.hv.list()) {
      for (const v of d.vcpus) {
        const p = v.program;
        if (p === undefined || this.wrapped.has(p)) continue;
        const w = this.wrap(d, p);
        this.wrapped.add(w);
        v.program = w;
      }
    }
  }

  /** A new engine step: whatever ran in between (trusted code) makes the snapshot stale. */
  newStep(): void {
    this.snap = undefined;
  }

  private suspect(d: Domain): boolean {
    return this.opts.suspects ? this.opts.suspects.includes(d.id) : !d.privileged;
  }

  private wrap(d: Domain, inner: GuestProgram): GuestProgram {
    const enter = (): void => this.enter(d);
    const exit = (): void => this.exit(d);
    const w = {
      next: (x: number) => {
        enter();
        try {
          return inner.next(x);
        } finally {
          exit();
        }
      },
      return: (x: void) => inner.return(x),
      throw: (e: unknown) => inner.throw(e),
      [Symbol.iterator]() {
        return w;
      },
    };
    return w as unknown as GuestProgram;
  }

  private enter(d: Domain): void {
    if (!this.suspect(d)) {
      this.snap = undefined; // trusted code may change anything
      return;
    }
    if (this.snap === undefined || this.snapFor !== d.id) this.capture(d.id);
    this.mappingsBefore = this.hv.grants.liveMappings().filter((m) => m.mapper === d.id && m.writable);
  }

  private exit(d: Domain): void {
    if (!this.suspect(d) || this.snap === undefined) return;
    this.segments++;
    const after = this.hv.grants.liveMappings().filter((m) => m.mapper === d.id && m.writable);
    const writable = new Set([...this.mappingsBefore, ...after].map((m) => m.mfn));
    for (const [page, b] of this.snap) {
      this.framesCompared++;
      const h = hashPage(page);
      if (h === b.hash) continue;
      const why = this.unexplained(d.id, page, b, writable);
      if (why !== undefined) this.report(why);
      b.hash = h;
      if (b.copy) b.copy.set(page);
    }
  }

  /** Snapshots every materialized frame `actor` does not own. */
  private capture(actor: number): void {
    const snap = new Map<Uint8Array, Before>();
    const add = (owner: number, kind: FrameKind, gfn: number, page: Uint8Array): void => {
      snap.set(page, { owner, kind, gfn, page, hash: hashPage(page), copy: kind === 'ram' ? undefined : page.slice() });
    };
    for (const d of this.hv.list()) {
      if (d.id === actor || d.life === 'dead') continue;
      add(d.id, 'shared_info', -1, d.sharedInfo);
      for (const p of this.hv.grants.tablePages(d.id) ?? []) add(d.id, 'grant-table', -1, p);
      forEachP2m(d, (gfn, mfn) => {
        if (this.hv.memory.owner(mfn) === d.id) add(d.id, 'ram', gfn, this.hv.memory.page(mfn));
      });
    }
    for (const m of this.hv.grants.liveMappings()) {
      const owner = this.hv.memory.owner(m.mfn);
      if (owner !== actor && this.hv.domain(owner) === undefined) add(owner, 'ram', -1, this.hv.memory.page(m.mfn));
    }
    this.snap = snap;
    this.snapFor = actor;
  }

  /** Why a change to a frame `actor` does not own is illegitimate, or undefined if it is fine. */
  private unexplained(actor: number, page: Uint8Array, b: Before, writable: Set<number>): string | undefined {
    const who = `dom${actor}`;
    if (b.kind === 'shared_info') {
      const at = firstForeignSharedInfoChange(b.copy!, page);
      return at < 0 ? undefined : `${who} changed byte ${at} of dom${b.owner}'s shared_info beyond what an event send does`;
    }
    if (b.kind === 'grant-table') {
      const at = firstForeignGrantChange(b.copy!, page);
      return at < 0 ? undefined : `${who} changed byte ${at} of dom${b.owner}'s grant table beyond GTF_reading/GTF_writing`;
    }
    const mfn = this.mfnOf(b);
    if (mfn !== undefined && writable.has(mfn)) return undefined;
    if (b.gfn >= 0 && this.ownerGrantsWrite(b.owner, actor, b.gfn)) return undefined;
    return `${who} changed dom${b.owner}'s frame${b.gfn >= 0 ? ` gfn ${b.gfn}` : ''} (mfn ${mfn ?? '?'}) without a writable grant`;
  }

  private mfnOf(b: Before): number | undefined {
    if (b.gfn >= 0) return this.hv.domain(b.owner)?.p2m[b.gfn];
    for (const m of this.hv.grants.liveMappings()) if (this.hv.memory.page(m.mfn) === b.page) return m.mfn;
    for (const m of this.mappingsBefore) if (this.hv.memory.page(m.mfn) === b.page) return m.mfn;
    return undefined;
  }

  /** Does `owner`'s grant table give `grantee` write access to `gfn` (map or copy)? */
  private ownerGrantsWrite(owner: number, grantee: number, gfn: number): boolean {
    const pages = this.hv.grants.tablePages(owner) ?? [];
    for (let ref = 0; ref < pages.length * GRANT_ENTRIES_PER_FRAME; ref++) {
      const e = readGrantEntry(pages, ref)!;
      const permits = (e.flags & GTF_type_mask) === GTF_permit_access && (e.flags & GTF_readonly) === 0;
      if (permits && e.domid === grantee && e.frame === gfn) return true;
    }
    return false;
  }
}

/** FNV-1a over the page's 32-bit words. */
export function hashPage(p: Uint8Array): number {
  const w = new Uint32Array(p.buffer, p.byteOffset, p.byteLength >>> 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i]!, 0x01000193);
  return h >>> 0;
}

/** Offsets in shared_info Xen may change for a sender: -1 if every change is one of those. */
function firstForeignSharedInfoChange(before: Uint8Array, after: Uint8Array): number {
  for (let i = 0; i < after.length; i++) {
    const o = before[i]!;
    const n = after[i]!;
    if (o === n) continue;
    const onlySets = (o & ~n) === 0;
    if (i >= SHARED_INFO_EVTCHN_PENDING && i < SHARED_INFO_EVTCHN_MASK && onlySets) continue;
    if (i < SHARED_INFO_VCPU_INFO + XEN_LEGACY_MAX_VCPUS * VCPU_INFO_SIZE) {
      const off = (i - SHARED_INFO_VCPU_INFO) % VCPU_INFO_SIZE;
      if (off === VCPU_INFO_UPCALL_PENDING) continue; // set by a send, cleared on upcall entry
      if (off >= VCPU_INFO_PENDING_SEL && off < VCPU_INFO_PENDING_SEL + 8 && onlySets) continue;
    }
    return i;
  }
  return -1;
}

/** -1 if only GTF_reading/GTF_writing of entries' flags changed. */
function firstForeignGrantChange(before: Uint8Array, after: Uint8Array): number {
  const xenBits = GTF_reading | GTF_writing;
  for (let i = 0; i < after.length; i++) {
    const diff = before[i]! ^ after[i]!;
    if (diff === 0) continue;
    if (i % GRANT_ENTRY_V1_SIZE === 0 && (diff & ~xenBits) === 0) continue;
    return i;
  }
  return -1;
}
