// Lessons 11 and 12: accelerators and the fallback to TCG, and PVHVM.
import { describe, expect, it } from 'vitest';
import { lesson } from './helpers';

describe('lesson 11, accelerators', () => {
  it('spends less monitor time per read under binary translation than under VT-x, and runs far slower under TCG', () => {
    const l = lesson('accelerators');
    expect(l.f('vtx.exitsPerIo')).toBeGreaterThanOrEqual(20);
    expect(l.f('bt.hvPerIo')).toBeLessThan(0.8 * l.f('vtx.hvPerIo'));
    expect(l.f('bt.iops')).toBeGreaterThanOrEqual(0.95 * l.f('vtx.iops'));
    expect(l.f('tcg.iops')).toBeLessThan(0.8 * l.f('vtx.iops'));
    expect(l.f('tcg.ioreqs')).toBe(0); // the devices live in the emulator's own process
    expect(l.f('vtx.work')).toBeGreaterThanOrEqual(5 * l.f('tcg.work'));
    expect(l.f('bt.work')).toBeGreaterThanOrEqual(0.9 * l.f('vtx.work'));
  });
});

describe('lesson 11, tcg-fallback', () => {
  it('falls back to TCG with QEMU\'s notice on a CPU without VT-x, and runs many times slower than under VT-x', () => {
    const l = lesson('tcg-fallback');
    expect(l.f('fellBack')).toBe(1);
    expect(l.f('notices')).toBe(1);
    expect(l.runs.base.world.notices[0]).toMatch(/Back to tcg accelerator/);
    expect(l.f('modern.work')).toBeGreaterThanOrEqual(5 * l.f('xeon.work'));
  });
});

describe('lesson 12, pvhvm', () => {
  it('cuts exits per read from 20 or more to at most 3 once the emulated disk is unplugged, and reads at least 1.5 times as fast', () => {
    const l = lesson('pvhvm');
    expect(l.f('hvm.exitsPerIo')).toBeGreaterThanOrEqual(20);
    expect(l.f('pvhvm.exitsPerIo')).toBeLessThanOrEqual(3);
    expect(l.f('pvhvm.ioreqs')).toBe(1); // the unplug write, and nothing after it
    expect(l.f('hvm.ioreqs')).toBeGreaterThan(20 * 100);
    expect(l.f('pvhvm.vmcallsPerIo')).toBeGreaterThanOrEqual(0.9);
    expect(l.f('pvhvm.iops')).toBeGreaterThanOrEqual(1.5 * l.f('hvm.iops'));
    expect(l.f('hvm.latency')).toBeGreaterThanOrEqual(1.5 * l.f('pvhvm.latency'));
  });
});
