// The progress bar: silent for the first two seconds of wall time and whenever stderr is not a
// terminal; then redrawn in place with simulated time and events per second, and cleared at the
// end. Wall time is faked here (the clock is injected), so nothing depends on this machine's
// speed. And watching a run, which cuts it into slices, changes nothing in the run.
import { describe, expect, it } from 'vitest';
import { Progress, watchRun } from '../../lab/cli/progress';
import { baseScenario } from '../../lab/compare';
import { runScenario } from '../../lab/run/runner';
import { parseScenario } from '../../lab/scenario/index';

class FakeTerminal {
  text = '';
  constructor(readonly isTTY: boolean) {}
  columns = 120;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

const visible = (s: string): string => s.replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b[78]/g, '');

describe('the progress bar', () => {
  it('stays silent for the first two seconds, then shows simulated time and events/s', () => {
    const term = new FakeTerminal(true);
    let now = 0;
    const p = new Progress(1000, { stream: term, clock: () => now });
    now = 1999;
    p.update({ done: 100, simulatedNs: 1e9, events: 5000 });
    expect(term.text).toBe('');
    now = 2500;
    p.update({ done: 250, simulatedNs: 2.5e9, events: 1_000_000, label: 'run' });
    expect(p.shown).toBe(true);
    expect(visible(term.text)).toMatch(/run \[.*\] 25% \| 2\.50 s simulated \| 400\.0k events\/s/);
    const before = term.text.length;
    p.stop();
    expect(term.text.slice(before)).toMatch(/\u001b\[2K$/); // the line is cleared
  });

  it('never writes when stderr is not a terminal', () => {
    const pipe = new FakeTerminal(false);
    let now = 0;
    const p = new Progress(1000, { stream: pipe, clock: () => now });
    now = 60_000;
    p.update({ done: 500, simulatedNs: 1e9, events: 1 });
    p.stop();
    expect(pipe.text).toBe('');
    expect(p.shown).toBe(false);
    expect(watchRun(p)).toEqual({});
  });

  it('moves through a real run, slice by slice, when it takes long', () => {
    const term = new FakeTerminal(true);
    let now = 0;
    const p = new Progress(1000, { stream: term, clock: () => (now += 10) });
    const s = parseScenario('name: long\nduration: 200ms\ndomains: [{name: hog, memory: 256, workload: {kind: cpu-burn}}]\n', 'long.yaml');
    if (!s.ok) throw s.error;
    runScenario(s.scenario, watchRun(p, 0, undefined, 'long'));
    p.stop();
    expect(p.shown).toBe(true);
    expect(visible(term.text)).toMatch(/long \[.*\] \d+% \| 0\.\d\d s simulated/);
  });
});

describe('a watched run', () => {
  it('is the same run, event for event, as an unwatched one', () => {
    const scenario = baseScenario({ workload: { kind: 'fio', options: { rw: 'rw', bs: '4k', iodepth: '4' } }, duration: '200ms' });
    const plain = runScenario(scenario).report;
    let slices = 0;
    const watched = runScenario(scenario, { onSlice: () => slices++, slices: 997 }).report;
    expect(slices).toBe(997);
    expect(JSON.stringify(watched)).toBe(JSON.stringify(plain));
  });
});
