// How blkback in map mode reaches a frontend's pages (REFERENCE §4.3, §6.1): it maps a request's
// grants in one GNTTABOP_map_grant_ref batch and unmaps them when the request is done, unless
// both ends use persistent grants. Then a grant mapped once stays mapped, up to 1,056 per device
// (Linux's xen_blkif_max_pgrants), and the next request naming the same ref uses the page with
// no hypercall at all. A ref already carrying a request in flight, or one past the limit, is
// mapped and unmapped as without them, as Linux's xen_blkbk_map does. A persistent device maps
// every grant writable, since the page that carries a write now may carry a read next.
import { gnttabMap, gnttabUnmap, type GrantMapIn } from '../hypervisor/public/calls';
import type { VcpuEnv } from '../hypervisor/public/guest';
import { GNTMAP_host_map, GNTMAP_readonly, GNTST } from '../hypervisor/public/grant_table';

/** The most grants one device keeps mapped (Linux's xen_blkif_max_pgrants default). */
export const MAX_PERSISTENT_GRANTS = 1056;

/** The frontend's pages one request reaches, and how. */
export interface Mapped {
  /** Mappings to undo when the request is done. */
  handles: number[];
  /** Persistent grants the request uses, to let go of when it is done. */
  persistent: PersistentGrant[];
  /** One per grant, in the request's order. */
  pages: Uint8Array[];
}

/** A grant kept mapped between requests (Linux's struct persistent_gnt). */
interface PersistentGrant {
  gref: number;
  handle: number;
  page: Uint8Array;
  /** A request in flight uses it. */
  active: boolean;
}

export interface MapStats {
  /** Pages mapped by a hypercall. */
  grantMaps: number;
  /** Unmap batches: each ends in a TLB shootdown. */
  unmapBatches: number;
  /** Pages reached through a persistent grant an earlier request mapped. */
  persistentHits: number;
}

export class GrantMapper {
  /** Persistent grants by ref, while both ends use them. */
  private kept: Map<number, PersistentGrant> | undefined;

  constructor(
    private readonly frontDom: number,
    private readonly stats: MapStats,
  ) {}

  /** Grants kept mapped now. */
  get persistentGrants(): number {
    return this.kept?.size ?? 0;
  }

  /** At connect: whether both ends offered feature-persistent. */
  usePersistent(on: boolean): void {
    this.kept = on ? new Map() : undefined;
  }

  /**
   * Maps `grefs` into `m.pages`, in order, in one batch for those not kept mapped already: true
   * if every one is reachable. On failure what was reached stays in `m`, for `release`.
   */
  map(env: VcpuEnv, m: Mapped, grefs: readonly number[], readonly: boolean): boolean {
    const kept = this.kept;
    const flags = GNTMAP_host_map | (readonly && !kept ? GNTMAP_readonly : 0);
    const ops: GrantMapIn[] = [];
    const at: number[] = [];
    for (let i = 0; i < grefs.length; i++) {
      const p = kept?.get(grefs[i]!);
      if (p && !p.active) {
        p.active = true;
        m.persistent.push(p);
        m.pages[i] = p.page;
        this.stats.persistentHits++;
      } else {
        ops.push({ dom: this.frontDom, ref: grefs[i]!, flags });
        at.push(i);
      }
    }
    if (ops.length === 0) return true;
    let ok = true;
    gnttabMap(env, ops).forEach((r, j) => {
      if (r.status !== GNTST.okay) return void (ok = false);
      this.stats.grantMaps++;
      const page = env.mappedPage(r.handle)!.page;
      m.pages[at[j]!] = page;
      const gref = ops[j]!.ref;
      if (kept && kept.size < MAX_PERSISTENT_GRANTS && !kept.has(gref)) {
        const p: PersistentGrant = { gref, handle: r.handle, page, active: true };
        kept.set(gref, p);
        m.persistent.push(p);
      } else m.handles.push(r.handle);
    });
    return ok;
  }

  /**
   * Lets go of a request's pages: its persistent grants are free for the next request (or, if
   * the ring they served is gone, to unmap); its other mappings are to unmap. They go on
   * `batch` when given (the caller unmaps it with others), else are unmapped now.
   */
  release(env: VcpuEnv, m: Mapped, batch?: number[]): void {
    const unmap = batch ?? m.handles;
    if (batch) for (const h of m.handles) batch.push(h);
    for (const p of m.persistent) {
      p.active = false;
      if (this.kept?.get(p.gref) !== p) unmap.push(p.handle);
    }
    if (!batch) this.unmap(env, unmap);
  }

  /** The ring goes (free_persistent_gnts): every kept grant no request uses is unmapped now;
   *  one a request still uses, when `release` sees it. */
  dropAll(env: VcpuEnv): void {
    const idle: number[] = [];
    for (const p of this.kept?.values() ?? []) if (!p.active) idle.push(p.handle);
    this.kept = undefined;
    this.unmap(env, idle);
  }

  /** One unmap batch, if there is anything to unmap. */
  unmap(env: VcpuEnv, handles: number[]): void {
    if (handles.length === 0) return;
    gnttabUnmap(env, handles);
    this.stats.unmapBatches++;
  }
}
