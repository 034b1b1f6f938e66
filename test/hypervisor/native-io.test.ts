// A native kernel's register accesses on real hardware: a read, or a port access of either
// direction, waits for the bus round trip; an MMIO write is a posted PCI/PCIe transaction, so
// the CPU pays only the store leaving it. (No device sits at these addresses: the cost is the
// CPU's either way, and a read of nothing returns all ones, as on a real bus.)
import { describe, expect, it } from 'vitest';
import { Engine } from '../../hw/engine';
import { platform } from '../../hw/platforms/index';
import { Hypervisor } from '../../hypervisor/hypervisor';
import { CreditScheduler } from '../../hypervisor/sched/credit';
import { block, mmio, pio, type GuestOp, type GuestProgram } from '../../hypervisor/public/guest';

/** Wall time each op took on a native vCPU of `platformName`, and what each returned. */
function timeOps(platformName: string, ops: GuestOp[]): { ns: number[]; values: number[] } {
  const profile = platform(platformName)!;
  const engine = new Engine();
  const hv = new Hypervisor(engine, profile, { pcpus: 1, memoryMiB: 1024 }, new CreditScheduler());
  const ns: number[] = [];
  const values: number[] = [];
  const d = hv.createDomain({ name: 'native', type: 'hvm', vcpus: 1, memoryMiB: 256, weight: 256, cap: 0 }, (env) =>
    (function* (): GuestProgram {
      for (const op of ops) {
        const t0 = env.now();
        values.push((yield op) as number);
        ns.push(env.now() - t0);
      }
      for (;;) yield block();
    })(), { accel: 'bare' });
  if (typeof d === 'string') throw new Error(d);
  hv.unpause(d.id);
  engine.run(1e6);
  return { ns, values };
}

describe('native register accesses', () => {
  for (const name of ['modern', 'core2-2006', 'xeon-2003']) {
    it(`${name}: an MMIO write costs the posted write, a read or a port access the bus round trip`, () => {
      const { devices } = platform(name)!;
      const { ns, values } = timeOps(name, [mmio('out', 0xfeb8_3818, 4, 7), mmio('in', 0xfeb8_00c0, 4), pio('out', 0x1f7, 1, 0x20), pio('in', 0x1f7, 1)]);
      expect(ns).toEqual([devices.mmioWriteNs, devices.ioAccessNs, devices.ioAccessNs, devices.ioAccessNs]);
      expect([values[1], values[3]]).toEqual([0xffff_ffff, 0xff]); // the reads: nothing decodes these addresses
      expect(devices.mmioWriteNs).toBeLessThan(devices.ioAccessNs / 4);
    });
  }
});
