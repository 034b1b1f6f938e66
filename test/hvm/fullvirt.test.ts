import { describe, expect, it } from 'vitest';
import { compare, baseScenario, withMode, type CompareMode } from '../../lab/compare';
import { buildWorld } from '../../lab/run/world';
import { buildReport } from '../../lab/run/report';
import { renderCompare } from '../../lab/cli/compare-format';
import { EXIT_REASON_NAME } from '../../hypervisor/public/hvm/ioreq';
import type { TraceEvent } from '../../hypervisor/trace';

type Exit = Extract<TraceEvent, { type: 'vmexit' }>;

/** Runs fio randread 4k iodepth 1 under `mode` and returns the register accesses (exits) of
 *  one read in the middle of the run, and the exits per I/O over the run. */
function oneRead(mode: CompareMode) {
  const s = withMode(baseScenario({ workload: { kind: 'fio', options: { rw: 'randread', bs: '4k', iodepth: '1', ops: '200' } }, duration: '200ms' }), mode, undefined);
  const w = buildWorld(s);
  const exits: Exit[] = [];
  const sub = w.hv.trace.events.subscribe((e) => e.type === 'vmexit' && exits.push(e));
  w.engine.run(s.duration);
  sub.unsubscribe();
  const r = buildReport(w);
  const g = r.domains.find((d) => d.name === 'guest')!;
  const ops = Number(g.workload['ops']);
  const allExits = Object.values(g.vmexits).reduce((a, b) => a + b, 0);
  return { exits, ops, exitsPerOp: allExits / ops, report: g };
}

/** Splits a stream of exits into requests: each request starts at the driver's first write. */
function accessesOfOneRead(exits: Exit[], firstRegister: number, value?: number): Exit[] {
  const starts = exits.map((e, i) => (e.addr === firstRegister && e.dir === 'out' && (value === undefined || e.value === value) ? i : -1)).filter((i) => i >= 0);
  const mid = Math.floor(starts.length / 2);
  return exits.slice(starts[mid], starts[mid + 1]);
}

const show = (e: Exit) => `${EXIT_REASON_NAME[e.reason]} ${e.dir} ${e.space} 0x${e.addr.toString(16)} size ${e.size}${e.dir === 'out' ? ' <- 0x' + e.value.toString(16) : ''}`;

