// Platform profiles (hw/platforms/): every era fills every field of the profile, the hardware
// flags match the era, and fields tie to the COSTS.md figures they cite through the clock.
import { describe, expect, test } from 'vitest';
import { PLATFORM_DISKS } from '../../hw/disk-models';
import { PLATFORMS, platform } from '../../hw/platforms/index';
import { modern } from '../../hw/platforms/modern';
import type { PlatformProfile } from '../../hw/platforms/profile';
import { PLATFORMS as SCENARIO_PLATFORMS } from '../../lab/scenario/types';

/** Every leaf of a profile as [dotted path, value]. */
function leaves(o: object, prefix = ''): [string, unknown][] {
  return Object.entries(o).flatMap(([k, v]): [string, unknown][] =>
    v !== null && typeof v === 'object' ? leaves(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]],
  );
}

const profiles = Object.values(PLATFORMS);
const xeon = platform('xeon-2003')!;
const core2 = platform('core2-2006')!;
/** A published cycle count at a profile's clock, as the profiles convert it. */
const at = (count: number, p: PlatformProfile) => Math.round(count / p.cpuGHz);

describe('the catalogue', () => {
  test('holds the three eras, each under its own name', () => {
    expect(Object.keys(PLATFORMS).sort()).toEqual(['core2-2006', 'modern', 'xeon-2003']);
    for (const [name, p] of Object.entries(PLATFORMS)) expect(p.name).toBe(name);
    expect(platform('modern')).toBe(modern);
  });

  test('platform() answers undefined for an unknown name, even an Object.prototype one', () => {
    expect(platform('pentium-1993')).toBeUndefined();
    expect(platform('toString')).toBeUndefined();
  });

  test('every platform a scenario may name has a profile and a disk', () => {
    for (const name of SCENARIO_PLATFORMS) {
      expect(platform(name)?.name).toBe(name);
      expect(PLATFORM_DISKS[name]).toBeDefined();
    }
  });
});

describe('every profile fills every field', () => {
  const shape = leaves(modern);

  test.each(profiles.map((p) => [p.name, p] as const))('%s has exactly the fields of modern, of the same types', (_, p) => {
    const got = new Map(leaves(p));
    expect([...got.keys()].sort()).toEqual(shape.map(([k]) => k).sort());
    for (const [key, value] of shape) expect([key, typeof got.get(key)]).toEqual([key, typeof value]);
  });

  test.each(profiles.map((p) => [p.name, p] as const))('%s: every number is finite and non-negative', (_, p) => {
    for (const [key, value] of leaves(p)) {
      if (typeof value !== 'number') continue;
      expect(Number.isNaN(value), key).toBe(false);
      expect(Number.isFinite(value), key).toBe(true);
      expect(value, key).toBeGreaterThanOrEqual(0);
    }
  });

  test.each(profiles.map((p) => [p.name, p] as const))('%s: every cost a guest always pays is positive', (_, p) => {
    for (const [key, value] of [...leaves(p.sched), ...leaves(p.hypervisor), ...leaves(p.kernel), ...leaves(p.devices), ...leaves(p.net)]) {
      if (typeof value === 'number') expect(value, key).toBeGreaterThan(0);
    }
    expect(p.cpuGHz).toBeGreaterThan(0);
  });
});

describe('hardware flags per era', () => {
  test('xeon-2003 has no VT-x, core2-2006 VT-x without nested paging, modern both', () => {
    expect([xeon.hardwareVirt, xeon.nestedPaging]).toEqual([false, false]);
    expect([core2.hardwareVirt, core2.nestedPaging]).toEqual([true, false]);
    expect([modern.hardwareVirt, modern.nestedPaging]).toEqual([true, true]);
  });

  test.each(profiles.map((p) => [p.name, p] as const))('%s: VT-x costs exist exactly when the CPU has VT-x', (_, p) => {
    const vtx = [p.virt.vmexitRoundTripNs, p.virt.vmEntryNs, p.virt.pageFaultVmExitNs, p.virt.vmcsReadNs, p.virt.vmcsWriteNs, p.mmu.shadowPteWriteNs, p.mmu.shadowGuestPageFaultNs];
    for (const v of vtx) expect(v > 0).toBe(p.hardwareVirt);
  });

  test.each(profiles.map((p) => [p.name, p] as const))('%s: a nested walk exists exactly with nested paging', (_, p) => {
    expect(p.mmu.nestedWalkRefs > 0).toBe(p.nestedPaging);
    expect(p.mmu.nestedWalkSlowdown > 0).toBe(p.nestedPaging);
  });

  test('APIC virtualization only on modern', () => {
    expect(profiles.filter((p) => p.virt.apicv).map((p) => p.name)).toEqual(['modern']);
  });
});

