// The hypercall entry point: a dispatch table keyed by Xen's real numbers, the availability
// of each call per guest type, the XSM dummy policy's privilege checks (REFERENCE §1.3), the
// cost of the trip into the hypervisor, and per-domain counters. Handlers for each family
// register themselves here; a number with no handler is -ENOSYS.
import { EINVAL, ENOSYS, EPERM } from './public/errno';
import { HYPERCALL, hypercallName, type HypercallName } from './public/xen';
import { isTime } from './public/guest';
import { EXIT_REASON } from './public/hvm/ioreq';
import type { Domain } from './domain';
import type { Hypervisor } from './hypervisor';
import type { Vcpu } from './vcpu';

/** XSM dummy-policy rule guarding a call (xsm/dummy.h). */
export type XsmRule = 'hook' | 'priv' | 'dm_priv';

export type HypercallHandler = (v: Vcpu, args: readonly unknown[]) => number;

interface Entry {
  readonly name: HypercallName;
  readonly xsm: XsmRule;
  readonly pvOnly: boolean;
  readonly handler: HypercallHandler;
}

/** Counter slots: Xen's hypercall numbers (all below 64), then the same numbers as multicall entries. */
const NR_SLOTS = 64;
const slotName = (slot: number): string => {
  const nr = slot % NR_SLOTS;
  const name = hypercallName(nr) ?? `#${nr}`;
  return slot < NR_SLOTS ? name : `multicall:${name}`;
};
const SLOTS = 2 * NR_SLOTS;
const slotOf = (nr: number): number => (Number.isInteger(nr) && nr >= 0 && nr < NR_SLOTS ? nr : -1);

/**
 * Every domain's hypercall counters, one array of a row per domain and a slot per hypercall
 * number, as Xen's `hypercalls` perf counter is an array by number: a call adds one to its slot,
 * with no lookup by name and no object of the domain's to fetch but the domain itself, which
 * keeps its row's offset. A name outside the slots (a number no hypercall has, as a hostile
 * guest may call) is counted by name. Readers get a domain's counts by name, in the order each
 * was first called.
 */
class HypercallCounters {
  private bySlot = new Float64Array(0);
  private rows = 0;
  /** Row offsets by domain id, for readers (and a domain that takes a dead one's id). */
  private readonly rowOf = new Map<number, number>();
  /** Per row: a slot, or a name outside the slots, for each name in the order of its first call. */
  private readonly order: (number | string)[][] = [];
  private readonly byName: (Map<string, number> | undefined)[] = [];

  add(d: Domain, slot: number): void {
    const row = d.hypercallRow >= 0 ? d.hypercallRow : this.rowFor(d);
    if (this.bySlot[row + slot]!++ === 0) this.order[row / SLOTS]!.push(slot);
  }

  /** Counts a call by a name that has no slot. */
  addName(d: Domain, name: string): void {
    const r = (d.hypercallRow >= 0 ? d.hypercallRow : this.rowFor(d)) / SLOTS;
    const m = (this.byName[r] ??= new Map());
    const n = m.get(name) ?? 0;
    if (n === 0) this.order[r]!.push(name);
    m.set(name, n + 1);
  }

  of(domid: number): Map<string, number> | undefined {
    const row = this.rowOf.get(domid);
    if (row === undefined) return undefined;
    const r = row / SLOTS;
    return new Map(this.order[r]!.map((k) => (typeof k === 'number' ? [slotName(k), this.bySlot[row + k]!] : [k, this.byName[r]!.get(k)!])));
  }

  private rowFor(d: Domain): number {
    let row = this.rowOf.get(d.id);
    if (row === undefined) {
      row = this.rows++ * SLOTS;
      this.rowOf.set(d.id, row);
      this.order.push([]);
      if (row + SLOTS > this.bySlot.length) {
        const next = new Float64Array(Math.max(2 * this.bySlot.length, 64 * SLOTS));
        next.set(this.bySlot);
        this.bySlot = next;
      }
    }
    d.hypercallRow = row;
    return row;
  }
}

