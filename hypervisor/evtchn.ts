// Event channels: the hypervisor's side of EVTCHNOP (event_channel_op, hypercall 32) with the
// 2-level ABI. Each domain has a table of ports; a port is free, reserved (port 0), unbound
// (listening for one remote domain), interdomain (bound to a peer port), a VIRQ or an IPI.
// Delivering an event sets bits in the target's shared_info page in Xen's set_pending order
// and kicks the vCPU whose upcall became newly pending. Called by the hypercall dispatcher
// (with the calling domain's id) and by other hypervisor code (raiseVirq); never by guests.
// A guest's bad arguments get a negative errno; only pvlab's own inconsistencies throw.

import { EBUSY, EEXIST, EINVAL, ENOENT, ENOSPC, EPERM, ESRCH } from './public/errno';
import {
  EVTCHN_2L_NR_CHANNELS, EVTCHN_BITS_PER_WORD,
  clearPending, isMasked, isPending, clearMask, testAndSetPending, testAndSetSelector,
  testAndSetUpcallPending,
} from './public/event_channel';
import { DOMID_SELF, NR_VIRQS, VIRQ } from './public/xen';
import { ECS, PortTable, RESERVED_PORT, STAT_OF_ECS } from './evtchn-ports';

export interface EvtchnDomain {
  id: number;
  privileged: boolean;
  nrVcpus: number;
  sharedInfo: Uint8Array;
  /** Port numbers the domain may use, port 0 included (xl's max_event_channels + 1). */
  maxPorts: number;
}
export interface EvtchnDeps {
  domain(id: number): EvtchnDomain | undefined;
  /** The vCPU's upcall became newly pending: IPI it if running, wake it if blocked. */
  kick(dom: number, vcpu: number): void;
}

/** Counters, always on. `sends` counts every successful EVTCHNOP_send, dropped ones included. */
export interface EvtchnCounters {
  sends: number;
  /** Sends on an unbound port: nobody listens yet, so the event is dropped (rc 0). */
  sendsDropped: number;
  /** set_pending found PENDING already set: the event coalesced with an unhandled one. */
  pendingAlreadySet: number;
  kicks: number;
  virqsRaised: number;
}

/** EVTCHNOP_status's answer. `dom`/`port`: the listener (unbound) or the peer (interdomain). */
export interface EvtchnStatusInfo { status: number; vcpu: number; dom?: number; port?: number; virq?: number }

/** No domain has bound this global VIRQ yet: only a privileged domain may (Xen's default). */
const NO_OWNER = -1;
/** Architecture VIRQs (xen.h VIRQ_ARCH_0..7): treated as per-domain here. */
const VIRQ_ARCH_FIRST = 16;
const VIRQ_ARCH_LAST = 23;

/** xen.h marks each VIRQ per-vCPU ("V."), or global ("G."); ARGO and arch ones are per-domain. */
export type VirqKind = 'vcpu' | 'domain' | 'global';
const PER_VCPU_VIRQS: ReadonlySet<number> = new Set([VIRQ.TIMER, VIRQ.DEBUG, VIRQ.XENOPROF, VIRQ.XENPMU]);
export function virqKind(virq: number): VirqKind {
  if (PER_VCPU_VIRQS.has(virq)) return 'vcpu';
  if (virq === VIRQ.ARGO || (virq >= VIRQ_ARCH_FIRST && virq <= VIRQ_ARCH_LAST)) return 'domain';
  return 'global';
}

export class EventChannels {
  readonly counters: EvtchnCounters = { sends: 0, sendsDropped: 0, pendingAlreadySet: 0, kicks: 0, virqsRaised: 0 };
  /** Each domain's port table, indexed by domain id: the lookup of every send and VIRQ is an
   *  array slot rather than a probe of a hash table holding every domain's entry. */
  private readonly byId: (PortTable | undefined)[] = [];
  private readonly globalVirqOwner = new Int32Array(NR_VIRQS).fill(NO_OWNER);

  constructor(private readonly deps: EvtchnDeps) {}

  private table(id: number): PortTable | undefined {
    return Number.isInteger(id) && id >= 0 ? this.byId[id] : undefined;
  }

  /** Gives a new domain its port table (port 0 reserved). -ESRCH unknown, -EEXIST twice. */
  initDomain(id: number): number {
    const d = this.deps.domain(id);
    if (d === undefined) return -ESRCH;
    if (this.table(id) !== undefined) return -EEXIST;
    const t = new PortTable(id, d.sharedInfo, d.maxPorts, d.nrVcpus);
    this.byId[id] = t;
    return 0;
  }

  /** Closes every port of a dying domain; its peers' ends go back to unbound. */
  destroyDomain(id: number): number {
    const t = this.table(id);
    if (t === undefined) return -ESRCH;
    this.closeAll(t);
    this.byId[id] = undefined;
    for (let v = 0; v < NR_VIRQS; v++) if (this.globalVirqOwner[v] === id) this.globalVirqOwner[v] = NO_OWNER;
    return 0;
  }

