// The KVM host itself: every thread scheduled by one CFS-like scheduler, cpu.shares per VM,
// no dom0, and the scenario rules that keep Xen-only and KVM-only keys apart.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../lab/scenario/index';
import { buildWorld } from '../../lab/run/world';
import { kvmYaml, runKvm } from './helpers';

const SECOND = 1_000_000_000;

function problem(yaml: string): string {
  const r = parseScenario(yaml, 'kvm.yaml');
  return r.ok ? 'ok' : r.error.message;
}

describe('a KVM host', () => {
  it('shares one pCPU 1:2 between two VMs with cpu_shares 1024 and 2048 (within 3%)', () => {
    const { w, r } = runKvm(kvmYaml({ pcpus: 1, duration: '3s', guests: [{ name: 'light', shares: 1024, workload: '{kind: cpu-burn}' }, { name: 'heavy', shares: 2048, workload: '{kind: cpu-burn}' }] }));
    const ran = (n: string) => r.domains.find((d) => d.name === n)!.runstate.runningNs;
    const ratio = ran('heavy') / ran('light');
    console.log(`cpu_shares 1024 vs 2048 on one pCPU of a KVM host: ${(ran('light') / 1e6).toFixed(0)} ms vs ${(ran('heavy') / 1e6).toFixed(0)} ms, ratio ${ratio.toFixed(4)}`);
    expect(Math.abs(ratio - 2) / 2).toBeLessThan(0.03);
    expect(ran('light') + ran('heavy')).toBeGreaterThan(0.98 * 3 * SECOND);
    expect(w.hv.scheduler.name).toBe('cfs');
    expect(r.domains.map((d) => [d.name, d.weight])).toEqual([['host', 1024], ['light', 1024], ['heavy', 2048]]);
  });

  it('has no dom0: domain 0 is the host, whose vCPUs are the QEMU threads, one I/O thread per VM', () => {
    const s = parseScenario(kvmYaml({ guests: [{ workload: '{kind: idle}' }, { workload: '{kind: idle}' }] }), 'kvm.yaml');
    if (!s.ok) throw s.error;
    const w = buildWorld(s.scenario);
    expect(() => w.dom0).toThrow(/KVM host has no dom0/);
    expect(w.hv.domain(0)!.name).toBe('host');
    expect(w.hv.domain(0)!.vcpus).toHaveLength(2);
    expect(w.guests.map((g) => g.mode)).toEqual(['host', 'kvm-virtio', 'kvm-virtio']);
    expect(w.hv.scheduler.describe(w.hv.domain(0)!.vcpus[1]!)).toMatch(/cpu.shares 1024/);
  });

  it('takes cpu_shares changes through the scheduler, as virsh schedinfo does', () => {
    const s = parseScenario(kvmYaml({ pcpus: 1, guests: [{ name: 'a', workload: '{kind: cpu-burn}' }, { name: 'b', workload: '{kind: cpu-burn}' }] }), 'kvm.yaml');
    if (!s.ok) throw s.error;
    const w = buildWorld(s.scenario);
    const b = w.hv.domainByName('b')!;
    w.engine.run(SECOND);
    expect(w.hv.scheduler.adjust(b, { weight: 3072 })).toBe(0);
    const before = b.vcpus[0]!.runstateAt(w.engine.now).running;
    const beforeA = w.hv.domainByName('a')!.vcpus[0]!.runstateAt(w.engine.now).running;
    w.engine.run(3 * SECOND);
    const gotB = b.vcpus[0]!.runstateAt(w.engine.now).running - before;
    const gotA = w.hv.domainByName('a')!.vcpus[0]!.runstateAt(w.engine.now).running - beforeA;
    expect(Math.abs(gotB / gotA - 3) / 3).toBeLessThan(0.03);
  });
});

