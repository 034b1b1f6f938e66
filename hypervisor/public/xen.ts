// The core of Xen's public ABI (public/xen.h, sched.h, vcpu.h): hypercall numbers, special
// domain ids, shutdown reasons, runstates. Every kernel, PV or not, is written against this.

/** Hypercall numbers (`__HYPERVISOR_*`). */
export const HYPERCALL = {
  set_trap_table: 0, mmu_update: 1, set_gdt: 2, stack_switch: 3, set_callbacks: 4,
  fpu_taskswitch: 5, sched_op_compat: 6, platform_op: 7, set_debugreg: 8, get_debugreg: 9,
  update_descriptor: 10, memory_op: 12, multicall: 13, update_va_mapping: 14,
  set_timer_op: 15, event_channel_op_compat: 16, xen_version: 17, console_io: 18,
  physdev_op_compat: 19, grant_table_op: 20, vm_assist: 21,
  update_va_mapping_otherdomain: 22, iret: 23, vcpu_op: 24, set_segment_base: 25,
  mmuext_op: 26, xsm_op: 27, nmi_op: 28, sched_op: 29, callback_op: 30,
  event_channel_op: 32, physdev_op: 33, hvm_op: 34, sysctl: 35, domctl: 36, kexec_op: 37,
  argo_op: 39, xenpmu_op: 40, dm_op: 41, hypfs_op: 42,
} as const;
export type HypercallName = keyof typeof HYPERCALL;

const NAME_BY_NUMBER = new Map<number, HypercallName>(
  (Object.entries(HYPERCALL) as [HypercallName, number][]).map(([n, v]) => [v, n]),
);
export function hypercallName(nr: number): HypercallName | undefined {
  return NAME_BY_NUMBER.get(nr);
}

/** Special domain ids; ordinary ids are below DOMID_FIRST_RESERVED. `domid_t` is a u16. */
export const DOMID_FIRST_RESERVED = 0x7ff0;
export const DOMID_SELF = 0x7ff0;
export const DOMID_IO = 0x7ff1;
export const DOMID_XEN = 0x7ff2;
export const DOMID_COW = 0x7ff3;
export const DOMID_INVALID = 0x7ff4;
export const DOMID_ANY = 0x7ff5;
export const DOMID_IDLE = 0x7fff;

/** sched_op sub-ops (public/sched.h). */
export const SCHEDOP = {
  yield: 0, block: 1, shutdown: 2, poll: 3, remote_shutdown: 4, shutdown_code: 5,
  watchdog: 6, pin_override: 7,
} as const;

/** Shutdown reasons, and the letter `xl list` shows for each ("-rscwS"). */
export const SHUTDOWN = { poweroff: 0, reboot: 1, suspend: 2, crash: 3, watchdog: 4, soft_reset: 5 } as const;
export type ShutdownReason = keyof typeof SHUTDOWN;
export const SHUTDOWN_LETTERS = '-rscwS';

/** vCPU runstates (public/vcpu.h). */
export const RUNSTATE = { running: 0, runnable: 1, blocked: 2, offline: 3 } as const;
export type Runstate = keyof typeof RUNSTATE;

/** VIRQs (public/xen.h). TIMER is per-vCPU; DOM_EXC is global and belongs to dom0. */
export const VIRQ = {
  TIMER: 0, DEBUG: 1, CONSOLE: 2, DOM_EXC: 3, TBUF: 4, DEBUGGER: 6, XENOPROF: 7,
  CON_RING: 8, PCPU_STATE: 9, MEM_EVENT: 10, ARGO: 11, ENOMEM: 12, XENPMU: 13,
} as const;
export const NR_VIRQS = 24;
