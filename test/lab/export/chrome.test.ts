// The Chrome trace export: a real run's file follows the Trace Event Format's rules, its
// pCPU tracks cover the simulated time, and its vCPU tracks agree with the run's report;
// hand-fed events show the instants, counters and event-channel flows.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromeTrace, writeChromeTrace, PCPUS_PID, domainPid, pcpuTid, vcpuTid, type ChromeEvent } from '../../../lab/export/chrome';
import { checkChromeTrace, slicesByTrack } from './chrome-rules';
import { handRecorder, handReport, recordScenario } from './record-run';

describe('the Chrome trace of credit-weights', () => {
  const { rec, report } = recordScenario('credit-weights.yaml');
  const dir = mkdtempSync(join(tmpdir(), 'pvlab-chrome-'));
  writeChromeTrace(join(dir, 'trace.json'), rec, report);
  const file = JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')) as { traceEvents: ChromeEvent[]; displayTimeUnit: string };
  const events = file.traceEvents;

  it('follows the format: phases, times, names, nesting, metadata, counters, flows', () => {
    expect(checkChromeTrace(file)).toEqual([]);
    expect(events.filter((e) => e.ph === 'X').length).toBeGreaterThan(300);
    expect(events.filter((e) => e.ph === 'C').length).toBeGreaterThan(100);
  });

  it('names one process "pCPUs" and one process per domain, with a track per pCPU and vCPU', () => {
    const procs = events.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.args!.name);
    expect(procs).toContain('pCPUs');
    for (const d of report.domains) expect(procs.some((n) => String(n).startsWith(`d${d.id} ${d.name}`))).toBe(true);
    const threads = events.filter((e) => e.ph === 'M' && e.name === 'thread_name');
    expect(threads.some((e) => e.pid === PCPUS_PID && e.tid === pcpuTid(0) && e.args!.name === 'pCPU 0')).toBe(true);
    for (const d of report.domains) expect(threads.some((e) => e.pid === domainPid(d.id) && e.tid === vcpuTid(0))).toBe(true);
  });

  it('covers the whole simulated time on every pCPU, with slices named dNvM or idle', () => {
    const slices = slicesByTrack(events).get(`${PCPUS_PID}/${pcpuTid(0)}`)!;
    expect(slices[0]!.start).toBe(0);
    for (let i = 1; i < slices.length; i++) expect(slices[i]!.start).toBe(slices[i - 1]!.end);
    expect(slices[slices.length - 1]!.end).toBe(report.simulatedNs);
    for (const s of slices) expect(s.name).toMatch(/^(d\d+v\d+|idle)$/);
  });

  it('gives each domain the running time the report gives it, and accounts all its time', () => {
    const byTrack = slicesByTrack(events);
    for (const d of report.domains) {
      const slices = byTrack.get(`${domainPid(d.id)}/${vcpuTid(0)}`) ?? [];
      const time = (name: string): number => slices.filter((s) => s.name === name).reduce((n, s) => n + s.end - s.start, 0);
      expect(time('running'), d.name).toBe(d.runstate.runningNs);
      expect(time('offline'), d.name).toBe(d.runstate.offlineNs);
      // Inferred runstates cannot see a wake-up: the wait after it shows as blocked.
      expect(time('runnable') + time('blocked'), d.name).toBe(d.runstate.runnableNs + d.runstate.blockedNs);
    }
  });

  it('shows the heavy domain running about twice as long as the light one', () => {
    const pcpu = slicesByTrack(events).get(`${PCPUS_PID}/${pcpuTid(0)}`)!;
    const ran = (dom: number): number => pcpu.filter((s) => s.name === `d${dom}v0`).reduce((n, s) => n + s.end - s.start, 0);
    const light = report.domains.find((d) => d.name === 'light')!.id;
    const heavy = report.domains.find((d) => d.name === 'heavy')!.id;
    expect(ran(heavy) / ran(light)).toBeGreaterThan(1.8);
    expect(ran(heavy) / ran(light)).toBeLessThan(2.2);
  });
});

