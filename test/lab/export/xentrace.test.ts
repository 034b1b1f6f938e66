// The xentrace export: the record and file layout Xen defines, checked byte by byte; then
// Xen's own analyser, xenalyze, reading pvlab's trace of credit-weights and finding the
// per-domain running time pvlab reports. xenalyze comes from .ci/install-xen-tools.sh; in CI
// (CI set) a missing xenalyze fails these tests instead of skipping them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRC, decodeFile, encodeFile, type DecodedRecord } from '../../../lab/export/xentrace-format';
import { TSC_ORIGIN, writeXentrace, xenalyzeArgs, xentrace } from '../../../lab/export/xentrace';
import { handRecorder, recordScenario } from './record-run';
import { findXenalyze, runningCyclesByDomain, xenalyze } from './xenalyze';

const dir = mkdtempSync(join(tmpdir(), 'pvlab-xentrace-'));
const DOMID_IDLE = 0x7fff;
const runstateEvent = (from: number, to: number): number => TRC.SCHED_RUNSTATE_CHANGE | (from << 8) | (to << 4);

/** Hand-fed: d0v0 runs on pCPU 0 and makes a hypercall, then blocks; pCPU 0 goes idle. */
function handTrace(): Uint8Array {
  const rec = handRecorder(1, [[0, 0, 'runnable']]);
  rec.record({ type: 'sched', t: 100, pcpu: 0, dom: 0, vcpu: 0, reason: 'preempted', detail: '' });
  rec.record({ type: 'hypercall', t: 200, dom: 0, vcpu: 0, name: 'xen_version', op: '0', rc: 0x4_0013 });
  rec.record({ type: 'idle', t: 400, pcpu: 0, reason: 'blocked' });
  rec.stop(1_000);
  return xentrace(rec);
}

const body = (rs: DecodedRecord[]): DecodedRecord[] => rs.filter((r) => r.event !== TRC.TRACE_CPU_CHANGE);

describe('the xentrace format', () => {
  it('writes a record as header (id, word count, TSC flag), then the TSC, then the words', () => {
    const bytes = encodeFile([{ cpu: 2, records: [{ event: 0x0002_1101, tsc: 0x1_2345_6789n, words: [0x0001_0000] }] }]);
    const v = new DataView(bytes.buffer);
    expect(bytes.byteLength).toBe(12 + 16);
    expect(v.getUint32(0, true)).toBe(0x2001_f003); // CPU_CHANGE with 2 words, no TSC
    expect([v.getInt32(4, true), v.getUint32(8, true)]).toEqual([2, 16]); // cpu, window_size
    expect(v.getUint32(12, true)).toBe((0x8000_0000 | (1 << 28) | 0x0002_1101) >>> 0);
    expect([v.getUint32(16, true), v.getUint32(20, true), v.getUint32(24, true)]).toEqual([0x2345_6789, 1, 0x0001_0000]);
  });

  it('writes runstate changes with the old and new runstate in the id, and dom:vcpu in one word', () => {
    const recs = body(decodeFile(handTrace()));
    const change = recs.find((r) => r.event === runstateEvent(1, 0) && r.words[0] === 0)!; // d0v0 runnable -> running
    expect(change.tsc).toBe(TSC_ORIGIN + 100n);
    expect(recs.some((r) => r.event === runstateEvent(0, 2) && r.words[0] === 0)).toBe(true); // running -> blocked
    // The idle vCPU of pCPU 0 is d32767v0: it leaves at 100 and comes back at 400.
    const idle = (DOMID_IDLE << 16) >>> 0;
    expect(recs.find((r) => r.event === runstateEvent(0, 1) && r.words[0] === idle)!.tsc).toBe(TSC_ORIGIN + 100n);
    expect(recs.find((r) => r.event === runstateEvent(1, 0) && r.words[0] === idle)!.tsc).toBe(TSC_ORIGIN + 400n);
  });

  it('writes the switch records around a context switch, and continue-running at both ends', () => {
    const recs = body(decodeFile(handTrace()));
    expect(recs[0]).toMatchObject({ event: TRC.SCHED_CONTINUE_RUNNING, words: [(DOMID_IDLE << 16) >>> 0], tsc: TSC_ORIGIN });
    expect(recs.find((r) => r.event === TRC.SCHED_SWITCH)!.words).toEqual([DOMID_IDLE, 0, 0, 0]);
    expect(recs.find((r) => r.event === TRC.SCHED_SWITCH_INFPREV)!.words).toEqual([DOMID_IDLE, 0, 100]);
    expect(recs[recs.length - 1]).toMatchObject({ event: TRC.SCHED_CONTINUE_RUNNING, tsc: TSC_ORIGIN + 1000n });
  });

  it('writes a PV hypercall as TRC_PV_HYPERCALL_V2 with its number and first argument', () => {
    const call = body(decodeFile(handTrace())).find((r) => r.event === TRC.PV_HYPERCALL_V2)!;
    expect(call.words).toEqual([17 | (1 << 20), 0]); // xen_version, one 32-bit argument
    expect(call.tsc).toBe(TSC_ORIGIN + 200n);
  });

  it('writes a real run as windows per pCPU, each sized exactly, with time going forward', () => {
    const { rec } = recordScenario('credit-weights.yaml');
    const bytes = xentrace(rec);
    const recs = decodeFile(bytes);
    let size = 0;
    let expected = 0;
    for (const r of recs) {
      if (r.event !== TRC.TRACE_CPU_CHANGE) {
        size += 4 + (r.tsc === undefined ? 0 : 8) + 4 * r.words.length;
        continue;
      }
      expect(size).toBe(expected);
      expect(r.tsc).toBeUndefined();
      expect(r.words[0]).toBe(0); // one pCPU
      [size, expected] = [0, r.words[1]!];
    }
    expect(size).toBe(expected);
    const tscs = body(recs).map((r) => r.tsc!);
    for (let i = 1; i < tscs.length; i++) expect(tscs[i]! >= tscs[i - 1]!).toBe(true);
    expect(recs.filter((r) => r.event === TRC.TRACE_CPU_CHANGE).length).toBeGreaterThan(50); // 100 ms windows over 10 s
  });

  it('ends a pCPU that lost events to the bound with TRC_LOST_RECORDS', () => {
    const { rec } = recordScenario('credit-weights.yaml', { maxEvents: 200 });
    const recs = body(decodeFile(xentrace(rec)));
    const lost = recs[recs.length - 1]!;
    expect(lost.event).toBe(TRC.LOST_RECORDS);
    expect(lost.words[0]).toBe(rec.droppedByPcpu[0]);
    expect(BigInt(lost.words[2]!) | (BigInt(lost.words[3]!) << 32n)).toBe(TSC_ORIGIN + BigInt(rec.truncatedAt!));
  });
});

