// dm_op (hypercall 41) sub-operations a device model uses on the domain it serves
// (public/hvm/dm_op.h). Arguments are passed as (domid, op, struct) in pvlab.
export const DMOP = { create_ioreq_server: 1, map_io_range_to_ioreq_server: 3, set_pci_intx_level: 8, set_isa_irq_level: 9, inject_msi: 14 } as const;