describe('fields tie to COSTS.md through the clock', () => {
  test('core2-2006: Adams & Agesen Table 1 at 2.66 GHz', () => {
    expect(core2.cpuGHz).toBe(2.66);
    expect(core2.virt.vmEntryNs).toBe(at(937, core2)); // 352 ns
    expect(core2.virt.vmEntryNs).toBe(352);
    expect(core2.virt.pageFaultVmExitNs).toBe(at(1186, core2));
    expect(core2.virt.vmcsReadNs).toBe(at(52, core2));
    expect(core2.virt.vmcsWriteNs).toBe(at(44, core2));
    // The round trip is the exit plus the entry back.
    expect(core2.virt.vmexitRoundTripNs).toBe(at(937 + 1186, core2));
  });

  test('xeon-2003: the lmbench L-UP column of Barham et al. as measured, binary translation at 2.4 GHz', () => {
    expect(xeon.cpuGHz).toBe(2.4);
    expect(xeon.kernel.syscallNs).toBe(450);
    expect(xeon.mmu.pageFaultNs).toBe(1420);
    expect(xeon.mmu.protectionFaultNs).toBe(1060);
    expect(xeon.mmu.processSwitchNs).toBe(770);
    expect(xeon.mmu.forkNativeNs).toBe(110_000);
    expect(xeon.mmu.execNativeNs).toBe(530_000);
    expect(xeon.virt.btCalloutNs).toBe(at(1254, xeon));
    expect(xeon.virt.btInCacheEmulationNs).toBe(at(216, xeon));
    expect(xeon.virt.trapAndEmulateNs).toBe(at(2030, xeon));
    expect(xeon.virt.btTranslatePerInstructionNs).toBe(at(2300, xeon));
    expect(xeon.virt.btPteWriteNs).toBe(at(391, xeon));
  });

  test('the same lmbench cycles stand for the native path in the later eras', () => {
    for (const p of [core2, modern]) {
      expect(p.mmu.pageFaultNs).toBe(at(1.42 * 2.4 * 1000, p));
      expect(p.mmu.processSwitchNs).toBe(at(0.77 * 2.4 * 1000, p));
    }
  });

  test('modern: SplitX round trip, a user-space exit at least 3x, the nested walk of Bhargava et al.', () => {
    expect(modern.virt.vmexitRoundTripNs).toBe(at(2000, modern));
    expect(modern.virt.vmexitRoundTripNs + modern.virt.userspaceExitNs).toBeGreaterThanOrEqual(3 * modern.virt.vmexitRoundTripNs - 1);
    expect(modern.mmu.nestedWalkRefs).toBe(24);
    expect(modern.mmu.nestedWalkSlowdown).toBeGreaterThanOrEqual(3.9);
    expect(modern.mmu.nestedWalkSlowdown).toBeLessThanOrEqual(4.6);
  });

  test('the register access of a real device is the Pentium 4 port read, 3209 cycles at 3.8 GHz', () => {
    for (const p of profiles) expect(p.devices.ioAccessNs).toBe(Math.round(3209 / 3.8));
  });

  test('Barham et al.: up to 2048 page-table updates per mmu_update', () => {
    for (const p of profiles) expect(p.mmu.pvMmuUpdateMaxBatch).toBe(2048);
  });

  test('gigabit on the two older eras, 10 GbE on modern, MTU 1500 everywhere', () => {
    expect(xeon.net.nicBytesPerNs * 8).toBe(1);
    expect(core2.net.nicBytesPerNs * 8).toBe(1);
    expect(modern.net.nicBytesPerNs * 8).toBe(10);
    expect(xeon.net.nicModel).toMatch(/Tigon3/);
    for (const p of profiles) expect(p.net.mtuBytes).toBe(1500);
  });
});

describe('the orderings the papers report follow from the fields', () => {
  test('first-generation VT-x: a shadow PTE write costs far more than under binary translation (Adams & Agesen)', () => {
    expect(core2.mmu.shadowPteWriteNs).toBeGreaterThan(10 * core2.virt.btPteWriteNs);
    expect(core2.mmu.shadowPteWriteNs).toBeGreaterThan(core2.virt.vmexitRoundTripNs);
    expect(core2.mmu.shadowGuestPageFaultNs).toBeGreaterThan(core2.virt.btGuestPageFaultNs);
  });

  test('in the translation cache is cheaper than a callout, cheaper than trap-and-emulate', () => {
    for (const p of profiles) {
      expect(p.virt.btInCacheEmulationNs).toBeLessThan(p.virt.btCalloutNs);
      expect(p.virt.btCalloutNs).toBeLessThan(p.virt.trapAndEmulateNs);
    }
  });

  test('a batched mmu_update beats one trap per PTE once the batch is large', () => {
    for (const p of profiles) {
      const batched = p.mmu.pvMmuUpdateBaseNs + 100 * p.mmu.pvMmuUpdatePerEntryNs;
      expect(batched).toBeLessThan(100 * p.mmu.pvPtwrEmulateNs);
    }
  });

  test('memory gets faster with the era', () => {
    expect(xeon.kernel.memcpyBytesPerNs).toBeLessThan(core2.kernel.memcpyBytesPerNs);
    expect(core2.kernel.memcpyBytesPerNs).toBeLessThan(modern.kernel.memcpyBytesPerNs);
  });
});
