// The hypercall entry point: a dispatch table keyed by Xen's real numbers, the availability
// of each call per guest type, the XSM dummy policy's privilege checks (REFERENCE §1.3), the
// cost of the trip into the hypervisor, and per-domain counters. Handlers for each family
// register themselves here; a number with no handler is -ENOSYS.
import { EINVAL, ENOSYS, EPERM } from './public/errno';
import { HYPERCALL, hypercallName, type HypercallName } from './public/xen';
import { isTime } from './public/guest';
import { EXIT_REASON } from './public/hvm/ioreq';
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

export class HypercallTable {
  private readonly table: (Entry | undefined)[] = [];
  /** Calls by domain and name, always on. */
  readonly perDomain = new Map<number, Map<string, number>>();

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
    const name = this.nameOf(nr);
    this.count(v, name);
    const rc = this.dispatch(v, nr, args);
    const t = this.hv.trace;
    if (t.on) t.emit({ type: 'hypercall', t: this.hv.engine.now, dom: v.domain.id, vcpu: v.id, name, op: String(args[0] ?? ''), rc });
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

  count(v: Vcpu, name: string): void {
    const d = v.domain;
    // The domain keeps its entry of perDomain at hand: no lookup in a table of every domain.
    let m = d.hypercallCounts;
    if (m === undefined) {
      m = this.perDomain.get(d.id);
      if (!m) this.perDomain.set(d.id, (m = new Map()));
      d.hypercallCounts = m;
    }
    m.set(name, (m.get(name) ?? 0) + 1);
    this.hv.counters.hypercalls.set(name, (this.hv.counters.hypercalls.get(name) ?? 0) + 1);
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
