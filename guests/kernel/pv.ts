// The paravirtualized guest kernel: it knows it runs on Xen. At boot it sets up its grant
// table, connects to xenstore through the ring the toolstack gave it (start_info), and probes
// its virtual block devices, connecting a blkfront to each (its network interfaces, with a
// netfront each, when the network stack comes up: `probeNics`). Afterwards the workload runs on
// vCPU 0 and sleeps in SCHEDOP_block whenever it waits; each event upcall is dispatched to
// the handler bound to its port, and the CPU time handlers used is charged as kernel time.
// A watch on its vbd directory makes it connect disks attached later and close those the
// toolstack takes away (block hotplug) when it takes the watch's event: as it wakes, or, in
// a cpu workload's computation, at once, as the vCPU's event callback (`takeInterrupt`).
import type { KernelCosts } from '../../hw/platforms/profile';
import { block, compute, type GuestOp, type VcpuEnv } from '../../hypervisor/public/guest';
import { PortDispatch } from '../../hypervisor/public/evtchn_dispatch';
import { pvSyscalls } from '../../hypervisor/public/calls';
import { anySelected, isUpcallPending } from '../../hypervisor/public/event_channel';
import { GrantAllocator } from './grants';
import { DEFAULT_KERNEL_PARAMS, parseCmdline, type KernelParams } from './cmdline';
import { PageAllocator } from './pages';
import { XenbusClient, type XenbusHost } from './xenbus';
import { Blkfront } from '../xen/blkfront';
import { Netfront } from '../xen/netfront';
import type { KGen, StartInfo } from './types';

/** Frames below this are the kernel image's own; the allocator starts above them. */
export const KERNEL_RESERVED_FRAMES = 16;

export class PvKernel implements XenbusHost {
  env!: VcpuEnv;
  /** The domain's shared_info page (env.sharedInfo, which does not change). */
  private si!: Uint8Array;
  events!: PortDispatch;
  pages!: PageAllocator;
  readonly grants = new GrantAllocator();
  xs!: XenbusClient;
  readonly disks: Blkfront[] = [];
  readonly nics: Netfront[] = [];
  /** Kernel CPU time handlers used since the last charge. */
  private owedNs = 0;
  upcalls = 0;
  bootError: string | undefined;

  /** From the command line; the scenario loader has already refused a bad one, so a line that
   *  does not parse here (a test's) leaves Linux's defaults, as Linux does. */
  readonly params: KernelParams;

  constructor(
    readonly costs: KernelCosts,
    readonly start: StartInfo,
    /** A 64-bit PV kernel (no fast system-call trap) returns to user mode through
     *  HYPERVISOR_iret after each system call Xen bounced into it; a PVH or PVHVM kernel's
     *  system calls stay in its HVM container. */
    private readonly iretAfterTrap = true,
  ) {
    const r = parseCmdline(start.cmdLine ?? '');
    this.params = r.ok ? r.params : DEFAULT_KERNEL_PARAMS;
  }

  get domid(): number {
    return this.env.domid;
  }

  /** Adds kernel CPU time to be spent at the next opportunity (handlers cannot yield). */
  charge(ns: number): void {
    this.owedNs += ns;
  }

  /** `count` system calls of the workload's process (io_submit, sendto, read...): each enters
   *  the kernel through Xen, as on x86-64 every PV guest's system call does (pvSyscalls). */
  *syscall(count = 1): KGen {
    yield* pvSyscalls(this.env, count, this.iretAfterTrap);
  }

  /** Spends the charged kernel time now. */
  *settle(): KGen {
    const owed = this.takeOwed();
    if (owed) yield owed;
  }

  /** The charged kernel time as one compute operation, now no longer owed; none if nothing is. */
  private takeOwed(): GuestOp | undefined {
    if (this.owedNs <= 0) return undefined;
    const ns = this.owedNs;
    this.owedNs = 0;
    return compute(ns, 'kernel');
  }

  /** Sleeps until an event arrives (SCHEDOP_block) or, given `until`, that time comes (a block
   *  with a timer, as Linux's idle loop sleeps to its next timer), then runs the upcall handler,
   *  and then the hotplug work its watches asked for (handlers cannot wait; this can). Every
   *  block of a PV kernel ends here: Xen clears upcall_pending as it bounces the vCPU into its
   *  callback, so an event the handler is not run for now would never be raised again. */
  *wait(until?: number): KGen {
    yield block(until);
    if (this.events.dispatch() > 0 || until === undefined) {
      this.upcalls++;
      this.charge(this.costs.irqEntryNs);
    }
    const owed = this.takeOwed(); // settle() without a generator level of its own: every I/O waits here
    if (owed) yield owed;
    if (this.hotplug.pending && !this.hotplug.busy) yield* this.rescanDisks(); // deferredWork(), inline
  }

