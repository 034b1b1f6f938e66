// Lesson 14, xen-vs-kvm: the claims its text makes, on the figures `pvlab run xen-vs-kvm` prints.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../lab/scenario/index';
import { figure, runLesson } from '../../lab/lessons/lesson';
import { lessonSpec } from '../../lab/lessons/registry';
import { SCENARIOS_DIR } from '../../lab/lessons/catalog';

describe('lesson 14, xen-vs-kvm', () => {
  it('shows the same exits on both hosts ending in different places, paravirtual disks far faster on each, and the TCG fallback', () => {
    const r = runLesson(lessonSpec('xen-vs-kvm')!, loadScenarioFile(join(SCENARIOS_DIR, 'xen-vs-kvm.yaml')));
    const f = (id: string) => figure(r.figures, id);
    console.log(r.figures.map((x) => `${x.id}=${x.value}`).join(', '));
    // The emulated guest: the same exits per read on both hosts, ioreqs to dom0 on Xen, exits to
    // QEMU in user space on KVM; KVM's faster although each of its exits costs more.
    expect(f('xen.emulated.exitsPerIo')).toBeGreaterThanOrEqual(20);
    expect(Math.abs(f('kvm.emulated.exitsPerIo') - f('xen.emulated.exitsPerIo'))).toBeLessThan(0.5);
    expect(f('xen.emulated.ioreqsPerIo')).toBeGreaterThanOrEqual(20);
    expect(f('kvm.emulated.toUserPerIo')).toBeGreaterThanOrEqual(20);
    expect(f('kvm.emulated.iops')).toBeGreaterThan(1.1 * f('xen.emulated.iops'));
    // Paravirtual I/O on each host: blkfront with no exits and about four hypercalls (an event
    // send, SCHEDOP_block, and the irets of io_submit() and io_getevents(), as in lesson 1); virtio-blk
    // with one in-kernel kick and no exit to user space per read; both well ahead of emulation.
    expect(f('xen.paravirt.exitsPerIo')).toBe(0);
    expect(f('xen.paravirt.hypercallsPerIo')).toBeLessThan(4.25);
    expect(f('kvm.paravirt.kicksPerIo')).toBeCloseTo(1, 1);
    expect(f('kvm.paravirt.toUserPerIo')).toBeLessThan(0.05); // the boot-time probe, spread over every read
    expect(f('xen.paravirt.iops')).toBeGreaterThan(1.5 * f('xen.emulated.iops'));
    expect(f('kvm.paravirt.iops')).toBeGreaterThan(1.2 * f('kvm.emulated.iops'));
    // QEMU's I/O thread pays the ioeventfd wake-up; vhost does not, and catches up with blkfront.
    expect(f('vhost.paravirt.iops')).toBeGreaterThan(1.1 * f('kvm.paravirt.iops'));
    expect(f('vhost.paravirt.iops')).toBeGreaterThan(0.95 * f('xen.paravirt.iops'));
    // The helpers: dom0 works for every emulated exit; KVM's host threads only complete I/O.
    expect(f('xen.helperPct')).toBeGreaterThan(5 * f('kvm.helperPct'));
    // Without VT-x: both guests under TCG, each with QEMU's notice, and no exits.
    expect(f('tcg.guestsOnTcg')).toBe(2);
    expect(f('tcg.notices')).toBe(2);
    expect(r.runs['tcg']!.world.notices[0]).toMatch(/Could not access KVM kernel module/);
    expect(f('tcg.exitsPerIo')).toBe(0);
  });
});