  /** EVTCHNOP_alloc_unbound: a port of `dom` that only `remoteDom` may bind. */
  allocUnbound(caller: number, dom: number, remoteDom: number): number {
    const t = this.target(caller, dom);
    if (typeof t === 'number') return t;
    const rid = remoteDom === DOMID_SELF ? caller : remoteDom;
    if (this.table(rid) === undefined) return -ESRCH;
    const port = t.take();
    if (port >= 0) t.set(port, ECS.unbound, rid, 0, 0);
    return port < 0 ? -ENOSPC : port;
  }

  /** EVTCHNOP_bind_interdomain: connects a new local port to a port reserved for the caller. */
  bindInterdomain(caller: number, remoteDom: number, remotePort: number): number {
    const lt = this.table(caller);
    const rid = remoteDom === DOMID_SELF ? caller : remoteDom;
    const rt = this.table(rid);
    if (lt === undefined || rt === undefined) return -ESRCH;
    if (lt.freePort() < 0) return -ENOSPC;
    const listening = rt.valid(remotePort) && rt.state[remotePort] === ECS.unbound;
    if (!listening || rt.remoteDom[remotePort] !== caller) return -EINVAL;
    const lport = lt.take();
    lt.set(lport, ECS.interdomain, rid, remotePort, 0);
    rt.set(remotePort, ECS.interdomain, caller, lport, rt.notifyVcpu[remotePort]!);
    this.setPending(lt, lport); // events sent before the bind were dropped: make up for them
    return lport;
  }

  /** EVTCHNOP_bind_virq. */
  bindVirq(caller: number, virq: number, vcpu: number): number {
    const t = this.table(caller);
    if (t === undefined) return -ESRCH;
    if (!Number.isInteger(virq) || virq < 0 || virq >= NR_VIRQS) return -EINVAL;
    const kind = virqKind(virq);
    if (kind !== 'vcpu' && vcpu !== 0) return -EINVAL;
    if (kind === 'global' && !this.mayHandleGlobalVirq(caller, virq)) return -EBUSY;
    if (!t.validVcpu(vcpu)) return -ENOENT;
    const slot = t.virqSlot(virq, vcpu);
    if (t.virqPort[slot] !== 0) return -EEXIST;
    const port = t.take();
    if (port < 0) return -ENOSPC;
    t.set(port, ECS.virq, 0, virq, vcpu);
    t.virqPort[slot] = port;
    if (kind === 'global') this.globalVirqOwner[virq] = caller;
    return port;
  }

  /** EVTCHNOP_bind_ipi: a port the domain signals itself on, delivered to `vcpu`. */
  bindIpi(caller: number, vcpu: number): number {
    const t = this.table(caller);
    if (t === undefined) return -ESRCH;
    if (!t.validVcpu(vcpu)) return -ENOENT;
    const port = t.take();
    if (port >= 0) t.set(port, ECS.ipi, 0, 0, vcpu);
    return port < 0 ? -ENOSPC : port;
  }

  /** EVTCHNOP_close. */
  close(caller: number, port: number): number {
    const t = this.table(caller);
    if (t === undefined) return -ESRCH;
    if (!t.valid(port) || t.state[port] === ECS.free || t.state[port] === ECS.reserved) return -EINVAL;
    this.closePort(t, port);
    return 0;
  }

  /** EVTCHNOP_send. */
  send(caller: number, port: number): number {
    const t = this.table(caller);
    if (t === undefined) return -ESRCH;
    if (!t.valid(port)) return -EINVAL;
    switch (t.state[port]) {
      case ECS.interdomain:
        this.setPending(this.peerTable(t, port), t.remotePort[port]!);
        break;
      case ECS.ipi:
        this.setPending(t, port);
        break;
      case ECS.unbound:
        this.counters.sendsDropped++;
        break;
      default:
        return -EINVAL;
    }
    this.counters.sends++;
    return 0;
  }

  /** EVTCHNOP_status: `rc` 0 with `info`, or a negative errno. */
  status(caller: number, dom: number, port: number): { rc: number; info?: EvtchnStatusInfo } {
    const t = this.target(caller, dom);
    if (typeof t === 'number') return { rc: t };
    if (!t.valid(port)) return { rc: -EINVAL };
    const s = t.state[port]!;
    const info: EvtchnStatusInfo = { status: STAT_OF_ECS[s]!, vcpu: t.notifyVcpu[port]! };
    if (s === ECS.unbound) info.dom = t.remoteDom[port]!;
    if (s === ECS.interdomain) Object.assign(info, { dom: t.remoteDom[port]!, port: t.remotePort[port]! });
    if (s === ECS.virq) info.virq = t.remotePort[port]!;
    return { rc: 0, info };
  }

