// KVM's user-space ABI as pvlab models it (include/uapi/linux/kvm.h, Documentation/virt/kvm/
// api.rst; REFERENCE §10.1): the exit reasons KVM_RUN reports in kvm_run.exit_reason, and the
// eventfds through which the host kernel and user space signal each other without an exit —
// ioeventfd (a guest's register write signals an eventfd inside the kernel) and irqfd (a write
// to an eventfd injects a guest interrupt). Host code (QEMU's threads, vhost workers) holds
// eventfds through this interface; the kernel side is hypervisor/kvm/.

/** KVM_GET_API_VERSION must return this. */
export const KVM_API_VERSION = 12;

/** kvm_run.exit_reason values (kvm.h). */
export const KVM_EXIT = {
  UNKNOWN: 0,
  EXCEPTION: 1,
  /** A port access the kernel does not handle: { direction, size, port, count, data_offset }. */
  IO: 2,
  HYPERCALL: 3,
  DEBUG: 4,
  /** Only when the local APIC is emulated in user space. */
  HLT: 5,
  /** An MMIO access the kernel does not handle: { phys_addr, data[8], len, is_write }. */
  MMIO: 6,
  IRQ_WINDOW_OPEN: 7,
  SHUTDOWN: 8,
  FAIL_ENTRY: 9,
  INTR: 10,
  NMI: 16,
  INTERNAL_ERROR: 17,
  SYSTEM_EVENT: 24,
} as const;

export const KVM_EXIT_NAME: Record<number, string> = Object.fromEntries(Object.entries(KVM_EXIT).map(([k, v]) => [v, `KVM_EXIT_${k}`]));

/**
 * An eventfd (eventfd(2)): a 64-bit counter. `signal` is write(2) of 1 (from user space a system
 * call; inside the kernel eventfd_signal); `read` is read(2): it returns the count and clears
 * it, 0 when nothing was signalled (the EAGAIN of a non-blocking read). The thread that polls it
 * is woken when it is signalled.
 */
export interface EventFd {
  signal(): void;
  read(): number;
  /** Signals so far (always-on counter). */
  readonly signals: number;
}
