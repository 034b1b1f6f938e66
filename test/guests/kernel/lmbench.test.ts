// lmbench natively on the xeon-2003: the guest kernel's work per call is derived from the
// L-UP column of Barham et al. (SOSP 2003) minus the mechanism pvlab models, so the native run
// gives that column back (COSTS.md); under PV the same mechanism costs what Xen makes it cost.
import { describe, expect, it } from 'vitest';
import { runSuite } from '../../../lab/suite';

/** COSTS.md, "Native primitives on the xeon-2003 machine", in microseconds. */
const L_UP: Record<string, number> = {
  'null-call': 0.45, 'null-io': 0.5, stat: 1.28, 'open-close': 1.92, 'select-tcp': 5.7, 'sig-install': 0.68, 'sig-handler': 2.49,
  fork: 110, exec: 530, sh: 4000, 'ctxsw-2p-0k': 0.77, 'file-create-0k': 32.1, 'file-delete-0k': 6.08,
  'file-create-10k': 66.0, 'file-delete-10k': 12.5, mmap: 68.0, 'prot-fault': 1.06, 'page-fault': 1.42,
};

describe('lmbench on the xeon-2003', () => {
  it('gives back the native L-UP figures it was derived from, within 5%', () => {
    const r = runSuite({ suite: 'lmbench', platform: 'xeon-2003', modes: ['native'], only: Object.keys(L_UP) });
    for (const row of r.rows) {
      const want = L_UP[row.benchmark]!;
      expect(row.results['native']!, row.benchmark).toBeGreaterThan(want * 0.95);
      expect(row.results['native']!, row.benchmark).toBeLessThan(want * 1.05);
    }
  });

  it('costs a PV guest nothing extra on a null call (the 32-bit fast trap) but a bounce on a page fault', () => {
    const r = runSuite({ suite: 'lmbench', platform: 'xeon-2003', modes: ['native', 'pv'], only: ['null-call', 'page-fault'] });
    const [call, fault] = r.rows;
    expect(call!.results['pv']).toBe(call!.results['native']);
    expect(call!.perOp['pv']!.hypercalls).toBe(0);
    // Two transitions into Xen per faulted page (Barham et al.): the fault's bounce, and the
    // mmu_update that installs the PTE.
    expect(fault!.perOp['pv']!.hypercalls).toBeCloseTo(1, 1);
    expect(fault!.results['pv']!).toBeGreaterThan(fault!.results['native']!);
  });

  it('bounces every system call of a 64-bit PV guest through Xen, which the guest leaves with iret', () => {
    const r = runSuite({ suite: 'lmbench', platform: 'modern', modes: ['native', 'pv', 'hvm'], only: ['null-call'] });
    const row = r.rows[0]!;
    expect(row.perOp['pv']!.hypercalls).toBe(1);
    expect(row.results['pv']!).toBeGreaterThan(row.results['native']!);
    expect(row.results['hvm']).toBe(row.results['native']);
  });
});