describe('the Chrome trace of hand-fed events', () => {
  // d1v0 sends on an event channel to d2 (blocked), then d2v0 is dispatched on pCPU 1.
  function run(): ChromeEvent[] {
    const rec = handRecorder(2, [[1, 0, 'runnable'], [2, 0, 'blocked']]);
    rec.record({ type: 'sched', t: 1_000, pcpu: 0, dom: 1, vcpu: 0, reason: 'preempted', detail: '' });
    rec.record({ type: 'hypercall', t: 2_000, dom: 1, vcpu: 0, name: 'event_channel_op', op: '4', rc: 0 });
    rec.record({ type: 'evtchn', t: 2_000, dom: 1, port: 3, what: 'send', peer: { dom: 2, port: 5 } });
    rec.record({ type: 'credit-acct', t: 2_500, dom: 1, vcpu: 0, credit: -40, pri: 'OVER', parked: false });
    rec.record({ type: 'tickle', t: 2_600, pcpu: 1, dom: -1, vcpu: -1, why: 'wake' });
    rec.record({ type: 'sched', t: 3_000, pcpu: 1, dom: 2, vcpu: 0, reason: 'preempted', detail: '' });
    rec.record({ type: 'evtchn', t: 4_000, dom: 2, port: 5, what: 'send', peer: { dom: 1, port: 3 } });
    rec.record({ type: 'note', t: 4_500, dom: 2, what: 'hello' });
    rec.stop(10_000);
    const trace = chromeTrace(rec, handReport(10_000, [1, 2]));
    expect(checkChromeTrace(trace)).toEqual([]);
    return trace.traceEvents;
  }

  it('draws a hypercall as an instant on the calling vCPU track', () => {
    const call = run().find((e) => e.ph === 'i' && e.name === 'hypercall event_channel_op')!;
    expect(call).toMatchObject({ ts: 2, pid: domainPid(1), tid: vcpuTid(0), args: { op: '4', rc: 0 } });
  });

  it('draws credit as a counter per vCPU', () => {
    const c = run().find((e) => e.ph === 'C')!;
    expect(c).toMatchObject({ name: 'credit d1v0', ts: 2.5, pid: domainPid(1), args: { credit: -40 } });
  });

  it('links a send to the dispatch of the blocked receiver, and to a receiver already running', () => {
    const flows = run().filter((e) => e.ph === 's' || e.ph === 'f');
    expect(flows).toHaveLength(4);
    const [s1, f1, s2, f2] = flows;
    expect(s1).toMatchObject({ ph: 's', ts: 2, pid: domainPid(1), tid: vcpuTid(0) });
    expect(f1).toMatchObject({ ph: 'f', id: s1!.id, ts: 3, pid: domainPid(2), tid: vcpuTid(0), bp: 'e' });
    expect(s2).toMatchObject({ ph: 's', ts: 4, pid: domainPid(2) });
    expect(f2).toMatchObject({ ph: 'f', id: s2!.id, ts: 4, pid: domainPid(1) });
    expect(s1!.id).not.toBe(s2!.id);
  });

  it('draws tickles on the pCPU track and notes on the domain', () => {
    const evs = run();
    expect(evs.find((e) => e.name === 'tickle')).toMatchObject({ ph: 'i', pid: PCPUS_PID, tid: pcpuTid(1), args: { why: 'wake', current: 'idle' } });
    expect(evs.find((e) => e.name === 'hello')).toMatchObject({ ph: 'i', s: 'p', pid: domainPid(2) });
  });

  it('leaves out a flow whose receiver never wakes', () => {
    const rec = handRecorder(1, [[1, 0, 'runnable'], [2, 0, 'blocked']]);
    rec.record({ type: 'sched', t: 1_000, pcpu: 0, dom: 1, vcpu: 0, reason: 'preempted', detail: '' });
    rec.record({ type: 'evtchn', t: 2_000, dom: 1, port: 3, what: 'send', peer: { dom: 2, port: 5 } });
    rec.stop(5_000);
    const trace = chromeTrace(rec, handReport(5_000, [1, 2]));
    expect(trace.traceEvents.filter((e) => e.ph === 's' || e.ph === 'f')).toEqual([]);
    expect(checkChromeTrace(trace)).toEqual([]);
  });
});

describe('a bounded recording', () => {
  it('keeps the first events, counts the rest, and ends its tracks where it stopped', () => {
    const { rec, report } = recordScenario('credit-weights.yaml', { maxEvents: 200 });
    expect(rec.events).toHaveLength(200);
    expect(rec.dropped).toBeGreaterThan(0);
    const trace = chromeTrace(rec, report);
    expect(checkChromeTrace(trace)).toEqual([]);
    const pcpu = slicesByTrack(trace.traceEvents).get(`${PCPUS_PID}/${pcpuTid(0)}`)!;
    expect(pcpu[pcpu.length - 1]!.end).toBe(rec.truncatedAt);
    expect(trace.otherData).toMatchObject({ dropped: rec.dropped, recordedToNs: rec.truncatedAt });
  });
});
