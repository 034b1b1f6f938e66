// A platform profile: every cost pvlab charges, as one named field, in nanoseconds unless the
// name says otherwise. Profiles stand for eras of hardware (COSTS.md). Mechanism code decides
// WHAT happens; it asks the profile HOW LONG it takes, and contains no numbers of its own.

export interface PlatformProfile {
  readonly name: string;
  readonly description: string;
  /** Core clock, used to turn published cycle counts into time. */
  readonly cpuGHz: number;
  /** Does the CPU have VT-x/AMD-V? Without it, `hvm` falls back to `tcg`. */
  readonly hardwareVirt: boolean;
  /** Does it have nested paging (EPT/NPT)? */
  readonly nestedPaging: boolean;
  readonly sched: SchedulingCosts;
  readonly hypervisor: HypervisorCosts;
  readonly kernel: KernelCosts;
  readonly virt: VirtCosts;
  readonly devices: DeviceCosts;
}

/** Full virtualization: VM exits, binary translation, emulation. */
export interface VirtCosts {
  /** A VM exit and the VM entry back, trivially handled in the hypervisor. */
  readonly vmexitRoundTripNs: number;
  /** APIC virtualization / posted interrupts: EOIs and injections without an exit. */
  readonly apicv: boolean;
  /** Binary translation: a callout from translated code into the VMM. */
  readonly btCalloutNs: number;
  /** Binary translation: a sensitive instruction emulated inside the translation cache. */
  readonly btInCacheEmulationNs: number;
  /** Pure emulation (TCG): how many times slower emulated guest code runs than native. */
  readonly tcgSlowdown: number;
}

/** Devices: register accesses on real hardware, and their emulation in a device model. */
export interface DeviceCosts {
  /** One port or MMIO register access to a real device (a bus round trip). */
  readonly ioAccessNs: number;
  /** The device model's work for one trapped access (decode, dispatch, emulate, answer). */
  readonly dmAccessNs: number;
  /** The device model's work to complete an I/O (its AIO callback, raising the IRQ). */
  readonly dmCompletionNs: number;
}

/** Work inside an operating-system kernel (guest or dom0), the same whatever the mode. */
export interface KernelCosts {
  /** A system call's entry and exit, natively. */
  readonly syscallNs: number;
  /** Interrupt (or event upcall handler) entry and exit in a kernel. */
  readonly irqEntryNs: number;
  /** Block layer: turning one I/O into a request and handing it to a driver. */
  readonly blockSubmitNs: number;
  /** Block layer: completing one request and waking its waiter. */
  readonly blockCompleteNs: number;
  /** Copying memory inside a kernel, bytes per ns. */
  readonly memcpyBytesPerNs: number;
  /** xenstored handling one request (a user-space daemon in dom0: parse, tree walk, reply). */
  readonly xenstoreRequestNs: number;
}

export interface SchedulingCosts {
  /** Switching a pCPU from one vCPU to another (state save/restore, VMCS or page-table base). */
  readonly contextSwitchNs: number;
  /** Running the scheduler's decision function once. */
  readonly scheduleDecisionNs: number;
  /** Handling the periodic scheduler tick on a pCPU (credit burn, priority checks). */
  readonly tickNs: number;
  /** Delivering an inter-processor interrupt to another pCPU (tickling it). */
  readonly ipiNs: number;
}

export interface HypervisorCosts {
  /** A hypercall round trip into the hypervisor and back, trivially handled. */
  readonly hypercallNs: number;
  /** Extra work of an event-channel send on top of the hypercall (set pending, kick). */
  readonly evtchnSendNs: number;
  /** Delivering an event upcall into a guest (a bounce to its callback). */
  readonly upcallNs: number;
  /** Per grant mapped in a map batch: entry checks, pinning, one PTE installed. */
  readonly grantMapNs: number;
  /** Per grant unmapped in an unmap batch: PTE cleared and a local INVLPG. */
  readonly grantUnmapNs: number;
  /** Once per unmap batch: the TLB shootdown that makes the unmap safe. */
  readonly tlbShootdownNs: number;
  /** Copying memory inside the hypervisor (grant copy), in bytes per ns. */
  readonly copyBytesPerNs: number;
}

/** Converts a published cycle count to ns at the profile's clock, rounded to an integer. */
export function cycles(count: number, ghz: number): number {
  return Math.round(count / ghz);
}
