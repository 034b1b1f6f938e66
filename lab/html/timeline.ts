// The pCPU timeline for the report page, from a trace recorder's timeline (lab/export): which
// domain's vCPU ran on each pCPU, from when to when, idle left blank. A busy run switches
// vCPUs tens of thousands of times a second, more rectangles than a page can hold and an eye
// can tell apart, so when the whole run has more than MAX_SLICES slices the chart shows one
// window of it, from the middle of the run (past boot), as long as fits, and says which.
import type { TraceRecorder } from '../export/recorder';
import type { Slice, VcpuRef } from '../export/timeline';
import { PALETTE } from './charts';
import type { TimelineData, TimelineDomain } from './model';

/** Rectangles one timeline chart holds at most. */
export const MAX_SLICES = 6000;

const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;

interface Placed {
  row: number;
  slice: Slice<VcpuRef | null>;
}

/** The timeline of a stopped recorder; `names` labels domains (else the recorder's names). */
export function timelineData(rec: TraceRecorder, names: ReadonlyMap<number, string> = new Map()): { data: TimelineData; note?: string } {
  rec.stop();
  const tl = rec.timeline;
  const from = tl.startNs;
  const to = tl.endNs ?? from;
  const busy: Placed[] = tl.pcpus.flatMap((p, row) => p.slices.filter((s) => s.value !== null).map((slice) => ({ row, slice })));
  const window = chooseWindow(busy, from, to);
  const ids = [...new Set(busy.map((b) => b.slice.value!.dom))].sort((a, b) => a - b);
  const domains: TimelineDomain[] = ids.map((dom, i) => ({
    dom, label: `d${dom} ${names.get(dom) ?? tl.domains.get(dom)?.name ?? ''}`.trim(), color: PALETTE[i % PALETTE.length]!,
  }));
  const index = new Map(ids.map((d, i) => [d, i]));
  const slices = busy
    .filter((b) => b.slice.end > window.from && b.slice.start < window.to)
    .map((b): [number, number, number, number, number] => [
      b.row, ms(Math.max(b.slice.start, window.from)), ms(Math.min(b.slice.end, window.to)), index.get(b.slice.value!.dom)!, b.slice.value!.vcpu,
    ]);
  const data: TimelineData = { pcpus: tl.pcpus.map((p) => p.pcpu), domains, slices, fromMs: ms(window.from), toMs: ms(window.to) };
  const whole = window.from === from && window.to === to;
  const note = whole ? undefined : `${ms(window.from - from)} ms to ${ms(window.to - from)} ms of ${ms(to - from)} ms shown (${slices.length} of ${busy.length} slices); scroll to zoom`;
  return { data, note };
}

/** The whole run if it fits; else the longest window from its middle holding MAX_SLICES. */
function chooseWindow(busy: Placed[], from: number, to: number): { from: number; to: number } {
  if (busy.length <= MAX_SLICES) return { from, to };
  const mid = from + Math.floor((to - from) / 2);
  const starts = busy.map((b) => b.slice.start).filter((s) => s >= mid).sort((a, b) => a - b);
  if (starts.length <= MAX_SLICES) {
    const all = busy.map((b) => b.slice.start).sort((a, b) => a - b);
    return { from: all[Math.max(0, all.length - MAX_SLICES)]!, to };
  }
  return { from: mid, to: starts[MAX_SLICES - 1]! };
}
