// `modern`: a current x86 server, ~3 GHz, with EPT/NPT, VPID and posted interrupts.
// Every figure cites its row in ../shared/COSTS.md ("Modern x86 primitives").
import { cycles, type PlatformProfile } from './profile';

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
  },
  devices: {
    // Adams & Agesen, ASPLOS 2006: `in` from a chipset port, natively, 3209 cycles on a
    // 3.8 GHz Pentium 4 = 844 ns. It is a bus round trip, so it is kept as time, not cycles.
    ioAccessNs: 844,
    // Derived: QEMU takes the ioreq in user space (two context switches, 895 cycles each,
    // Dune, OSDI 2012) and runs the device's handler (~1000 cycles): ~2800 cycles.
    dmAccessNs: cycles(2800, GHZ),
    // Derived: an AIO completion callback and an IRQ level change, ~1500 cycles.
    dmCompletionNs: cycles(1500, GHZ),
  },
};
