// A reference model of what the hypercall fuzzer's operations must do: event-channel port
// states per domain (exact: every return code is predicted) and grant tables (entries the
// guests wrote, table sizes, live mappings: map and unmap statuses are predicted exactly, per
// REFERENCE §3.1 and §4.3). The fuzzer runs each operation against the hypervisor and this
// model and compares. It is deliberately a second, naive implementation: maps and arrays.
import { EINVAL, ENOENT, ENOSPC, EPERM, ESRCH } from '../../hypervisor/public/errno';
import { EVTCHN_2L_NR_CHANNELS } from '../../hypervisor/public/event_channel';
import { GNTMAP_device_map, GNTMAP_host_map, GNTMAP_readonly, GNTST, GRANT_ENTRIES_PER_FRAME } from '../../hypervisor/public/grant_table';
import { DOMID_SELF } from '../../hypervisor/public/xen';

export type PortState = { s: 'unbound'; remote: number } | { s: 'inter'; rdom: number; rport: number } | { s: 'ipi' };
export interface Entry { to: number; gfn: number; readonly: boolean; permit: boolean }
export interface Mapping { granter: number; ref: number; writable: boolean }
/** A mapping of a destroyed granter's frame, still held by its mapper. */
export interface Zombie extends Mapping { mapper: number; handle: number }

export interface ModelDomain {
  id: number;
  privileged: boolean;
  memFrames: number;
  ports: Map<number, PortState>;
  /** Ports in allocated buckets of 64 (Xen's valid_evtchns): one bucket at first, one more each
   *  time the lowest free port lies past them, never fewer. */
  validPorts: number;
  grantFrames: number;
  entries: Map<number, Entry>;
  /** This domain's live mappings, by handle. */
  handles: Map<number, Mapping>;
}

export class Model {
  readonly doms = new Map<number, ModelDomain>();

  add(id: number, privileged: boolean, memFrames: number, grantFrames: number): void {
    this.doms.set(id, { id, privileged, memFrames, ports: new Map(), validPorts: 64, grantFrames, entries: new Map(), handles: new Map() });
  }

  private self(c: number, d: number): number {
    return d === DOMID_SELF ? c : d;
  }

  private lowestFree(d: ModelDomain): number {
    for (let p = 1; p < EVTCHN_2L_NR_CHANNELS; p++) {
      if (d.ports.has(p)) continue;
      d.validPorts = Math.max(d.validPorts, (Math.floor(p / 64) + 1) * 64);
      return p;
    }
    return -1;
  }

  /** XSM_TARGET: the table of `dom` if the caller may act on it, else an errno. */
  private target(c: number, dom: number): ModelDomain | number {
    const t = this.doms.get(this.self(c, dom));
    if (!t) return -ESRCH;
    return t.id !== c && !this.doms.get(c)!.privileged ? -EPERM : t;
  }

  allocUnbound(c: number, dom: number, remote: number): number {
    const t = this.target(c, dom);
    if (typeof t === 'number') return t;
    const rid = this.self(c, remote);
    if (!this.doms.has(rid)) return -ESRCH;
    const p = this.lowestFree(t);
    if (p < 0) return -ENOSPC;
    t.ports.set(p, { s: 'unbound', remote: rid });
    return p;
  }

  bindInterdomain(c: number, remote: number, rport: number): number {
    const l = this.doms.get(c)!;
    const r = this.doms.get(this.self(c, remote));
    if (!r) return -ESRCH;
    const lport = this.lowestFree(l);
    if (lport < 0) return -ENOSPC;
    const st = r.ports.get(rport);
    if (!st || st.s !== 'unbound' || st.remote !== c) return -EINVAL;
    l.ports.set(lport, { s: 'inter', rdom: r.id, rport });
    r.ports.set(rport, { s: 'inter', rdom: c, rport: lport });
    return lport;
  }

  bindIpi(c: number, vcpu: number): number {
    if (vcpu !== 0) return -ENOENT;
    const d = this.doms.get(c)!;
    const p = this.lowestFree(d);
    if (p < 0) return -ENOSPC;
    d.ports.set(p, { s: 'ipi' });
    return p;
  }

  private validPort(d: ModelDomain, p: number): boolean {
    return Number.isInteger(p) && p >= 0 && p < d.validPorts;
  }

  close(c: number, port: number): number {
    const d = this.doms.get(c)!;
    if (!this.validPort(d, port) || !d.ports.has(port)) return -EINVAL;
    this.closePort(d, port);
    return 0;
  }

  private closePort(d: ModelDomain, port: number): void {
    const st = d.ports.get(port)!;
    if (st.s === 'inter') this.doms.get(st.rdom)?.ports.set(st.rport, { s: 'unbound', remote: d.id });
    d.ports.delete(port);
  }

