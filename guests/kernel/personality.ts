// The kernel personality: the few places where one guest kernel differs between running on
// the bare machine (or an HVM container, which looks like one) and running paravirtualized.
// Everything else of the kernel (processes, files, signals) is shared and calls these:
//   - writing page-table entries, typing new page-table frames, loading the page-table base,
//     flushing the TLB;
//   - entering the kernel for a system call or a fault, and returning to user mode.
// The native personality uses the MMU directly (guest `mmu` operations, which a hypervisor
// may trap); the PV one (pv-mmu.ts) makes hypercalls.
import { mmuOp, syscall, type MmuOpKind } from '../../hypervisor/public/guest';
import type { KGen } from './types';
import type { AddressSpace, NewTable, PteBatch } from './vm';

export interface MmuPersonality {
  readonly name: 'native' | 'pv';
  /** New page-table frames become tables (PV: pinned; natively nothing to do). */
  newTables(tables: readonly NewTable[]): KGen;
  /** Page-table frames stop being tables, after their links were cleared. */
  freeTables(gfns: readonly number[]): KGen;
  /** Writes the batch's PTEs (each group is what one fault wrote). */
  writePtes(batch: PteBatch): KGen;
  /** Loads `as` as the current address space (the page-table base register). */
  loadBase(as: AddressSpace): KGen;
  /** Flushes this CPU's TLB (after write-protecting live entries). */
  flushTlb(): KGen;
  /** Flushes one page's TLB entry (after a copy-on-write break or an unmap of one page). */
  invlpg(count: number): KGen;
  /** `count` system calls' entry and return. */
  syscalls(count: number): KGen;
  /** `count` faults of `kind` taken and returned from (their PTE writes are separate). */
  faults(kind: 'page-fault' | 'prot-fault', count: number): KGen;
}

/** The kernel on the bare machine, or in an HVM container: the MMU's own instructions. */
export class NativeMmu implements MmuPersonality {
  readonly name = 'native';

  *newTables(): KGen {}

  *freeTables(): KGen {}

  *writePtes(batch: PteBatch): KGen {
    if (batch.length > 0) yield mmuOp('pte-write', batch.length);
  }

  *loadBase(): KGen {
    yield mmuOp('cr3');
  }

  *flushTlb(): KGen {
    yield mmuOp('cr3'); // reloading CR3 flushes the non-global entries
  }

  *invlpg(count: number): KGen {
    if (count > 0) yield mmuOp('invlpg', count);
  }

  *syscalls(count: number): KGen {
    if (count > 0) yield syscall(count);
  }

  *faults(kind: MmuOpKind, count: number): KGen {
    if (count > 0) yield mmuOp(kind, count);
  }
}
