// The granting side of the grant table (Linux's gnttab): the kernel asks Xen for its table
// frames once, then hands out grant references from a free list, writes entries itself, and
// revokes them when the peer is done. Refs 0-7 are the toolstack's.
import type { VcpuEnv } from '../../hypervisor/public/guest';
import { gnttabSetupTable } from '../../hypervisor/public/calls';
import { GNTST, GRANT_ENTRIES_PER_FRAME, NR_RESERVED_ENTRIES, grantAccess, endForeignAccess } from '../../hypervisor/public/grant_table';

/** Frames the kernel asks for: 4 frames = 2048 references. */
export const GRANT_FRAMES = 4;

export class GrantAllocator {
  private pages: Uint8Array[] = [];
  /** Refs given back, reused first (last in, first out). */
  private readonly free: number[] = [];
  /** Refs never handed out are [fresh, limit), handed out lowest first: the order a free list
   *  filled with every ref would give, without an array of 2,040 refs per kernel. */
  private fresh = 0;
  private limit = 0;
  /** Refs whose revoke was refused (still mapped by the peer), retried later. */
  private readonly deferred: number[] = [];
  inUse = 0;

  /** Sets up the table; false if Xen refused. */
  setup(env: VcpuEnv): boolean {
    const r = gnttabSetupTable(env, GRANT_FRAMES);
    if (r.status !== GNTST.okay) return false;
    this.pages = r.frames.map((mfn) => env.machinePage(mfn)!).filter((p) => p !== undefined);
    this.fresh = NR_RESERVED_ENTRIES;
    this.limit = Math.max(NR_RESERVED_ENTRIES, this.pages.length * GRANT_ENTRIES_PER_FRAME);
    return this.pages.length === r.frames.length;
  }

  /** Grants `domid` access to `gfn`; returns the ref, or -1 when none is free. */
  grant(domid: number, gfn: number, readonly: boolean): number {
    if (this.free.length === 0 && this.fresh === this.limit) this.retryDeferred();
    const ref = this.free.length > 0 ? this.free.pop()! : this.fresh < this.limit ? this.fresh++ : -1;
    if (ref < 0) return -1;
    grantAccess(this.pages, ref, domid, gfn, readonly);
    this.inUse++;
    return ref;
  }

  /** Revokes `ref`; if the peer still has it mapped the free is deferred, as Linux does, and
   *  the answer is false: the page must not be reused yet. */
  revoke(ref: number): boolean {
    this.inUse--;
    if (endForeignAccess(this.pages, ref)) {
      this.free.push(ref);
      return true;
    }
    this.deferred.push(ref);
    return false;
  }

  get available(): number {
    return this.free.length + (this.limit - this.fresh);
  }

  private retryDeferred(): void {
    for (let i = this.deferred.length - 1; i >= 0; i--) {
      const ref = this.deferred[i]!;
      if (endForeignAccess(this.pages, ref)) {
        this.deferred.splice(i, 1);
        this.free.push(ref);
      }
    }
  }
}
