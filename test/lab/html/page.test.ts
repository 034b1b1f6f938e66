// The report page without a browser: one self-contained file (ECharts inlined, nothing to
// fetch), data that cannot break out of its <script> element, the charts each page promises,
// and a pCPU timeline that stays drawable however busy the run was.
import { describe, expect, it } from 'vitest';
import { compare } from '../../../lab/compare';
import { TraceRecorder } from '../../../lab/export/recorder';
import { comparePage, modeView, type ModeView } from '../../../lab/html/compare-page';
import { pageCharts, renderPage, scriptJson } from '../../../lab/html/page';
import { runPage } from '../../../lab/html/run-page';
import { MAX_SLICES, timelineData } from '../../../lab/html/timeline';
import { runScenario } from '../../../lab/run/runner';
import { parseScenario } from '../../../lab/scenario/index';
import { handRecorder } from '../export/record-run';

function scenario(text: string) {
  const r = parseScenario(text, 'page.yaml');
  if (!r.ok) throw r.error;
  return r.scenario;
}

function recordedRun(text: string) {
  let recorder: TraceRecorder | undefined;
  const { world, report } = runScenario(scenario(text), { onWorld: (w) => (recorder = TraceRecorder.attach(w)) });
  return { world, report, recorder: recorder! };
}

const TWO = `name: 'two </script><script>alert(1)</script>'
duration: 300ms
host: {pcpus: 2}
domains:
  - {name: hog, memory: 256, workload: {kind: cpu-burn}}
  - {name: tick, memory: 256, workload: {kind: cpu-periodic, burst: 200us, period: 2ms, jitter: 0.5}}
`;

const dataOf = (html: string): { charts: { id: string }[] } =>
  JSON.parse(/<script type="application\/json" id="pvlab-data">(.*?)<\/script>/s.exec(html)![1]!);

describe('a run report page', () => {
  const run = recordedRun(TWO);
  const model = runPage(run);
  const html = renderPage(model);

  it('is one file that fetches nothing: ECharts and the data are inlined', () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('Licensed to the Apache Software Foundation');
    // The markup around the three inline scripts loads nothing (the browser test watches the
    // scripts themselves: no request leaves the page).
    const markup = html.replace(/(<script[^>]*>)[\s\S]*?<\/script>/g, '$1</script>');
    expect(markup.match(/<script/g)).toHaveLength(3);
    expect(markup.match(/\ssrc=|\shref=|<link|<img|<iframe|@import|url\(/gi)).toBeNull();
  });

  it('keeps a scenario name from ending its script or making markup', () => {
    expect(html).toContain('two &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
    expect(scriptJson({ s: '</script>' })).toBe('{"s":"\\u003c/script>"}');
    expect(dataOf(html).charts.map((c) => c.id)).toEqual(pageCharts(model).map((c) => c.id));
  });

  it('has the domains table and the charts a run report promises', () => {
    expect(pageCharts(model).map((c) => c.id)).toEqual(['runstates', 'pcpu-time', 'latency', 'timeline', 'vmexits', 'hypercalls']);
    expect(model.sections[0]!.tables![0]!.rows.map((r) => r[0])).toEqual(['Domain-0', 'hog', 'tick']);
    for (const c of pageCharts(model)) expect(html).toContain(`<div class="chart" id="${c.id}" style="height:${c.height}px">`);
  });

  it('draws what each pCPU ran on the timeline, in the run\'s time', () => {
    const t = pageCharts(model).find((c) => c.id === 'timeline')!.timeline!;
    expect(t.pcpus).toEqual([0, 1]);
    expect(t.domains.map((d) => d.label)).toEqual(expect.arrayContaining(['d1 hog', 'd2 tick']));
    expect(t.fromMs).toBe(0);
    expect(t.toMs).toBe(300);
    for (const [row, start, end] of t.slices) {
      expect(row === 0 || row === 1).toBe(true);
      expect(start).toBeLessThan(end);
    }
  });
});

describe('a comparison page', () => {
  it('has the table, the relative scores, time, latency, counts and one timeline per mode', () => {
    const runs: ModeView[] = [];
    const recorders = new Map<string, TraceRecorder>();
    const c = compare({ workload: { kind: 'fio', options: { rw: 'randread', bs: '4k', iodepth: '1' } }, modes: ['native', 'pv', 'hvm'], duration: '50ms' }, {
      run: (mode) => ({ onWorld: (w) => recorders.set(mode, TraceRecorder.attach(w)) }),
      done: (mode, { world, report }) => runs.push(modeView(mode, world, report, recorders.get(mode)!)),
    });
    const model = comparePage(c, runs);
    const ids = pageCharts(model).map((x) => x.id);
    expect(ids).toEqual(['relative', 'where-time-went', 'latency', 'vmexits', 'hypercalls', 'timeline-native', 'timeline-pv', 'timeline-hvm']);
    const relative = pageCharts(model)[0]!.option as { series: { data: number[] }[] };
    expect(relative.series[0]!.data).toEqual(c.rows.map((r) => r.relativeToNative));
    const exits = pageCharts(model).find((x) => x.id === 'vmexits')!.option as { yAxis: { data: string[] }; series: { name: string; data: number[] }[] };
    expect(exits.yAxis.data).toEqual(['native', 'pv', 'hvm']);
    const total = exits.series.reduce((a, s) => a + s.data[2]!, 0);
    expect(total).toBeCloseTo(c.rows[2]!.exitsPerOp, 2);
    expect(model.sections[0]!.tables![0]!.rows.map((r) => r[0])).toEqual(['native', 'pv', 'hvm']);
  });
});

describe('the pCPU timeline of a busy run', () => {
  it('shows a window from the middle of the run when there are too many slices, and says so', () => {
    const rec = handRecorder(1, [[1, 0, 'runnable'], [2, 0, 'runnable']]);
    const n = 3 * MAX_SLICES;
    for (let i = 0; i < n; i++) rec.record({ type: 'sched', t: i * 1000, pcpu: 0, dom: 1 + (i % 2), vcpu: 0, reason: 'preempted' } as never);
    rec.stop(n * 1000);
    const { data, note } = timelineData(rec);
    expect(data.slices.length).toBeLessThanOrEqual(MAX_SLICES + 1);
    expect(data.slices.length).toBeGreaterThan(MAX_SLICES - 2);
    expect(data.fromMs).toBeCloseTo(n / 2 / 1000, 3);
    expect(note).toMatch(/ms shown \(\d+ of \d+ slices\)/);
    const whole = handRecorder(1, [[1, 0, 'runnable']]);
    whole.record({ type: 'sched', t: 0, pcpu: 0, dom: 1, vcpu: 0, reason: 'preempted' } as never);
    whole.stop(5000);
    expect(timelineData(whole).note).toBeUndefined();
  });
});
