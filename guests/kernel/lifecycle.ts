// Process creation and death, page table by page table: fork copies the parent's page tables
// (an entry per present page, the private writable ones write-protected for copy-on-write),
// exec builds a fresh address space and tears the old one down, the program's start-up touches
// its pages (a fault each), exit tears everything down, and wait reaps the zombie. What each
// costs beyond the page tables is the platform profile's kernel work (forkNs, execNs).
import type { GuestOs } from './os';
import type { Image, Process } from './process';
import type { KGen } from './types';
import { PteBatch, forkAddressSpace, newAddressSpace, teardown, type AddressSpace, type NewTable } from './vm';

/** A fresh address space laid out for `image` (no page mapped yet), or undefined without memory. */
function* buildAddressSpace(os: GuestOs, image: Image): KGen<AddressSpace | undefined> {
  const tables: NewTable[] = [];
  const writes = new PteBatch();
  const as = newAddressSpace(os.g, os.frames, tables, writes);
  if (!as) return undefined;
  for (const r of image.regions) as.addRegion(r);
  yield* os.apply(tables, writes);
  return as;
}

/** The program's start-up: it touches the pages its image says, a fault each. */
function* startUp(os: GuestOs, p: Process): KGen {
  for (const spec of p.image.regions) {
    const r = p.region(spec.name);
    if (r && spec.touched > 0) yield* os.touch(p, r, 0, spec.touched, spec.writable);
  }
}

/** The first process of a workload, running `image` on the CPU. */
export function* spawn(os: GuestOs, image: Image): KGen<Process | undefined> {
  const as = yield* buildAddressSpace(os, image);
  if (!as) return undefined;
  const p = os.newProcess(image, as, undefined);
  yield* os.switchTo(p);
  yield* startUp(os, p);
  return p;
}

/** fork(): the child shares every page copy-on-write; the parent's TLB is flushed of the
 *  entries it write-protected. The child is not running yet. */
export function* fork(os: GuestOs, parent: Process): KGen<Process | undefined> {
  os.counters.forks++;
  yield* os.syscall(os.costs.forkNs);
  const tables: NewTable[] = [];
  const writes = new PteBatch();
  const as = forkAddressSpace(parent.as, os.frames, tables, writes);
  if (!as) return void os.enomem++;
  yield* os.apply(tables, writes);
  yield* os.flushTlb();
  const child = os.newProcess(parent.image, as, parent);
  child.workingSet = parent.workingSet;
  return child;
}

/** execve() by the running process `p`: a new address space for `image`, loaded, the old one
 *  torn down, then the program's start-up faults. */
export function* exec(os: GuestOs, p: Process, image: Image): KGen<boolean> {
  os.counters.execs++;
  yield* os.syscall(os.costs.execNs);
  const as = yield* buildAddressSpace(os, image);
  if (!as) return (os.enomem++, false);
  const old = p.as;
  p.as = as;
  p.image = image;
  yield* os.mmu.loadBase(as);
  yield* destroy(os, old);
  yield* startUp(os, p);
  return true;
}

/** exit(): the address space goes; the process waits as a zombie for its parent. */
export function* exit(os: GuestOs, p: Process): KGen {
  os.counters.exits++;
  yield* os.syscall(0);
  yield* destroy(os, p.as);
  p.state = 'zombie';
}

/** wait(): the parent reaps its zombie child. */
export function* wait(os: GuestOs, parent: Process, child: Process): KGen {
  yield* os.syscall(0);
  if (child.state !== 'zombie') return;
  child.state = 'reaped';
  const i = parent.children.indexOf(child);
  if (i >= 0) parent.children.splice(i, 1);
}

/** Every entry cleared and every table handed back. */
function* destroy(os: GuestOs, as: AddressSpace): KGen {
  const writes = new PteBatch();
  const freed: number[] = [];
  teardown(as, os.frames, freed, writes);
  yield* os.apply([], writes, freed);
}
