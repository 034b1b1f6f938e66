// The command line's conventions: help for pvlab and for each command, --version, exit status
// 0 success / 1 a failed run / 2 bad input, colour only on a terminal and never with NO_COLOR,
// and an xl.cfg file run on its own with its warnings on stderr.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colorEnabled } from '../../lab/cli/color';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'pvlab.js');
const dir = mkdtempSync(join(tmpdir(), 'pvlab-conv-'));
const ESC = '\u001b[';

/** Without the test runner's own colour settings, so each test sets what it means. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.NO_COLOR;
  delete e.FORCE_COLOR;
  return { ...e, ...extra };
}

function pvlab(args: string[], extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: env(extra) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GOOD = join(dir, 'good.yaml');
writeFileSync(GOOD, 'name: good\nduration: 50ms\nhost: {pcpus: 1}\ndomains:\n  - {name: hog, memory: 256, workload: {kind: cpu-burn}}\n');
const BAD = join(dir, 'bad.yaml');
writeFileSync(BAD, 'name: bad\ndomains:\n  - {name: hog, memory: 8, workload: {kind: cpu-burn}}\n');

describe('help and version', () => {
  it('pvlab --help lists the commands and exits 0', () => {
    const r = pvlab(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: pvlab \[options\] \[command\]/);
    for (const c of ['run', 'compare', 'sweep']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  for (const [command, option] of [['run', '--html <file>'], ['compare', '--csv'], ['sweep', '--shard <i/n>']] as const) {
    it(`pvlab ${command} --help shows its options and exits 0`, () => {
      const r = pvlab([command, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: pvlab ${command} `));
      expect(r.stdout).toContain(option);
      expect(r.stderr).toBe('');
    });
  }

  it('pvlab --version prints the version of package.json and exits 0', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = pvlab([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });
});

describe('exit status', () => {
  it('is 0 for a run that worked', () => {
    expect(pvlab(['run', GOOD]).status).toBe(0);
  });

  const bad: [string, string[], RegExp][] = [
    ['no command', [], /Usage: pvlab/],
    ['an unknown command', ['bogus'], /unknown command 'bogus'/],
    ['an unknown option', ['run', GOOD, '--bogus'], /unknown option '--bogus'/],
    ['a missing argument', ['run'], /missing required argument 'scenario'/],
    ['a bad scenario file', ['run', BAD], /bad\.yaml:3:\d+: domains\[0\]\.memory/],
    ['a missing scenario file', ['run', join(dir, 'nope.yaml')], /nope\.yaml: cannot read the scenario file: no such file/],
    ['a bad --set value', ['run', GOOD, '--set', 'domains[0].cpu_weight=0'], /command line: --set domains\[0\]\.cpu_weight: must be at least 1/],
    ['--json with --csv', ['run', GOOD, '--json', '--csv'], /choose one output format/],
    ['an output file in a folder that does not exist', ['run', GOOD, '--html', join(dir, 'no', 'r.html')], /--html: cannot write .*does not exist/],
    ['an unknown compare mode', ['compare', '--modes', 'pv,xen'], /--modes: unknown mode xen/],
  ];
  for (const [what, args, message] of bad) {
    it(`is 2 for bad input: ${what}`, () => {
      const r = pvlab(args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    });
  }

  it('is 1 for a run that failed: its report could not be written', () => {
    const r = pvlab(['run', GOOD, '--trace', '/dev/full']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^pvlab: failed: ENOSPC/m);
  });
});

describe('colour', () => {
  it('is on only for a terminal, never with NO_COLOR, and FORCE_COLOR forces it', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });

  it('is off when the output is a pipe, and NO_COLOR beats FORCE_COLOR', () => {
    expect(pvlab(['run', BAD]).stderr).not.toContain(ESC);
    expect(pvlab(['--help']).stdout).not.toContain(ESC);
    expect(pvlab(['run', BAD], { FORCE_COLOR: '1' }).stderr).toContain(ESC);
    expect(pvlab(['--help'], { FORCE_COLOR: '1' }).stdout).toContain(ESC);
    expect(pvlab(['run', BAD], { FORCE_COLOR: '1', NO_COLOR: '1' }).stderr).not.toContain(ESC);
    expect(pvlab(['--help'], { FORCE_COLOR: '1', NO_COLOR: '1' }).stdout).not.toContain(ESC);
  });

  // util-linux's `script` gives the command a real pseudo-terminal.
  it.skipIf(!existsSync('/usr/bin/script'))('is on in a real terminal, and off there with NO_COLOR', () => {
    const inTerminal = (extra: Record<string, string>) =>
      spawnSync('/usr/bin/script', ['-qec', `"${process.execPath}" "${BIN}" run "${BAD}"`, '/dev/null'], { cwd: dir, encoding: 'utf8', env: env(extra) }).stdout;
    const coloured = inTerminal({});
    expect(coloured).toMatch(/domains\[0\]\.memory/);
    expect(coloured).toContain(ESC);
    const plain = inTerminal({ NO_COLOR: '1' });
    expect(plain).toMatch(/domains\[0\]\.memory/);
    expect(plain).not.toContain(ESC);
  });

  it('never reaches the reports: JSON and CSV stay plain even when forced', () => {
    expect(pvlab(['run', GOOD, '--json'], { FORCE_COLOR: '1' }).stdout).not.toContain(ESC);
    expect(pvlab(['run', GOOD, '--csv'], { FORCE_COLOR: '1' }).stdout).not.toContain(ESC);
  });
});

describe('pvlab run file.cfg', () => {
  const WEB = join(ROOT, 'scenarios', 'configs', 'web.cfg');

  it('runs the xl.cfg file\'s domain on a default host, with its warnings on stderr', () => {
    const r = pvlab(['run', WEB, '--duration', '100ms', '--workload', 'cpu-burn']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^web: 100\.00ms simulated on 4 pCPU/);
    expect(r.stdout).toMatch(/^web\s+1\s+1024\s+2\s.*cpu-burn/m);
    const warnings = r.stderr.split('\n').filter((l) => l.includes(': warning: '));
    expect(warnings.map((w) => /warning: ([a-z_]+):/.exec(w)?.[1])).toEqual(['bootloader', 'on_poweroff', 'on_reboot', 'on_crash']);
    expect(warnings[0]).toMatch(/web\.cfg:\d+:\d+: warning: bootloader/);
  });

  it('takes a whole workload mapping, and blames the command line for a bad one', () => {
    expect(pvlab(['run', WEB, '--duration', '50ms', '--workload', '{kind: cpu-periodic, burst: 1ms, period: 10ms}', '--json']).status).toBe(0);
    const r = pvlab(['run', WEB, '--workload', 'cpu-brun']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/command line: --workload\.kind: unknown kind "cpu-brun".*did you mean 'cpu-burn'/);
  });

  it('gives a bad xl.cfg file one located message and exit status 2', () => {
    const cfg = join(dir, 'bad.cfg');
    writeFileSync(cfg, 'name = "web"\nmemory = 512\nvcpus = "two"\n');
    const r = pvlab(['run', cfg]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.cfg:3:9: vcpus: /);
  });
});
