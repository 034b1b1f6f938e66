// `core2-2006`: first-generation hardware assist (Adams & Agesen, ASPLOS 2006): a 2.66 GHz
// Core 2 Duo with VT-x but no nested paging, so HVM guests run on shadow page tables.
// Every figure cites its row in ../shared/COSTS.md or says "Derived:" and how. Where a figure
// exists only for another CPU (lmbench on the 2.4 GHz xeon-2003, Pentium 4 nanobenchmarks),
// its cycle count is taken at this clock; the comment says so.
import { cycles, type PlatformProfile } from './profile';
import { lmbenchKernelAt } from './lmbench';

const GHZ = 2.66;

/** Adams & Agesen, ASPLOS 2006, Table 1, Core 2 Duo: VM entry 937 cycles. */
const VM_ENTRY_CYCLES = 937;
/** Same table: page-fault VM exit 1186 cycles. */
const PF_VM_EXIT_CYCLES = 1186;
/** Same table: VMCS field read 52 cycles. */
const VMCS_READ_CYCLES = 52;
/** Derived: an exit handled trivially is the exit plus the entry back, 2123 cycles. */
const ROUND_TRIP_CYCLES = VM_ENTRY_CYCLES + PF_VM_EXIT_CYCLES;
/**
 * Derived: a typical exit handler reads about ten VMCS fields (COSTS.md, Adams & Agesen).
 * The Pentium 4 hardware-VMM nanobenchmarks decompose as the round trip (entry 2409 + exit
 * 1931 = 4340 cycles), ten VMCS reads (10 x 178 = 1780) and the VMM's own software. Keeping
 * the software's cycles and swapping in this CPU's transitions gives this era's figures.
 */
const HANDLER_READS_CYCLES = 10 * VMCS_READ_CYCLES;
/** PTE write on the P4 hardware VMM, 12733 cycles: software 12733 - 4340 - 1780 = 6613. */
const SHADOW_PTE_SOFTWARE_CYCLES = 12733 - 4340 - 1780;
/** True guest page fault on the P4 hardware VMM, 11242 cycles: software 11242 - 6120 = 5122. */
const SHADOW_PF_SOFTWARE_CYCLES = 11242 - 4340 - 1780;
/**
 * Derived: lmbench null call on the xeon-2003, 0.45 us at 2.4 GHz = 1080 cycles: a software
 * interrupt round trip, the mechanism of a 32-bit PV hypercall (`int $0x82`).
 */
const HYPERCALL_CYCLES = 1080;
/** Derived: lmbench context switch 2p/0K on the xeon-2003, 0.77 us at 2.4 GHz = 1848 cycles. */
const PROCESS_SWITCH_CYCLES = 1848;
/**
 * Derived: memory bandwidth of the era. A 2.66 GHz Core 2 Duo (E6700) has a 1066 MT/s, 64-bit
 * front-side bus, 8.53 GB/s peak (below its dual-channel DDR2-667's 10.7 GB/s). A memcpy moves
 * every byte across the bus about three times (source read, read-for-ownership of the
 * destination, write-back): 8.53 / 3 = 2.84 bytes per ns.
 */
const COPY_BYTES_PER_NS = (1.066 * 8) / 3;
/** Adams & Agesen, Pentium 4 native divide-by-zero trap: 889 cycles (exception in, iret out). */
const TRAP_CYCLES = 889;

