// `xeon-2003`: the testbed of the original Xen paper (Barham et al., SOSP 2003): a Dell 2650,
// 2.4 GHz Xeon (NetBurst), SMT off, 2 GB RAM, Broadcom Tigon3 gigabit Ethernet. No VT-x: full
// virtualization only by binary translation (`bt`) or emulation (`tcg`).
// Every figure cites its row in ../shared/COSTS.md or says "Derived:" and how. "lmbench" means
// the native Linux 2.4.21 column (L-UP) of Barham et al., Tables 3-5, measured on this machine.
// Cycle counts from Adams & Agesen (ASPLOS 2006) were measured on a Pentium 4, the same NetBurst
// microarchitecture as this Xeon, so they are taken at this clock.
import { cycles, type PlatformProfile } from './profile';
import { LMBENCH_KERNEL_NS } from './lmbench';

const GHZ = 2.4;

/** lmbench null call, 0.45 us: Linux 2.4's `int $0x80` round trip with a trivial handler. */
const NULL_CALL_NS = 450;
/** lmbench context switch 2p/0K, 0.77 us (1848 cycles at 2.4 GHz). */
const PROCESS_SWITCH_NS = 770;
/**
 * Derived: memory bandwidth of the era. The Dell 2650's 400 MT/s, 64-bit front-side bus (and
 * its two-way interleaved DDR-200) peaks at 3.2 GB/s. A memcpy moves every byte across it about
 * three times (source read, read-for-ownership of the destination line, write-back), so copies
 * run at about 3.2 / 3 = 1.07 bytes per ns.
 */
const COPY_BYTES_PER_NS = 3.2 / 3;
/** Adams & Agesen, Pentium 4 native divide-by-zero trap: 889 cycles (exception in, iret out). */
const TRAP_CYCLES = 889;

