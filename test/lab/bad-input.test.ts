// The bad-input corpus (issue 9, item 5): every malformed scenario file in
// test/fixtures/bad/scenarios and xl.cfg file in test/fixtures/bad/xlcfg gets, from `pvlab run`,
// exit status 2, nothing on stdout and exactly one line on stderr naming the file, the line and
// column and the key (DESIGN.md "Errors"), and nothing half-created: no world, no engine.
//
// Each file's first line says what it must print: `# expect: <file>:<line>:<column>: <key>: <problem>`,
// with <file> relative to the file's own folder (a scenario may point into an xl.cfg file), and
// `...` standing for text that depends on the machine (a path) or is not worth spelling (garbage).
// The two empty files cannot say anything; EXPECT_EMPTY does.
//
// How the CLI runs: every file goes through main() of lab/cli/main.ts in this process, with
// process.stdout and process.stderr captured (the code path of `pvlab run`, without starting
// Node and tsx, which takes 0.5–2 s per file). SPAWNED, one file of each family, also go
// through the real command, `node bin/pvlab.js run <file>` in child processes started side by
// side, and must print exactly what main() printed in-process.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../lab/cli/main';
import { loadConfigAsScenario } from '../../lab/config';
import { parseScenario, ScenarioError } from '../../lab/scenario';

const built = vi.hoisted(() => ({ worlds: 0, engines: 0 }));

vi.mock('../../lab/run/world', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lab/run/world')>();
  return { ...real, buildWorld: (...args: Parameters<typeof real.buildWorld>) => (built.worlds++, real.buildWorld(...args)) };
});

vi.mock('../../hw/engine', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../hw/engine')>();
  class CountedEngine extends real.Engine {
    constructor(...args: ConstructorParameters<typeof real.Engine>) {
      super(...args);
      built.engines++;
    }
  }
  return { ...real, Engine: CountedEngine };
});

const ROOT = join(import.meta.dirname, '..', '..');
const BAD = 'test/fixtures/bad';
const corpus = (dir: string, ext: string) => readdirSync(join(ROOT, BAD, dir)).filter((f) => f.endsWith(ext)).sort().map((f) => `${BAD}/${dir}/${f}`);
const SCENARIOS = corpus('scenarios', '.yaml');
const CONFIGS = corpus('xlcfg', '.cfg');

const EXPECT_EMPTY: Record<string, string> = {
  [`${BAD}/scenarios/empty.yaml`]: 'empty.yaml:1:1: a scenario must be a mapping of keys such as name: and domains: (got nothing)',
  [`${BAD}/xlcfg/empty.cfg`]: 'empty.cfg:1:1: name: is required',
};

const SPAWNED = [
  'scenarios/syntax-unclosed-quote.yaml', 'scenarios/memory-above-host.yaml', 'scenarios/deeply-nested.yaml',
  'scenarios/alias-bomb.yaml', 'scenarios/config-memory-above-host.yaml', 'xlcfg/true-flag.cfg',
].map((f) => `${BAD}/${f}`);

/** Problems about the file as a whole, or its syntax, which have no key to name. */
const NO_KEY = /^(YAML syntax error|syntax error|a scenario must be a mapping)/;

/** The expected stderr line, without `pvlab: `, from the file's header; `...` is a wildcard. */
function expectation(file: string): string {
  const header = EXPECT_EMPTY[file] ?? /^\uFEFF?# expect: (.*?)\r?$/m.exec(readFileSync(join(ROOT, file), 'utf8').split('\n')[0]!)?.[1];
  if (header === undefined) throw new Error(`${file} has no "# expect:" first line`);
  const colon = header.indexOf(':');
  return join(dirname(file), header.slice(0, colon)) + header.slice(colon);
}

function matches(line: string, expected: string): boolean {
  const pattern = expected.split('...').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`, 's').test(line);
}

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `pvlab <args>` through main(), in this process. */
async function inProcess(...args: string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { status: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** `node bin/pvlab.js <args>` in a child process. */
function spawned(...args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'pvlab.js'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The one line on stderr, after checking the status, stdout and the line count. */
function oneMessage(r: Outcome): string {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.endsWith('\n')).toBe(true);
  const lines = r.stderr.slice(0, -1).split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^pvlab: /);
  return lines[0]!.slice('pvlab: '.length);
}

/** The error the library gives for the file, as `pvlab run` reads it: scenario or xl.cfg. */
function libraryError(file: string): ScenarioError {
  if (file.endsWith('.cfg')) {
    try {
      loadConfigAsScenario(file);
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      return e as ScenarioError;
    }
    throw new Error(`${file} loaded`);
  }
  const r = parseScenario(readFileSync(join(ROOT, file), 'utf8'), file);
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error(`${file} loaded`);
  return r.error;
}

beforeEach(() => {
  built.worlds = 0;
  built.engines = 0;
  vi.stubEnv('NO_COLOR', '1');
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the bad-input corpus', () => {
  it('holds at least 30 malformed files, scenarios and xl.cfg files both', () => {
    expect(SCENARIOS.length + CONFIGS.length).toBeGreaterThanOrEqual(30);
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(15);
    expect(CONFIGS.length).toBeGreaterThanOrEqual(15);
    expect(SCENARIOS.filter((f) => readFileSync(join(ROOT, f), 'utf8').includes('config:')).length).toBeGreaterThanOrEqual(3);
  });

  it.each([...SCENARIOS, ...CONFIGS])('%s: exit 2, one line naming file, line, column and key, nothing built', async (file) => {
    const expected = expectation(file);
    const line = oneMessage(await inProcess('run', file));
    expect(matches(line, expected), `got:  ${line}\nwant: ${expected}`).toBe(true);

    const error = libraryError(file);
    expect(error.message).toBe(line);
    expect(line.startsWith(`${error.file}:${error.line}:${error.column}: `)).toBe(true);
    expect(error.file).toBe(expected.slice(0, expected.indexOf(':')));
    if (!NO_KEY.test(error.problem)) {
      expect(error.keyPath).not.toBe('');
      expect(line).toContain(`:${error.column}: ${error.keyPath}: `);
    }
    expect(built).toEqual({ worlds: 0, engines: 0 });
  });
});

describe('the corpus through the real command', () => {
  const outcomes = new Map<string, Outcome>();

  beforeAll(async () => {
    const runs = await Promise.all(SPAWNED.map((file) => spawned('run', file)));
    SPAWNED.forEach((file, i) => outcomes.set(file, runs[i]!));
  });

  it.each(SPAWNED)('node bin/pvlab.js run %s prints what main() prints, and exits 2', async (file) => {
    const line = oneMessage(outcomes.get(file)!);
    expect(matches(line, expectation(file)), line).toBe(true);
    expect(outcomes.get(file)).toEqual(await inProcess('run', file));
  });
});

describe('the checks themselves', () => {
  it('see a good file build its world and print a report', async () => {
    const r = await inProcess('run', `${BAD}/scenarios/configs/web.cfg`, '--duration', '10ms');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^web\s/m);
    expect(built).toEqual({ worlds: 1, engines: 1 });
  });
});
