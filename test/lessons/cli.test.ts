// The teaching commands as a student types them: pvlab scenarios, pvlab explain, and pvlab run
// with --narrate and the lesson's figures.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function pvlab(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'pvlab.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('pvlab scenarios and pvlab explain', () => {
  it('lists every scenario on one line, lessons numbered first', () => {
    const r = pvlab('scenarios');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^\s+\d+\s+\S/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(12);
    expect(lines[0]).toMatch(/^\s+1\s+pv-vs-hvm\s+PV versus full virtualization on one disk workload$/);
    expect(r.stdout).toMatch(/^\s+3\s+ring-batching\s+Ring batching/m);
  });

  it('prints a lesson wrapped to 80 columns, and refuses an unknown name with status 2', () => {
    const r = pvlab('explain', 'ring-batching');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['Ring batching and notification suppression: iodepth 1 versus 32', '='.repeat(63)]);
    expect(r.stdout).toContain('Questions\n---------');
    for (const l of r.stdout.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    const bad = pvlab('explain', 'no-such-lesson');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no such scenario in scenarios\/ \(pvlab scenarios lists them\)/);
  });
});

describe('pvlab run <lesson>', () => {
  it('runs a lesson by name, narrates the window asked for, and ends with the lesson\'s figures', () => {
    const r = pvlab('run', 'event-channels', '--narrate', 'evtchn', '--events', '3');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Narrating event-channels from 0\.000 ms, 3 event\(s\) \(evtchn\):/);
    expect(r.stdout).toMatch(/still unbound .*pending=0 masked=0/s);
    expect(r.stdout).toMatch(/^Lesson 5: the figures to look at \(pvlab explain event-channels says why\)$/m);
    expect(r.stdout).toMatch(/sends Xen dropped \(port unbound\)\s+1 sends/);
  });

  it('refuses --from without --narrate, and an unknown topic, with status 2', () => {
    expect(pvlab('run', 'event-channels', '--from', '1ms').status).toBe(2);
    const bad = pvlab('run', 'event-channels', '--narrate', 'gossip');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown topic gossip; topics are sched, exits, hypercalls, rings, xenbus, evtchn, domains/);
  });
});
