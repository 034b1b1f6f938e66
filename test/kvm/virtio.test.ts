// virtio-blk on a KVM host: the KVM world's ring. Under load a read makes no register exit of
// its own and notifications fall far below one per request; data written through it reads back.
import { describe, expect, it } from 'vitest';
import { kvmYaml, registerExits, runKvm } from './helpers';
import { scenarioFrom } from '../helpers/world';
import { buildWorld } from '../../lab/run/world';
import { VIRTIO_BLK_S_IOERR, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, encodeOutHdr } from '../../hypervisor/public/io/virtio_blk';

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

describe('virtio-blk with indirect descriptors', () => {
  it('holds a 1 MiB read\'s three requests (126 + 126 + 4 pages) in the queue at once, one descriptor each', () => {
    const { w } = runKvm(kvmYaml({ guests: [{ vdev: 'vda', workload: '{kind: fio, rw: randread, bs: 1m, iodepth: 1, ops: 40}' }], duration: '100ms' }));
    const g = w.guests.find((x) => x.fio)!;
    expect(g.fio!.stats()).toMatchObject({ ops: 40, errors: 0, finished: true });
    const drv = g.native!.virtio!;
    expect(drv.stats.requests).toBe(40 * 3);
    expect(drv['vq'].numFree).toBe(128); // all back
    // Without tables a 126-page request took 128 descriptors, the whole queue, and the three
    // went to the disk one after the other; now they are there together.
    const disk = [...w.storage.disks.values()][0]!;
    expect(disk.stats.maxDepth).toBe(3);
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

describe('a guest that hands virtio-blk buffers it does not have', () => {
  const MiB = 1024 * 1024;
  /** A 256 MiB guest on a 4 GiB volume, with a chain of its own making put on its queue and
   *  kicked 10 ms in: a header and a status byte in a page the kernel gives it, `data` between. */
  const hostile = (type: number, data: (gpaOfPage: number) => { addr: number; len: number; write: boolean }[]) => {
    const yaml = kvmYaml({ guests: [{ name: 'bad', vdev: 'vda', workload: randread(4) }], duration: '30ms' }).replace('size: 1GiB', 'size: 4GiB');
    const s = scenarioFrom(yaml);
    const w = buildWorld(s);
    w.engine.run(10_000_000);
    const g = w.guests.find((x) => x.domain.name === 'bad')!;
    const drv = g.native!.virtio!;
    const gfn: number = drv['k'].pages.alloc();
    const page = drv['k'].env.page(gfn) as Uint8Array;
    page.set(encodeOutHdr({ type, sector: 0 }));
    page[64] = 0xff;
    const r = drv['vq'].add([{ addr: gfn * 4096, len: 16, write: false }, ...data(gfn * 4096), { addr: gfn * 4096 + 64, len: 1, write: true }]);
    expect(r.kind).toBe('ok');
    drv['vq'].kickPrepare();
    const dev = g.qemu!.virtio!;
    dev.device.notify();
    const before = g.fio!.ops;
    w.engine.run(s.duration);
    return { dev, status: page[64], opsAfter: g.fio!.ops - before };
  };

  it('stops the device (QEMU\'s virtio_error) for a buffer reaching past guest RAM or of length 0, and moves no byte for it', () => {
    // 900 MiB from the start of a 256 MiB guest: inside the 4 GiB volume, so only the mapping refuses it.
    for (const [type, seg, why] of [
      [VIRTIO_BLK_T_OUT, { addr: 0, len: 900 * MiB, write: false }, /^bogus-descriptor: .* outside guest RAM/],
      [VIRTIO_BLK_T_IN, { addr: 0, len: 900 * MiB, write: true }, /^bogus-descriptor: .* outside guest RAM/],
      [VIRTIO_BLK_T_IN, { addr: 8192, len: 0, write: true }, /^zero-sized-buffer/],
    ] as const) {
      const { dev, status, opsAfter } = hostile(type, () => [seg]);
      expect(dev.device.failed).toMatch(why);
      expect(dev.transport.read(dev.transport.base + 0x14, 1, 'mmio') & 64).toBe(64); // DEVICE_NEEDS_RESET
      expect(status).toBe(0xff); // never answered: the device stopped at the chain
      expect(dev.device.stats.bytes).toBeLessThan(4 * MiB); // the reads before it, 4 KiB each
      expect(opsAfter).toBeLessThan(20);
    }
  });

  it('answers IOERR to a request over QEMU\'s 2 GiB limit made of buffers that are all in RAM, and stays up', () => {
    // Nine 240 MiB buffers over the same guest RAM: 2160 MiB, within the 4 GiB volume.
    const { dev, status } = hostile(VIRTIO_BLK_T_IN, () => Array.from({ length: 9 }, () => ({ addr: 0, len: 240 * MiB, write: true })));
    expect(status).toBe(VIRTIO_BLK_S_IOERR);
    expect(dev.device.stats.invalid).toBe(1);
    expect(dev.device.failed).toBeUndefined();
    expect(dev.transport.read(dev.transport.base + 0x14, 1, 'mmio') & 64).toBe(0);
    // (The guest's driver, answered for a chain it never made, then drops the disk; the device
    // had answered the guest's own reads before it.)
    expect(dev.device.stats.completions).toBeGreaterThan(100);
  });
});
