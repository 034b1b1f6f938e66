// The PV kernel personality (REFERENCE §9.1): the guest's page tables hold machine frames and
// are read-only to it, so every change goes through Xen. New tables are pinned, PTE writes are
// queued into mmu_update requests of up to `batch` entries (one hypercall each, or all of an
// operation's batches in one multicall), the page-table base is loaded with mmuext_op
// NEW_BASEPTR, and TLB flushes are mmuext_op too. With writable page tables (vm_assist) the
// kernel simply stores to its L1 entries and each store traps into Xen, which emulates it.
// A 64-bit PV kernel returns to user mode after a bounced trap with the `iret` hypercall.
import { HYPERCALL } from '../../hypervisor/public/xen';
import { mmuOp, type VcpuEnv } from '../../hypervisor/public/guest';
import { irets, pvSyscalls } from '../../hypervisor/public/calls';
import { MMUEXT, PAGE_BYTES, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables, mmuUpdate, mmuextOp, multicall, type MmuUpdate, type MmuextOp, type MulticallEntry } from '../../hypervisor/public/mmu';
import type { MmuPersonality } from './personality';
import type { KGen } from './types';
import type { AddressSpace, Geometry, NewTable, PteBatch } from './vm';

export interface PvMmuOptions {
  /** Most mmu_update requests per hypercall (XenoLinux's queue holds 2048). */
  batch: number;
  /** vm_assist(VMASST_TYPE_writable_pagetables): L1 stores trap and are emulated. */
  writablePageTables: boolean;
  /** Carry all the mmu_update batches of one kernel operation in a single multicall. */
  multicall: boolean;
}

export const DEFAULT_PV_MMU: PvMmuOptions = { batch: 2048, writablePageTables: false, multicall: false };

export class PvMmu implements MmuPersonality {
  readonly name = 'pv';
  /** Hypercalls Xen refused: a bug in the kernel (pvlab's tests expect none). */
  errors = 0;
  lastError = '';

  constructor(
    private readonly env: VcpuEnv,
    private readonly g: Geometry,
    readonly opts: PvMmuOptions,
    /** A 64-bit PV kernel leaves the kernel through HYPERVISOR_iret after a bounced trap. */
    private readonly iretAfterTrap: boolean,
  ) {}

  /** Boot-time set-up: asks for writable page tables if the kernel uses them. */
  boot(): void {
    if (this.opts.writablePageTables) this.check('vm_assist', this.env.hypercall(HYPERCALL.vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables));
  }

  *newTables(tables: readonly NewTable[]): KGen {
    if (tables.length === 0) return;
    this.ext('pin', tables.map((t) => ({ cmd: MMUEXT.PIN_L1_TABLE + t.level - 1, mfn: this.mfn(t.gfn) })));
  }

  *freeTables(gfns: readonly number[]): KGen {
    if (gfns.length === 0) return;
    this.ext('unpin', gfns.map((gfn) => ({ cmd: MMUEXT.UNPIN_TABLE, mfn: this.mfn(gfn) })));
  }

  *writePtes(batch: PteBatch): KGen {
    const n = batch.length;
    if (n === 0) return;
    const viaMmuUpdate: MmuUpdate[][] = [];
    let trapped = 0;
    let current: MmuUpdate[] = [];
    const flush = (): void => {
      if (current.length > 0) viaMmuUpdate.push(current);
      current = [];
    };
    let g = 0;
    for (let i = 0; i < n; i++) {
      if (this.opts.writablePageTables && batch.level[i] === 1) trapped++;
      else {
        current.push(this.request(batch, i));
        if (current.length >= this.opts.batch) flush();
      }
      if (batch.groups[g] === i + 1) {
        flush();
        g++;
      }
    }
    flush();
    this.send(viaMmuUpdate);
    if (trapped > 0) yield mmuOp('pte-write', trapped);
  }

  *loadBase(as: AddressSpace): KGen {
    const top = this.mfn(as.top);
    const ops: MmuextOp[] = [{ cmd: MMUEXT.NEW_BASEPTR, mfn: top }];
    // x86-64: user mode runs on its own base (here the same table); one hypercall loads both.
    if (this.g.levels === 4) ops.push({ cmd: MMUEXT.NEW_USER_BASEPTR, mfn: top });
    this.ext('new_baseptr', ops);
  }

  *flushTlb(): KGen {
    this.ext('tlb_flush', [{ cmd: MMUEXT.TLB_FLUSH_LOCAL }]);
  }

  *invlpg(count: number): KGen {
    if (count > 0) this.ext('invlpg', Array.from({ length: count }, () => ({ cmd: MMUEXT.INVLPG_LOCAL, linear_addr: 0 })));
  }

  *syscalls(count: number): KGen {
    yield* pvSyscalls(this.env, count, this.iretAfterTrap);
  }

  *faults(kind: 'page-fault' | 'prot-fault', count: number): KGen {
    if (count === 0) return;
    yield mmuOp(kind, count);
    if (this.iretAfterTrap) irets(this.env, count);
  }

  private send(batches: MmuUpdate[][]): void {
    if (batches.length === 0) return;
    if (!this.opts.multicall || batches.length === 1) {
      for (const reqs of batches) this.check('mmu_update', mmuUpdate(this.env, reqs).rc);
      return;
    }
    const entries: MulticallEntry[] = batches.map((reqs) => ({ op: HYPERCALL.mmu_update, args: [reqs, reqs.length, { done: 0 }] }));
    this.check('multicall', multicall(this.env, entries));
    for (const e of entries) this.check('mmu_update in a multicall', e.result ?? 0);
  }

  private request(b: PteBatch, i: number): MmuUpdate {
    const frame = b.frame[i]!;
    return {
      ptr: this.mfn(b.table[i]!) * PAGE_BYTES + b.index[i]! * this.g.entryBytes,
      val: frame < 0 ? 0 : this.mfn(frame) * PAGE_BYTES + b.flags[i]!,
    };
  }

  private ext(what: string, ops: MmuextOp[]): void {
    this.check(`mmuext_op ${what}`, mmuextOp(this.env, ops).rc);
  }

  private mfn(gfn: number): number {
    return this.env.machineFrame(gfn);
  }

  private check(what: string, rc: number): void {
    if (rc >= 0) return;
    this.errors++;
    this.lastError = `${what}: ${rc}`;
  }
}