  /** True when events wait for the kernel's vCPU (0, where its handlers are bound): its upcall
   *  is flagged, or ports are selected that no handler has taken. What a busy vCPU checks when
   *  told events are due, and a woken one before it sleeps again. Both live in its vcpu_info,
   *  one cache line. */
  interrupted(): boolean {
    return isUpcallPending(this.si, 0) || anySelected(this.si, 0);
  }

  /** Takes them: enters the upcall if it is still flagged (Xen's bounce into the callback),
   *  runs the handlers, spends their time, then does the hotplug work they asked for. It is
   *  also the vCPU's event callback while a cpu workload runs (../../lab/run/world.ts), which
   *  Xen enters having cleared the flag. */
  *takeInterrupt(): KGen {
    this.env.takeUpcall();
    if (this.events.dispatch() > 0) {
      this.upcalls++;
      this.charge(this.costs.irqEntryNs);
    }
    const owed = this.takeOwed();
    if (owed) yield owed;
    yield* this.deferredWork();
  }

  /** The work the handlers asked for that must be able to wait (Linux's xenwatch thread):
   *  block hotplug, unless a rescan is already under way further up. */
  *deferredWork(): KGen {
    if (this.hotplug.pending && !this.hotplug.busy) yield* this.rescanDisks();
  }

  /** Set by the watches on the vbd directory and on each disk's backend state. */
  readonly hotplug = { pending: false, busy: false };

  /** Block hotplug (`xl block-attach`/`block-detach`): connects disks that appeared and closes
   *  those whose backend went to Closing, 5 then 6, as Linux's xenbus frontend does. Scans
   *  again if a watch fired meanwhile. */
  private *rescanDisks(): KGen {
    this.hotplug.busy = true;
    while (this.hotplug.pending) {
      this.hotplug.pending = false;
      const devids = yield* this.xs.directory(`/local/domain/${this.env.domid}/device/vbd`);
      for (const devid of devids.map(Number).sort((a, b) => a - b)) {
        if (this.disks.some((d) => d.devid === devid)) continue;
        const bf = new Blkfront(this, devid);
        if (yield* bf.connect()) this.disks.push(bf);
      }
      for (const bf of [...this.disks]) {
        if (!(yield* bf.backendClosing())) continue;
        yield* bf.close();
        this.disks.splice(this.disks.indexOf(bf), 1);
      }
    }
    this.hotplug.busy = false;
  }

  *boot(env: VcpuEnv): KGen {
    this.env = env;
    this.si = env.sharedInfo;
    this.events = new PortDispatch(() => env.sharedInfo, env.vcpu);
    this.pages = new PageAllocator(KERNEL_RESERVED_FRAMES, Math.max(KERNEL_RESERVED_FRAMES, this.start.storeGfn));
    if (!this.grants.setup(env)) {
      this.bootError = 'grant table setup failed';
      return;
    }
    const storePage = env.page(this.start.storeGfn);
    if (!storePage) {
      this.bootError = 'no xenstore page';
      return;
    }
    this.xs = new XenbusClient(this, storePage, this.start.storePort);
    this.events.bind(this.start.storePort, () => this.xs.onEvent());
    this.hotplug.busy = true; // the boot probe below is the rescan for now
    const devids = yield* this.xs.directory(`/local/domain/${env.domid}/device/vbd`);
    for (const devid of devids.map(Number).sort((a, b) => a - b)) {
      const bf = new Blkfront(this, devid);
      if (yield* bf.connect()) this.disks.push(bf);
    }
    yield* this.xs.watch(`/local/domain/${env.domid}/device/vbd`, 'vbd-hotplug', () => (this.hotplug.pending = true));
    this.hotplug.busy = false;
    // A watch fires once as it is set: Linux's xenwatch thread looks at the directory again
    // (a disk attached between the probe and the watch is found now).
    if (this.hotplug.pending) yield* this.rescanDisks();
  }

  /** Probes the virtual network interfaces and connects a netfront to each. */
  *probeNics(): KGen {
    const vifs = yield* this.xs.directory(`/local/domain/${this.env.domid}/device/vif`);
    for (const devid of vifs.map(Number).sort((a, b) => a - b)) {
      const nf = new Netfront(this, devid);
      if (yield* nf.connect()) this.nics.push(nf);
    }
  }
}
