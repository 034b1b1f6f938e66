// A domain: Xen's unit of isolation. Its lifecycle follows REFERENCE §8.2: created paused
// (a controller pause count of 1), unpaused by the toolstack, paused/unpaused, shut down
// with a reason (all vCPUs stop), crashed, destroyed (dying while others still hold its
// pages, then gone). `xl list` state letters are derived here.
import { SHUTDOWN_LETTERS, SHUTDOWN, type ShutdownReason } from './public/xen';
import type { Vcpu } from './vcpu';
import type { HvmState } from './hvm';
import { MmuCounters } from './mmu';
import type { PvPaging } from './pvmm';

/** `host`: on a KVM host, the host's own threads (QEMU's I/O threads, vhost workers), which
 *  are neither PV nor HVM guests: no hypercalls, no event upcalls, no VM exits. */
export type DomainType = 'pv' | 'hvm' | 'pvh' | 'host';

export interface DomainConfig {
  name: string;
  type: DomainType;
  vcpus: number;
  memoryMiB: number;
  maxmemMiB?: number;
  weight: number;
  cap: number;
  affinity?: number[];
}

export type LifeState = 'alive' | 'dying' | 'dead';

export class Domain {
  readonly vcpus: Vcpu[] = [];
  pauseCount = 1; // created paused
  shutdownReason: ShutdownReason | undefined;
  life: LifeState = 'alive';
  weight: number;
  cap: number;
  /** Pseudo-physical memory size in frames, reserved at creation. */
  memFrames = 0;
  /** Machine frames backing it, populated on first touch: p2m[gfn] = mfn. */
  p2m: number[] = [];
  /** CPU time consumed by its vCPUs, by mode (ns), added by the pCPUs' accounting. Plain fields
   *  rather than an object of their own: the accounting runs on every event of a running vCPU,
   *  and on a host of many domains each extra object is one more cache miss. */
  cpuUser = 0;
  cpuKernel = 0;
  cpuHypervisor = 0;
  /** The shared_info frame and its bytes (event channels, vcpu_info). */
  sharedInfoMfn = -1;
  sharedInfo: Uint8Array = new Uint8Array(0);
  /** Console output written with console_io. */
  console = '';
  /** Full-virtualization state (exits, ioreqs, interrupts) of an HVM, PVH or native domain. */
  hvm: HvmState | undefined;
  /** What its kernel made the MMU and the hypervisor do (mmu.ts). */
  readonly mmu = new MmuCounters();
  /** Where its row of the hypercall counters starts (-1 before its first call), kept here by them. */
  hypercallRow = -1;
  /** A PV domain's page types and pins (pvmm.ts). */
  pv: PvPaging | undefined;
  /** For a device-model domain: the domain it serves (XSM's `src->target`). */
  dmTarget: number | undefined;
  /** Scheduler-private per-domain data. */
  sched: unknown;

  /** CPU time consumed by its vCPUs, by mode (ns), as of the last accounting. */
  get cpu(): { user: number; kernel: number; hypervisor: number } {
    return { user: this.cpuUser, kernel: this.cpuKernel, hypervisor: this.cpuHypervisor };
  }

  constructor(
    readonly id: number,
    readonly config: DomainConfig,
    readonly privileged: boolean,
  ) {
    this.weight = config.weight;
    this.cap = config.cap;
  }

  get name(): string {
    return this.config.name;
  }

  get isDead(): boolean {
    return this.life !== 'alive' || this.shutdownReason !== undefined;
  }

  /** The six `xl list` state columns: r b p s <reason> d. */
  stateLetters(): string {
    const running = this.vcpus.some((v) => v.runstate === 'running');
    const blocked = !running && this.vcpus.every((v) => v.blocked || v.down || v.unplugged);
    const r = running ? 'r' : '-';
    const b = blocked ? 'b' : '-';
    const p = this.pauseCount > 0 ? 'p' : '-';
    const down = this.shutdownReason !== undefined;
    const s = down ? 's' : '-';
    const c = down ? SHUTDOWN_LETTERS[SHUTDOWN[this.shutdownReason!]]! : '-';
    const d = this.life === 'dying' ? 'd' : '-';
    return r + b + p + s + c + d;
  }
}
