// The README shows "real output" of the commands a newcomer types first. These tests run those
// commands and hold the README to them, so a change of behaviour that moves a figure there
// fails here until the README is brought up to date (the README's boost-latency table was
// stale for two days before this test: a guest's vbd watch added a second wake of `hog`).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');

function pvlab(...args: string[]): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'pvlab.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The lines of the first fenced block after the README line that contains `marker`. */
function blockAfter(marker: string): string[] {
  const at = README.findIndex((l) => l.includes(marker));
  expect(at, `README has no line with ${marker}`).toBeGreaterThanOrEqual(0);
  const open = README.findIndex((l, i) => i > at && l.startsWith('```'));
  const close = README.findIndex((l, i) => i > open && l.startsWith('```'));
  expect(open).toBeGreaterThan(at);
  expect(close).toBeGreaterThan(open);
  return README.slice(open + 1, close);
}

function testFiles(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) n += testFiles(p);
    else if (name.endsWith('.test.ts')) n++;
  }
  return n;
}

describe('the README\'s real output', () => {
  it('npm start: the comparison table and the note under it, as pvlab compare --explain prints them', () => {
    const shown = blockAfter('`npm start` runs `pvlab compare --explain`');
    const printed = pvlab('compare', '--explain').split('\n');
    expect(shown.length).toBeGreaterThan(12); // the heading, ten modes and the KVM note
    expect(printed.slice(0, shown.length)).toEqual(shown);
  });

  it('pvlab scenarios: the list as printed', () => {
    const shown = blockAfter('Teaching scenarios (`pvlab scenarios`)');
    expect(pvlab('scenarios').trimEnd().split('\n')).toEqual(shown);
  });

  it('pvlab run boost-latency: the table as printed', () => {
    const shown = blockAfter('`pvlab run boost-latency`');
    expect(pvlab('run', 'boost-latency').trimEnd().split('\n')).toEqual(shown);
  });

  it('npm test: the number of test files it reports is the number there are', () => {
    const [files] = blockAfter('it ends with this real output');
    expect(files).toMatch(/^ Test Files {2}\d+ passed \(\d+\)$/);
    expect(Number(/\((\d+)\)/.exec(files!)![1])).toBe(testFiles(join(ROOT, 'test')));
  });
});