const bin = findXenalyze();
const required = Boolean(process.env.CI);

describe.skipIf(!bin && !required)('xenalyze reading pvlab traces', () => {
  it('is installed (.ci/install-xen-tools.sh)', () => {
    expect(bin, 'xenalyze not found: run .ci/install-xen-tools.sh').toBeDefined();
  });

  it('reports the running time of each credit-weights domain within 1% of pvlab', () => {
    const { rec, report } = recordScenario('credit-weights.yaml');
    const file = join(dir, 'credit-weights.xentrace');
    writeXentrace(file, rec);
    const run = xenalyze(bin!, [...xenalyzeArgs(), '--summary', file]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Total time: ${(report.simulatedNs / 1e9).toFixed(2)} seconds`);
    const cycles = runningCyclesByDomain(run.stdout);
    for (const d of report.domains) {
      const ns = cycles.get(d.id) ?? 0; // 1 GHz: one cycle per ns
      if (d.runstate.runningNs > 1e6) expect(Math.abs(ns - d.runstate.runningNs) / d.runstate.runningNs, d.name).toBeLessThan(0.01);
      else expect(Math.abs(ns - d.runstate.runningNs), d.name).toBeLessThan(1e4);
    }
    const light = report.domains.find((d) => d.name === 'light')!;
    const heavy = report.domains.find((d) => d.name === 'heavy')!;
    expect(cycles.get(heavy.id)! / cycles.get(light.id)!).toBeCloseTo(heavy.runstate.runningNs / light.runstate.runningNs, 2);
  });

  it('counts the PV hypercalls of a hand-fed trace', () => {
    const file = join(dir, 'hand.xentrace');
    writeFileSync(file, handTrace());
    const run = xenalyze(bin!, [...xenalyzeArgs(), '--summary', file]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/xen_version\s+\[17\]:\s+1/);
    expect(runningCyclesByDomain(run.stdout).get(0)).toBe(300); // d0v0 ran from 100 to 400 ns
  });

  it('accepts a bounded recording and accounts the lost stretch as lost', () => {
    const { rec } = recordScenario('credit-weights.yaml', { maxEvents: 200 });
    const file = join(dir, 'bounded.xentrace');
    writeXentrace(file, rec);
    const run = xenalyze(bin!, [...xenalyzeArgs(), '--summary', file]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\s+lost:/m);
    const total = [...runningCyclesByDomain(run.stdout).values()].reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(rec.truncatedAt!);
  });
});
