// Dom0's kernel: the privileged domain's event loop. Each dom0 vCPU sleeps in SCHEDOP_block
// until an event arrives, runs the upcall handler (which only queues work, like an IRQ handler
// waking a kernel thread), then runs the queued work items — backend rings, xenstored
// requests, disk completions — as kernel CPU time on that vCPU. So backends are scheduled
// and charged like any dom0 work: a busy or capped dom0 slows the guests it serves. A work item
// charges its CPU time as it goes and spends it (`settle`) before anything another domain or
// the disk sees — a notification, an answered ioreq, an interrupt, requests handed to the
// disk — so dom0's work lies on the path of the I/O it serves, as it does on a real host.
import type { KernelCosts } from '../hw/platforms/profile';
import { block, compute, type GuestOp, type VcpuEnv } from '../hypervisor/public/guest';
import { PortDispatch } from '../hypervisor/public/evtchn_dispatch';
import { evtchnBindIpi, pvSyscalls } from '../hypervisor/public/calls';

export type DGen<T = void> = Generator<GuestOp | number, T, number>;
/** A unit of deferred kernel work, run on whichever dom0 vCPU picks it up. */
export type Work = (env: VcpuEnv) => DGen;

export class Dom0Kernel {
  readonly envs: VcpuEnv[] = [];
  readonly dispatch: PortDispatch[] = [];
  private readonly queue: Work[] = [];
  private owedNs = 0;
  private owedUserNs = 0;
  /** The port the physical disk's interrupt arrives on (an IPI port of vCPU 0). */
  irqPort = -1;
  /** Completion handlers waiting for the disk's next interrupt, in completion order. */
  private completions: (() => void)[] = [];
  private spareCompletions: (() => void)[] = [];
  readonly stats = { upcalls: 0, workItems: 0, irqs: 0, diskCompletions: 0 };
  /** The physical interrupt line of dom0's disk controller; Xen routes it to `irqPort`.
   *  The host wiring (lab/) connects it. */
  raiseDiskIrq: () => void = () => {};

  /** System calls of dom0's processes (QEMU's reads and writes on its taps) not yet made. */
  private owedSyscalls = 0;

  constructor(
    readonly costs: KernelCosts,
    /** Dom0 is a PV kernel: on x86-64 each system call of its processes bounces through Xen and
     *  returns through HYPERVISOR_iret; the 32-bit kernel of the xeon-2003 has the fast trap. */
    private readonly iretAfterTrap = true,
  ) {}

  /** A system call of a dom0 process, made at the next settle (before the time it charged). */
  syscall(): void {
    this.owedSyscalls++;
  }

  /** Adds kernel time to be spent by the vCPU running the current handler or work. */
  charge(ns: number): void {
    this.owedNs += ns;
  }

  /** Adds user-space time (the device model, a QEMU process) to be spent likewise. */
  chargeUser(ns: number): void {
    this.owedUserNs += ns;
  }

  /** Queues work and makes sure a dom0 vCPU will run it: one that is awake runs it before it
   *  sleeps again; with all asleep (work from outside dom0's own handlers: the toolstack's
   *  xenstore writes, a domain's teardown), vCPU 0 is woken through its wake-up port. */
  defer(w: Work): void {
    this.queue.push(w);
    if (this.awake === 0 && this.queue.length === 1 && this.wakePort >= 0) this.wakeUp(this.wakePort);
  }

  /** Dom0 vCPUs between waking and their next SCHEDOP_block. */
  private awake = 0;
  /** An IPI port of vCPU 0 with no handler of its own: raising it makes vCPU 0 run its queue. */
  private wakePort = -1;
  /** Raises `port` on dom0 (the host wiring in lab/ connects it to the event channels). */
  wakeUp: (port: number) => void = () => {};

  /**
   * A disk request of some backend completed: `h` runs in the disk's next interrupt handler,
   * after the handlers of requests that completed before it, and the interrupt is raised.
   * This is the block layer's completion path, which calls each finished request's end_io;
   * the interrupt handler does not poll every backend, so its cost does not grow with the
   * number of disks.
   */
  diskCompletion(h: () => void): void {
    this.completions.push(h);
    this.raiseDiskIrq();
  }

  /** Builds the per-vCPU dispatch tables before dom0 runs, so the toolstack can bind
   *  handlers while it builds the host (the IRQ port must already be bound). */
  bindEarly(sharedInfo: Uint8Array, vcpus: number): void {
    for (let v = 0; v < vcpus; v++) this.dispatch[v] ??= new PortDispatch(() => sharedInfo, v);
    this.dispatch[0]!.bind(this.irqPort, () => {
      this.stats.irqs++;
      const hs = this.completions;
      if (hs.length === 0) return;
      this.completions = this.spareCompletions;
      this.stats.diskCompletions += hs.length;
      for (const h of hs) h();
      hs.length = 0;
      this.spareCompletions = hs;
    });
  }

  /** The program of one dom0 vCPU. */
  *vcpuMain(env: VcpuEnv): DGen {
    this.envs[env.vcpu] = env;
    if (this.dispatch[env.vcpu] === undefined) {
      this.dispatch[env.vcpu] = new PortDispatch(() => env.sharedInfo, env.vcpu);
      if (env.vcpu === 0) this.irqPort = evtchnBindIpi(env, 0);
    }
    if (env.vcpu === 0 && this.wakePort < 0) {
      this.wakePort = evtchnBindIpi(env, 0);
      this.dispatch[0]!.bind(this.wakePort, () => {});
    }
    const dispatch = this.dispatch[env.vcpu]!;
    this.awake++;
    for (;;) {
      while (this.queue.length > 0) {
        const w = this.queue.shift()!;
        this.stats.workItems++;
        yield* w(env);
        // settle(), without a generator of its own: this runs after every work item
        if (this.owedSyscalls > 0) yield* this.takeSyscalls(env);
        if (this.owedUserNs > 0) yield this.takeOwed('user');
        if (this.owedNs > 0) yield this.takeOwed('kernel');
      }
      this.awake--;
      yield block();
      this.awake++;
      this.stats.upcalls++;
      this.charge(this.costs.irqEntryNs);
      dispatch.dispatch();
      if (this.owedSyscalls > 0) yield* this.takeSyscalls(env);
      if (this.owedUserNs > 0) yield this.takeOwed('user');
      if (this.owedNs > 0) yield this.takeOwed('kernel');
    }
  }

  /** Makes the system calls owed, then spends the time charged so far, user time (the device
   *  model's) first; the hypervisor time of the hypercalls made so far is spent before it (the
   *  scheduling core runs it first). `env` is the vCPU running the work. */
  *settle(env: VcpuEnv): DGen {
    if (this.owedSyscalls > 0) yield* this.takeSyscalls(env);
    if (this.owedUserNs > 0) yield this.takeOwed('user');
    if (this.owedNs > 0) yield this.takeOwed('kernel');
  }

  private *takeSyscalls(env: VcpuEnv): DGen {
    const n = this.owedSyscalls;
    this.owedSyscalls = 0;
    yield* pvSyscalls(env, n, this.iretAfterTrap);
  }

  /** The user or kernel time charged so far, as one compute operation; it is no longer owed. */
  private takeOwed(mode: 'user' | 'kernel'): GuestOp {
    const ns = mode === 'user' ? this.owedUserNs : this.owedNs;
    if (mode === 'user') this.owedUserNs = 0;
    else this.owedNs = 0;
    return compute(ns, mode);
  }
}