export const core22006: PlatformProfile = {
  name: 'core2-2006',
  description: 'first-generation VT-x (ASPLOS 2006): 2.66 GHz Core 2 Duo, no EPT, 7200 RPM SATA, gigabit',
  cpuGHz: GHZ,
  hardwareVirt: true,
  nestedPaging: false,
  sched: {
    // "switching the loaded VMCS: about 1800 cycles" (Amit & Wei, ATC 2018); no first-
    // generation figure is published. It agrees with a process switch (lmbench 2p/0K, 1848
    // cycles), the work of a PV vCPU switch.
    contextSwitchNs: cycles(1800, GHZ),
    // Derived as in `modern`: a runqueue pick, taken as one hypercall-sized trip.
    scheduleDecisionNs: cycles(HYPERCALL_CYCLES, GHZ),
    // Derived as in `modern`: the tick is a timer interrupt taken as an exit round trip,
    // 937 + 1186 = 2123 cycles (Adams & Agesen, Table 1).
    tickNs: cycles(ROUND_TRIP_CYCLES, GHZ),
    // "inter-processor interrupt delivery: over 1000 cycles" (Amit et al., EuroSys 2020); the
    // same APIC mechanism, no figure of this era.
    ipiNs: cycles(1000, GHZ),
  },
  hypervisor: {
    // Derived: a 32-bit PV hypercall is `int $0x82`, a software interrupt like Linux 2.4's
    // `int $0x80`: lmbench null call 1080 cycles (see HYPERCALL_CYCLES). An HVM guest's
    // VMCALL costs virt.vmexitRoundTripNs instead.
    hypercallNs: cycles(HYPERCALL_CYCLES, GHZ),
    // Derived as in `modern`: two locked bit-sets, ~100 cycles.
    evtchnSendNs: cycles(100, GHZ),
    // Derived: an exception-style bounce into the guest's callback, 889 cycles (Adams &
    // Agesen, Pentium 4 divide-by-zero trap, native).
    upcallNs: cycles(TRAP_CYCLES, GHZ),
    // Derived as in `modern`: a cmpxchg on the grant entry, pin counts, one PTE, ~400 cycles.
    grantMapNs: cycles(400, GHZ),
    // "INVLPG: about 200 cycles" (Amit et al., EuroSys 2020) plus clearing the PTE: 250 cycles.
    grantUnmapNs: cycles(250, GHZ),
    // "TLB shootdown, initiator: 5236-7172 cycles" (same source), the low end; the same
    // IPI-and-wait mechanism, no figure of this era.
    tlbShootdownNs: cycles(5236, GHZ),
    // Derived: 8.53 GB/s front-side bus / 3 bus crossings per copied byte (COPY_BYTES_PER_NS).
    copyBytesPerNs: COPY_BYTES_PER_NS,
    // 64-bit PV guests (Xen 3.0 on a Core 2) run their kernel in ring 3: a system call enters
    // Xen and bounces (REFERENCE 9.1).
    pvSyscallFastTrap: false,
  },
  kernel: {
    // Adams & Agesen, ASPLOS 2006: syscall 242 cycles natively (Pentium 4, a Linux 2.6-era
    // `sysenter` path), taken at this clock as in `modern`.
    syscallNs: cycles(242, GHZ),
    // Derived: interrupt entry and exit are an exception's delivery and iret: 889 cycles
    // (Adams & Agesen, Pentium 4 divide-by-zero trap, native).
    irqEntryNs: cycles(TRAP_CYCLES, GHZ),
    // Derived: the ~3000-cycle per-I/O block path of `modern` (1 us at 3 GHz, split 60/40),
    // taken in cycles at this clock.
    blockSubmitNs: cycles(1800, GHZ),
    blockCompleteNs: cycles(1200, GHZ),
    // Derived, as copyBytesPerNs.
    memcpyBytesPerNs: COPY_BYTES_PER_NS,
    // Derived: `modern`'s ~10 us per xenstored request is ~30,000 cycles; at this clock.
    xenstoreRequestNs: cycles(30_000, GHZ),
    // The guest kernel's own work per system call: the xeon-2003's lmbench figures minus the
    // parts pvlab models as mechanism (./lmbench.ts), taken in cycles at this clock.
    ...lmbenchKernelAt(GHZ),
  },
  virt: {
    // Derived: page-fault VM exit 1186 + VM entry 937 = 2123 cycles (Adams & Agesen, Table 1).
    vmexitRoundTripNs: cycles(ROUND_TRIP_CYCLES, GHZ),
    // APIC virtualization came years after first-generation VT-x.
    apicv: false,
    // Adams & Agesen, ASPLOS 2006: "callout from translated code: 1254 cycles" (Pentium 4).
    btCalloutNs: cycles(1254, GHZ),
    // Same source: "emulated inside the translation cache: 216 cycles".
    btInCacheEmulationNs: cycles(216, GHZ),
    // Bellard, USENIX 2005 (QEMU of this era): ~4x for integer code in user-mode emulation,
    // ~2x more for the software MMU: 4 x 2 = 8.
    tcgSlowdown: 8,
    // Adams & Agesen, ASPLOS 2006, Table 1, Core 2 Duo: VM entry 937 cycles.
    vmEntryNs: cycles(VM_ENTRY_CYCLES, GHZ),
    // Same table: page-fault VM exit 1186 cycles.
    pageFaultVmExitNs: cycles(PF_VM_EXIT_CYCLES, GHZ),
    // Same table: VMCS field read 52 cycles.
    vmcsReadNs: cycles(VMCS_READ_CYCLES, GHZ),
    // Same table: VMCS field write 44 cycles.
    vmcsWriteNs: cycles(44, GHZ),
    // Derived: "at least about 3x the in-kernel exit" (Bonzini, KVM VMX series) applied to
    // this era's round trip: 2 x 2123 cycles on top of it.
    userspaceExitNs: cycles(2 * ROUND_TRIP_CYCLES, GHZ),
    // Derived: the ~20 us ioeventfd kick of `modern` (Hajnoczi, "AioContext polling" RFC) is a
    // host thread's wake-up, not clock-bound, so it is taken as it is here, minus this era's
    // in-kernel exit (charged on its own).
    ioeventfdWakeNs: 20_000 - cycles(ROUND_TRIP_CYCLES, GHZ),
    // Adams & Agesen: "about 2300 cycles per guest instruction translated".
    btTranslatePerInstructionNs: cycles(2300, GHZ),
    // Same source: trap-and-emulate 2030 cycles.
    trapAndEmulateNs: cycles(2030, GHZ),
    // Same source, Pentium 4 nanobenchmarks, software VMM: syscall 2308 cycles.
    btSyscallNs: cycles(2308, GHZ),
    // Same: page-table entry write 391 cycles.
    btPteWriteNs: cycles(391, GHZ),
    // Same: true guest page fault 3927 cycles.
    btGuestPageFaultNs: cycles(3927, GHZ),
  },
  devices: {
    // Adams & Agesen, ASPLOS 2006: `in` from a chipset port natively 3209 cycles at 3.8 GHz =
    // 844 ns; a bus round trip, kept as time rather than cycles (as in `modern`).
    ioAccessNs: 844,
    // Derived (no COSTS.md row): an MMIO write is a posted transaction, so only the store's way
    // out of the core is paid, not the round trip above. Consecutive uncached MMIO writes
    // leave an Intel server core 50-300 ns apart (Intel community forum, "Why do MemReq TLPs
    // take 100s nanoseconds to be generated after MMIO writes?", 2020): 150 ns (assumed).
    mmioWriteNs: 150,
    // Derived as in `modern`: two process switches into and out of the device model
    // (lmbench 2p/0K, 1848 cycles each) plus ~1000 cycles of handler.
    dmAccessNs: cycles(2 * PROCESS_SWITCH_CYCLES + 1000, GHZ),
    // Derived as in `modern`: an AIO completion callback and an IRQ level change, ~1500 cycles.
    dmCompletionNs: cycles(1500, GHZ),
    // Derived: the handler part of dmAccessNs above, ~1000 cycles.
    dmHandlerNs: cycles(1000, GHZ),
    // Derived as in `modern`: ~8 cache lines moved between cores, ~800 cycles.
    virtqueueRequestNs: cycles(800, GHZ),
    // Derived: an interrupt message to the local APIC, delivered like an IPI (ipiNs above).
    interruptDeliveryNs: cycles(1000, GHZ),
  },
  mmu: {
    // Derived: lmbench page fault 1.42 us at 2.4 GHz (xeon-2003) = 3408 cycles, at this clock.
    pageFaultNs: cycles(3408, GHZ),
    // Derived: lmbench protection fault 1.06 us at 2.4 GHz = 2544 cycles, at this clock.
    protectionFaultNs: cycles(2544, GHZ),
    // Adams & Agesen: a PTE write natively 1 cycle; rounded up to the 1 ns resolution.
    pteWriteNs: Math.max(1, cycles(1, GHZ)),
    // Derived: lmbench context switch 2p/0K, 1848 cycles (see PROCESS_SWITCH_CYCLES).
    processSwitchNs: cycles(PROCESS_SWITCH_CYCLES, GHZ),
    // "INVLPG: about 200 cycles" (Amit et al., EuroSys 2020); no figure of this era.
    invlpgNs: cycles(200, GHZ),
    // "TLB shootdown ... responder 2912-3618 cycles" (same source), the low end.
    tlbShootdownResponderNs: cycles(2912, GHZ),
    // Derived (no COSTS.md row): 4 dependent loads hitting the L2 cache, ~14 cycles each on a
    // Core 2 (assumed), 56 cycles.
    tlbMissWalkNs: cycles(4 * 14, GHZ),
    // x86-64 four-level paging (Core 2 is 64-bit; Xen 3.0 runs 64-bit guests).
    nativeWalkRefs: 4,
    // No nested paging.
    nestedWalkRefs: 0,
    nestedWalkSlowdown: 0,
    // Derived (HANDLER_READS_CYCLES above): Adams & Agesen's Pentium 4 hardware-VMM PTE write,
    // 12733 cycles, with this CPU's round trip and VMCS reads: 2123 + 520 + 6613 = 9256 cycles.
    shadowPteWriteNs: cycles(ROUND_TRIP_CYCLES + HANDLER_READS_CYCLES + SHADOW_PTE_SOFTWARE_CYCLES, GHZ),
    // Derived likewise from the true guest page fault, 11242 cycles on the P4 hardware VMM:
    // 2123 + 520 + 5122 = 7765 cycles.
    shadowGuestPageFaultNs: cycles(ROUND_TRIP_CYCLES + HANDLER_READS_CYCLES + SHADOW_PF_SOFTWARE_CYCLES, GHZ),
    // Derived: the trap is one PV hypercall round trip (1080 cycles, HYPERCALL_CYCLES).
    pvMmuUpdateBaseNs: cycles(HYPERCALL_CYCLES, GHZ),
    // Derived as in `modern`: validated like a grant map, ~400 cycles.
    pvMmuUpdatePerEntryNs: cycles(400, GHZ),
    // Barham et al., SOSP 2003: "one hypercall can carry up to 2048 updates".
    pvMmuUpdateMaxBatch: 2048,
    // Derived: a write fault into Xen (889 cycles, Adams & Agesen divide-by-zero trap, native)
    // plus validating the entry (400 cycles).
    pvPtwrEmulateNs: cycles(TRAP_CYCLES + 400, GHZ),
    // Derived: lmbench fork 110 us at 2.4 GHz = 264,000 cycles, at this clock.
    forkNativeNs: cycles(264_000, GHZ),
    // Derived: lmbench exec 530 us at 2.4 GHz = 1,272,000 cycles, at this clock.
    execNativeNs: cycles(1_272_000, GHZ),
    // Derived (HANDLER_READS_CYCLES above): a MOV to CR3 exits (CR_ACCESS); the handler reads
    // its ten VMCS fields and finds the new root's shadow in a hash, taken as free: 2123 + 520.
    shadowCr3LoadNs: cycles(ROUND_TRIP_CYCLES + HANDLER_READS_CYCLES, GHZ),
    // Derived likewise for an INVLPG exit, plus the real INVLPG, about 200 cycles (Amit et al.).
    shadowInvlpgNs: cycles(ROUND_TRIP_CYCLES + HANDLER_READS_CYCLES + 200, GHZ),
  },
  net: {
    nicModel: 'gigabit Ethernet',
    // Gigabit (COSTS.md, hardware eras): 0.125 bytes per ns.
    nicBytesPerNs: 1 / 8,
    // Derived: before each frame the NIC fetches its descriptor from host memory, one
    // non-posted bus read; taken at the bus round trip of devices.ioAccessNs (844 ns).
    nicPerPacketNs: 844,
    // Standard Ethernet MTU (COSTS.md: the ttcp figures are at MTU 1500).
    mtuBytes: 1500,
    // IEEE 802.3: preamble+SFD 8, header 14, FCS 4, inter-frame gap 12 bytes.
    frameOverheadBytes: 8 + 14 + 4 + 12,
    // Derived (no COSTS.md row): a gigabit switch of the period forwards in ~3 us (assumed),
    // plus 10 m of cable at 5 ns/m.
    wireLatencyNs: 3_000 + 10 * 5,
    // Derived (no COSTS.md row): Clark, Jacobson, Romkey & Salwen (IEEE Communications, 1989)
    // count ~300 instructions for TCP and IP on the common path; the socket layer, buffer (skb)
    // management and route lookup around them make ~4000 cycles per packet (assumed).
    stackPerPacketNs: cycles(4000, GHZ),
    // Derived (no COSTS.md row): a driver touches one or two descriptors and allocates or frees
    // one buffer per packet, ~1500 cycles (assumed).
    driverPerPacketNs: cycles(1500, GHZ),
    // Derived (no COSTS.md row): br_handle_frame, one hash lookup in the forwarding database and
    // the hand-off to the output port, ~1000 cycles (assumed).
    bridgePerPacketNs: cycles(1000, GHZ),
    // Linux tg3 driver default rx-usecs (DEFAULT_RXCOL_TICKS, tg3.h), taken for the period's
    // gigabit NICs alike as the shortest gap between receive interrupts: 20 us.
    nicRxCoalesceNs: 20_000,
  },
};