describe('the scenario rules of the two kinds of host', () => {
  const kvmGuest = (extra: string, vdev = 'vda') => `name: t
host: {hypervisor: kvm}
dom0: {volumes: [{name: /dev/vg0/g, disk: sda, size: 1GiB}]}
domains:
  - {name: g, memory: 64, ${extra}disk: ['format=raw, vdev=${vdev}, target=/dev/vg0/g']}
`;
  const xenGuest = (extra: string, vdev = 'xvda') => kvmGuest(extra, vdev).replace('host: {hypervisor: kvm}', 'host: {pcpus: 2}');

  it('accepts hvm guests with virtio, IDE or AHCI disks, and vhost for virtio', () => {
    expect(problem(kvmGuest('type: hvm, '))).toBe('ok');
    expect(problem(kvmGuest('type: hvm, vhost: 1, '))).toBe('ok');
    expect(problem(kvmGuest('type: hvm, ', 'hda'))).toBe('ok');
    expect(problem(kvmGuest('type: hvm, cpu_shares: 512, '))).toBe('ok');
    for (const vif of ["['bridge=br0']", "['model=e1000']", "['model=rtl8139']", "['model=virtio']"]) expect(problem(kvmGuest(`type: hvm, vif: ${vif}, `))).toBe('ok');
    expect(problem(kvmGuest("type: hvm, vhost: 1, vif: ['model=virtio'], ", 'hda'))).toBe('ok'); // vhost-net alone
  });

  it('refuses PV guests, Xen disks and Xen keys on a KVM host, each with the reason', () => {
    expect(problem(kvmGuest('type: pv, '))).toMatch(/domains\[0\]\.type: a KVM host runs no pv guests: guests never see a Xen ring there/);
    expect(problem(kvmGuest('type: hvm, ', 'xvda'))).toMatch(/vdev xvda is a Xen PV disk; on a KVM host name it vd\*/);
    expect(problem(kvmGuest('type: hvm, xen_platform_pci: 1, '))).toMatch(/xen_platform_pci: applies only on a Xen host/);
    expect(problem(kvmGuest('type: hvm, accel: bt, '))).toMatch(/accel: KVM needs VT-x, or QEMU falls back to tcg/);
    expect(problem(kvmGuest('type: hvm, vhost: 1, ', 'hda'))).toMatch(/vhost: vhost serves virtio devices/);
    expect(problem(kvmGuest('type: hvm, cpu_shares: 1, '))).toMatch(/cpu_shares/);
    expect(problem(kvmGuest("type: hvm, vif: ['model=ne2k_pci'], "))).toMatch(/vif\[0\]: model ne2k_pci is not emulated by pvlab on a KVM host \(e1000, rtl8139, virtio\)/);
    expect(problem(kvmGuest("type: hvm, vif: ['type=vif'], "))).toMatch(/vif\[0\]: type=vif is a Xen PV interface/);
    expect(problem(kvmGuest("type: hvm, accel: tcg, vif: ['model=e1000'], "))).toMatch(/vif: networking for a guest QEMU runs under TCG/);
    expect(problem(kvmGuest('type: hvm, ').replace('host: {hypervisor: kvm}', 'host: {hypervisor: kvm}\nscheduler: {name: rr}'))).toMatch(/scheduled by its Linux kernel's CFS/);
  });

  it('refuses KVM-only keys and virtio disks on a Xen host', () => {
    expect(problem(xenGuest('type: hvm, cpu_shares: 2048, '))).toMatch(/cpu_shares: is a KVM host's cgroup cpu.shares .* on Xen use cpu_weight/);
    expect(problem(xenGuest('type: hvm, vhost: 1, '))).toMatch(/vhost: applies only on a KVM host/);
    expect(problem(xenGuest('type: hvm, ', 'vda'))).toMatch(/vdev vda is a virtio disk, which only a KVM host offers/);
    expect(problem(xenGuest("type: hvm, vif: ['model=virtio'], "))).toMatch(/vif\[0\]: model=virtio is virtio-net, which only a KVM host offers/);
    expect(problem(xenGuest('type: pv, ').replace('host: {pcpus: 2}', 'host: {pcpus: 2}\nscheduler: {name: cfs}'))).toMatch(/cfs schedules a KVM host/);
  });

  it('resolves a KVM host with CFS as its scheduler and each guest\'s cpu_shares as its weight', () => {
    const r = parseScenario(kvmGuest('type: hvm, cpu_shares: 512, '), 'kvm.yaml');
    if (!r.ok) throw r.error;
    expect(r.scenario.host.hypervisor).toBe('kvm');
    expect(r.scenario.scheduler.name).toBe('cfs');
    expect(r.scenario.domains[0]!.cpu_weight).toBe(512);
    const x = parseScenario(xenGuest('type: hvm, '), 'xen.yaml');
    if (!x.ok) throw x.error;
    expect(x.scenario.host.hypervisor).toBeUndefined();
    expect(x.scenario.domains[0]!.cpu_weight).toBe(256);
  });
});
