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
  readonly mmu: MmuCosts;
  readonly net: NetCosts;
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
  /** VT-x: the VM entry alone (VMRESUME, guest state loaded from the VMCS). 0 without VT-x. */
  readonly vmEntryNs: number;
  /** VT-x: the VM exit transition caused by a guest page fault, alone. 0 without VT-x. */
  readonly pageFaultVmExitNs: number;
  /** VT-x: one VMREAD of a VMCS field. 0 without VT-x. */
  readonly vmcsReadNs: number;
  /** VT-x: one VMWRITE of a VMCS field. 0 without VT-x. */
  readonly vmcsWriteNs: number;
  /**
   * Extra time, on top of vmexitRoundTripNs, of an exit that a hosted hypervisor (KVM-style)
   * completes in its user-space device model rather than in the kernel: the return to user
   * space and the way back. (Xen's ioreq path to QEMU in dom0 is modelled step by step.)
   */
  readonly userspaceExitNs: number;
  /**
   * A hosted hypervisor's ioeventfd kick (virtio): the latency from the eventfd being signalled
   * in the kernel until the device model's I/O thread, asleep in ppoll, runs its handler — its
   * wake-up, ppoll's return and the main loop's dispatch. A delay, not CPU time; the exit that
   * signals the eventfd is charged separately (vmexitRoundTripNs). 0 where there is no KVM.
   */
  readonly ioeventfdWakeNs: number;
  /** Binary translation: translating one guest instruction (once per translation unit). */
  readonly btTranslatePerInstructionNs: number;
  /** Emulating a privileged instruction by trapping to the VMM and decoding it. */
  readonly trapAndEmulateNs: number;
  /** Binary translation: one guest system call (kernel entry through translated code). */
  readonly btSyscallNs: number;
  /** Binary translation: one guest page-table entry write (traced, shadow updated). */
  readonly btPteWriteNs: number;
  /** Binary translation: one true guest page fault, reflected into the guest kernel. */
  readonly btGuestPageFaultNs: number;
}

/** Devices: register accesses on real hardware, and their emulation in a device model. */
export interface DeviceCosts {
  /** One port access, or MMIO read, of a real device: a bus round trip the CPU waits for. */
  readonly ioAccessNs: number;
  /** One MMIO register write to a real device. A memory write on PCI and PCIe is posted (no
   *  completion comes back), so the CPU waits only for the store to leave it; a driver that must
   *  know the write arrived follows it with a read (Linux's E1000_WRITE_FLUSH), paid as a read. */
  readonly mmioWriteNs: number;
  /** The device model's work for one trapped access (decode, dispatch, emulate, answer). */
  readonly dmAccessNs: number;
  /** The device model's work to complete an I/O (its AIO callback, raising the IRQ). */
  readonly dmCompletionNs: number;
  /** The device model's handler for one register access alone (decode, dispatch, emulate), as
   *  a hosted hypervisor's vCPU thread runs it after KVM_EXIT_IO/MMIO: dmAccessNs without the
   *  switches into and out of a separate device-model process. */
  readonly dmHandlerNs: number;
  /** A virtio device's own work per request: taking one descriptor chain off the available
   *  ring (copied once, validated) and putting its completion on the used ring. */
  readonly virtqueueRequestNs: number;
  /** A device interrupt message (MSI or IOAPIC) reaching a CPU, before the kernel's entry. */
  readonly interruptDeliveryNs: number;
}

/**
 * Memory virtualisation (REFERENCE.md §9): native MMU work, PV direct paging, shadow paging
 * and nested paging. Fields that stand for hardware the CPU lacks are 0 (see the flags).
 */
export interface MmuCosts {
  /** A native page fault handled by the kernel (lmbench "page fault"). */
  readonly pageFaultNs: number;
  /** A native protection fault delivered to a user signal handler (lmbench "prot fault"). */
  readonly protectionFaultNs: number;
  /** A native write of one page-table entry (an ordinary store). */
  readonly pteWriteNs: number;
  /** A native process context switch, page-table base (CR3) load included (lmbench 2p/0K). */
  readonly processSwitchNs: number;
  /** A local INVLPG of one page. */
  readonly invlpgNs: number;
  /** TLB shootdown, work on each responding CPU (initiator: hypervisor.tlbShootdownNs). */
  readonly tlbShootdownResponderNs: number;
  /** A native TLB-miss page walk (nativeWalkRefs dependent loads). */
  readonly tlbMissWalkNs: number;
  /** Memory references of a native page walk (the number of page-table levels). */
  readonly nativeWalkRefs: number;
  /** Memory references of a two-dimensional (nested) walk; 0 without nested paging. */
  readonly nestedWalkRefs: number;
  /** How many times slower a nested walk is than a native one; 0 without nested paging. */
  readonly nestedWalkSlowdown: number;
  /** Hardware VMM with shadow page tables: one guest PTE write (exit, emulate, shadow update). 0 without VT-x. */
  readonly shadowPteWriteNs: number;
  /** Hardware VMM with shadow page tables: one true guest page fault (exit, reflect). 0 without VT-x. */
  readonly shadowGuestPageFaultNs: number;
  /** PV mmu_update hypercall: the fixed part, trap into the hypervisor and back included. */
  readonly pvMmuUpdateBaseNs: number;
  /** PV mmu_update hypercall: each (ptr, val) update validated and written. */
  readonly pvMmuUpdatePerEntryNs: number;
  /** PV mmu_update: the most updates the guest kernel batches into one hypercall (a count). */
  readonly pvMmuUpdateMaxBatch: number;
  /** PV writable page tables: one trapped PTE write emulated and validated by the hypervisor. */
  readonly pvPtwrEmulateNs: number;
  /** A native fork (+exit+wait) of a small process, as measured (lmbench "fork"). */
  readonly forkNativeNs: number;
  /** A native fork + exec of a small program, as measured (lmbench "exec"). */
  readonly execNativeNs: number;
  /** Hardware VMM with shadow page tables: a guest CR3 load (exit, switch of shadow root). 0 without VT-x. */
  readonly shadowCr3LoadNs: number;
  /** Hardware VMM with shadow page tables: a guest INVLPG (exit, shadow entry dropped). 0 without VT-x. */
  readonly shadowInvlpgNs: number;
}

