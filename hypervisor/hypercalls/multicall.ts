// multicall (#13, REFERENCE §1.6): a list of hypercalls run in order on one trap into the
// hypervisor. Each entry's return value goes into its `result`; the call itself returns 0, or
// -EFAULT for a list that cannot be read. A multicall inside a multicall is -EINVAL. Entries
// are counted as `multicall:<name>`, so a report can tell the traps from the work they carried.
import { EFAULT, EINVAL } from '../public/errno';
import { HYPERCALL } from '../public/xen';
import type { Hypervisor } from '../hypervisor';
import type { Vcpu } from '../vcpu';

export function multicallOp(hv: Hypervisor) {
  return (v: Vcpu, args: readonly unknown[]): number => {
    const [list, count] = args;
    if (!Array.isArray(list) || typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > list.length) return -EFAULT;
    for (let i = 0; i < count; i++) {
      const e = list[i] as Record<string, unknown> | null;
      if (typeof e !== 'object' || e === null || typeof e['op'] !== 'number' || !Array.isArray(e['args'])) return -EFAULT;
      const op = e['op'];
      hv.hypercalls.countMulticallEntry(v, op);
      e['result'] = op === HYPERCALL.multicall ? -EINVAL : hv.hypercalls.dispatch(v, op, e['args'] as unknown[]);
    }
    return 0;
  };
}
