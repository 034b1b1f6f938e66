// Lesson 10: the fork storm under PV direct paging, shadow paging and EPT.
import { describe, expect, it } from 'vitest';
import { lesson } from './helpers';

describe('lesson 10, fork-storm', () => {
  it('traps every PTE write under shadow paging, batches them into a few hypercalls under PV, and takes no page-table exit under EPT', () => {
    const l = lesson('fork-storm');
    const ptes = l.f('pteWritesPerFork');
    expect(ptes).toBeGreaterThanOrEqual(100);
    expect(l.f('shadow.exitsPerFork')).toBeGreaterThanOrEqual(ptes); // each PTE write, plus CR3 loads and INVLPGs
    expect(l.f('ept.exitsPerFork')).toBe(0);
    expect(l.f('pv.mmuCallsPerFork')).toBeGreaterThanOrEqual(1);
    expect(l.f('pv.mmuCallsPerFork')).toBeLessThanOrEqual(ptes / 10);
  });

  it('forks slowest under shadow paging and fastest under EPT, with the difference spent in the hypervisor', () => {
    const l = lesson('fork-storm');
    expect(l.f('shadow.us')).toBeGreaterThanOrEqual(3 * l.f('ept.us'));
    expect(l.f('shadow.us')).toBeGreaterThan(l.f('pv.us'));
    expect(l.f('pv.us')).toBeGreaterThan(l.f('ept.us'));
    expect(l.f('shadow.hvUs')).toBeGreaterThan(0.5 * l.f('shadow.us'));
    expect(l.f('ept.hvUs')).toBeLessThan(0.1 * l.f('ept.us'));
    expect(l.f('pv.hvUs')).toBeGreaterThan(l.f('ept.hvUs'));
  });
});