/** The network interface and the wire. */
export interface NetCosts {
  /** The NIC, for reports. */
  readonly nicModel: string;
  /** Link bandwidth, bytes per ns (gigabit = 0.125). */
  readonly nicBytesPerNs: number;
  /** The NIC's fixed work per frame before its data moves (descriptor fetch by DMA). */
  readonly nicPerPacketNs: number;
  /** Largest IP packet per frame, bytes. */
  readonly mtuBytes: number;
  /** Wire bytes per frame on top of the MTU payload: preamble, header, FCS, inter-frame gap. */
  readonly frameOverheadBytes: number;
  /** One switch hop and its cables, excluding the frame's own serialization time. */
  readonly wireLatencyNs: number;
  /** A kernel's TCP/IP (or UDP/IP) protocol work for one packet, sent or received: headers,
   *  socket and buffer bookkeeping; not the copies of its data (kernel.memcpyBytesPerNs). */
  readonly stackPerPacketNs: number;
  /** A network driver's own work for one packet: descriptors or ring slots, buffer allocation
   *  and freeing (a NIC driver, netfront and netback alike). */
  readonly driverPerPacketNs: number;
  /** Dom0's Linux bridge forwarding one frame: forwarding-database lookup and hand-off. */
  readonly bridgePerPacketNs: number;
  /** The physical NIC's receive interrupt moderation: the shortest time between interrupts. */
  readonly nicRxCoalesceNs: number;
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
  // The work of the guest kernel's own system calls beyond entry and exit (guests/kernel/os.ts).
  // Each is derived from a native lmbench figure minus the parts pvlab models as mechanism
  // (entries, faults, switches, copies), so that the same mechanism under a hypervisor costs
  // what the hypervisor makes it cost.
  /** A 1-byte read of /dev/zero or write to /dev/null (lmbench null I/O), beyond the entry. */
  readonly nullIoNs: number;
  /** stat() of a cached file: path lookup and copy-out. */
  readonly statNs: number;
  /** open() and close() of a cached file together. */
  readonly openCloseNs: number;
  /** select(): polling one descriptor. */
  readonly selectPerFdNs: number;
  /** sigaction(): installing a handler. */
  readonly sigInstallNs: number;
  /** Delivering a signal to a user handler and returning from it (frame set-up, sigreturn). */
  readonly sigDeliverNs: number;
  /** fork + exit + wait of a small process: the task, files and VMA work (not its page tables). */
  readonly forkNs: number;
  /** execve of a small program: loading and the dynamic loader (not its page tables or faults). */
  readonly execNs: number;
  /** A shell's start-up before it runs its command (lmbench sh, minus its forks and execs). */
  readonly shellStartupNs: number;
  /** Creating an empty file in a cached directory (inode and directory entry). */
  readonly fileCreateNs: number;
  /** Deleting an empty file. */
  readonly fileDeleteNs: number;
  /** Allocating one 4 KiB block to a growing file (bitmap, block map, page-cache page). */
  readonly fileBlockAllocNs: number;
  /** Freeing one 4 KiB block of a deleted file. */
  readonly fileBlockFreeNs: number;
  /** mmap() + munmap() of a file region: the VMA work and the TLB flush, not its faults. */
  readonly mmapNs: number;
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
  /**
   * Can a PV guest's system call reach its kernel without entering the hypervisor? On 32-bit
   * x86 the guest kernel runs in ring 1 and Xen installs its `int $0x80` handler as a trap gate
   * (Barham et al., SOSP 2003: a fast system-call handler). On x86-64 the PV kernel runs in
   * ring 3 like its processes: every `syscall` enters Xen, which bounces it into the guest
   * kernel, and the kernel returns with the `iret` hypercall.
   */
  readonly pvSyscallFastTrap: boolean;
}

/** Converts a published cycle count to ns at the profile's clock, rounded to an integer. */
export function cycles(count: number, ghz: number): number {
  return Math.round(count / ghz);
}
