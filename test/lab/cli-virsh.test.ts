import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pvlab-virsh-'));

function pvlab(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'pvlab.js'), ...args], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const LESSON = join(dir, 'lesson.yaml');
writeFileSync(LESSON, `name: lesson
duration: 2s
host: {pcpus: 1}
domains:
  - {name: web, memory: 256, workload: {kind: cpu-burn}}
events:
  - {at: 1s, xl: "pause web"}
`);

describe('pvlab virsh', () => {
  it('runs the scenario, timeline included, then one virsh command against its host', () => {
    const r = pvlab('virsh', LESSON, 'list', '--all');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(' Id   Name       State\n--------------------------\n 0    Domain-0   running\n 1    web        paused\n\n');
  });

  it('--at stops earlier; options after the command go to virsh', () => {
    const r = pvlab('virsh', '--at', '500ms', LESSON, 'domstate', 'web', '--reason');
    expect(r.stdout).toBe('running (booted)\n\n');
  });

  it('exits 1 with virsh\'s error when the command fails, and 2 for a bad option', () => {
    const bad = pvlab('virsh', LESSON, 'dominfo', 'db');
    expect([bad.status, bad.stderr]).toEqual([1, "error: failed to get domain 'db'\n"]);
    expect(pvlab('virsh', '--at', 'soon', LESSON, 'list').status).toBe(2);
  });

  it('--connect test:///default talks to the in-memory driver', () => {
    const r = pvlab('virsh', '--connect', 'test:///default', LESSON, 'list');
    expect(r.stdout).toBe(' Id   Name   State\n----------------------\n 1    test   running\n\n');
  });
});
