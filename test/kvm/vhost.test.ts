// A scenario file's `vhost: 1` on a KVM host: one key for both kinds of virtio device, so a guest
// with a virtio disk and a virtio NIC gets a vhost-blk and a vhost-net worker, and QEMU's I/O
// thread serves neither; without the key it serves both. (libvirt decides per device instead:
// test/libvirt/qemu-vhost.test.ts.)
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../lab/scenario/index';
import { buildWorld } from '../../lab/run/world';

const yaml = (vhost: string) => `name: t
duration: 50ms
host: {hypervisor: kvm, pcpus: 2}
dom0: {volumes: [{name: /dev/vg0/g, disk: sda, size: 1GiB}]}
domains:
  - {name: g, type: hvm, memory: 256, ${vhost}disk: ['format=raw, vdev=vda, access=rw, target=/dev/vg0/g'], vif: ['model=virtio, bridge=br0'], workload: {kind: fio, rw: randread, bs: 4k, iodepth: 8}}
`;

function run(vhost: string) {
  const r = parseScenario(yaml(vhost), 'vhost.yaml');
  if (!r.ok) throw r.error;
  const w = buildWorld(r.scenario);
  w.engine.run(r.scenario.duration);
  const g = w.guests.find((x) => x.domain.name === 'g')!;
  return { spec: r.scenario.domains[0]!, g, q: g.qemu! };
}

describe('vhost: 1 in a scenario file', () => {
  it('has vhost serve both the virtio disk (vhost-blk) and the virtio NIC (vhost-net)', () => {
    const { spec, g, q } = run('vhost: 1, ');
    expect([spec.vhostBlk, spec.vhostNet]).toEqual([true, true]);
    expect(g.mode).toBe('kvm-vhost');
    expect(q.vhostBlk).toBeDefined();
    expect(q.vhostNet).toBeDefined();
    expect(g.fio!.ops).toBeGreaterThan(100);
    expect(q.vhostBlk!.stats.kernelNs).toBeGreaterThan(0); // the reads are the kernel's
    expect(q.ioThread.stats.userNs + q.ioThread.stats.kernelNs).toBe(0);
  });

  it('left out, has QEMU\'s I/O thread serve both', () => {
    const { spec, g, q } = run('');
    expect([spec.vhostBlk, spec.vhostNet]).toEqual([undefined, undefined]);
    expect(g.mode).toBe('kvm-virtio');
    expect([q.vhostBlk, q.vhostNet]).toEqual([undefined, undefined]);
    expect(g.fio!.ops).toBeGreaterThan(100);
    expect(q.ioThread.stats.userNs).toBeGreaterThan(0);
  });
});
