// A workload's system calls cost what its kernel's mode makes them cost, whichever part of the
// kernel serves them: a 64-bit PV kernel runs in ring 3, so Xen takes each system call and
// bounces it into the kernel, which goes back to user mode through HYPERVISOR_iret (REFERENCE
// §9.1); a PVH kernel's system calls stay in its HVM container; the 32-bit PV guest of the
// xeon-2003 has the fast trap and never enters Xen for one. The network stack's sendto() and
// fio's io_submit() are such calls, as lmbench's null call is (lmbench.test.ts); so are QEMU's
// reads and writes on its tap in dom0, itself a PV kernel.
import { describe, expect, it } from 'vitest';
import { compare, type CompareMode } from '../../../lab/compare';
import type { RunOutcome } from '../../../lab/run/runner';

interface Seen {
  ops: number;
  syscalls: number;
  bounces: number;
  irets: number;
  /** Dom0's: QEMU's reads and writes on an emulated NIC's tap. */
  dom0: { syscalls: number; bounces: number; irets: number; tapFrames: number };
}

function run(kind: string, options: Record<string, string>, modes: CompareMode[], platform = 'modern', duration = '20ms'): Map<CompareMode, Seen> {
  const seen = new Map<CompareMode, Seen>();
  const done = (m: CompareMode, o: RunOutcome) => {
    const g = o.world.guests.find((x) => x.domain.name === 'guest')!;
    const d = o.report.domains.find((x) => x.id === g.domain.id)!;
    const stats = d.workload as unknown as { ops?: number; sent?: number };
    const z = o.world.guests.find((x) => x.domain.id === 0)!.domain;
    const tap = g.net?.tap?.stats;
    seen.set(m, {
      ops: stats.sent ?? stats.ops ?? 0,
      syscalls: g.domain.mmu.syscalls,
      bounces: g.domain.mmu.bounces,
      irets: d.hypercalls['iret'] ?? 0,
      dom0: {
        syscalls: z.mmu.syscalls,
        bounces: z.mmu.bounces,
        irets: o.report.domains.find((x) => x.id === 0)!.hypercalls['iret'] ?? 0,
        tapFrames: (tap?.txFrames ?? 0) + (tap?.rxFrames ?? 0),
      },
    });
  };
  compare({ workload: { kind, options }, modes, platform, duration }, { done });
  return seen;
}

describe('a workload system call, by the mode of its kernel', () => {
  it("udp-flood: each sendto() of a 64-bit PV guest bounces through Xen and returns with iret; PVH's and native's do not", () => {
    const s = run('udp-flood', { size: '64', packets: '500' }, ['native', 'pv', 'pvh']);
    for (const m of ['native', 'pv', 'pvh'] as const) {
      expect(s.get(m)!.ops, m).toBe(500);
      expect(s.get(m)!.syscalls, m).toBe(500); // one sendto() per datagram, nothing else
    }
    expect(s.get('pv')!.bounces).toBe(500);
    expect(s.get('pv')!.irets).toBe(500);
    for (const m of ['native', 'pvh'] as const) expect([s.get(m)!.bounces, s.get(m)!.irets], m).toEqual([0, 0]);
    // PV's datagrams leave through netback, which is dom0 kernel work: no dom0 process calls.
    expect(s.get('pv')!.dom0.syscalls).toBe(0);
  });

  it("udp-flood through an emulated e1000: QEMU's write() on its tap is a system call of dom0, a PV kernel", () => {
    const s = run('udp-flood', { size: '64', packets: '200' }, ['hvm']);
    const hvm = s.get('hvm')!;
    expect(hvm.ops).toBe(200);
    // The guest's own sendto() stays in its HVM container.
    expect([hvm.syscalls, hvm.bounces, hvm.irets]).toEqual([200, 0, 0]);
    // Nothing comes back (the peer discards), so every tap call is a write of one datagram.
    expect(hvm.dom0.tapFrames).toBe(200);
    expect(hvm.dom0).toEqual({ syscalls: 200, bounces: 200, irets: 200, tapFrames: 200 });
  });

  it('fio: io_submit() and io_getevents() of a PV guest are a bounce and an iret each on modern, neither on the 32-bit xeon-2003', () => {
    const fio = { rw: 'randread', bs: '4k', iodepth: '1' };
    const modern = run('fio', fio, ['pv', 'pvhvm']);
    const pv = modern.get('pv')!;
    expect(pv.ops).toBeGreaterThan(10);
    // At iodepth 1 each I/O is one io_submit() and one io_getevents() that reaps it; the I/O in
    // flight at the end has made its io_submit() but not yet its io_getevents().
    expect(pv.syscalls - 2 * pv.ops).toBeGreaterThanOrEqual(0);
    expect(pv.syscalls - 2 * pv.ops).toBeLessThanOrEqual(1);
    expect([pv.bounces, pv.irets]).toEqual([pv.syscalls, pv.syscalls]);
    const pvhvm = modern.get('pvhvm')!;
    expect(pvhvm.syscalls).toBeGreaterThan(10);
    expect([pvhvm.bounces, pvhvm.irets]).toEqual([0, 0]);
    const old = run('fio', fio, ['pv'], 'xeon-2003', '200ms').get('pv')!;
    expect(old.syscalls).toBeGreaterThan(10);
    expect([old.bounces, old.irets]).toEqual([0, 0]);
  });
});
