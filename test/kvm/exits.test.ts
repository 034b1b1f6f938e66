// KVM exits: the same unmodified kernel and IDE register model as Xen's HVM path make the same
// exits per request on a KVM host, but each one returns from KVM_RUN to QEMU in user space —
// in the vCPU's own thread, with no dom0 to schedule. Devices KVM emulates in the kernel stay
// there; without VT-x, QEMU says it cannot reach KVM and runs the guest under TCG.
import { describe, expect, it } from 'vitest';
import { modern } from '../../hw/platforms/modern';
import { KVM_EXIT } from '../../hypervisor/public/kvm';
import { kvmExit, KvmVm } from '../../hypervisor/kvm/vm';
import { pio, mmio, type GuestOp } from '../../hypervisor/public/guest';
import type { Hypervisor } from '../../hypervisor/hypervisor';
import type { Vcpu } from '../../hypervisor/vcpu';
import { kvmYaml, registerExits, runKvm } from './helpers';

const READS = 200;
const job = `{kind: fio, rw: randread, bs: 4k, iodepth: 1, ops: ${READS}}`;

describe('the emulated IDE path under KVM', () => {
  it('makes as many exits per read as under Xen HVM, each one a return to QEMU in user space costing more than an in-kernel exit', () => {
    const kvm = runKvm(kvmYaml({ guests: [{ vdev: 'hda', workload: job }] }));
    const xen = runKvm(kvmYaml({ hypervisor: 'xen', guests: [{ vdev: 'hda', workload: job }] }));
    const gk = kvm.r.domains.find((d) => d.name === 'g0')!;
    const gx = xen.r.domains.find((d) => d.name === 'g0')!;
    expect([gk.mode, gx.mode]).toEqual(['kvm', 'hvm']);
    expect([gk.workload['ops'], gx.workload['ops']]).toEqual([READS, READS]);
    const [ek, ex] = [registerExits(gk), registerExits(gx)];
    console.log(`IDE, ${READS} reads: ${ek / READS} register exits per read under KVM, ${ex / READS} under Xen HVM; KVM exits to user space: ${JSON.stringify(gk.kvm!.userExits)}`);
    expect(ek).toBe(ex); // same driver, same register model: exit for exit
    expect(ek / READS).toBeGreaterThan(20);
    expect(gk.kvm!.userExits['KVM_EXIT_IO']).toBe(gk.vmexits['IO_INSTRUCTION']); // every port exit reached QEMU
    expect(gk.kvm!.inKernelExits).toBe(0);
    // Per exit: the hardware round trip both hypervisors pay, plus under KVM the way out to user
    // space and back and QEMU's handler, charged to the vCPU thread.
    const p = modern;
    const hlt = (d: typeof gk) => d.vmexits['HLT'] ?? 0;
    const extra = gk.cpuNs.hypervisor - gx.cpuNs.hypervisor - (hlt(gk) - hlt(gx)) * p.virt.vmexitRoundTripNs;
    expect(extra).toBe(ek * (p.virt.userspaceExitNs + p.devices.dmHandlerNs));
    expect(gk.kvm!.handlerNs).toBe(ek * p.devices.dmHandlerNs);
    // COSTS.md: an exit completed in user space costs at least about 3x one handled in the kernel.
    const perExit = p.virt.vmexitRoundTripNs + extra / ek;
    console.log(`per register exit: ${p.virt.vmexitRoundTripNs} ns handled in the kernel, ${perExit} ns through QEMU in user space (${(perExit / p.virt.vmexitRoundTripNs).toFixed(2)}x)`);
    expect(perExit / p.virt.vmexitRoundTripNs).toBeGreaterThanOrEqual(3);
    expect((p.virt.vmexitRoundTripNs + p.virt.userspaceExitNs) / p.virt.vmexitRoundTripNs).toBeCloseTo(3, 2);
    // Xen's ioreqs instead need dom0 scheduled: its device-model (user) time; KVM's host has only the I/O thread's completions.
    expect(gx.ioreqs).toBe(ex);
    expect(gk.ioreqs).toBe(0);
  });

  it('reads back every block written through the emulated IDE and AHCI disks', () => {
    for (const vdev of ['hda', 'sda']) {
      const { w } = runKvm(kvmYaml({ guests: [{ vdev, workload: '{kind: fio, rw: randwrite, bs: 4k, iodepth: 1, verify: true, ops: 200}' }], duration: '1s' }));
      const g = w.guests.find((x) => x.fio)!;
      expect({ vdev, mode: g.mode, done: g.fio!.done, ops: g.fio!.ops, verifyErrors: g.fio!.verifyErrors }).toEqual({ vdev, mode: 'kvm', done: true, ops: 400, verifyErrors: 0 });
    }
  });

  it('handles the in-kernel irqchip and PIT in the kernel, an ioeventfd write in the kernel, and everything else in QEMU', () => {
    const vm = new KvmVm();
    const hv = { profile: modern } as unknown as Hypervisor;
    const v = { hvOwedNs: 0 } as unknown as Vcpu;
    const signals: string[] = [];
    vm.addIoeventfd('mmio', 0xfe00_3000, { signal: () => signals.push('kick'), read: () => 0, signals: 0 });
    const io = (op: GuestOp) => kvmExit(hv, v, vm, op as GuestOp & { op: 'io' });
    io(pio('out', 0x20, 1, 0x20)); // EOI to the master PIC
    io(pio('in', 0x40, 1)); // PIT counter
    io(mmio('out', 0xfee0_00b0, 4, 0)); // local APIC EOI
    expect(vm.counters.inKernel).toBe(3);
    expect(v.hvOwedNs).toBe(0);
    io(mmio('out', 0xfe00_3000, 2, 0));
    expect(signals).toEqual(['kick']);
    expect(vm.counters.ioeventfdKicks).toBe(1);
    expect(io(pio('in', 0x1f7, 1))).toBe(0xff); // no QEMU device attached: the bus floats
    io(pio('out', 0x70, 1, 0x0a)); // the RTC is QEMU's on KVM
    io(mmio('in', 0xfe00_3000, 2)); // a read of the notify address is no kick
    expect(vm.counters.userExits.get(KVM_EXIT.IO)).toBe(2);
    expect(vm.counters.userExits.get(KVM_EXIT.MMIO)).toBe(1);
    expect(v.hvOwedNs).toBe(3 * (modern.virt.userspaceExitNs + modern.devices.dmHandlerNs));
  });
});

describe('QEMU without KVM', () => {
  it('falls back to TCG on a host without VT-x, saying so in QEMU\'s words, with the same guest', () => {
    const { w, r } = runKvm(kvmYaml({ platform: 'xeon-2003', guests: [{ vdev: 'vda', workload: job }], duration: '1s' }));
    const g = w.guests.find((x) => x.fio)!;
    expect(g.mode).toBe('tcg');
    expect(g.domain.hvm!.accel).toBe('tcg');
    expect(g.domain.hvm!.kvm).toBeUndefined();
    expect(w.notices.join('\n')).toMatch(/Could not access KVM kernel module.*\n.*\n?.*tcg/);
    expect(g.fio!.ops).toBe(READS);
    expect(Object.keys(r.domains.find((d) => d.name === 'g0')!.vmexits)).toEqual([]); // no VT-x, no exits
  });
});
