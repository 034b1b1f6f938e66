// How each kind of guest kernel carries the network stack (NetHost): how it sleeps and takes
// its events or interrupts, and the NIC driver's access to the unmodified kernel (NicHost).
//   PV kernel (also PVH and PVHVM): SCHEDOP_block, then the event upcall's dispatch; an event
//     pending while it ran is taken by running the dispatch at the next system call.
//   unmodified kernel: HLT until an interrupt; the NIC driver takes its line itself.
import type { NetCosts } from '../../hw/platforms/profile';
import { setUpcallPending } from '../../hypervisor/public/event_channel';
import type { NativeKernel } from '../kernel/native';
import type { PvKernel } from '../kernel/pv';
import type { NicHost } from '../drivers/nic';
import { sleepOp, type NetHost } from './stack';

export function pvNetHost(k: PvKernel, net: NetCosts): NetHost {
  const dispatch = function* () {
    k.upcalls++;
    k.charge(k.costs.irqEntryNs);
    k.events.dispatch();
    yield* k.settle();
    if (k.hotplug.pending) yield* k.deferredWork();
  };
  return {
    env: k.env,
    kernel: k.costs,
    net,
    allocPage: () => k.pages.alloc(),
    *sleep(until: number) {
      yield sleepOp(until);
      yield* dispatch();
    },
    *takePending() {
      if (!k.env.upcallPending()) return;
      setUpcallPending(k.env.sharedInfo, k.env.vcpu, false);
      yield* dispatch();
    },
    syscalls: (n) => k.syscall(n),
  };
}

export function nativeNetHost(k: NativeKernel, net: NetCosts): NetHost {
  return {
    env: k.env,
    kernel: k.costs,
    net,
    allocPage: () => k.pages.alloc(),
    *sleep(until: number) {
      yield sleepOp(until);
    },
    *takePending() {},
    syscalls: (n) => k.syscall(n),
  };
}

/** The unmodified kernel as its NIC driver sees it; `charge` is the stack's. */
export function nicHost(k: NativeKernel, charge: (ns: number) => void): NicHost {
  return {
    io: k,
    takeIrq: (line) => k.takeIrq(line),
    charge,
    irqEntryNs: k.costs.irqEntryNs,
    memcpyBytesPerNs: k.costs.memcpyBytesPerNs,
  };
}
