// PV direct paging at the ABI (REFERENCE §1.1, §9.1): mmu_update validates each request and
// stops at the first bad one with Xen's -errno and `done`; pins are not nested; a page table is
// never writably mapped; the base pointer must be a top-level table; multicall runs its entries
// on one trap; an HVM guest has no mmu_update.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../hw/engine';
import { modern } from '../../hw/platforms/modern';
import { xeon2003 } from '../../hw/platforms/xeon-2003';
import type { PlatformProfile } from '../../hw/platforms/profile';
import { Hypervisor } from '../../hypervisor/hypervisor';
import { CreditScheduler } from '../../hypervisor/sched/credit';
import { block, mmuOp, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import { EINVAL, ENOSYS, EFAULT } from '../../hypervisor/public/errno';
import { HYPERCALL } from '../../hypervisor/public/xen';
import { MMUEXT, PTE_PRESENT, PTE_RW, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables, mmuUpdate, mmuextOp, multicall } from '../../hypervisor/public/mmu';

type Script = (env: VcpuEnv) => Generator<unknown, void, number> | void;

function run(script: Script, opts: { type?: 'pv' | 'hvm'; profile?: PlatformProfile } = {}) {
  const engine = new Engine();
  const hv = new Hypervisor(engine, opts.profile ?? modern, { pcpus: 1, memoryMiB: 1024 }, new CreditScheduler());
  const d = hv.createDomain({ name: 'g', type: opts.type ?? 'pv', vcpus: 1, memoryMiB: 64, weight: 256, cap: 0 }, (env) =>
    (function* (): GuestProgram {
      const g = script(env);
      if (g) yield* g as GuestProgram;
      for (;;) yield block();
    })(),
  );
  if (typeof d === 'string') throw new Error(d);
  hv.unpause(d.id);
  engine.run(10_000_000);
  return { hv, d };
}

const PAGE = 4096;
const pte = (mfn: number, rw = true) => mfn * PAGE + PTE_PRESENT + (rw ? PTE_RW : 0);

describe('mmu_update', () => {
  it('applies requests in order and stops at the first bad one with -EINVAL and done = its index', () => {
    let r = { rc: 1, done: -1 };
    run((env) => {
      const [l1, data, l1b] = [env.machineFrame(20), env.machineFrame(21), env.machineFrame(22)];
      expect(mmuextOp(env, [{ cmd: MMUEXT.PIN_L1_TABLE, mfn: l1 }]).rc).toBe(0);
      r = mmuUpdate(env, [
        { ptr: l1 * PAGE, val: pte(data) },
        { ptr: l1 * PAGE + 8, val: pte(data, false) },
        { ptr: l1 * PAGE + 16, val: pte(999_999) }, // a frame it does not own
        { ptr: l1 * PAGE + 24, val: pte(l1b) },
      ]);
    });
    expect(r).toEqual({ rc: -EINVAL, done: 2 });
  });

  it('refuses to map one of the guest\'s page tables writable, but maps it read-only', () => {
    const rcs: number[] = [];
    run((env) => {
      const [l1, other] = [env.machineFrame(20), env.machineFrame(23)];
      mmuextOp(env, [{ cmd: MMUEXT.PIN_L1_TABLE, mfn: l1 }, { cmd: MMUEXT.PIN_L1_TABLE, mfn: other }]);
      rcs.push(mmuUpdate(env, [{ ptr: l1 * PAGE, val: pte(other, true) }]).rc);
      rcs.push(mmuUpdate(env, [{ ptr: l1 * PAGE, val: pte(other, false) }]).rc);
    });
    expect(rcs).toEqual([-EINVAL, 0]);
  });

  it('will not pin a frame that is mapped writable somewhere, nor pin twice, nor unpin what is not pinned', () => {
    const rcs: number[] = [];
    const { d } = run((env) => {
      const [l1, data] = [env.machineFrame(20), env.machineFrame(21)];
      rcs.push(mmuextOp(env, [{ cmd: MMUEXT.PIN_L1_TABLE, mfn: l1 }]).rc);
      rcs.push(mmuUpdate(env, [{ ptr: l1 * PAGE, val: pte(data) }]).rc);
      rcs.push(mmuextOp(env, [{ cmd: MMUEXT.PIN_L1_TABLE, mfn: data }]).rc); // writably mapped
      rcs.push(mmuextOp(env, [{ cmd: MMUEXT.PIN_L1_TABLE, mfn: l1 }]).rc); // pinned already
      rcs.push(mmuextOp(env, [{ cmd: MMUEXT.UNPIN_TABLE, mfn: data }]).rc);
      rcs.push(mmuUpdate(env, [{ ptr: l1 * PAGE, val: 0 }]).rc); // the mapping goes...
      rcs.push(mmuextOp(env, [{ cmd: MMUEXT.PIN_L1_TABLE, mfn: data }]).rc); // ...and now it may
    });
    expect(rcs).toEqual([0, 0, -EINVAL, -EINVAL, -EINVAL, 0, 0]);
    expect(d.pv!.lastRefusal).toBe('not-pinned');
  });

  it('links a lower table into a higher one only when it is a table of the level below', () => {
    const rcs: number[] = [];
    run((env) => {
      const [l2, l1, plain] = [env.machineFrame(30), env.machineFrame(31), env.machineFrame(32)];
      mmuextOp(env, [{ cmd: MMUEXT.PIN_L1_TABLE, mfn: l1 }, { cmd: MMUEXT.PIN_L2_TABLE, mfn: l2 }]);
      rcs.push(mmuUpdate(env, [{ ptr: l2 * PAGE, val: pte(plain) }]).rc);
      rcs.push(mmuUpdate(env, [{ ptr: l2 * PAGE, val: pte(l1) }]).rc);
      // A top-level table is what NEW_BASEPTR takes; an L2 is not the top of x86-64's four levels.
      rcs.push(mmuextOp(env, [{ cmd: MMUEXT.NEW_BASEPTR, mfn: l2 }]).rc);
    });
    expect(rcs).toEqual([-EINVAL, 0, -EINVAL]);
  });

  it('reports -EFAULT for a list shorter than its count, and is -ENOSYS for an HVM guest', () => {
    const rcs: number[] = [];
    run((env) => void rcs.push(env.hypercall(HYPERCALL.mmu_update, [], 3, { done: 0 })));
    run((env) => void rcs.push(mmuUpdate(env, []).rc), { type: 'hvm' });
    expect(rcs).toEqual([-EFAULT, -ENOSYS]);
  });

  it('charges the validation of each request: 100 updates cost 100 per-entry times more than none', () => {
    const cost = (n: number) => {
      const { d } = run((env) => {
        const [l1, data] = [env.machineFrame(20), env.machineFrame(21)];
        mmuextOp(env, [{ cmd: MMUEXT.PIN_L1_TABLE, mfn: l1 }]);
        mmuUpdate(env, Array.from({ length: n }, (_, i) => ({ ptr: l1 * PAGE + 8 * i, val: pte(data, false) })));
      });
      return d.cpu.hypervisor;
    };
    expect(cost(100) - cost(0)).toBe(100 * modern.mmu.pvMmuUpdatePerEntryNs);
  });
});

describe('multicall', () => {
  it('runs its entries on one trap, puts each return value in its entry, and refuses a nested multicall', () => {
    const entries: { op: number; args: unknown[]; result?: number }[] = [];
    const { hv, d } = run((env) => {
      const l1 = env.machineFrame(20);
      entries.push({ op: HYPERCALL.mmuext_op, args: [[{ cmd: MMUEXT.PIN_L1_TABLE, mfn: l1 }], 1, { done: 0 }] });
      entries.push({ op: HYPERCALL.mmu_update, args: [[{ ptr: l1 * PAGE, val: pte(999_999) }], 1, { done: 0 }] });
      entries.push({ op: HYPERCALL.multicall, args: [[], 0] });
      expect(multicall(env, entries)).toBe(0);
    });
    expect(entries.map((e) => e.result)).toEqual([0, -EINVAL, -EINVAL]);
    const calls = Object.fromEntries(hv.hypercalls.perDomain.get(d.id)!);
    expect(calls['multicall']).toBe(1);
    expect(calls['multicall:mmu_update']).toBe(1);
    expect(calls['mmu_update']).toBeUndefined();
  });
});

describe('writable page tables', () => {
  it('crash a PV guest that stores to a page table without asking for them', () => {
    const { d } = run(function* () {
      yield mmuOp('pte-write', 1);
    });
    expect(d.shutdownReason).toBe('crash');
  });

  it('cost one trap per PTE store once vm_assist turned them on', () => {
    const { d } = run(function* (env) {
      expect(env.hypercall(HYPERCALL.vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables)).toBe(0);
      yield mmuOp('pte-write', 37);
    });
    expect(d.shutdownReason).toBeUndefined();
    expect(d.mmu.ptwrTraps).toBe(37);
    expect(d.cpu.hypervisor).toBeGreaterThanOrEqual(37 * modern.mmu.pvPtwrEmulateNs);
  });

  it('use 4-byte entries on the 32-bit xeon-2003 and 8-byte ones on x86-64', () => {
    const rcs: number[] = [];
    run((env) => {
      const [l1, data] = [env.machineFrame(20), env.machineFrame(21)];
      mmuextOp(env, [{ cmd: MMUEXT.PIN_L1_TABLE, mfn: l1 }]);
      rcs.push(mmuUpdate(env, [{ ptr: l1 * PAGE + 4, val: pte(data) }]).rc);
    }, { profile: xeon2003 });
    run((env) => {
      const [l1, data] = [env.machineFrame(20), env.machineFrame(21)];
      mmuextOp(env, [{ cmd: MMUEXT.PIN_L1_TABLE, mfn: l1 }]);
      rcs.push(mmuUpdate(env, [{ ptr: l1 * PAGE + 4, val: pte(data) }]).rc);
    });
    expect(rcs).toEqual([0, -EINVAL]);
  });
});
