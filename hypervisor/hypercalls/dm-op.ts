// dm_op (#41): what a device model may do to the domain it serves (public/hvm/dm_op.h).
// pvlab models the interrupt sub-ops: set_isa_irq_level (9) and set_pci_intx_level (8)
// raise a line of the guest. XSM's DM_PRIV rule (checked by the table) admits dom0 and a
// device model whose target is that domain.
import { EFAULT, EINVAL, ENOSYS, ESRCH } from '../public/errno';
import type { Hypervisor } from '../hypervisor';
import type { Vcpu } from '../vcpu';

export const DMOP = { create_ioreq_server: 1, map_io_range_to_ioreq_server: 3, set_pci_intx_level: 8, set_isa_irq_level: 9, inject_msi: 14 } as const;

export function dmOp(hv: Hypervisor) {
  return (_v: Vcpu, args: readonly unknown[]): number => {
    const [domid, op, arg] = args;
    if (typeof domid !== 'number' || typeof op !== 'number' || typeof arg !== 'object' || arg === null) return -EFAULT;
    const d = hv.domain(domid);
    if (!d || !d.hvm) return -ESRCH;
    const a = arg as Record<string, unknown>;
    switch (op) {
      case DMOP.set_isa_irq_level:
      case DMOP.set_pci_intx_level: {
        const irq = a['irq'];
        const level = a['level'];
        if (typeof irq !== 'number' || !Number.isInteger(irq) || irq < 0 || irq > 15) return -EINVAL;
        if (level === 1) hv.injectIrq(d, irq);
        return 0;
      }
      default:
        return -ENOSYS;
    }
  };
}