export class HypercallTable {
  private readonly table: (Entry | undefined)[] = [];
  private readonly counters = new HypercallCounters();
  /** Calls by domain and name, always on: a fresh Map of a domain's counts, in the order of first call. */
  readonly perDomain = { get: (domid: number): Map<string, number> | undefined => this.counters.of(domid) };

  constructor(private readonly hv: Hypervisor) {
    this.register('xen_version', () => 0x4_0013, { xsm: 'hook' }); // 4.19
    this.register('domctl', () => -ENOSYS, { xsm: 'priv' });
    this.register('sysctl', () => -ENOSYS, { xsm: 'priv' });
    this.register('set_timer_op', (v, a) => this.setTimer(v, a[0]), { xsm: 'hook' });
  }

  register(name: HypercallName, handler: HypercallHandler, opts: { xsm?: XsmRule; pvOnly?: boolean } = {}): void {
    this.table[HYPERCALL[name]] = { name, handler, xsm: opts.xsm ?? 'hook', pvOnly: opts.pvOnly ?? false };
  }

  /** A guest's hypercall: charge the trip, check availability and privilege, dispatch. */
  call(v: Vcpu, nr: number, args: readonly unknown[]): number {
    const h = v.domain.hvm;
    if (h === undefined) v.hvOwedNs += this.hv.profile.hypervisor.hypercallNs;
    else {
      // HVM and PVH kernels reach Xen with VMCALL: a VM exit (reason 18) each time.
      h.exit(EXIT_REASON.VMCALL);
      v.hvOwedNs += this.hv.profile.virt.vmexitRoundTripNs;
    }
    this.countCall(v, nr);
    const rc = this.dispatch(v, nr, args);
    const t = this.hv.trace;
    if (t.on) t.emit({ type: 'hypercall', t: this.hv.engine.now, dom: v.domain.id, vcpu: v.id, name: this.nameOf(nr), op: String(args[0] ?? ''), rc });
    return rc;
  }

  nameOf(nr: number): string {
    const e = Number.isInteger(nr) ? this.table[nr] : undefined;
    return e?.name ?? hypercallName(nr) ?? `#${nr}`;
  }

  /** Checks availability and privilege and runs the handler, without the trip into the
   *  hypervisor: a multicall's entries ride on the multicall's own trap. */
  dispatch(v: Vcpu, nr: number, args: readonly unknown[]): number {
    const e = Number.isInteger(nr) ? this.table[nr] : undefined;
    if (e === undefined) return -ENOSYS;
    if (e.pvOnly && v.domain.config.type !== 'pv') return -ENOSYS;
    if (!this.permitted(v, e.xsm, args)) return -EPERM;
    return e.handler(v, args);
  }

  /** Counts a call of hypercall `nr` (the scheduling core counts a PV guest's block or yield as sched_op). */
  countCall(v: Vcpu, nr: number): void {
    const slot = slotOf(nr);
    if (slot >= 0) this.counters.add(v.domain, slot);
    else this.counters.addName(v.domain, this.nameOf(nr));
  }

  /** Counts an entry of a multicall, as `multicall:<name>`. */
  countMulticallEntry(v: Vcpu, nr: number): void {
    const slot = slotOf(nr);
    if (slot >= 0) this.counters.add(v.domain, NR_SLOTS + slot);
    else this.counters.addName(v.domain, `multicall:${this.nameOf(nr)}`);
  }

  /** The dummy policy: PRIV needs the control domain; DM_PRIV also admits a device model
   *  acting for its own target domain (args[0] names the target). */
  private permitted(v: Vcpu, rule: XsmRule, args: readonly unknown[]): boolean {
    const d = v.domain;
    switch (rule) {
      case 'hook':
        return true;
      case 'priv':
        return d.privileged;
      case 'dm_priv':
        return d.privileged || (d.dmTarget !== undefined && d.dmTarget === args[0]);
    }
  }

  /** set_timer_op: a one-shot timer at an absolute time (0 cancels). */
  private setTimer(v: Vcpu, deadline: unknown): number {
    if (!isTime(deadline)) return -EINVAL; // NaN would reach the engine; fractions break integer time
    if (deadline === 0) v.blockTimerAt = -1;
    else this.hv.core.armBlockTimer(v, deadline);
    return 0;
  }
}
