// `modern`: a current x86 server, ~3 GHz, with EPT/NPT, VPID and posted interrupts.
// Every figure cites its row in ../shared/COSTS.md ("Modern x86 primitives").
import { cycles, type PlatformProfile } from './profile';
import { lmbenchKernelAt } from './lmbench';

const GHZ = 3.0;

export const modern: PlatformProfile = {
  name: 'modern',
  description: 'current x86 server: ~3 GHz, EPT/NPT, VPID, posted interrupts, NVMe, 10 GbE',
  cpuGHz: GHZ,
  hardwareVirt: true,
  nestedPaging: true,
  sched: {
    // Switching the loaded VMCS ~1800 cycles (Amit & Wei, ATC 2018) is the dominant part of a
    // vCPU switch on this era; a paravirtual context switch is 895 cycles (Dune, OSDI 2012).
    contextSwitchNs: cycles(1800, GHZ),
    // Derived from the mechanism: a runqueue pick touches a few cache lines and a lock;
    // taken as a hypercall-sized trip into scheduler code, 835 cycles (Dune, OSDI 2012).
    scheduleDecisionNs: cycles(835, GHZ),
    // Derived: the tick is a timer interrupt into the hypervisor (~one exit round trip,
    // about 2000 cycles; SplitX, WIOV 2011) plus burning credit on one vCPU.
    tickNs: cycles(2000, GHZ),
    // "inter-processor interrupt delivery: over 1000 cycles" (Amit et al., EuroSys 2020).
    ipiNs: cycles(1000, GHZ),
  },
  hypervisor: {
    // "hypercall round trip: at least 835 cycles" (Belay et al., Dune, OSDI 2012).
    hypercallNs: cycles(835, GHZ),
    // Derived: setting a pending bit and a selector bit with locked operations, ~100 cycles.
    evtchnSendNs: cycles(100, GHZ),
    // Derived: an upcall is an exception-style bounce into the guest's callback; taken as
    // one paravirtual context switch, 895 cycles (Dune, OSDI 2012).
    upcallNs: cycles(895, GHZ),
    // Derived: a cmpxchg on the grant entry, pin-count updates and one PTE write, ~400 cycles.
    grantMapNs: cycles(400, GHZ),
    // "local TLB invalidation (INVLPG): about 200 cycles" (Amit et al., EuroSys 2020), plus
    // clearing the PTE.
    grantUnmapNs: cycles(250, GHZ),
    // "TLB shootdown, initiator (one PTE, Linux 5.2): 5236-7172 cycles" (same source); the low end.
    tlbShootdownNs: cycles(5236, GHZ),
    // Derived: a single core's memcpy on a current server runs at roughly 10 GB/s.
    copyBytesPerNs: 10,
    // x86-64 PV guests run their kernel in ring 3: a system call enters Xen and bounces.
    pvSyscallFastTrap: false,
  },
  kernel: {
    // Pentium 4: syscall 242 cycles natively (Adams & Agesen, ASPLOS 2006, nanobenchmarks);
    // the same instruction path taken at this clock.
    syscallNs: cycles(242, GHZ),
    // Derived: interrupt entry, EOI and exit run about as long as an IPI delivery, which
    // COSTS.md gives as "over 1000 cycles" (Amit et al., EuroSys 2020).
    irqEntryNs: cycles(1000, GHZ),
    // Derived: Linux submits about a million 4 KiB I/Os per second per core on NVMe, so the
    // whole per-I/O kernel path is ~1 us; split ~60/40 between submission and completion.
    blockSubmitNs: 600,
    blockCompleteNs: 400,
    // Derived, as copyBytesPerNs above: about 10 GB/s for one core's memcpy.
    memcpyBytesPerNs: 10,
    // Derived: a user-space daemon's request costs two context switches (895 cycles each,
    // Dune, OSDI 2012) plus parsing and a tree walk, taken as ~10 us in all.
    xenstoreRequestNs: 10_000,
    // The guest kernel's own work per system call: the xeon-2003's lmbench figures minus the
    // parts pvlab models as mechanism (./lmbench.ts), taken in cycles at this clock.
    ...lmbenchKernelAt(GHZ),
  },
  virt: {
    // "VM exit + entry round trip, trivially handled in the hypervisor: about 2000 cycles"
    // (SplitX, WIOV 2011; kvm-unit-tests outl_to_kernel 2008 cycles).
    vmexitRoundTripNs: cycles(2000, GHZ),
    // Current x86 servers have APIC virtualization and posted interrupts (COSTS.md, profiles).
    apicv: true,
    // Adams & Agesen, ASPLOS 2006: "callout from translated code: 1254 cycles".
    btCalloutNs: cycles(1254, GHZ),
    // Same source: "emulated inside the translation cache: 216 cycles".
    btInCacheEmulationNs: cycles(216, GHZ),
    // Bellard, USENIX 2005: integer code ~4x slower in user-mode emulation, full-system
    // emulation adds ~2x for the software MMU: 4 x 2 = 8.
    tcgSlowdown: 8,
    // Derived: no modern split of the ~2000-cycle round trip (SplitX, WIOV 2011) is in
    // COSTS.md; split in the Core 2 proportions of Adams & Agesen, ASPLOS 2006, Table 1
    // (entry 937 : page-fault exit 1186): 2000 x 937/2123 = 883 cycles.
    vmEntryNs: cycles(883, GHZ),
    // Derived, as above: 2000 - 883 = 1117 cycles.
    pageFaultVmExitNs: cycles(1117, GHZ),
    // Adams & Agesen, ASPLOS 2006, Table 1: VMCS field read 52 cycles on Core 2, the newest
    // figure in COSTS.md; taken at this clock (later cores cache the VMCS: an upper bound).
    vmcsReadNs: cycles(52, GHZ),
    // Same source: VMCS field write 44 cycles on Core 2.
    vmcsWriteNs: cycles(44, GHZ),
    // "an exit completed by a user-space device model: at least about 3x the in-kernel exit"
    // (Bonzini, KVM VMX series): 3 x 2000 cycles in all, so 4000 cycles on top of the round trip.
    userspaceExitNs: cycles(2 * 2000, GHZ),
    // "virtio-blk guest->host notification (kick) with ioeventfd in QEMU: around 20 us"
    // (Hajnoczi, qemu-devel, "AioContext polling" RFC), minus the in-kernel exit that signals
    // the eventfd, charged on its own (2000 cycles, SplitX): 20 us - 667 ns.
    ioeventfdWakeNs: 20_000 - cycles(2000, GHZ),
    // Adams & Agesen, ASPLOS 2006: "about 2300 cycles per guest instruction translated".
    btTranslatePerInstructionNs: cycles(2300, GHZ),
    // Same source: "emulating a trapping instruction costs 2030 cycles by trap-and-emulate".
    trapAndEmulateNs: cycles(2030, GHZ),
    // Same source, nanobenchmarks (Pentium 4): syscall under binary translation 2308 cycles.
    btSyscallNs: cycles(2308, GHZ),
    // Same source: a page-table entry write under binary translation 391 cycles.
    btPteWriteNs: cycles(391, GHZ),
    // Same source: a true guest page fault under binary translation 3927 cycles.
    btGuestPageFaultNs: cycles(3927, GHZ),
  },
  devices: {
    // Adams & Agesen, ASPLOS 2006: `in` from a chipset port, natively, 3209 cycles on a
    // 3.8 GHz Pentium 4 = 844 ns. It is a bus round trip, so it is kept as time, not cycles.
    ioAccessNs: 844,
    // Derived (no COSTS.md row): an MMIO write is a posted transaction, so only the store's way
    // out of the core is paid, not the round trip above. Consecutive uncached MMIO writes
    // leave an Intel server core 50-300 ns apart (Intel community forum, "Why do MemReq TLPs
    // take 100s nanoseconds to be generated after MMIO writes?", 2020): 150 ns (assumed).
    mmioWriteNs: 150,
    // Derived: QEMU takes the ioreq in user space (two context switches, 895 cycles each,
    // Dune, OSDI 2012) and runs the device's handler (~1000 cycles): ~2800 cycles.
    dmAccessNs: cycles(2800, GHZ),
    // Derived: an AIO completion callback and an IRQ level change, ~1500 cycles.
    dmCompletionNs: cycles(1500, GHZ),
    // Derived: the handler part of dmAccessNs above, ~1000 cycles.
    dmHandlerNs: cycles(1000, GHZ),
    // Derived (no COSTS.md row): a 3-descriptor chain, its avail slot, the request header and
    // the used element are ~8 cache lines the other CPU just wrote, ~100 cycles each to pull
    // across cores (assumed), ~800 cycles.
    virtqueueRequestNs: cycles(800, GHZ),
    // Derived: an MSI is a message to the local APIC, the same delivery as an IPI: "over
    // 1000 cycles" (Amit et al., EuroSys 2020).
    interruptDeliveryNs: cycles(1000, GHZ),
  },
  mmu: {
    // Derived: lmbench page fault 1.42 us on the 2.4 GHz xeon-2003 (Barham et al., SOSP 2003,
    // L-UP) = 3408 cycles; the same kernel path taken at this clock.
    pageFaultNs: cycles(3408, GHZ),
    // Derived, as above: protection fault 1.06 us at 2.4 GHz = 2544 cycles.
    protectionFaultNs: cycles(2544, GHZ),
    // Adams & Agesen, ASPLOS 2006: a PTE write natively 1 cycle; rounded up to the 1 ns
    // resolution of simulated time.
    pteWriteNs: Math.max(1, cycles(1, GHZ)),
    // Derived: lmbench context switch 2p/0K 0.77 us at 2.4 GHz (Barham et al.) = 1848 cycles.
    processSwitchNs: cycles(1848, GHZ),
    // "local TLB invalidation (INVLPG): about 200 cycles" (Amit et al., EuroSys 2020).
    invlpgNs: cycles(200, GHZ),
    // "TLB shootdown ... responder 2912-3618 cycles" (same source, Figure 5); the low end.
    tlbShootdownResponderNs: cycles(2912, GHZ),
    // Derived (no COSTS.md row): 4 dependent loads hitting the L2 cache, ~14 cycles each on
    // current Intel cores (assumed), 56 cycles.
    tlbMissWalkNs: cycles(4 * 14, GHZ),
    // x86-64 four-level paging: 4 references (REFERENCE.md 9.2).
    nativeWalkRefs: 4,
    // "nested page walk: up to 24 memory references" (Bhargava et al., ASPLOS 2008).
    nestedWalkRefs: 24,
    // Same source: "3.9-4.6x slower than a native walk"; the low end.
    nestedWalkSlowdown: 3.9,
    // Derived from Adams & Agesen, ASPLOS 2006 (Pentium 4 hardware VMM): a PTE write costs
    // 12733 cycles = exit 1931 + entry 2409 + ~10 VMCS reads x 178 + 6613 cycles of VMM
    // software. Here: the 2000-cycle round trip (SplitX) + 10 reads x 52 (Core 2) + 6613.
    shadowPteWriteNs: cycles(2000 + 10 * 52 + 6613, GHZ),
    // Derived likewise: a true guest page fault 11242 = 4340 + 1780 + 5122 cycles of software.
    shadowGuestPageFaultNs: cycles(2000 + 10 * 52 + 5122, GHZ),
    // Derived: the trap is one hypercall round trip, 835 cycles (Dune, OSDI 2012).
    pvMmuUpdateBaseNs: cycles(835, GHZ),
    // Derived: each update is validated like a grant map (ownership and type counts with
    // locked operations, one PTE written), ~400 cycles as grantMapNs.
    pvMmuUpdatePerEntryNs: cycles(400, GHZ),
    // Barham et al., SOSP 2003: "one hypercall can carry up to 2048 updates".
    pvMmuUpdateMaxBatch: 2048,
    // Derived: a write fault into the hypervisor (exception delivery and return, 889 cycles,
    // divide-by-zero trap natively, Adams & Agesen) + validating the entry (400 cycles).
    pvPtwrEmulateNs: cycles(889 + 400, GHZ),
    // Derived: lmbench fork 110 us at 2.4 GHz (Barham et al.) = 264,000 cycles, at this clock.
    forkNativeNs: cycles(264_000, GHZ),
    // Derived: lmbench exec 530 us at 2.4 GHz = 1,272,000 cycles, at this clock.
    execNativeNs: cycles(1_272_000, GHZ),
    // Derived: a MOV to CR3 exits (CR_ACCESS): the 2000-cycle round trip (SplitX) and ten VMCS
    // reads (52 cycles, Core 2); the new root's shadow is found in a hash, taken as free.
    shadowCr3LoadNs: cycles(2000 + 10 * 52, GHZ),
    // Derived likewise for an INVLPG exit, plus the real INVLPG, about 200 cycles (Amit et al.).
    shadowInvlpgNs: cycles(2000 + 10 * 52 + 200, GHZ),
  },
  net: {
    nicModel: '10 GbE',
    // 10 Gb/s (COSTS.md, hardware eras) = 1.25 bytes per ns.
    nicBytesPerNs: 10 / 8,
    // Derived: before each frame the NIC fetches its descriptor from host memory, one
    // non-posted bus read; taken at the bus round trip of devices.ioAccessNs (844 ns).
    nicPerPacketNs: 844,
    // Standard Ethernet MTU (COSTS.md: the ttcp figures are at MTU 1500).
    mtuBytes: 1500,
    // IEEE 802.3: preamble+SFD 8, header 14, FCS 4, inter-frame gap 12 bytes.
    frameOverheadBytes: 8 + 14 + 4 + 12,
    // Derived (no COSTS.md row): a 10 GbE data-centre switch forwards in ~1 us (assumed), plus
    // 10 m of cable at 5 ns/m.
    wireLatencyNs: 1_000 + 10 * 5,
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
    // Linux ixgbe/i40e adaptive moderation settles at ~20,000 interrupts/s for bulk traffic
    // (IXGBE_20K_ITR): at most one receive interrupt per 50 us.
    nicRxCoalesceNs: 50_000,
  },
};