  /** EVTCHNOP_unmask: clears the mask and re-delivers an event that arrived while masked. */
  unmask(caller: number, port: number): number {
    const t = this.table(caller);
    if (t === undefined) return -ESRCH;
    if (!t.valid(port)) return -EINVAL;
    if (!isMasked(t.sharedInfo, port)) return 0;
    clearMask(t.sharedInfo, port);
    if (isPending(t.sharedInfo, port)) this.markSelector(t, t.notifyVcpu[port]!, port);
    return 0;
  }

  /** EVTCHNOP_bind_vcpu: IPIs and per-vCPU VIRQs cannot move; other bindings can. */
  bindVcpu(caller: number, port: number, vcpu: number): number {
    const t = this.table(caller);
    if (t === undefined) return -ESRCH;
    if (!t.validVcpu(vcpu)) return -ENOENT;
    if (!t.valid(port)) return -EINVAL;
    const s = t.state[port];
    const movable = s === ECS.unbound || s === ECS.interdomain ||
      (s === ECS.virq && virqKind(t.remotePort[port]!) !== 'vcpu');
    if (!movable) return -EINVAL;
    t.notifyVcpu[port] = vcpu;
    return 0;
  }

  /** EVTCHNOP_reset: closes every port of `dom`. */
  reset(caller: number, dom: number): number {
    const t = this.target(caller, dom);
    if (typeof t === 'number') return t;
    this.closeAll(t);
    return 0;
  }

  /** Hypervisor-internal: raises `virq` for `dom` (per-vCPU VIRQs on `vcpu`). True if bound. */
  raiseVirq(dom: number, virq: number, vcpu = 0): boolean {
    const t = this.table(dom);
    if (t === undefined || !Number.isInteger(virq) || virq < 0 || virq >= NR_VIRQS) return false;
    const slotVcpu = virqKind(virq) === 'vcpu' ? vcpu : 0;
    if (!t.validVcpu(slotVcpu)) return false;
    const port = t.virqPort[t.virqSlot(virq, slotVcpu)]!;
    if (port === 0) return false;
    this.counters.virqsRaised++;
    this.setPending(t, port);
    return true;
  }

  /** Hypervisor-internal: raises a global VIRQ (e.g. DOM_EXC) at the domain that handles it. */
  raiseGlobalVirq(virq: number): boolean {
    const owner = this.globalVirqOwner[virq];
    return owner !== undefined && owner !== NO_OWNER && this.raiseVirq(owner, virq, 0);
  }

  /** The ports of `dom` in use (not free, not port 0), with what EVTCHNOP_status would say of
   *  each: read-only, for invariant checkers and reports. Empty for an unknown domain. */
  openPorts(dom: number): { port: number; info: EvtchnStatusInfo }[] {
    const t = this.table(dom);
    const out: { port: number; info: EvtchnStatusInfo }[] = [];
    for (let p = RESERVED_PORT + 1; t !== undefined && p < t.validPorts; p++) {
      if (t.state[p] !== ECS.free) out.push({ port: p, info: this.status(dom, dom, p).info! });
    }
    return out;
  }

  /** Broken internal state, one message each; empty when all is well. */
  checkInvariants(): string[] {
    const out: string[] = [];
    for (const t of this.byId) {
      if (t === undefined) continue;
      if (t.state[RESERVED_PORT] !== ECS.reserved || t.isFree(RESERVED_PORT)) out.push(`dom${t.id}: port 0 not reserved`);
      for (let p = 1; p < t.validPorts; p++) this.checkPort(t, p, out);
      this.checkVirqSlots(t, out);
      this.checkFreePorts(t, out);
    }
    for (let v = 0; v < NR_VIRQS; v++) {
      const o = this.globalVirqOwner[v]!;
      if (o !== NO_OWNER && this.table(o) === undefined) out.push(`global virq ${v} owned by missing dom${o}`);
    }
    return out;
  }

  // ---- delivery -----------------------------------------------------------------------

  /** Makes `port` of domain `dom` a Xen-consumer port (ECS_XEN's consumer_is_xen): an event
   *  sent to it runs `fn` in the hypervisor instead of reaching the guest (ioreq completion). */
  setXenConsumer(dom: number, port: number, fn: (() => void) | undefined): void {
    const key = dom * EVTCHN_2L_NR_CHANNELS + port;
    if (fn) this.xenConsumers.set(key, fn);
    else this.xenConsumers.delete(key);
  }

  private readonly xenConsumers = new Map<number, () => void>();

