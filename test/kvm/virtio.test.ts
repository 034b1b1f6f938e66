// virtio-blk on a KVM host: the KVM world's ring. Under load a read makes no register exit of
// its own and notifications fall far below one per request; data written through it reads back.
import { describe, expect, it } from 'vitest';
import { kvmYaml, registerExits, runKvm } from './helpers';
import { scenarioFrom } from '../helpers/world';
import { buildWorld } from '../../lab/run/world';

const randread = (iodepth: number) => `{kind: fio, rw: randread, bs: 4k, iodepth: ${iodepth}}`;

describe('virtio-blk under KVM', () => {
  it('makes no register exit per read under load, and under 0.2 notifications per read each way at iodepth 32', () => {
    for (const vhost of [false, true]) {
      const { w, r } = runKvm(kvmYaml({ guests: [{ vdev: 'vda', vhost, workload: randread(32) }], duration: '100ms' }));
      const g = r.domains.find((d) => d.name === 'g0')!;
      const host = r.domains.find((d) => d.id === 0)!;
      const reqs = Number(g.workload['ops']);
      const probe = w.guests.find((x) => x.domain.name === 'g0')!.native!.virtio!.probeAccesses;
      const perReq = { kicks: g.notifications.sent / reqs, interrupts: host.notifications.sent / reqs, registerExits: registerExits(g) / reqs, toUser: Object.values(g.kvm!.userExits).reduce((a, b) => a + b, 0) };
      console.log(`virtio-blk${vhost ? ' (vhost)' : ''} at iodepth 32: ${reqs} reads; per read: ${perReq.kicks.toFixed(3)} kicks, ${perReq.interrupts.toFixed(3)} interrupts, ${perReq.registerExits.toFixed(3)} register exits (all kicks, in the kernel); exits to QEMU: ${perReq.toUser} (the probe's ${probe} register accesses)`);
      expect(reqs).toBeGreaterThan(10_000);
      expect(perReq.toUser).toBe(probe); // after the probe, not one exit reaches user space
      expect(g.kvm!.ioeventfdKicks).toBe(registerExits(g) - probe); // every other register exit is a kick
      expect(perReq.registerExits).toBeLessThan(0.2);
      expect(perReq.kicks).toBeLessThan(0.2);
      if (!vhost) expect(perReq.interrupts).toBeLessThan(0.2);
      expect(g.ringBatchMean).toBeGreaterThan(4);
    }
  });

  it('kicks and interrupts once per read at iodepth 1, where nothing can be batched', () => {
    const { r } = runKvm(kvmYaml({ guests: [{ vdev: 'vda', workload: `{kind: fio, rw: randread, bs: 4k, iodepth: 1, ops: 300}` }] }));
    const g = r.domains.find((d) => d.name === 'g0')!;
    const host = r.domains.find((d) => d.id === 0)!;
    expect(g.workload['ops']).toBe(300);
    expect(g.notifications.sent).toBe(300);
    expect(host.notifications.sent).toBe(300);
    expect(g.kvm!.irqfdInjections).toBe(300);
  });

  it('reads back every block it wrote, through QEMU and through vhost', () => {
    for (const vhost of [false, true]) {
      const { w } = runKvm(kvmYaml({ guests: [{ vdev: 'vda', vhost, workload: '{kind: fio, rw: randwrite, bs: 4k, iodepth: 8, verify: true, ops: 2000}' }], duration: '1s' }));
      const job = w.guests.find((g) => g.fio)!.fio!;
      expect({ vhost, done: job.done, ops: job.ops, errors: job.errors, verifyErrors: job.verifyErrors }).toEqual({ vhost, done: true, ops: 4000, errors: 0, verifyErrors: 0 });
    }
  });

  it('serves the disk from QEMU\'s I/O thread (user time) or a vhost worker (kernel time), both host threads in the VM\'s cgroup', () => {
    const user = runKvm(kvmYaml({ guests: [{ vdev: 'vda', workload: randread(8) }], duration: '50ms' }));
    const kern = runKvm(kvmYaml({ guests: [{ vdev: 'vda', vhost: true, workload: randread(8) }], duration: '50ms' }));
    const hostOf = (x: typeof user) => x.r.domains.find((d) => d.id === 0)!;
    expect(hostOf(user).cpuNs.user).toBeGreaterThan(0);
    expect(hostOf(kern).cpuNs.user).toBe(0);
    expect(hostOf(kern).cpuNs.kernel).toBeGreaterThan(0);
    expect(hostOf(user).vcpus).toBe(1); // QEMU's I/O thread
    expect(hostOf(kern).vcpus).toBe(2); // and the vhost worker
    const cfs = kern.w.hv.scheduler;
    const vm = kern.w.guests.find((g) => g.fio)!.domain;
    for (const t of kern.w.kvm!.host.vcpus) expect(cfs.describe(t)).toMatch(/cpu.shares 1024/);
    expect(vm.name).toBe('g0');
  });

  it('pays the ~20 us ioeventfd wake-up of QEMU\'s I/O thread per kick, which vhost does not', () => {
    const lat = (vhost: boolean) => runKvm(kvmYaml({ guests: [{ vdev: 'vda', vhost, workload: `{kind: fio, rw: randread, bs: 4k, iodepth: 1, ops: 200}` }] })).w.guests.find((g) => g.fio)!.fio!.latency.mean;
    const [qemu, vhost] = [lat(false), lat(true)];
    console.log(`4 KiB read at iodepth 1: virtio through QEMU ${(qemu / 1e3).toFixed(1)} us, through vhost ${(vhost / 1e3).toFixed(1)} us`);
    expect(qemu - vhost).toBeGreaterThan(15_000);
    expect(qemu - vhost).toBeLessThan(25_000);
  });
});

describe('a guest that breaks its own virtqueue', () => {
  it('loses its disk (DEVICE_NEEDS_RESET), while the other VM\'s disk goes on as before', () => {
    const yaml = kvmYaml({ guests: [{ name: 'bad', vdev: 'vda', workload: randread(8) }, { name: 'good', vdev: 'vda', workload: randread(8) }], duration: '40ms', pcpus: 4 });
    const alone = runKvm(kvmYaml({ guests: [{ name: 'good', vdev: 'vda', workload: randread(8) }], duration: '40ms', pcpus: 4 }));
    const s = scenarioFrom(yaml);
    const w = buildWorld(s);
    w.engine.run(10_000_000);
    const bad = w.guests.find((g) => g.domain.name === 'bad')!;
    // The guest's kernel moves its available index 1000 entries on: its next kick publishes it.
    const vq = bad.native!.virtio!['vq'];
    vq['availIdx'] = (vq['availIdx'] + 1000) & 0xffff;
    const before = bad.fio!.ops;
    w.engine.run(s.duration);
    const dev = bad.qemu!.virtio!;
    expect(dev.device.failed).toMatch(/avail-index-overflow/);
    expect(dev.transport.read(dev.transport.base + 0x14, 1, 'mmio') & 64).toBe(64); // DEVICE_NEEDS_RESET
    expect(bad.fio!.ops - before).toBeLessThan(20);
    const good = w.guests.find((g) => g.domain.name === 'good')!.fio!;
    const goodAlone = alone.w.guests.find((g) => g.fio)!.fio!;
    console.log(`the other VM: ${good.ops} reads beside the broken guest, ${goodAlone.ops} alone`);
    expect(good.ops).toBeGreaterThan(0.9 * goodAlone.ops);
    expect(good.errors).toBe(0);
  });
});
