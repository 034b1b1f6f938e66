// `pvlab compare`'s own arguments (the workload, its key=value options, --seed, --duration and
// --platform) are checked by the scenario file's rules and reported as typed on the command
// line. Before, they were pasted into the YAML of the comparison's scenario: a value could add
// keys of its own ("bs=4k, size: 1MiB" changed the job's size), errors pointed into that
// invisible document ("compare:13:45"), and --platform with a scenario file was not checked at
// all, so a misspelt platform crashed the run with a TypeError.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { baseScenario, type CompareInput } from '../../lab/compare';
import { loadScenarioFile, ScenarioError, type Scenario } from '../../lab/scenario';
import { FUZZ_SEED, fuzzRuns } from '../fuzz/fuzz-config';

const ROOT = join(import.meta.dirname, '..', '..');

/** The ScenarioError baseScenario throws for `input`, as file, key path and problem. */
function refusal(input: CompareInput): { file: string; keyPath: string; problem: string } {
  try {
    baseScenario(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    const { file, keyPath, problem } = e as ScenarioError;
    return { file, keyPath, problem };
  }
  throw new Error('baseScenario accepted the input');
}

const fio = (options: Record<string, string>): CompareInput => ({ workload: { kind: 'fio', options } });

describe('a built-in workload and its options', () => {
  it('starts fio from the default job (randread, 4 KiB, one request at a time) and changes only what is given', () => {
    const [alone] = baseScenario({}).domains;
    expect(alone!.workload).toMatchObject({ kind: 'fio', rw: 'randread', bs: 4096, iodepth: 1 });
    const [named] = baseScenario(fio({})).domains;
    expect(named!.workload).toEqual(alone!.workload);
    const [big] = baseScenario(fio({ bs: '64k' })).domains;
    expect(big!.workload).toMatchObject({ kind: 'fio', rw: 'randread', bs: 65536, iodepth: 1 });
    const [writes] = baseScenario(fio({ rw: 'randwrite', iodepth: '32' })).domains;
    expect(writes!.workload).toMatchObject({ rw: 'randwrite', bs: 4096, iodepth: 32 });
  });

  it('names a bad option as it was typed, with the rule of the scenario file', () => {
    expect(refusal(fio({ bs: 'abc' }))).toEqual({ file: 'command line', keyPath: 'bs=abc', problem: 'is not a size (got "abc"); write e.g. 4k, 64MiB or 8GiB' });
    expect(refusal(fio({ iodepth: '0' }))).toEqual({ file: 'command line', keyPath: 'iodepth=0', problem: 'must be at least 1 (got 0)' });
    const unknown = refusal(fio({ nosuchkey: '3' }));
    expect(unknown.keyPath).toBe('nosuchkey=3');
    expect(unknown.problem).toMatch(/^unknown key; expected one of: kind, rw, bs, /);
  });

  it('names the workload when a key it needs is missing, or when there is no such workload', () => {
    expect(refusal({ workload: { kind: 'cpu-periodic', options: {} } })).toEqual({ file: 'command line', keyPath: 'cpu-periodic burst', problem: 'is required' });
    const none = refusal({ workload: { kind: 'nosuch', options: {} } });
    expect(none).toMatchObject({ file: 'command line', keyPath: 'nosuch kind' });
    expect(none.problem).toMatch(/^unknown kind "nosuch" \(expected one of cpu-burn, /);
  });

  it('reads a value as one YAML value: it cannot add keys, close the mapping or start a document', () => {
    expect(refusal(fio({ bs: '4k, size: 1MiB' }))).toEqual({ file: 'command line', keyPath: 'bs=4k, size: 1MiB', problem: 'must be a size such as 4k or 8GiB (got a mapping)' });
    expect(refusal(fio({ rw: 'randread}' })).keyPath).toBe('rw=randread}');
    const injected = refusal(fio({ rw: 'randread\nseed: 9' }));
    expect(injected.file).toBe('command line');
    expect(injected.keyPath).toBe('rw=randread\nseed: 9');
  });
});

describe('any option value', () => {
  /** YAML's own punctuation, alone and inside text, beside arbitrary strings. */
  const yamlish = fc.constantFrom('{', '}', '[', ']', ',', ':', ': x', '- x', '&a', '*a', '!!str', '#', '"', "'", '|', '>', '\n', '\t', '---', '...', '%YAML', '?', '@', '`', 'null', '~', '4k', '1', '-1', '1e9', 'true', 'NaN');
  const value = fc.oneof(fc.string(), fc.array(fc.oneof(yamlish, fc.string({ maxLength: 4 })), { maxLength: 5 }).map((xs) => xs.join('')));
  const key = fc.oneof(fc.constantFrom('rw', 'bs', 'iodepth', 'size', 'verify', 'ops', 'rate_iops', 'vdev', 'then'), fc.stringMatching(/^[a-z_]{1,8}$/));
  /** Everything but the guest's workload. */
  const stage = (s: Scenario) => ({ ...s, domains: s.domains.map((d) => ({ ...d, workload: undefined })) });

  it('is taken as that option\'s value, or refused on the command line at that option: no other key moves, nothing throws', () => {
    const plain = baseScenario({});
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 3 }), (options) => {
        let s: Scenario;
        try {
          s = baseScenario(fio(options));
        } catch (e) {
          expect(e).toBeInstanceOf(ScenarioError);
          const err = e as ScenarioError;
          expect(err.file).toBe('command line');
          const labels = [...Object.entries(options).map(([k, v]) => `${k}=${v}`), 'fio'];
          expect(labels.some((l) => err.keyPath === l || err.keyPath.startsWith(`${l} `)), err.message).toBe(true);
          return;
        }
        expect(stage(s)).toEqual(stage(plain));
        const w = s.domains[0]!.workload as unknown as Record<string, unknown>;
        const w0 = plain.domains[0]!.workload as unknown as Record<string, unknown>;
        for (const k of Object.keys({ ...w, ...w0 })) if (!Object.hasOwn(options, k)) expect(w[k], k).toEqual(w0[k]);
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(400) },
    );
  });
});

describe('--seed, --duration and --platform', () => {
  it('are checked by the scenario file\'s rules and reported as options', () => {
    expect(refusal({ seed: 'abc' })).toEqual({ file: 'command line', keyPath: '--seed', problem: 'must be a whole number (got "abc")' });
    expect(refusal({ duration: '1s\nseed: 99' })).toMatchObject({ file: 'command line', keyPath: '--duration' });
    expect(refusal({ platform: 'modren' })).toEqual({ file: 'command line', keyPath: '--platform', problem: 'must be one of modern, core2-2006, xeon-2003 (got "modren"); did you mean \'modern\'?' });
  });

  it('apply to a scenario file as to a built-in workload', () => {
    const file = loadScenarioFile(join(ROOT, 'scenarios', 'pv-vs-hvm.yaml'));
    const s = baseScenario({ scenario: file, seed: '5', duration: '20ms', platform: 'core2-2006' });
    expect([s.seed, s.duration, s.platform]).toEqual([5, 20e6, 'core2-2006']);
    expect(refusal({ scenario: file, platform: 'nosuch' }).keyPath).toBe('--platform');
  });

  it('a misspelt platform with a scenario file is exit status 2 and one line, not a crash', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'pvlab.js'), 'compare', 'scenarios/pv-vs-hvm.yaml', '--modes', 'pv', '--platform', 'nosuch'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('pvlab: command line: --platform: must be one of modern, core2-2006, xeon-2003 (got "nosuch")\n');
  });
});
