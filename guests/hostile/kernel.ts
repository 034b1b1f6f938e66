// What every hostile guest is built on: a PV kernel booted only as far as an attacker needs
// (its grant table, its event dispatch, its xenstore connection, no disk probing, so the
// attack can speak to its backends itself), a log of what the hypervisor and the backends
// answered, and small helpers to wait with a deadline. Hostile guests use only the public ABI
// and ring bytes, like any guest: whatever they do, pvlab must answer with an error, drop a
// device or crash the domain, never throw, and never let another domain notice.
import { block, compute, type VcpuEnv } from '../../hypervisor/public/guest';
import { PortDispatch } from '../../hypervisor/public/evtchn_dispatch';
import { PageAllocator } from '../kernel/pages';
import { KERNEL_RESERVED_FRAMES, type PvKernel } from '../kernel/pv';
import { XenbusClient } from '../kernel/xenbus';
import type { KGen } from '../kernel/types';

/** A value the guest saw: an errno, a GNTST_* or BLKIF_RSP_* status, a count, a flag. */
export type Outcome = number | string | boolean | readonly number[];

/** What an attack did and what it was answered, by step name. */
export class HostileLog {
  readonly outcomes: Record<string, Outcome> = {};
  /** Hostile operations performed (hypercalls, ring writes, xenstore requests). */
  actions = 0;
  done = false;
  /** Why the attack could not even start (no disk, boot failed...). */
  skipped: string | undefined;

  note(step: string, value: Outcome): void {
    this.outcomes[step] = value;
  }

  count(n = 1): void {
    this.actions += n;
  }
}

/** Boots `k` without probing disks; false (with k.bootError) if the grant table or store failed. */
export function* bootBare(k: PvKernel, env: VcpuEnv): KGen<boolean> {
  k.env = env;
  k.events = new PortDispatch(() => env.sharedInfo, env.vcpu);
  k.pages = new PageAllocator(KERNEL_RESERVED_FRAMES, Math.max(KERNEL_RESERVED_FRAMES, k.start.storeGfn));
  if (!k.grants.setup(env)) {
    k.bootError = 'grant table setup failed';
    return false;
  }
  const storePage = env.page(k.start.storeGfn);
  if (!storePage) {
    k.bootError = 'no xenstore page';
    return false;
  }
  k.xs = new XenbusClient(k, storePage, k.start.storePort);
  k.events.bind(k.start.storePort, () => k.xs.onEvent());
  yield* k.settle();
  return true;
}

/** Sleeps until `ok()` holds or the clock reaches `deadline`, handling events meanwhile. */
export function* waitFor(k: PvKernel, ok: () => boolean, deadline: number): KGen<boolean> {
  while (!ok()) {
    if (k.env.now() >= deadline) return false;
    yield block(deadline);
    k.upcalls++;
    k.events.dispatch();
    yield* k.settle();
  }
  return true;
}

/** Spins (computing, not sleeping) until `ok()` holds or `deadline`: for watching shared memory. */
export function* spinFor(k: PvKernel, ok: () => boolean, deadline: number, stepNs = 500): KGen<boolean> {
  while (!ok()) {
    if (k.env.now() >= deadline) return false;
    yield compute(stepNs, 'kernel');
  }
  return true;
}

/** Sleeps `ns`, handling events. */
export function* sleep(k: PvKernel, ns: number): KGen {
  yield* waitFor(k, () => false, k.env.now() + ns);
}

/** The devids of the domain's virtual block devices, lowest first. */
export function* vbdDevids(k: PvKernel): KGen<number[]> {
  const ids = yield* k.xs.directory(`/local/domain/${k.domid}/device/vbd`);
  return ids.map(Number).filter((n) => Number.isInteger(n)).sort((a, b) => a - b);
}
