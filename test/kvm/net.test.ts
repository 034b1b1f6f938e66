// Networking on a KVM host: QEMU's emulated e1000 (`kvm`), virtio-net served by QEMU's I/O
// thread (`kvm-virtio`) and by a vhost-net worker in the host kernel (`kvm-vhost`), each guest
// behind a tap on the host kernel's bridge. The tests print the numbers they assert.
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../lab/run/report';
import { driverAccessesPerPacket, runNet, sinkOf } from '../net/helpers';

const BYTES = 4 * 1024 * 1024;

describe('networking on a KVM host', () => {
  for (const mode of ['kvm-virtio', 'kvm-vhost', 'kvm'] as const) {
    it(`${mode}: a ttcp transfer delivers every byte, in order and intact, both ways`, () => {
      const tx = runNet(mode, 'ttcp', { bytes: String(BYTES) }, '1s');
      expect(tx.g.mode).toBe(mode);
      expect(tx.g.net!.model).toBe(mode === 'kvm' ? 'e1000' : 'virtio');
      expect(tx.g.workload.stats()).toMatchObject({ bytes: BYTES, errors: 0, finished: true });
      const [sink] = sinkOf(tx);
      expect(sink!.stats).toMatchObject({ bytesIn: BYTES, verifyErrors: 0, eof: true });
      const rx = runNet(mode, 'ttcp', { mode: 'receive', bytes: String(BYTES) }, '1s');
      expect(rx.g.workload.stats()).toMatchObject({ bytes: BYTES, verifyErrors: 0, errors: 0, finished: true });
    });
  }

  it('with vhost, QEMU\'s user-space threads do no per-packet work; without it, the I/O thread does it all', () => {
    const cpu = (mode: 'kvm-vhost' | 'kvm-virtio', bytes: number) => {
      const o = runNet(mode, 'ttcp', { bytes: String(bytes) }, '1s');
      expect(o.g.workload.stats()).toMatchObject({ finished: true, errors: 0 });
      const q = o.g.qemu!;
      const st = o.g.net!.stack!.stats;
      return { io: q.ioThread.stats.userNs + q.ioThread.stats.kernelNs, vhost: q.vhostNet ? q.vhostNet.stats.kernelNs + q.vhostNet.stats.userNs : 0, packets: st.framesIn + st.framesOut };
    };
    const [small, big] = [cpu('kvm-vhost', BYTES / 4), cpu('kvm-vhost', BYTES)];
    const virtio = cpu('kvm-virtio', BYTES);
    console.log(`vhost: I/O thread ${small.io} / ${big.io} ns, vhost-net ${small.vhost} / ${big.vhost} ns for ${small.packets} / ${big.packets} packets; kvm-virtio: I/O thread ${virtio.io} ns for ${virtio.packets} packets`);
    expect([small.io, big.io]).toEqual([0, 0]); // QEMU never hears of a packet
    expect(big.packets).toBeGreaterThan(3 * small.packets);
    expect(big.vhost).toBeGreaterThan(3 * small.vhost); // the worker's time follows the packets
    expect(big.vhost / big.packets).toBeGreaterThan(0);
    expect(virtio.io / virtio.packets).toBeGreaterThan(0.5 * (big.vhost / big.packets)); // the same work, in QEMU
  });

  // Under bulk transmit with 64 KiB writes a socket hands the device a window's worth of
  // segments per kick; with EVENT_IDX a kick notifies only when the device has caught up and
  // re-armed avail_event since the last one, so at most one notification per batch of several
  // frames. The guest's interrupts come from the receive queue (the ACKs, one per two segments
  // at most) and the transmit queue's delayed callback (one per half a ring in flight); NAPI
  // takes every frame that arrives while it polls without an interrupt. So both per packet are
  // well below one half.
  for (const mode of ['kvm-virtio', 'kvm-vhost'] as const) {
    it(`${mode}: under bulk transmit, event-idx keeps kicks and interrupts per packet well below one`, () => {
      const o = runNet(mode, 'ttcp', { bytes: String(BYTES), buflen: '64KiB' }, '1s');
      expect(o.g.workload.stats()).toMatchObject({ finished: true, errors: 0 });
      const d = o.g.net!.stack!.dev.stats;
      const st = o.g.net!.stack!.stats;
      const packets = st.framesIn + st.framesOut;
      const k = o.report.domains.find((x) => x.name === 'guest')!.kvm!;
      const txKicks = d.notifications;
      console.log(`${mode} ttcp 4 MiB -l 64 KiB: ${txKicks} tx kicks for ${d.txFrames} frames (${d.suppressed} suppressed), ${k.ioeventfdKicks} ioeventfd kicks and ${k.irqfdInjections} interrupts for ${packets} packets`);
      expect(txKicks / d.txFrames).toBeLessThan(0.5);
      expect(k.ioeventfdKicks / packets).toBeLessThan(0.5);
      expect(k.irqfdInjections / packets).toBeLessThan(0.5);
      expect(d.suppressed).toBeGreaterThan(0);
    });
  }

  it('kvm: the emulated e1000 makes the register exits per packet it makes under Xen HVM, each one a return to QEMU', () => {
    const opts = { transactions: '300' };
    const kvm = runNet('kvm', 'netperf-rr', opts, '1s');
    const xen = runNet('hvm', 'netperf-rr', opts, '1s');
    const [ak, ax] = [driverAccessesPerPacket(kvm.g), driverAccessesPerPacket(xen.g)];
    const gk = kvm.report.domains.find((d) => d.name === 'guest')!;
    const gx = xen.report.domains.find((d) => d.name === 'guest')!;
    const [pk, px] = [ak.accesses / ak.packets, ax.accesses / ax.packets];
    console.log(`e1000 TCP_RR: ${pk.toFixed(3)} register accesses per packet under KVM, ${px.toFixed(3)} under Xen HVM; KVM exits to user space: ${JSON.stringify(gk.kvm!.userExits)}`);
    expect(kvm.g.workload.stats()).toMatchObject({ finished: true, errors: 0 });
    expect(Math.abs(pk - px) / px).toBeLessThan(0.05); // same driver, same register model
    expect(pk).toBeGreaterThanOrEqual(5);
    // Every MMIO access of the guest is the e1000's (the disk is IDE, on ports): each one trapped
    // and returned from KVM_RUN to QEMU, as each one went to the device model under Xen.
    const probe = (o: typeof kvm) => (o.g.net!.stack!.dev as unknown as { dio: { perOp: Map<string, { accesses: number }> } }).dio.perOp.get('probe')?.accesses ?? 0;
    expect(gk.kvm!.userExits['KVM_EXIT_MMIO']).toBe(ak.accesses + probe(kvm));
    expect(gk.vmexits['EPT_VIOLATION']).toBe(gk.kvm!.userExits['KVM_EXIT_MMIO']);
    expect(gx.vmexits['EPT_VIOLATION']).toBe(ax.accesses + probe(xen));
  });

  it('throughput follows the cost model: kvm-vhost >= kvm-virtio > kvm (emulated e1000) for bulk ttcp', () => {
    const score = (mode: 'kvm' | 'kvm-virtio' | 'kvm-vhost') => Number(runNet(mode, 'ttcp', { bytes: String(BYTES) }, '1s').g.workload.stats().score);
    const [vhost, virtio, emu] = [score('kvm-vhost'), score('kvm-virtio'), score('kvm')];
    console.log(`ttcp ${BYTES} bytes: kvm-vhost ${vhost.toFixed(0)}, kvm-virtio ${virtio.toFixed(0)}, kvm ${emu.toFixed(0)} Mb/s`);
    expect(vhost).toBeGreaterThanOrEqual(virtio);
    expect(virtio).toBeGreaterThan(emu);
  });

  it('the same scenario and seed give the same report twice', () => {
    for (const mode of ['kvm', 'kvm-vhost'] as const) {
      const a = runNet(mode, 'ttcp', { bytes: '1MiB' }, '200ms');
      const b = runNet(mode, 'ttcp', { bytes: '1MiB' }, '200ms');
      expect(JSON.stringify(buildReport(b.world))).toBe(JSON.stringify(buildReport(a.world)));
      expect(JSON.stringify(a.report)).toBe(JSON.stringify(b.report));
    }
  });
});
