import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pvlab-cli-'));

function pvlab(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'pvlab.js'), ...args], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function scenario(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const GOOD = `name: two-guests
seed: 5
duration: 2s
host: {pcpus: 1}
domains:
  - {name: hog, vcpus: 1, memory: 256, workload: {kind: cpu-burn}}
  - {name: tick, vcpus: 1, memory: 256, workload: {kind: cpu-periodic, burst: 500us, period: 10ms, jitter: 0.5}}
`;

describe('pvlab run', () => {
  it('prints an xl-list style table with CPU share and wake latency', () => {
    const r = pvlab('run', scenario('good.yaml', GOOD));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Name\s+ID\s+Mem\s+VCPUs\s+State\s+Time\(s\)\s+CPU%\s+Wake p50\s+Wake p99/);
    expect(r.stdout).toMatch(/^Domain-0\s+0\s/m);
    expect(r.stdout).toMatch(/^hog\s+1\s+256\s+1\s/m);
    expect(r.stderr).toMatch(/events\/s/);
  });

  it('prints byte-identical JSON for the same scenario and seed, with no wall-clock value in it', () => {
    const p = scenario('same.yaml', GOOD);
    const a = pvlab('run', p, '--json');
    const b = pvlab('run', p, '--json');
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const j = JSON.parse(a.stdout);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['scenario', 'seed', 'simulatedNs', 'events', 'host', 'domains']));
    expect(j.simulatedNs).toBe(2_000_000_000);
    expect(j.host).toMatchObject({ pcpus: 1, scheduler: { name: 'credit' } });
    const tick = j.domains.find((d: { name: string }) => d.name === 'tick');
    expect(tick).toMatchObject({ vcpus: 1, weight: 256, cap: 0 });
    expect(Object.keys(tick.runstate).sort()).toEqual(['blockedNs', 'offlineNs', 'runnableNs', 'runningNs']);
    expect(Object.keys(tick.wakeLatencyNs)).toEqual(expect.arrayContaining(['p50', 'p99', 'max']));
    expect(a.stdout).not.toMatch(/wall|elapsed/i);
  });

  it('changes a randomized workload\'s numbers with another seed', () => {
    const p = scenario('seeds.yaml', GOOD);
    const a = JSON.parse(pvlab('run', p, '--json', '--seed', '1').stdout);
    const b = JSON.parse(pvlab('run', p, '--json', '--seed', '2').stdout);
    const tick = (j: { domains: { name: string; runstate: { blockedNs: number } }[] }) => j.domains.find((d) => d.name === 'tick')!.runstate.blockedNs;
    expect(a.seed).toBe(1);
    expect(b.seed).toBe(2);
    expect(tick(a)).not.toBe(tick(b));
  });

  it('overrides the duration from the command line', () => {
    const j = JSON.parse(pvlab('run', scenario('dur.yaml', GOOD), '--json', '--duration', '500ms').stdout);
    expect(j.simulatedNs).toBe(500_000_000);
  });

  const bad: [string, string, RegExp][] = [
    ['an unknown key', GOOD.replace('memory: 256, workload: {kind: cpu-burn}', 'memory: 256, cpu_wieght: 5, workload: {kind: cpu-burn}'), /unknown\.yaml:\d+:\d+: .*domains\[0\].*cpu_wieght.*cpu_weight/],
    ['negative memory', GOOD.replace('{name: hog, vcpus: 1, memory: 256', '{name: hog, vcpus: 1, memory: -5'), /negative\.yaml:\d+:\d+: domains\[0\]\.memory/],
    ['vcpus: 0', GOOD.replace('{name: hog, vcpus: 1', '{name: hog, vcpus: 0'), /vcpus0\.yaml:\d+:\d+: domains\[0\]\.vcpus/],
    ['a duration without a unit', GOOD.replace('duration: 2s', 'duration: 2'), /unitless\.yaml:3:\d+: duration: .*unit/],
    ['a YAML syntax error', GOOD.replace('host: {pcpus: 1}', 'host: {pcpus: 1'), /syntax\.yaml:\d+:\d+: YAML syntax error/],
  ];
  const files = ['unknown.yaml', 'negative.yaml', 'vcpus0.yaml', 'unitless.yaml', 'syntax.yaml'];
  bad.forEach(([what, text, message], i) => {
    it(`rejects ${what} with one clear message and exit status 2`, () => {
      const r = pvlab('run', scenario(files[i]!, text));
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  });

  it('rejects a bad --duration the same way', () => {
    const r = pvlab('run', scenario('cli.yaml', GOOD), '--duration', '10');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--duration.*unit/);
  });

  it('runs a scenario from scenarios/ by name', () => {
    const r = pvlab('run', 'credit-weights', '--duration', '300ms');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/credit-weights/);
  });
});
