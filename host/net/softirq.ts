// The host kernel's network processing on a KVM host, where Xen has dom0's kernel: the bridge
// and the physical NIC's driver run here. Work the NIC's interrupt defers (its NAPI poll) runs
// on a host kernel thread (ksoftirqd), scheduled by CFS like every other thread. Per-frame
// costs land on whoever is in the kernel at the time: a frame a QEMU thread writes into its tap,
// or a vhost worker hands to the tap's socket, is bridged and queued for the wire in that
// thread's system call (`within`); anything else is the softirq thread's.
//
// It offers what dom0's bridge and NIC driver ask of a kernel (charge, defer, settle), so the
// same Bridge and PhysNicDriver serve both hosts.
//
// Who calls it: the bridge and the NIC driver (charge, defer, settle), the lab (within, irq).
import type { VcpuEnv } from '../../hypervisor/public/guest';
import type { EventFd } from '../../hypervisor/public/kvm';
import type { HostGen, HostThread } from '../thread';

export type SoftirqWork = (env: VcpuEnv) => HostGen;

export class HostSoftirq {
  private readonly queue: SoftirqWork[] = [];
  /** Who pays for kernel work right now, if not the softirq thread. */
  private payer: ((ns: number) => void) | undefined;
  private running = false;
  readonly stats = { workItems: 0, irqs: 0 };

  constructor(
    readonly thread: HostThread,
    private readonly fd: EventFd,
    private readonly irqEntryNs: number,
  ) {
    thread.watch(fd, () => this.run());
  }

  /** Kernel time of the frame in hand. */
  charge(ns: number): void {
    if (this.payer) return this.payer(ns);
    this.thread.charge(ns, 'kernel');
    if (!this.running) this.fd.signal(); // spent when the thread next runs
  }

  defer(w: SoftirqWork): void {
    this.queue.push(w);
    this.fd.signal();
  }

  *settle(): HostGen {
    yield* this.thread.settle();
  }

  /** Runs `fn` (a frame entering the kernel from a thread's system call) at `payer`'s expense. */
  within<T>(payer: (ns: number) => void, fn: () => T): T {
    const outer = this.payer;
    this.payer = payer;
    try {
      return fn();
    } finally {
      this.payer = outer;
    }
  }

  /** A hardware interrupt: its entry, then `handler` (which defers the real work). */
  irq(handler: () => void): void {
    this.stats.irqs++;
    this.thread.charge(this.irqEntryNs, 'kernel');
    handler();
    this.fd.signal();
  }

  private *run(): HostGen {
    this.running = true;
    while (this.queue.length > 0) {
      this.stats.workItems++;
      yield* this.queue.shift()!(this.thread.env!);
      yield* this.thread.settle();
    }
    this.running = false;
  }
}