export const xeon2003: PlatformProfile = {
  name: 'xeon-2003',
  description: 'Xen paper testbed (SOSP 2003): 2.4 GHz Xeon, no VT-x, 10k RPM SCSI, Tigon3 gigabit',
  cpuGHz: GHZ,
  hardwareVirt: false,
  nestedPaging: false,
  sched: {
    // Derived: without VT-x a vCPU switch is a register save/restore and a page-table base
    // load, the work of a native process switch: lmbench 2p/0K 0.77 us.
    contextSwitchNs: PROCESS_SWITCH_NS,
    // Derived as in `modern`: a runqueue pick, taken as one hypercall-sized trip (450 ns).
    scheduleDecisionNs: NULL_CALL_NS,
    // Derived: the tick is a timer interrupt into the hypervisor; an exception's delivery and
    // return on this microarchitecture is 889 cycles (Adams & Agesen, divide-by-zero, native).
    tickNs: cycles(TRAP_CYCLES, GHZ),
    // "inter-processor interrupt delivery: over 1000 cycles" (Amit et al., EuroSys 2020); no
    // figure of this era is in COSTS.md, the APIC mechanism is the same: 1000 cycles here.
    ipiNs: cycles(1000, GHZ),
  },
  hypervisor: {
    // Derived: a Xen 1.0 hypercall is a software interrupt (`int $0x82`), the mechanism of
    // Linux 2.4's `int $0x80` system call: lmbench null call 0.45 us.
    hypercallNs: NULL_CALL_NS,
    // Derived as in `modern`: a pending bit and a selector bit set with locked operations,
    // ~100 cycles.
    evtchnSendNs: cycles(100, GHZ),
    // Derived: an upcall is an exception-style bounce into the guest's callback: 889 cycles
    // (Adams & Agesen, Pentium 4 divide-by-zero trap, native).
    upcallNs: cycles(TRAP_CYCLES, GHZ),
    // Derived as in `modern`: a cmpxchg on the grant entry, pin counts, one PTE, ~400 cycles.
    grantMapNs: cycles(400, GHZ),
    // "INVLPG: about 200 cycles" (Amit et al., EuroSys 2020) plus clearing the PTE: 250 cycles.
    grantUnmapNs: cycles(250, GHZ),
    // "TLB shootdown, initiator: 5236-7172 cycles" (Amit et al., EuroSys 2020), the low end;
    // the same IPI-and-wait mechanism, no figure of this era.
    tlbShootdownNs: cycles(5236, GHZ),
    // Derived: 3.2 GB/s front-side bus / 3 bus crossings per copied byte (COPY_BYTES_PER_NS).
    copyBytesPerNs: COPY_BYTES_PER_NS,
    // 32-bit x86: the guest kernel's `int $0x80` handler is a trap gate the CPU calls without
    // entering Xen (Barham et al., SOSP 2003: "a fast system-call handler").
    pvSyscallFastTrap: true,
  },
  kernel: {
    // lmbench null call 0.45 us (Linux 2.4.21 enters the kernel by `int $0x80`).
    syscallNs: NULL_CALL_NS,
    // Derived: interrupt entry and exit are an exception's delivery and iret: 889 cycles
    // (Adams & Agesen, Pentium 4 divide-by-zero trap, native).
    irqEntryNs: cycles(TRAP_CYCLES, GHZ),
    // Derived: the ~3000-cycle per-I/O block path of `modern` (1 us at 3 GHz, split 60/40),
    // taken in cycles at this clock; a NetBurst core retires fewer instructions per cycle,
    // so this is a lower bound.
    blockSubmitNs: cycles(1800, GHZ),
    blockCompleteNs: cycles(1200, GHZ),
    // Derived, as copyBytesPerNs.
    memcpyBytesPerNs: COPY_BYTES_PER_NS,
    // Derived: `modern`'s ~10 us per xenstored request (two switches, parsing, a tree walk)
    // is ~30,000 cycles; taken in cycles at this clock. (Xen 1.0 had no xenstore; pvlab's
    // toolstack needs one on every platform.)
    xenstoreRequestNs: cycles(30_000, GHZ),
    // The guest kernel's own work per system call: lmbench on this very machine, minus the
    // parts pvlab models as mechanism (./lmbench.ts says what each subtracts).
    ...LMBENCH_KERNEL_NS,
  },
  virt: {
    // No VT-x: there is no VM exit.
    vmexitRoundTripNs: 0,
    // No APIC virtualization before VT-x.
    apicv: false,
    // Adams & Agesen, ASPLOS 2006: "callout from translated code: 1254 cycles" (Pentium 4).
    btCalloutNs: cycles(1254, GHZ),
    // Same source: "emulated inside the translation cache: 216 cycles".
    btInCacheEmulationNs: cycles(216, GHZ),
    // Bellard, USENIX 2005 (QEMU of this era): integer code ~4x slower in user-mode emulation,
    // ~2x more for the software MMU of full-system emulation: 4 x 2 = 8.
    tcgSlowdown: 8,
    // No VT-x.
    vmEntryNs: 0,
    pageFaultVmExitNs: 0,
    vmcsReadNs: 0,
    vmcsWriteNs: 0,
    // Derived: without VT-x a hosted VMM reaches its user-space device model by a world switch
    // to the host OS: ~8.9 us on a 733 MHz Pentium III (Sugerman et al., ATC 2001) = 6524
    // cycles, taken at this clock.
    userspaceExitNs: cycles(6524, GHZ),
    // No VT-x, so no KVM and no ioeventfd: QEMU falls back to TCG, which calls its devices.
    ioeventfdWakeNs: 0,
    // Adams & Agesen, ASPLOS 2006: "about 2300 cycles per guest instruction translated".
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
    dmAccessNs: cycles(2 * 1848 + 1000, GHZ),
    // Derived as in `modern`: an AIO completion callback and an IRQ level change, ~1500 cycles.
    dmCompletionNs: cycles(1500, GHZ),
    // Derived: the handler part of dmAccessNs above, ~1000 cycles.
    dmHandlerNs: cycles(1000, GHZ),
    // Derived as in `modern`: ~8 cache lines moved between CPUs, ~800 cycles.
    virtqueueRequestNs: cycles(800, GHZ),
    // Derived: an interrupt message to the local APIC, delivered like an IPI (ipiNs above).
    interruptDeliveryNs: cycles(1000, GHZ),
  },
  mmu: {
    // lmbench page fault 1.42 us.
    pageFaultNs: 1420,
    // lmbench protection fault 1.06 us.
    protectionFaultNs: 1060,
    // Adams & Agesen: a PTE write natively 1 cycle; rounded up to the 1 ns resolution.
    pteWriteNs: Math.max(1, cycles(1, GHZ)),
    // lmbench context switch 2p/0K 0.77 us.
    processSwitchNs: PROCESS_SWITCH_NS,
    // "INVLPG: about 200 cycles" (Amit et al., EuroSys 2020); no figure of this era.
    invlpgNs: cycles(200, GHZ),
    // "TLB shootdown ... responder 2912-3618 cycles" (same source), the low end.
    tlbShootdownResponderNs: cycles(2912, GHZ),
    // Derived (no COSTS.md row): 2 dependent loads hitting the L2 cache, ~18 cycles each on a
    // NetBurst Xeon (assumed), 36 cycles.
    tlbMissWalkNs: cycles(2 * 18, GHZ),
    // 32-bit x86 without PAE (Xen 1.0, Linux 2.4 on 2 GB): two-level page tables.
    nativeWalkRefs: 2,
    // No nested paging.
    nestedWalkRefs: 0,
    nestedWalkSlowdown: 0,
    // No VT-x: no hardware VMM with shadow page tables (binary translation: virt.btPteWriteNs).
    shadowPteWriteNs: 0,
    shadowGuestPageFaultNs: 0,
    // Derived: the trap is one hypercall round trip (`int $0x82`, lmbench null call 0.45 us).
    pvMmuUpdateBaseNs: NULL_CALL_NS,
    // Derived as in `modern`: validated like a grant map, ~400 cycles.
    pvMmuUpdatePerEntryNs: cycles(400, GHZ),
    // Barham et al., SOSP 2003: "one hypercall can carry up to 2048 updates".
    pvMmuUpdateMaxBatch: 2048,
    // Derived: a write fault into Xen (889 cycles, Adams & Agesen divide-by-zero trap, native)
    // plus validating the entry (400 cycles).
    pvPtwrEmulateNs: cycles(TRAP_CYCLES + 400, GHZ),
    // lmbench fork 110 us.
    forkNativeNs: 110_000,
    // lmbench exec 530 us.
    execNativeNs: 530_000,
    // No VT-x: no hardware VMM with shadow page tables.
    shadowCr3LoadNs: 0,
    shadowInvlpgNs: 0,
  },
  net: {
    nicModel: 'Broadcom Tigon3 gigabit Ethernet',
    // Gigabit Ethernet (COSTS.md, hardware eras): 0.125 bytes per ns. The NIC sits on 64-bit
    // PCI-X, which is not the bottleneck. (Native TCP 897 Mb/s is a result, not an input.)
    nicBytesPerNs: 1 / 8,
    // Derived: before each frame the NIC fetches its descriptor from host memory, one
    // non-posted bus read; taken at the bus round trip of devices.ioAccessNs (844 ns).
    nicPerPacketNs: 844,
    // COSTS.md: ttcp "at MTU 1500".
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
    // Linux tg3 driver default rx-usecs (DEFAULT_RXCOL_TICKS, tg3.h), taken as the shortest
    // gap between receive interrupts: 20 us.
    nicRxCoalesceNs: 20_000,
  },
};
