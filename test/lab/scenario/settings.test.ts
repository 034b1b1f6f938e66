// `--set key=value`: a value put into the scenario file before it is checked, by the file's own
// rules, with problems placed on the command line under the key that was set.
import { describe, expect, it } from 'vitest';
import { parseKeyPath, parseScenario, parseSetting, ScenarioError, type ParseResult } from '../../../lab/scenario/index';

const FILE = `name: s
scheduler: {tslice: 30ms}
domains:
  - {name: a, memory: 256}
  - {name: b, memory: 256, cpu_weight: 256}
`;

function load(text: string, ...sets: string[]): ParseResult {
  return parseScenario(text, 's.yaml', { settings: sets.map((s) => parseSetting(s)) });
}

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  return 'no error';
}

describe('--set', () => {
  it('reads key paths with list indexes', () => {
    expect(parseKeyPath('domains[1].cpu_weight')).toEqual(['domains', 1, 'cpu_weight']);
    expect(parseKeyPath('host.disks[0].size')).toEqual(['host', 'disks', 0, 'size']);
    expect(message(() => parseKeyPath('a..b'))).toMatch(/^command line: --set a\.\.b: expected a key path/);
  });

  it('reads values as YAML: numbers, text with units, lists', () => {
    expect(parseSetting('a=512').value).toBe(512);
    expect(parseSetting('a=5ms').value).toBe('5ms');
    expect(parseSetting('a=[0, 1]').value).toEqual([0, 1]);
    expect(parseSetting('a=x=y').value).toBe('x=y');
  });

  it('changes the value before the file is checked', () => {
    const r = load(FILE, 'scheduler.tslice=5ms', 'domains[1].cpu_weight=512', 'seed=9');
    if (!r.ok) throw r.error;
    expect(r.scenario.scheduler.tslice).toBe(5_000_000);
    expect(r.scenario.domains[1]!.cpu_weight).toBe(512);
    expect(r.scenario.seed).toBe(9);
  });

  it('makes a mapping the file leaves out', () => {
    const r = load('name: s\n', 'scheduler.tslice=10ms', 'host.pcpus=2');
    if (!r.ok) throw r.error;
    expect(r.scenario.scheduler.tslice).toBe(10_000_000);
    expect(r.scenario.host.pcpus).toBe(2);
  });

  const bad: [string, string][] = [
    ['domains[1].cpu_weight=0', 'command line: --set domains[1].cpu_weight: must be at least 1 (got 0)'],
    ['domains[1].cpu_weight=lots', 'command line: --set domains[1].cpu_weight: must be a whole number (got "lots")'],
    ['scheduler.tslce=5ms', "command line: --set scheduler.tslce: unknown key; did you mean 'tslice'?"],
    ['domains[2].memory=256', 'command line: --set domains[2].memory: domains has 2 entries, so there is no [2]'],
    ['name.first=x', 'command line: --set name.first: name is not a mapping of keys (got "s")'],
    // Values the YAML library cannot turn into data: each was an uncaught exception (an alias
    // with no anchor) or a process warning (a key that is a list) before the value went through
    // the file's own reader.
    ['seed=*a', 'command line: --set seed: the value "*a" is not valid YAML: *a has no &a before it to copy (an alias copies what an anchor set before it holds)'],
    ['seed={[a]: 1}', 'command line: --set seed: the value "{[a]: 1}" is not valid YAML: a key must be a name such as vcpus (got a list)'],
    ['seed=[1', 'command line: --set seed: the value "[1" is not valid YAML: Flow sequence must end with a ]'],
    [`seed=${'['.repeat(100)}`, `command line: --set seed: the value "${'['.repeat(100)}" is not valid YAML: nested more than 64 levels deep (a scenario's values are a few levels deep at most)`],
  ];
  for (const [set, want] of bad) {
    it(`blames the command line for ${set}`, () => {
      expect(message(() => {
        const r = load(FILE, set);
        if (!r.ok) throw r.error;
      })).toBe(want);
    });
  }

  it('still places problems elsewhere in the file in the file', () => {
    const r = load(FILE.replace('{name: a, memory: 256}', '{name: a, memory: 4}'), 'domains[1].cpu_weight=512');
    expect(r.ok ? '' : r.error.message).toMatch(/^s\.yaml:4:\d+: domains\[0\]\.memory/);
  });
});
