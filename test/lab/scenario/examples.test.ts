// The example scenarios shipped in scenarios/ load, and say what they are about.
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, ScenarioError } from '../../../lab/scenario';

describe('the example scenarios', () => {
  it('credit-weights pits weight 256 against weight 512 on one pCPU', () => {
    const s = loadScenarioFile('scenarios/credit-weights.yaml');
    expect(s.file).toBe('scenarios/credit-weights.yaml');
    expect(s.host.pcpus).toBe(1);
    expect(s.domains.map((d) => [d.name, d.cpu_weight, d.workload.kind])).toEqual([
      ['light', 256, 'cpu-burn'],
      ['heavy', 512, 'cpu-burn'],
    ]);
  });

  it('boost-latency shares one pCPU between a periodic waker and a CPU hog', () => {
    const s = loadScenarioFile('scenarios/boost-latency.yaml');
    expect(s.scheduler).toEqual({ name: 'credit', tslice: 30_000_000, ratelimit: 1_000_000 });
    expect(s.domains.map((d) => d.workload)).toEqual([
      { kind: 'cpu-periodic', burst: 500_000, period: 10_000_000, jitter: 0.1 },
      { kind: 'cpu-burn' },
    ]);
  });
});

describe('loading a file', () => {
  it('throws a ScenarioError naming the path as given when the file does not exist', () => {
    expect(() => loadScenarioFile('scenarios/no-such.yaml')).toThrow(ScenarioError);
    expect(() => loadScenarioFile('scenarios/no-such.yaml')).toThrow('scenarios/no-such.yaml: cannot read the scenario file: no such file');
  });
});
