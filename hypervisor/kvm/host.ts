// A KVM host (REFERENCE §10.1-10.2): a type-2 arrangement in which the host's Linux kernel is
// the hypervisor. There is no dom0. Each VM is a QEMU process: its vCPUs are host threads that
// loop on KVM_RUN (the VM's domain and its vCPUs here), and QEMU's I/O thread and any vhost
// worker are further host threads (vCPUs of the `host` domain, id 0, type `host`), each put in
// the VM's control group so that its cpu.shares covers them too. One CFS-like scheduler
// (sched/cfs.ts) runs all of them on the pCPUs. The kernel side of the VM's devices — the
// in-kernel irqchip and PIT, ioeventfds, irqfds — is here and in ./vm.ts; QEMU's user-space
// device models and vhost's rings are the host side (host/).
//
// Who calls it: the lab, which builds a KVM host's world, and management (the libvirt driver).
import type { AddressSpace } from '../../hw/devices/bus';
import type { Domain, DomainConfig } from '../domain';
import type { Hypervisor } from '../hypervisor';
import type { Accel } from '../hvm';
import type { GuestKernel } from '../public/guest';
import { KVM_API_VERSION, type EventFd } from '../public/kvm';
import { CFS_DEFAULT_SHARES, type CfsScheduler } from '../sched/cfs';
import type { Vcpu } from '../vcpu';
import { KernelEventFd } from './eventfd';
import { KvmVm } from './vm';

/** The host domain's id and name: the host's own threads. */
export const KVM_HOST_DOMID = 0;
export const KVM_HOST_NAME = 'host';

export class KvmHost {
  readonly apiVersion = KVM_API_VERSION;
  readonly host: Domain;

  constructor(
    readonly hv: Hypervisor,
    readonly cfs: CfsScheduler,
    /** The memory the host keeps for itself (kernel, QEMU's own), MiB. */
    hostMemoryMiB: number,
  ) {
    if (hv.scheduler !== cfs) throw new Error('kvm: the host must be scheduled by its CFS scheduler');
    const d = hv.createDomain(
      { name: KVM_HOST_NAME, type: 'host', vcpus: 0, memoryMiB: hostMemoryMiB, weight: CFS_DEFAULT_SHARES, cap: 0 },
      () => (function* () {})(),
      { privileged: true, id: KVM_HOST_DOMID },
    );
    if (typeof d === 'string') throw new Error(`kvm: ${d}`); // the scenario check rules this out
    hv.unpause(d.id);
    this.host = d;
  }

  /** KVM_CREATE_VM, the memory slots and KVM_CREATE_VCPU per vCPU: a QEMU process's guest.
   *  `accel` tcg: QEMU without KVM (the fallback), whose vCPU threads emulate the guest. The
   *  domain starts paused, as QEMU with -S; `weight` in `cfg` is its cgroup's cpu.shares. */
  createVm(cfg: DomainConfig, kernel: GuestKernel, accel: Extract<Accel, 'vtx' | 'tcg'>): Domain | string {
    const d = this.hv.createDomain({ ...cfg, type: 'hvm' }, kernel, { accel });
    if (typeof d === 'string') return d;
    if (accel === 'vtx') d.hvm!.kvm = new KvmVm();
    return d;
  }

  /** The KVM state of a VM (undefined for one running under TCG). */
  vm(d: Domain): KvmVm | undefined {
    return d.hvm?.kvm;
  }

  /** A host thread serving `vm` (QEMU's I/O thread, a vhost worker), in the VM's cgroup. */
  spawnThread(vm: Domain, program: GuestKernel): Vcpu {
    const v = this.hv.addVcpu(this.host, program);
    this.cfs.setGroup(v, vm);
    return v;
  }

  /** eventfd(2), polled by `poller`, which wakes `wakeLatencyNs` after a signal finds it asleep. */
  eventfd(poller: Vcpu, wakeLatencyNs = 0): EventFd {
    return new KernelEventFd(this.hv, poller, wakeLatencyNs);
  }

  /** KVM_IOEVENTFD: a guest write to (space, addr) signals `fd` in the kernel, with no exit to
   *  user space. */
  ioeventfd(vm: Domain, space: AddressSpace, addr: number, fd: EventFd): void {
    this.vm(vm)?.addIoeventfd(space, addr, fd);
  }

  /** KVM_IRQFD: an eventfd whose signal injects interrupt line `line` into the VM. */
  irqfd(vm: Domain, line: number): EventFd {
    return new KernelEventFd(this.hv, undefined, 0, () => {
      const k = this.vm(vm);
      if (k) k.counters.irqfdInjections++;
      this.hv.injectIrq(vm, line);
    });
  }

  /** KVM_IRQ_LINE: QEMU raises a line of the in-kernel irqchip (emulated devices). */
  irqLine(vm: Domain, line: number): void {
    this.hv.injectIrq(vm, line);
  }
}
