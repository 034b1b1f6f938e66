// A VM in KVM (REFERENCE §10.1): the kernel side of one QEMU process's guest, and where each VM
// exit of its vCPU threads ends up. KVM_RUN loops in the vCPU thread; on an exit (already
// counted by its VMX reason and charged its round trip in hvm.ts) the kernel either handles it
// itself — the in-kernel irqchip (PIC, IOAPIC, local APIC) and PIT, or a write that matches an
// ioeventfd, which signals the eventfd and resumes the guest at once — or returns from KVM_RUN
// to QEMU in user space with KVM_EXIT_IO / KVM_EXIT_MMIO. QEMU's vCPU thread then runs the device
// model's handler itself (same IDE, AHCI, 16550 register models as Xen's device model) and
// re-enters the guest: a return to user space, no other process to schedule.
//
// Who calls it: hvm.ts (the exit path of a vCPU of a VM that has KVM state) and kvm/host.ts.
import type { AddressSpace, IoSpace } from '../../hw/devices/bus';
import type { Hypervisor } from '../hypervisor';
import type { GuestOp } from '../public/guest';
import { KVM_EXIT, type EventFd } from '../public/kvm';
import type { Vcpu } from '../vcpu';

/** Ports of the devices KVM emulates in the kernel with KVM_CREATE_IRQCHIP and KVM_CREATE_PIT2:
 *  the two i8259 PICs, their ELCR, the i8254 PIT and its speaker port. */
const KERNEL_PORTS: readonly [number, number][] = [[0x20, 0x21], [0xa0, 0xa1], [0x4d0, 0x4d1], [0x40, 0x43], [0x61, 0x61]];
/** MMIO of the in-kernel local APIC (one page) and IOAPIC. */
const KERNEL_MMIO: readonly [number, number][] = [[0xfee0_0000, 0x1000], [0xfec0_0000, 0x100]];

export interface KvmCounters {
  /** Exits that returned from KVM_RUN to user space, by kvm_run.exit_reason. */
  userExits: Map<number, number>;
  /** Register exits the kernel handled itself (irqchip, PIT). */
  inKernel: number;
  /** Guest writes that matched an ioeventfd: a kick, with no return to user space. */
  ioeventfdKicks: number;
  /** Interrupts injected through an irqfd. */
  irqfdInjections: number;
  /** Time QEMU's vCPU threads spent in device handlers after user-space exits (ns): part of
   *  the vCPUs' non-guest time, which reports show as device-model time. */
  handlerNs: number;
}

export class KvmVm {
  readonly counters: KvmCounters = { userExits: new Map(), inKernel: 0, ioeventfdKicks: 0, irqfdInjections: 0, handlerNs: 0 };
  /** QEMU's memory and I/O dispatch, run by the vCPU thread after a user-space exit. */
  userspace: IoSpace | undefined;
  private readonly ioeventfds = new Map<string, EventFd>();
  /** Work a user-space handler started beyond the register itself (an emulated NIC's tap
   *  write, with the host kernel's bridging behind it): user and kernel ns, paid by the vCPU
   *  thread running the handler when it returns. */
  handlerUserNs = 0;
  handlerKernelNs = 0;

  /** QEMU's handler did more than emulate the register: the vCPU thread pays for it. */
  chargeHandler(userNs: number, kernelNs: number): void {
    this.handlerUserNs += userNs;
    this.handlerKernelNs += kernelNs;
  }

  /** KVM_IOEVENTFD: a guest write to (space, addr) signals `fd` inside the kernel. */
  addIoeventfd(space: AddressSpace, addr: number, fd: EventFd): void {
    this.ioeventfds.set(`${space}:${addr}`, fd);
  }

  ioeventfd(space: AddressSpace, addr: number): EventFd | undefined {
    return this.ioeventfds.get(`${space}:${addr}`);
  }

  /** Exits that reached user space (all reasons). */
  get userExitCount(): number {
    let n = 0;
    for (const c of this.counters.userExits.values()) n += c;
    return n;
  }
}

function inKernel(op: GuestOp & { op: 'io' }): boolean {
  const ranges = op.space === 'pio' ? KERNEL_PORTS.map(([lo, hi]) => [lo, hi - lo + 1] as const) : KERNEL_MMIO;
  return ranges.some(([base, size]) => op.addr >= base && op.addr < base + size);
}

/** Where a register exit of a KVM vCPU ends: in the kernel, or in QEMU. Returns the value read. */
export function kvmExit(hv: Hypervisor, v: Vcpu, vm: KvmVm, op: GuestOp & { op: 'io' }): number {
  if (inKernel(op)) {
    vm.counters.inKernel++;
    return 0;
  }
  const fd = op.dir === 'out' ? vm.ioeventfd(op.space, op.addr) : undefined;
  if (fd) {
    vm.counters.ioeventfdKicks++;
    fd.signal();
    return 0;
  }
  const reason = op.space === 'pio' ? KVM_EXIT.IO : KVM_EXIT.MMIO;
  vm.counters.userExits.set(reason, (vm.counters.userExits.get(reason) ?? 0) + 1);
  const c = hv.profile;
  v.hvOwedNs += c.virt.userspaceExitNs + c.devices.dmHandlerNs;
  vm.counters.handlerNs += c.devices.dmHandlerNs;
  const io = vm.userspace;
  if (!io) return op.dir === 'in' ? allOnes(op.size) : 0;
  const value = op.dir === 'in' ? io.read(op.addr, op.size, op.space) : (io.write(op.addr, op.size, op.value, op.space), 0);
  // What the handler charged beyond the register itself, taken without allocating (every exit).
  v.hvOwedNs += vm.handlerUserNs + vm.handlerKernelNs;
  vm.counters.handlerNs += vm.handlerUserNs;
  vm.handlerUserNs = vm.handlerKernelNs = 0;
  return value;
}

function allOnes(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}
