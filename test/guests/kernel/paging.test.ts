// The three ways of virtualizing memory, seen through one fork and one context switch of the
// same guest kernel (REFERENCE §9; issue 5's acceptance). Expected counts come from the
// mechanism: the PTE writes a fork makes follow from the address space it copies.
import { describe, expect, it } from 'vitest';
import { fork, spawn, exit, wait } from '../../../guests/kernel/lifecycle';
import type { GuestOs } from '../../../guests/kernel/os';
import type { Process, Image } from '../../../guests/kernel/process';
import type { KGen } from '../../../guests/kernel/types';
import { SMALL_PROGRAM } from '../../../guests/workloads/images';
import { EXIT_REASON } from '../../../hypervisor/public/hvm/ioreq';
import { platform } from '../../../hw/platforms/index';
import { osHost, runHost, type OsHost, type OsMode } from '../../helpers/os-host';
import type { PvMmuOptions } from '../../../guests/kernel/pv-mmu';

/** The PTE writes fork makes for a process that has touched its image's start-up pages: the
 *  child's upper-table links, one link per L1 table and one entry per present page, and one
 *  write-protect per present private writable page of the parent. */
function forkPteWrites(image: Image, levels: number): { all: number; l1: number } {
  const entries = levels === 2 ? 1024 : 512;
  let links = levels - 2;
  let l1 = 0;
  for (const r of image.regions) {
    if (r.touched === 0) continue;
    links += Math.ceil(r.touched / entries);
    l1 += r.touched + (r.writable && !r.shared ? r.touched : 0);
  }
  return { all: links + l1, l1 };
}

interface Snapshot {
  t: number;
  exits: Map<number, number>;
  calls: Map<string, number>;
  ptw: number;
  shadowPte: number;
  ptwr: number;
}

function snap(h: OsHost): Snapshot {
  const d = h.domain;
  return {
    t: h.engine.now, exits: new Map(d.hvm?.counters.exits ?? []), calls: new Map(h.hv.hypercalls.perDomain.get(d.id) ?? []),
    ptw: d.mmu.pteWrites, shadowPte: d.mmu.shadowExits.pteWrite, ptwr: d.mmu.ptwrTraps,
  };
}

function delta(a: Snapshot, b: Snapshot) {
  const exits = (r?: number) => [...b.exits].reduce((s, [k, n]) => s + (r === undefined || k === r ? n - (a.exits.get(k) ?? 0) : 0), 0);
  const calls = (name: string) => (b.calls.get(name) ?? 0) - (a.calls.get(name) ?? 0);
  return { ns: b.t - a.t, exits, calls, shadowPte: b.shadowPte - a.shadowPte, ptwr: b.ptwr - a.ptwr };
}

/** Spawns the small program, then measures `step` (given the process) in `mode`. */
function measure(mode: OsMode, step: (os: GuestOs, p: Process) => KGen, opts: { platform?: string; pv?: Partial<PvMmuOptions> } = {}) {
  let a: Snapshot | undefined;
  let b: Snapshot | undefined;
  const h = osHost({
    mode, platform: opts.platform, pv: opts.pv,
    script: function* (os, host) {
      const p = (yield* spawn(os, SMALL_PROGRAM))!;
      yield 0; // settle the start-up's hypervisor time before the first snapshot
      a = snap(host);
      yield* step(os, p);
      yield 0;
      b = snap(host);
    },
  });
  runHost(h);
  expect(h.done).toBe(true);
  expect((h.os.mmu as { errors?: number }).errors ?? 0).toBe(0);
  return { ...delta(a!, b!), host: h };
}

const forkOnly = function* (os: GuestOs, p: Process): KGen {
  yield* fork(os, p);
};

describe('a fork under each way of virtualizing memory', () => {
  const W = forkPteWrites(SMALL_PROGRAM, 4);

  it('exits once per guest PTE write under shadow paging', () => {
    const r = measure('shadow', forkOnly, { platform: 'core2-2006' });
    console.log(`fork of the small program (${W.all} PTE writes) under shadow paging: ${r.shadowPte} PTE-write exits, ${(r.ns / 1e3).toFixed(1)} us`);
    expect(r.shadowPte).toBe(W.all);
    expect(r.exits(EXIT_REASON.EXCEPTION_NMI)).toBe(W.all);
  });

  it('exits not at all under EPT', () => {
    const r = measure('hap', forkOnly);
    expect(r.exits()).toBe(0);
  });

  it('makes one mmu_update hypercall per batch under PV', () => {
    for (const batch of [2048, 32, 7]) {
      const r = measure('pv', forkOnly, { pv: { batch } });
      expect(r.calls('mmu_update')).toBe(Math.ceil(W.all / batch));
      expect(r.exits()).toBe(0);
    }
  });

  it('takes longer under PV when the batch size is halved', () => {
    const times = [64, 32, 16, 8].map((batch) => measure('pv', forkOnly, { pv: { batch } }).ns);
    console.log(`PV fork time by batch size 64/32/16/8: ${times.map((t) => (t / 1e3).toFixed(2)).join(' / ')} us`);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
  });

  it('carries all of a fork\'s batches on one trap with multicall', () => {
    const r = measure('pv', forkOnly, { pv: { batch: 16, multicall: true } });
    expect(r.calls('multicall')).toBe(1);
    expect(r.calls('multicall:mmu_update')).toBe(Math.ceil(W.all / 16));
    expect(r.calls('mmu_update')).toBe(0);
  });

  it('costs one trap per L1 PTE write with writable page tables', () => {
    const r = measure('pv', forkOnly, { pv: { writablePageTables: true } });
    expect(r.ptwr).toBe(W.l1);
    // The links into upper-level tables still go through mmu_update.
    expect(r.calls('mmu_update')).toBe(1);
    const p = platform('modern')!;
    expect(r.ns).toBeGreaterThanOrEqual(W.l1 * p.mmu.pvPtwrEmulateNs);
  });
});

describe('a CR3 load', () => {
  const switchAway = function* (os: GuestOs, p: Process): KGen {
    const child = (yield* fork(os, p))!;
    yield 0;
    const host = hostOf.get(os)!;
    before.set(os, snap(host));
    yield* os.switchTo(child);
    yield 0;
    after.set(os, snap(host));
    yield* exit(os, child);
    yield* os.switchTo(p);
    yield* wait(os, p, child);
  };
  const hostOf = new Map<GuestOs, OsHost>();
  const before = new Map<GuestOs, Snapshot>();
  const after = new Map<GuestOs, Snapshot>();
  const switchCost = (mode: OsMode, plat = 'modern') => {
    const h = osHost({ mode, platform: plat, script: function* (os, host) {
      hostOf.set(os, host);
      const p = (yield* spawn(os, SMALL_PROGRAM))!;
      yield* switchAway(os, p);
    } });
    runHost(h);
    return delta(before.get(h.os)!, after.get(h.os)!);
  };

  it('is a hypercall under PV, an exit under shadow paging, and nothing extra under EPT', () => {
    const pv = switchCost('pv');
    expect(pv.calls('mmuext_op')).toBe(1);
    expect(pv.exits()).toBe(0);
    const shadow = switchCost('shadow', 'core2-2006');
    expect(shadow.exits(EXIT_REASON.CR_ACCESS)).toBe(1);
    expect(shadow.exits()).toBe(1);
    const ept = switchCost('hap');
    const native = switchCost('native');
    expect(ept.exits()).toBe(0);
    expect(ept.ns).toBe(native.ns);
    expect(pv.ns).toBeGreaterThan(native.ns);
  });
});
