// How the rest of the system sees a domain and a vCPU through the hypervisor: the grant
// tables' view of a domain, and a vCPU's kernel's view of the hypervisor (`VcpuEnv`, the only
// way guest code reaches it). Both are thin: they read through to the live domain and vCPU.
import type { Domain } from './domain';
import type { GrantDomain } from './grant';
import type { Hypervisor } from './hypervisor';
import type { GuestProgram, VcpuEnv } from './public/guest';
import type { GuestNote } from './public/notes';
import { isUpcallPending } from './public/event_channel';
import { DEFAULT_MAX_GRANT_FRAMES, DEFAULT_MAX_MAPTRACK_FRAMES } from './public/grant_table';
import { EXIT_REASON } from './public/hvm/ioreq';
import type { Vcpu } from './vcpu';

/** A domain as the grant tables see it: live fields read through to the domain. */
export class GrantDomainView implements GrantDomain {
  readonly maxGrantFrames = DEFAULT_MAX_GRANT_FRAMES;
  readonly maxMaptrackFrames = DEFAULT_MAX_MAPTRACK_FRAMES;

  constructor(
    private readonly hv: Hypervisor,
    readonly d: Domain,
  ) {}

  get id(): number {
    return this.d.id;
  }
  get privileged(): boolean {
    return this.d.privileged;
  }
  get hvm(): boolean {
    return this.d.config.type !== 'pv';
  }
  get dying(): boolean {
    return this.d.life !== 'alive';
  }
  gfnToMfn(gfn: number): number {
    return this.hv.gfnToMfn(this.d, gfn);
  }
}

/**
 * What a vCPU's kernel code calls between yields (`VcpuEnv`). One object per vCPU whose methods
 * live on the prototype: kernels call these on nearly every step, and an object literal of
 * closures and getters is kept by V8 as a hash table (dictionary mode), slower to read and a
 * dozen more objects per vCPU to bring into the cache.
 */
export class GuestVcpuEnv implements VcpuEnv {
  readonly domid: number;
  readonly vcpu: number;
  readonly nrPages: number;
  private readonly d: Domain;

  constructor(
    private readonly hv: Hypervisor,
    private readonly v: Vcpu,
  ) {
    this.d = v.domain;
    this.domid = v.domain.id;
    this.vcpu = v.id;
    this.nrPages = v.domain.memFrames;
  }

  now(): number {
    return this.hv.engine.now;
  }

  hypercall(nr: number, ...args: unknown[]): number {
    return this.hv.hypercalls.call(this.v, nr, args);
  }

  upcallPending(): boolean {
    return isUpcallPending(this.d.sharedInfo, this.v.id);
  }

  takeUpcall(): boolean {
    if (!this.upcallPending()) return false;
    this.hv.enterUpcall(this.v);
    return true;
  }

  setUpcallHandler(handler: (() => GuestProgram) | undefined): void {
    this.v.upcallHandler = handler;
  }

  get sharedInfo(): Uint8Array {
    return this.d.sharedInfo;
  }

  page(gfn: number): Uint8Array | undefined {
    const mfn = this.hv.gfnToMfn(this.d, gfn);
    return mfn < 0 ? undefined : this.hv.memory.page(mfn);
  }

  machinePage(mfn: number): Uint8Array | undefined {
    return this.hv.memory.owner(mfn) === this.d.id ? this.hv.memory.page(mfn) : undefined;
  }

  machineFrame(gfn: number): number {
    return this.d.pv ? this.hv.gfnToMfn(this.d, gfn) : -1;
  }

  mappedPage(handle: number): { page: Uint8Array; writable: boolean } | undefined {
    const m = this.hv.grants.accessFrame(this.d.id, handle);
    return m ? { page: m.page, writable: m.writable } : undefined;
  }

  takeInterrupts(): number {
    const v = this.v;
    const pending = v.irqPending;
    v.irqPending = 0;
    const h = this.d.hvm;
    if (pending !== 0 && h?.accel === 'vtx' && !this.hv.profile.virt.apicv) {
      h.exit(EXIT_REASON.APIC_ACCESS); // the EOI write traps without APIC virtualization
      v.hvOwedNs += this.hv.profile.virt.vmexitRoundTripNs;
    }
    return pending;
  }

  get tracing(): boolean {
    return this.hv.trace.on;
  }

  note(note: GuestNote): void {
    const hv = this.hv;
    if (hv.trace.on) hv.trace.emit({ type: 'guest', t: hv.engine.now, dom: this.d.id, vcpu: this.v.id, note });
  }

  foreignPage(domid: number, gfn: number): Uint8Array | undefined {
    const d = this.d;
    const t = this.hv.domain(domid);
    if (!t || !(d.privileged || d.dmTarget === domid)) return undefined;
    const mfn = this.hv.gfnToMfn(t, gfn);
    return mfn < 0 ? undefined : this.hv.memory.page(mfn);
  }
}