describe('full virtualization', () => {
  it('costs 20 to 32 exits for one IDE DMA read under hvm, 5 to 9 for AHCI, and 0 register exits under PV', () => {
    const ide = oneRead('hvm');
    const ideRead = accessesOfOneRead(ide.exits, 0x1f6, 0xa0); // selecting the drive opens a request
    console.log(`one IDE DMA read, ${ideRead.length} exits:\n  ` + ideRead.map(show).join('\n  '));
    expect(ideRead.length).toBeGreaterThanOrEqual(20);
    expect(ideRead.length).toBeLessThanOrEqual(32);
    const ahci = oneRead('hvm-ahci');
    const ahciRead = accessesOfOneRead(ahci.exits, 0xfebf0138); // PxCI: the command is issued
    console.log(`one AHCI read, ${ahciRead.length} exits:\n  ` + ahciRead.map(show).join('\n  '));
    expect(ahciRead.length).toBeGreaterThanOrEqual(5);
    expect(ahciRead.length).toBeLessThanOrEqual(9);
    const pv = oneRead('pv');
    expect(pv.exits).toHaveLength(0);
    expect(Object.keys(pv.report.vmexits)).toHaveLength(0);
    expect(pv.ops).toBe(200);
    // Every exit of an HVM read went to the device model as an ioreq, except none are Xen's own.
    expect(ide.report.ioreqs).toBeGreaterThan(20 * 200);
  });

  it('resumes a vCPU from an ioreq only after dom0 has taken the event and QEMU has spent its access time', () => {
    // Dom0 is bounced into its event callback, then QEMU's handler runs, and only then marks
    // the ioreq answered and notifies: the guest's wake comes at least upcallNs + dmAccessNs
    // after its exit.
    const s = withMode(baseScenario({ workload: { kind: 'fio', options: { rw: 'randread', bs: '4k', iodepth: '1', ops: '50' } }, duration: '50ms' }), 'hvm', undefined);
    const w = buildWorld(s);
    const guest = w.guests.find((g) => g.spec?.name === 'guest')!.domain.id;
    const events: TraceEvent[] = [];
    const sub = w.hv.trace.events.subscribe((e) => {
      if ((e.type === 'vmexit' && e.dom === guest && e.reason === 30) || (e.type === 'runstate' && e.dom === guest && e.to === 'runnable')) events.push(e);
    });
    w.engine.run(s.duration);
    sub.unsubscribe();
    const gaps: number[] = [];
    events.forEach((e, i) => {
      const next = events[i + 1];
      if (e.type === 'vmexit' && next?.type === 'runstate') gaps.push(next.t - e.t);
    });
    expect(gaps.length).toBeGreaterThan(500);
    console.log(`ioreq exit to wake: min ${Math.min(...gaps)} ns`);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(w.profile.hypervisor.upcallNs + w.profile.devices.dmAccessNs);
  });

  it('orders the modes on 4 KiB random reads at iodepth 1: native >= pvhvm, pv > hvm with AHCI > hvm with IDE', () => {
    const c = compare({ workload: { kind: 'fio', options: { rw: 'randread', bs: '4k', iodepth: '1' } }, modes: ['native', 'pv', 'hvm', 'hvm-ahci', 'pvhvm'], duration: '500ms', seed: 7 });
    console.log(renderCompare(c));
    const score = (m: CompareMode) => c.rows.find((r) => r.mode === m)!.score;
    expect(score('native')).toBeGreaterThanOrEqual(score('pvhvm'));
    expect(score('pv')).toBeGreaterThan(score('hvm-ahci'));
    expect(score('hvm-ahci')).toBeGreaterThan(score('hvm'));
    expect(c.rows.find((r) => r.mode === 'native')!.relativeToNative).toBe(1);
  });

  it('runs cpu-burn at least 5 times slower under tcg than under hvm', () => {
    const c = compare({ workload: { kind: 'cpu-burn', options: {} }, modes: ['native', 'hvm', 'tcg'], duration: '500ms' });
    console.log(renderCompare(c));
    const hvm = c.rows.find((r) => r.mode === 'hvm')!.score;
    const tcg = c.rows.find((r) => r.mode === 'tcg')!.score;
    expect(hvm / tcg).toBeGreaterThanOrEqual(5);
  });

  it('inflates HVM read latency far more than PV read latency when dom0 is capped at 10%', () => {
    const latency = (mode: CompareMode, cap: number) => {
      const s = withMode(baseScenario({ workload: { kind: 'fio', options: { rw: 'randread', bs: '4k', iodepth: '1' } }, duration: '500ms' }), mode, undefined);
      const w = buildWorld({ ...s, dom0: { ...s.dom0, cap } });
      w.engine.run(s.duration);
      return w.guests.find((g) => g.fio)!.fio!.latency.mean;
    };
    const pv = [latency('pv', 0), latency('pv', 10)];
    const hvm = [latency('hvm', 0), latency('hvm', 10)];
    console.log(`mean 4 KiB read latency, dom0 uncapped -> capped at 10%: PV ${(pv[0]! / 1e3).toFixed(1)} us -> ${(pv[1]! / 1e3).toFixed(1)} us; HVM (IDE) ${(hvm[0]! / 1e3).toFixed(1)} us -> ${(hvm[1]! / 1e3).toFixed(1)} us`);
    const pvGrowth = pv[1]! / pv[0]!;
    const hvmGrowth = hvm[1]! / hvm[0]!;
    expect(hvmGrowth).toBeGreaterThan(2 * pvGrowth);
    expect(hvm[1]! - hvm[0]!).toBeGreaterThan(5 * (pv[1]! - pv[0]!));
  });

  it('finds 0 verify mismatches under native, hvm, hvm-ahci, bt, tcg, pvhvm and pvh', () => {
    for (const mode of ['native', 'hvm', 'hvm-ahci', 'bt', 'tcg', 'pvhvm', 'pvh'] as CompareMode[]) {
      const s = withMode(baseScenario({ workload: { kind: 'fio', options: { rw: 'randwrite', bs: '4k', iodepth: '1', verify: 'true', ops: '300' } }, duration: '2s' }), mode, undefined);
      const w = buildWorld(s);
      w.engine.run(s.duration);
      const job = w.guests.find((g) => g.fio)!.fio!;
      expect({ mode, done: job.done, ops: job.ops, errors: job.errors, verifyErrors: job.verifyErrors }).toEqual({ mode, done: true, ops: 600, errors: 0, verifyErrors: 0 });
    }
  });

  it('unplugs the emulated disk of a PVHVM guest, which then does its I/O through blkfront', () => {
    const s = withMode(baseScenario({ workload: { kind: 'fio', options: { rw: 'randread', bs: '4k', iodepth: '1', ops: '50' } }, duration: '100ms' }), 'pvhvm', undefined);
    const w = buildWorld(s);
    w.engine.run(s.duration);
    const g = w.guests.find((x) => x.fio)!;
    expect(g.platform!.io.claimant(0x1f7, 'pio')).toBeUndefined(); // the IDE channel is gone
    expect(g.kernel!.disks[0]!.stats.responses).toBe(50);
    expect(g.domain.hvm!.counters.ioreqs).toBe(1); // the unplug write itself
  });
});

describe('the fallback to TCG', () => {
  it('runs an hvm guest on xeon-2003 (no VT-x) under tcg, saying so in QEMU\'s words', () => {
    const s = baseScenario({ workload: { kind: 'cpu-burn', options: {} }, duration: '100ms', platform: 'xeon-2003' });
    const w = buildWorld(withMode(s, 'hvm', 'xeon-2003'));
    w.engine.run(100e6);
    const g = w.guests.find((x) => x.spec?.name === 'guest')!;
    expect(g.mode).toBe('tcg');
    expect(g.domain.hvm!.accel).toBe('tcg');
    expect(w.notices.join('\n')).toMatch(/Could not access KVM kernel module.*\n.*\n?.*tcg/);
    // and the same guest on a platform with VT-x runs under it, silently
    const m = buildWorld(withMode(baseScenario({ workload: { kind: 'cpu-burn', options: {} }, duration: '100ms' }), 'hvm', undefined));
    expect(m.guests.find((x) => x.spec?.name === 'guest')!.mode).toBe('hvm');
    expect(m.notices).toEqual([]);
  });
});
