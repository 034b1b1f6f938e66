// Helpers for the export tests: run a scenario file with a TraceRecorder attached, or build a
// recorder by hand and feed it synthetic events (for event types the simulator does not
// publish yet).
import { fileURLToPath } from 'node:url';
import type { Runstate } from '../../../hypervisor/public/xen';
import { TraceRecorder, type RecorderOptions } from '../../../lab/export/recorder';
import type { ChromeReportPart } from '../../../lab/export/chrome';
import type { RunReport } from '../../../lab/run/report';
import { runScenario } from '../../../lab/run/runner';
import { loadScenarioFile } from '../../../lab/scenario/index';

export const scenarioPath = (name: string): string => fileURLToPath(new URL(`../../../scenarios/${name}`, import.meta.url));

export function recordScenario(name: string, opts: RecorderOptions = {}): { rec: TraceRecorder; report: RunReport } {
  let rec: TraceRecorder | undefined;
  const { report } = runScenario(loadScenarioFile(scenarioPath(name)), { onWorld: (w) => (rec = TraceRecorder.attach(w, opts)) });
  rec!.stop();
  return { rec: rec!, report };
}

/** A host with `pcpus` idle pCPUs and the given vCPUs, all PV, recording from t = 0. */
export function handRecorder(pcpus: number, vcpus: [dom: number, vcpu: number, state: Runstate][], opts: RecorderOptions = {}): TraceRecorder {
  const doms = [...new Set(vcpus.map(([d]) => d))];
  return new TraceRecorder(
    {
      t: 0,
      pcpus: Array.from({ length: pcpus }, () => null),
      vcpus: vcpus.map(([dom, vcpu, state]) => ({ ref: { dom, vcpu }, state, pcpu: 0 })),
      domains: doms.map((id) => ({ id, name: id === 0 ? 'Domain-0' : `guest${id}`, type: 'pv', paused: 0, stopped: false })),
    },
    opts,
  );
}

/** The part of a report the Chrome exporter reads, for hand-fed recorders. */
export function handReport(simulatedNs: number, doms: number[]): ChromeReportPart {
  return {
    scenario: 'hand-made',
    seed: 1,
    simulatedNs,
    domains: doms.map((id) => ({ id, name: id === 0 ? 'Domain-0' : `guest${id}`, type: 'pv', weight: 256 })),
  };
}
