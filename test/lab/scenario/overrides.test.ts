// Command-line overrides of seed and duration, checked by the scenario file's rules.
import { describe, expect, it } from 'vitest';
import { applyOverrides, parseScenario, type Scenario } from '../../../lab/scenario';

function base(): Scenario {
  const r = parseScenario('name: t\nseed: 42\nduration: 10s\n', 't.yaml');
  if (!r.ok) throw r.error;
  return r.scenario;
}

describe('command-line overrides', () => {
  it('replace the seed and the duration, leaving the scenario itself unchanged', () => {
    const s = base();
    const o = applyOverrides(s, { seed: '7', duration: '250ms' });
    expect(o.seed).toBe(7);
    expect(o.duration).toBe(250_000_000);
    expect(s.seed).toBe(42);
    expect(s.duration).toBe(10_000_000_000);
  });

  it('change nothing when none is given', () => {
    expect(applyOverrides(base(), {})).toEqual(base());
  });

  it('accept a seed given as a number', () => {
    expect(applyOverrides(base(), { seed: 0 }).seed).toBe(0);
  });

  it('reject a duration without a unit with the same message as the file would', () => {
    expect(() => applyOverrides(base(), { duration: '10' }))
      .toThrow('command line: --duration: a duration needs a unit (got 10); write e.g. 10ms or 10s');
  });

  it('reject a zero duration and a bad seed', () => {
    expect(() => applyOverrides(base(), { duration: '0s' })).toThrow('command line: --duration: must be at least 1ns (got 0s)');
    expect(() => applyOverrides(base(), { seed: '-1' })).toThrow('command line: --seed: must be at least 0 (got -1)');
    expect(() => applyOverrides(base(), { seed: 'abc' })).toThrow('command line: --seed: must be a whole number (got "abc")');
    expect(() => applyOverrides(base(), { seed: '1.5' })).toThrow('command line: --seed: must be a whole number (got 1.5)');
  });

  it('throw a ScenarioError that names the option as its key path', () => {
    try {
      applyOverrides(base(), { seed: '-1' });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ name: 'ScenarioError', file: 'command line', keyPath: '--seed', line: undefined });
    }
  });
});
