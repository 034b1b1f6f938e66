// A host thread's event loop on a KVM host: QEMU's I/O thread (its AioContext sleeping in
// ppoll) or a vhost worker (a kernel thread with a work list). It sleeps until an eventfd it
// watches is signalled, reads each readable one (a read(2) from user space, free in the kernel)
// and runs its handler; handlers queue their CPU time with `charge` and spend it with `settle`,
// as user or kernel time of the host, before their effects (a submission, an irqfd signal). It runs on one vCPU of the host domain,
// so the host's CFS schedules it against the VMs' vCPU threads.
//
// Who calls it: QEMU's device code (host/qemu, host/virtio) and vhost (host/vhost); the lab
// starts its `main` as a host thread.
import { block, compute, type CpuMode, type GuestOp, type VcpuEnv } from '../hypervisor/public/guest';
import type { EventFd } from '../hypervisor/public/kvm';

export type HostGen<T = void> = Generator<GuestOp | number, T, number>;
/** A handler: work that charges its CPU time and spends it (`yield* thread.settle()`) before
 *  each effect that should come after it. */
export type HostHandler = () => HostGen;

interface Watch {
  fd: EventFd;
  handler: HostHandler;
}

export interface HostThreadStats {
  wakeups: number;
  handlerRuns: number;
  fdReads: number;
  /** CPU time spent (ns), in user space and in the kernel. */
  userNs: number;
  kernelNs: number;
}

export class HostThread {
  private readonly watches: Watch[] = [];
  private owed = { user: 0, kernel: 0 };
  env: VcpuEnv | undefined;
  readonly stats: HostThreadStats = { wakeups: 0, handlerRuns: 0, fdReads: 0, userNs: 0, kernelNs: 0 };

  constructor(
    readonly name: string,
    /** user: a QEMU thread (reading an eventfd is a system call); kernel: a vhost worker. */
    readonly mode: CpuMode,
    /** A system call's entry and exit (kernel.syscallNs), paid by a user thread per fd read. */
    private readonly syscallNs: number,
  ) {}

  /** Runs `handler` whenever `fd` has been signalled. */
  watch(fd: EventFd, handler: HostHandler): void {
    this.watches.push({ fd, handler });
  }

  /** CPU time the running handler spends: in the thread's own mode, or in the kernel on its
   *  behalf (a QEMU thread's system calls). */
  charge(ns: number, mode: CpuMode = this.mode): void {
    this.owed[mode] += ns;
  }

  /** A system call by the thread: kernel entry and exit; free for a kernel thread. */
  syscall(): void {
    if (this.mode === 'user') this.owed.kernel += this.syscallNs;
  }

  /** The thread's program. */
  *main(env: VcpuEnv): HostGen {
    this.env = env;
    for (;;) {
      env.takeInterrupts(); // what woke it is looked at now; a signal from here on wakes it again
      let ran = false;
      for (const w of this.watches) {
        if (w.fd.read() === 0) continue;
        this.stats.fdReads++;
        this.syscall();
        this.stats.handlerRuns++;
        yield* w.handler();
        ran = true;
        yield* this.settle();
      }
      if (!ran) {
        yield block();
        this.stats.wakeups++;
      }
    }
  }

  /** Spends the time charged so far. */
  *settle(): HostGen {
    const { user, kernel } = this.owed;
    this.owed = { user: 0, kernel: 0 };
    this.stats.userNs += user;
    this.stats.kernelNs += kernel;
    if (kernel > 0) yield compute(kernel, 'kernel');
    if (user > 0) yield compute(user, 'user');
  }
}
