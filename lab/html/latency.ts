// Latency distributions for the report page: a histogram read at fixed percentiles (50 ... 99.99
// and the maximum), the way HdrHistogram plots them, in microseconds. The histograms are the
// run's own (vCPU wake latency, a fio job's I/O latency), taken from the world after the run.
import { Histogram } from '../../hw/histogram';
import type { World } from '../run/world';
import type { Series } from './charts';

export const PERCENTILES: readonly [string, number][] = [
  ['50', 0.5], ['75', 0.75], ['90', 0.9], ['95', 0.95], ['99', 0.99], ['99.9', 0.999], ['99.99', 0.9999], ['max', 1],
];

export const PERCENTILE_LABELS = PERCENTILES.map(([label]) => label);

/** The histogram at each of PERCENTILES, in µs (two decimals). */
export function percentileSeries(name: string, h: Histogram): Series {
  return { name, values: PERCENTILES.map(([, q]) => Math.round((q === 1 ? h.max : h.quantile(q)) / 10) / 100) };
}

/** Every vCPU's wake latency in one domain, merged. */
export function wakeHistogram(w: World, dom: number): Histogram {
  const h = new Histogram();
  for (const v of w.hv.domain(dom)?.vcpus ?? []) h.merge(v.wakeLatency);
  return h;
}

/** The series worth plotting for a world: each guest's I/O latency, else its wake latency. */
export function latencyOf(w: World, dom: number): { series: Histogram; what: 'I/O' | 'wake' } {
  const g = w.guests.find((x) => x.domain.id === dom);
  if (g?.fio && g.fio.latency.count > 0) return { series: g.fio.latency, what: 'I/O' };
  return { series: wakeHistogram(w, dom), what: 'wake' };
}
