// bench:ab end to end, as a developer runs it: two revisions checked out in git worktrees,
// bundled with esbuild, run in one process. Its speed figures are not asserted (no test
// measures wall time); what is asserted is that it ran both builds over the same simulated
// windows and that one revision bundled twice simulates exactly the same events.
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

describe('npm run bench:ab', () => {
  it('runs one revision as A and as B, with the same events in both', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/ab.ts', 'HEAD', 'HEAD', '--domains', '10', '--windows', '3', '--window', '1'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(out).toMatch(/^10 domains, all, 2 windows of 1 simulated s each/m);
    const lines = out.split('\n').filter((l) => /^[AB] HEAD /.test(l));
    expect(lines).toHaveLength(2);
    const events = lines.map((l) => Number(/, (\d+) events/.exec(l)?.[1]));
    expect(events[0]).toBeGreaterThan(0);
    expect(events[1]).toBe(events[0]);
    const perEvent = lines.map((l) => Number(/(\d+) wall ns per event/.exec(l)?.[1]));
    expect(perEvent.every((n) => n > 0)).toBe(true);
    expect(out).toMatch(/^B\/A \d+\.\d{3} in all/m);
    expect(out).not.toMatch(/simulate differently/);
    expect(execFileSync('git', ['-C', ROOT, 'worktree', 'list'], { encoding: 'utf8' })).not.toMatch(/pvlab-ab-/); // worktrees removed
  });

  it('refuses a revision that is not a commit, in one line, leaving nothing behind', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/ab.ts', 'no-such-revision'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toBe("bench:ab: 'no-such-revision' is not a commit of this repository");
    expect(execFileSync('git', ['-C', ROOT, 'worktree', 'list'], { encoding: 'utf8' })).not.toMatch(/pvlab-ab-/);
  });
});
