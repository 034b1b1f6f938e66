// The recorded pCPU timeline against the hypervisor's own runstate accounting, for a guest
// in each of the paravirtual modes (pv, pvhvm, pvh) doing disk I/O beside dom0 on a one- and
// a two-pCPU host. A vCPU switch that reached the pCPU without a 'sched'/'idle' event, or a
// mode whose vCPUs the recorder did not key, would show as a domain whose recorded time on
// the pCPUs falls short of (or exceeds) the running time its vCPUs were charged. The same
// totals are checked where the timeline is read: the HTML page's data and the Chrome trace.
import { describe, expect, it } from 'vitest';
import { chromeTrace, PCPUS_PID } from '../../../lab/export/chrome';
import { TraceRecorder } from '../../../lab/export/recorder';
import { timelineData } from '../../../lab/html/timeline';
import { baseScenario, withMode, type CompareMode } from '../../../lab/compare';
import type { RunReport } from '../../../lab/run/report';
import { runScenario } from '../../../lab/run/runner';

const MODES: CompareMode[] = ['pv', 'pvhvm', 'pvh'];
const HOSTS = [1, 2];

function record(mode: CompareMode, pcpus: number): { rec: TraceRecorder; report: RunReport } {
  const base = baseScenario({ duration: '80ms', seed: 3 }); // fio randread 4k, iodepth 1
  const scenario = withMode({ ...base, host: { ...base.host, pcpus } }, mode, undefined);
  let rec: TraceRecorder | undefined;
  const { report } = runScenario(scenario, { onWorld: (w) => (rec = TraceRecorder.attach(w)) });
  rec!.stop();
  return { rec: rec!, report };
}

/** Per domain: total time and number of slices on the pCPU tracks of the recorder's timeline. */
function recordedByDomain(rec: TraceRecorder): Map<number, { ns: number; slices: number }> {
  const by = new Map<number, { ns: number; slices: number }>();
  for (const p of rec.timeline.pcpus) {
    for (const s of p.slices) {
      if (!s.value) continue;
      const d = by.get(s.value.dom) ?? { ns: 0, slices: 0 };
      d.ns += s.end - s.start;
      d.slices++;
      by.set(s.value.dom, d);
    }
  }
  return by;
}

describe.each(MODES)('the recorded pCPU timeline of a %s guest doing fio beside dom0', (mode) => {
  describe.each(HOSTS)('on %i pCPU(s)', (pcpus) => {
    const { rec, report } = record(mode, pcpus);
    const guest = report.domains.find((d) => d.id !== 0)!;
    const recorded = recordedByDomain(rec);

    it('runs the guest in the mode asked for, and it does I/O', () => {
      expect(guest.mode).toBe(mode);
      expect(rec.timeline.endNs).toBe(report.simulatedNs);
      expect(guest.workload.kind).toBe('fio');
      expect(guest.workload.ops).toBeGreaterThan(100);
    });

    it("gives each domain as much pCPU time as its vCPUs' running runstate was charged", () => {
      for (const d of report.domains) {
        const r = recorded.get(d.id)?.ns ?? 0;
        expect(d.runstate.runningNs).toBeGreaterThan(0);
        expect(Math.abs(r - d.runstate.runningNs), `d${d.id} ${d.name}`).toBeLessThanOrEqual(1000);
      }
    });

    it('shows the guest in many short slices, and dom0 too', () => {
      expect(recorded.get(guest.id)!.slices).toBeGreaterThan(200);
      expect(recorded.get(0)!.slices).toBeGreaterThan(200);
    });

    it("agrees with each vCPU track's running slices", () => {
      for (const d of report.domains) {
        const running = rec.timeline.vcpus
          .filter((v) => v.dom === d.id)
          .flatMap((v) => v.slices.filter((s) => s.value === 'running'))
          .reduce((a, s) => a + s.end - s.start, 0);
        expect(running, `d${d.id}`).toBe(recorded.get(d.id)!.ns);
      }
    });

    if (pcpus === 1) {
      it('alternates guest and dom0 slices on the one pCPU', () => {
        const doms = rec.timeline.pcpus[0]!.slices.filter((s) => s.value).map((s) => s.value!.dom);
        let changes = 0;
        for (let i = 1; i < doms.length; i++) if (doms[i] !== doms[i - 1]) changes++;
        expect(changes).toBeGreaterThan(400);
      });
    }

    it("carries the same per-domain time into the HTML page's timeline data", () => {
      const { data, note } = timelineData(rec);
      expect(note).toBeUndefined(); // the whole run fits: no window
      for (const d of report.domains) {
        const i = data.domains.findIndex((x) => x.dom === d.id);
        expect(i, `d${d.id} in the chart`).toBeGreaterThanOrEqual(0);
        const rows = data.slices.filter((s) => s[3] === i);
        const ms = rows.reduce((a, s) => a + s[2] - s[1], 0);
        // Slice ends are rounded to the microsecond on the page.
        expect(Math.abs(ms - d.runstate.runningNs / 1e6)).toBeLessThanOrEqual(0.001 * rows.length + 1e-6);
      }
    });

    it('carries the same per-domain time into the Chrome trace', () => {
      const trace = chromeTrace(rec, report);
      for (const d of report.domains) {
        const us = trace.traceEvents
          .filter((e) => e.ph === 'X' && e.pid === PCPUS_PID && e.args?.dom === d.id)
          .reduce((a, e) => a + e.dur!, 0);
        expect(Math.abs(us * 1000 - d.runstate.runningNs), `d${d.id}`).toBeLessThanOrEqual(1000);
      }
    });
  });
});