  send(c: number, port: number): number {
    const d = this.doms.get(c)!;
    return this.validPort(d, port) && d.ports.has(port) ? 0 : -EINVAL;
  }

  unmask(c: number, port: number): number {
    return this.validPort(this.doms.get(c)!, port) ? 0 : -EINVAL;
  }

  status(c: number, dom: number, port: number): { rc: number; state?: PortState | 'closed' } {
    const t = this.target(c, dom);
    if (typeof t === 'number') return { rc: t };
    if (!this.validPort(t, port)) return { rc: -EINVAL };
    return { rc: 0, state: t.ports.get(port) ?? 'closed' };
  }

  reset(c: number, dom: number): number {
    const t = this.target(c, dom);
    if (typeof t === 'number') return t;
    for (const p of [...t.ports.keys()]) this.closePort(t, p);
    return 0;
  }

  // ---- grants -------------------------------------------------------------------------

  /** Who has (granter, ref) pinned, and whether any of those mappings is writable. */
  private pins(granter: number, ref: number): { by: Set<number>; writable: boolean } {
    const by = new Set<number>();
    let writable = false;
    for (const d of this.doms.values()) {
      for (const m of d.handles.values()) {
        if (m.granter !== granter || m.ref !== ref) continue;
        by.add(d.id);
        writable ||= m.writable;
      }
    }
    for (const z of this.zombies) {
      if (z.granter === granter && z.ref === ref) by.add(z.mapper);
    }
    return { by, writable };
  }

  /** Mappings of destroyed granters' frames that their mappers still hold. */
  readonly zombies: Zombie[] = [];

  /** The status map_grant_ref must answer (REFERENCE §4.3, in Xen's order). */
  map(c: number, dom: number, ref: number, flags: number): number {
    if ((flags & (GNTMAP_host_map | GNTMAP_device_map)) === 0) return GNTST.bad_gntref;
    const g = this.doms.get(this.self(c, dom));
    if (!g) return GNTST.bad_domain;
    if (!Number.isInteger(ref) || ref < 0 || ref >= g.grantFrames * GRANT_ENTRIES_PER_FRAME) return GNTST.bad_gntref;
    const readonly = (flags & GNTMAP_readonly) !== 0;
    const pin = this.pins(g.id, ref);
    if (pin.by.size > 0 && !pin.by.has(c)) return GNTST.general_error;
    if (pin.by.size > 0 && (readonly || pin.writable)) return GNTST.okay;
    const e = g.entries.get(ref);
    if (!e || !e.permit || e.to !== c) return GNTST.general_error;
    if (!readonly && e.readonly) return GNTST.general_error;
    if (pin.by.size > 0) return GNTST.okay;
    return Number.isInteger(e.gfn) && e.gfn >= 0 && e.gfn < g.memFrames ? GNTST.okay : GNTST.bad_page;
  }

  mapped(c: number, handle: number, dom: number, ref: number, flags: number): void {
    this.doms.get(c)!.handles.set(handle, { granter: this.self(c, dom), ref, writable: (flags & GNTMAP_readonly) === 0 });
  }

  unmap(c: number, handle: number): number {
    const d = this.doms.get(c)!;
    if (d.handles.delete(handle)) return GNTST.okay;
    const z = this.zombies.findIndex((m) => m.mapper === c && m.handle === handle);
    if (z >= 0) {
      this.zombies.splice(z, 1);
      return GNTST.okay;
    }
    return GNTST.bad_handle;
  }

  /** endForeignAccess: refused while the entry is pinned. */
  revoke(c: number, ref: number): boolean {
    if (this.pins(c, ref).by.size > 0) return false;
    this.doms.get(c)!.entries.delete(ref);
    return true;
  }

  setup(c: number, dom: number, nr: number): number {
    const g = this.doms.get(this.self(c, dom));
    if (!g) return GNTST.bad_domain;
    if (g.id !== c && !this.doms.get(c)!.privileged) return GNTST.permission_denied;
    if (!Number.isInteger(nr) || nr < 0 || nr > 64) return GNTST.general_error;
    g.grantFrames = Math.max(g.grantFrames, nr);
    return GNTST.okay;
  }

  /** The domain is destroyed: its ports close, its mappings go, others' mappings of it stay. */
  destroy(id: number): void {
    const d = this.doms.get(id)!;
    for (const p of [...d.ports.keys()]) this.closePort(d, p);
    for (const o of this.doms.values()) {
      for (const [h, m] of o.handles) {
        if (m.granter !== id || o.id === id) continue;
        o.handles.delete(h);
        this.zombies.push({ ...m, mapper: o.id, handle: h });
      }
    }
    this.doms.delete(id);
  }
}
