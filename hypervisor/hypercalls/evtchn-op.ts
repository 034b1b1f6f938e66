// event_channel_op (#32): decodes the guest's (cmd, struct) arguments, calls the event
// channel core, writes the OUT fields back into the struct as Xen does, and returns 0 or
// -errno. Argument structs are plain objects; a malformed one is -EFAULT, never a throw.
import { EFAULT, ENOSYS } from '../public/errno';
import { EVTCHNOP } from '../public/event_channel';
import type { Hypervisor } from '../hypervisor';
import type { Vcpu } from '../vcpu';

type Arg = Record<string, unknown>;

function num(a: Arg, k: string): number | undefined {
  const v = a[k];
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

/** The integer fields `keys` of the struct, or undefined if one is missing or not an integer. */
function needKeys(arg: Arg, keys: readonly string[]): number[] | undefined {
  const out: number[] = [];
  for (const k of keys) {
    const n = num(arg, k);
    if (n === undefined) return undefined;
    out.push(n);
  }
  return out;
}

/** An OUT field: a non-negative result goes into the struct and the call returns 0. */
function writeOut(arg: Arg, key: string, rc: number): number {
  if (rc < 0) return rc;
  arg[key] = rc;
  return 0;
}

/** Returns the handler for event_channel_op. */
export function evtchnOp(hv: Hypervisor) {
  return (v: Vcpu, args: readonly unknown[]): number => {
    const cmd = args[0];
    const a = args[1];
    if (typeof cmd !== 'number' || typeof a !== 'object' || a === null) return -EFAULT;
    const arg = a as Arg;
    const me = v.domain.id;
    const ec = hv.evtchn;
    switch (cmd) {
      case EVTCHNOP.alloc_unbound: {
        const n = needKeys(arg, ['dom', 'remote_dom']);
        return n ? writeOut(arg, 'port', ec.allocUnbound(me, n[0]!, n[1]!)) : -EFAULT;
      }
      case EVTCHNOP.bind_interdomain: {
        const n = needKeys(arg, ['remote_dom', 'remote_port']);
        return n ? writeOut(arg, 'local_port', ec.bindInterdomain(me, n[0]!, n[1]!)) : -EFAULT;
      }
      case EVTCHNOP.bind_virq: {
        const n = needKeys(arg, ['virq', 'vcpu']);
        return n ? writeOut(arg, 'port', ec.bindVirq(me, n[0]!, n[1]!)) : -EFAULT;
      }
      case EVTCHNOP.bind_ipi: {
        const n = needKeys(arg, ['vcpu']);
        return n ? writeOut(arg, 'port', ec.bindIpi(me, n[0]!)) : -EFAULT;
      }
      case EVTCHNOP.close:
      case EVTCHNOP.unmask: {
        const n = needKeys(arg, ['port']);
        if (!n) return -EFAULT;
        return cmd === EVTCHNOP.close ? ec.close(me, n[0]!) : ec.unmask(me, n[0]!);
      }
      case EVTCHNOP.send: {
        const port = num(arg, 'port');
        if (port === undefined) return -EFAULT;
        v.hvOwedNs += hv.profile.hypervisor.evtchnSendNs;
        hv.counters.evtchnSends.set(me, (hv.counters.evtchnSends.get(me) ?? 0) + 1);
        return ec.send(me, port);
      }
      case EVTCHNOP.status: {
        const n = needKeys(arg, ['dom', 'port']);
        if (!n) return -EFAULT;
        const r = ec.status(me, n[0]!, n[1]!);
        if (r.rc < 0) return r.rc;
        Object.assign(arg, r.info);
        return 0;
      }
      case EVTCHNOP.bind_vcpu: {
        const n = needKeys(arg, ['port', 'vcpu']);
        return n ? ec.bindVcpu(me, n[0]!, n[1]!) : -EFAULT;
      }
      case EVTCHNOP.reset: {
        const n = needKeys(arg, ['dom']);
        return n ? ec.reset(me, n[0]!) : -EFAULT;
      }
      default:
        return -ENOSYS;
    }
  };
}