  /** Xen's 2-level set_pending, in order: PENDING, then (unmasked) selector, upcall, kick. */
  private setPending(t: PortTable, port: number): void {
    const consumer = this.xenConsumers.size > 0 ? this.xenConsumers.get(t.id * EVTCHN_2L_NR_CHANNELS + port) : undefined;
    if (consumer) return consumer();
    if (testAndSetPending(t.sharedInfo, port)) {
      this.counters.pendingAlreadySet++;
      return;
    }
    if (isMasked(t.sharedInfo, port)) return; // the edge is lost until unmask
    this.markSelector(t, t.notifyVcpu[port]!, port);
  }

  private markSelector(t: PortTable, vcpu: number, port: number): void {
    if (vcpu >= t.vcpus) return; // a domain without vCPUs has nobody to tell
    if (testAndSetSelector(t.sharedInfo, vcpu, Math.floor(port / EVTCHN_BITS_PER_WORD))) return;
    if (testAndSetUpcallPending(t.sharedInfo, vcpu)) return;
    this.counters.kicks++;
    this.deps.kick(t.id, vcpu);
  }

  // ---- closing ------------------------------------------------------------------------

  private closePort(t: PortTable, port: number): void {
    switch (t.state[port]) {
      case ECS.interdomain: {
        const peer = this.peerTable(t, port);
        const pp = t.remotePort[port]!;
        peer.set(pp, ECS.unbound, t.id, 0, peer.notifyVcpu[pp]!); // the peer listens again, for us
        break;
      }
      case ECS.virq: {
        const virq = t.remotePort[port]!;
        const vcpu = virqKind(virq) === 'vcpu' ? t.notifyVcpu[port]! : 0;
        t.virqPort[t.virqSlot(virq, vcpu)] = 0;
        break;
      }
      default:
        break;
    }
    clearPending(t.sharedInfo, port);
    t.release(port);
  }

  private closeAll(t: PortTable): void {
    for (let p = RESERVED_PORT + 1; p < t.validPorts; p++) {
      if (t.state[p] !== ECS.free) this.closePort(t, p);
    }
  }

  private peerTable(t: PortTable, port: number): PortTable {
    const peer = this.table(t.remoteDom[port]!);
    if (peer === undefined) throw new Error(`pvlab bug: dom${t.id} port ${port} bound to missing dom${t.remoteDom[port]}`);
    return peer;
  }

  /** The table of `dom` (DOMID_SELF = caller) if the caller may act on it (XSM_TARGET). */
  private target(caller: number, dom: number): PortTable | number {
    const did = dom === DOMID_SELF ? caller : dom;
    const t = this.table(did);
    if (t === undefined) return -ESRCH;
    return did !== caller && !this.privileged(caller) ? -EPERM : t;
  }

  private privileged(id: number): boolean { return this.deps.domain(id)?.privileged === true; }

  private mayHandleGlobalVirq(caller: number, virq: number): boolean {
    const owner = this.globalVirqOwner[virq]!;
    return owner === NO_OWNER ? this.privileged(caller) : owner === caller;
  }

  // ---- invariants ---------------------------------------------------------------------

  private checkPort(t: PortTable, p: number, out: string[]): void {
    const s = t.state[p]!;
    if (s > ECS.ipi || s === ECS.reserved) out.push(`dom${t.id} port ${p}: bad state ${s}`);
    if (s !== ECS.free && t.notifyVcpu[p]! >= Math.max(1, t.vcpus)) out.push(`dom${t.id} port ${p}: vcpu out of range`);
    if (t.isFree(p) !== (s === ECS.free)) out.push(`dom${t.id} port ${p}: free bitmap disagrees with state`);
    if (s !== ECS.interdomain) return;
    const peer = this.table(t.remoteDom[p]!);
    const pp = t.remotePort[p]!;
    const back = peer !== undefined && peer.valid(pp) && peer.state[pp] === ECS.interdomain &&
      peer.remoteDom[pp] === t.id && peer.remotePort[pp] === p;
    if (!back) out.push(`dom${t.id} port ${p}: peer dom${t.remoteDom[p]} port ${pp} does not point back`);
  }

  private checkVirqSlots(t: PortTable, out: string[]): void {
    for (let slot = 0; slot < t.virqPort.length; slot++) {
      const p = t.virqPort[slot]!;
      if (p === 0) continue;
      const virq = slot % NR_VIRQS;
      if (!t.valid(p) || t.state[p] !== ECS.virq || t.remotePort[p] !== virq) {
        out.push(`dom${t.id} virq ${virq}: slot names port ${p}, which is not that virq`);
      }
    }
  }

  private checkFreePorts(t: PortTable, out: string[]): void {
    for (let w = 0; w < t.freeBits.length; w++) {
      const summarised = (t.freeSummary[w >>> 5]! & (1 << (w & 31))) !== 0;
      if (summarised !== (t.freeBits[w] !== 0)) out.push(`dom${t.id}: free summary wrong for word ${w}`);
    }
  }
}
