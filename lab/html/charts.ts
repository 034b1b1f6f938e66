// Apache ECharts options for the report page's charts, built here as plain JSON so they can be
// checked in tests and embedded in the page as data. Only the pCPU timeline needs code in the
// browser (its rectangles are drawn by a custom series: see client.js); every other chart is
// an option object that the page hands to echarts.setOption as it is. Times are converted to
// the unit the axis names (µs or ms) here, so no formatter function is needed in the page.
import type { PageChart, TimelineData } from './model';

export type EChartsOption = Record<string, unknown>;

export interface Series {
  name: string;
  values: number[];
}

/** A palette that tells up to ten series apart and stays readable in print. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

const BASE: EChartsOption = {
  animation: false,
  color: PALETTE,
  textStyle: { fontFamily: 'system-ui, sans-serif' },
};

function grid(left = 110): EChartsOption {
  return { left, right: 24, top: 40, bottom: 36, containLabel: false };
}

/** Horizontal bars, one per category (e.g. score relative to native, per mode). */
export function barChart(categories: string[], values: number[], opts: { axis: string; mark?: number; label?: string }): EChartsOption {
  return {
    ...BASE,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: grid(),
    xAxis: { type: 'value', name: opts.axis, nameLocation: 'middle', nameGap: 24 },
    yAxis: { type: 'category', data: categories, inverse: true },
    series: [{
      type: 'bar', name: opts.label ?? opts.axis, data: values, label: { show: true, position: 'right' },
      ...(opts.mark === undefined ? {} : { markLine: { symbol: 'none', data: [{ xAxis: opts.mark }], label: { formatter: String(opts.mark) } } }),
    }],
  };
}

/** Stacked horizontal bars: one bar per category, one segment per series. */
export function stackedBars(categories: string[], series: Series[], opts: { axis: string; max?: number }): EChartsOption {
  return {
    ...BASE,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 4, type: 'scroll' },
    grid: grid(),
    xAxis: { type: 'value', name: opts.axis, nameLocation: 'middle', nameGap: 24, ...(opts.max === undefined ? {} : { max: opts.max }) },
    yAxis: { type: 'category', data: categories, inverse: true },
    series: series.map((s) => ({ type: 'bar', stack: 'total', name: s.name, data: s.values, emphasis: { focus: 'series' } })),
  };
}

/** Latency at each percentile, one line per series, on a log axis (HdrHistogram's plot). */
export function percentileChart(percentiles: string[], series: Series[], unit: string): EChartsOption {
  const positive = series.some((s) => s.values.some((v) => v > 0));
  return {
    ...BASE,
    tooltip: { trigger: 'axis' },
    legend: { top: 4, type: 'scroll' },
    grid: grid(64),
    xAxis: { type: 'category', data: percentiles, name: 'percentile', nameLocation: 'middle', nameGap: 24, boundaryGap: false },
    yAxis: { type: positive ? 'log' : 'value', name: `latency (${unit})`, logBase: 10 },
    series: series.map((s) => ({ type: 'line', name: s.name, data: s.values.map((v) => (positive && v <= 0 ? null : v)), symbolSize: 6 })),
  };
}

/** The part of the pCPU timeline's option that is plain data; client.js adds renderItem. */
export function timelineChart(id: string, title: string, data: TimelineData, note?: string): PageChart {
  const rows = data.pcpus.length;
  const option: EChartsOption = {
    ...BASE,
    tooltip: { trigger: 'item' },
    legend: { top: 4, data: data.domains.map((d) => d.label), type: 'scroll' },
    grid: { left: 64, right: 24, top: 40, bottom: 56 },
    xAxis: { type: 'value', name: 'simulated time (ms)', nameLocation: 'middle', nameGap: 24, min: data.fromMs, max: data.toMs, scale: true },
    yAxis: { type: 'category', data: data.pcpus.map((p) => `pCPU ${p}`), inverse: true },
    dataZoom: [{ type: 'inside', filterMode: 'weakFilter' }, { type: 'slider', height: 14, bottom: 6, filterMode: 'weakFilter' }],
    series: data.domains.map((d) => ({ type: 'custom', name: d.label, itemStyle: { color: d.color }, encode: { x: [1, 2], y: 0 }, data: [] })),
  };
  return { id, title, note, kind: 'timeline', height: 110 + 34 * rows, option, timeline: data };
}
