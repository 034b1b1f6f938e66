// netperf TCP_RR on a KVM host: where a transaction's latency comes from under QEMU's e1000
// (`kvm`), virtio-net served by QEMU's I/O thread (`kvm-virtio`) and by vhost-net
// (`kvm-vhost`). The bounds follow from the cost model, not from a run:
//  - kvm-virtio and kvm-vhost run the same device code and the same guest driver, one kick and
//    one frame from the tap per transaction. What QEMU adds is its I/O thread's wake-up from
//    ppoll on the guest's kick (virt.ioeventfdWakeNs, a delay: "guest->host notification
//    ... around 20 us") and that thread's system calls. The tap becoming readable is no
//    guest->host notification: it wakes the thread as virtio-blk's completion eventfd does, with
//    no kick latency. So virtio's extra latency over vhost is one ioeventfdWakeNs plus at most
//    the I/O thread's CPU time per transaction — not two wake-ups.
//  - QEMU's e1000 sends from the vCPU thread inside the tail write's exit and receives on the
//    I/O thread from the tap: no kick at all, so its extra latency over vhost is at most its
//    exits to user space, each a round trip plus the return to user space, and their handlers.
import { describe, expect, it } from 'vitest';
import { runNet } from '../net/helpers';

const TRANSACTIONS = 40;

describe('netperf-rr latency on a KVM host', () => {
  const run = (mode: 'kvm' | 'kvm-virtio' | 'kvm-vhost') => {
    const o = runNet(mode, 'netperf-rr', { transactions: String(TRANSACTIONS) }, '1s');
    const st = o.g.workload.stats() as unknown as { finished: boolean; errors: number; latencyMeanNs: number; transactions: number };
    expect(st).toMatchObject({ finished: true, errors: 0, transactions: TRANSACTIONS });
    return { o, latency: st.latencyMeanNs, virt: o.world.profile.virt };
  };
  const [virtio, vhost, e1000] = [run('kvm-virtio'), run('kvm-vhost'), run('kvm')];
  const W = virtio.virt.ioeventfdWakeNs;

  it('kvm-virtio pays the I/O thread\'s kick wake-up once per transaction, not again for the tap', () => {
    const io = virtio.o.g.qemu!.ioThread.stats;
    const ioCpuPerTransaction = (io.userNs + io.kernelNs) / TRANSACTIONS;
    const extra = virtio.latency - vhost.latency;
    console.log(`TCP_RR latency: kvm-vhost ${vhost.latency} ns, kvm-virtio ${virtio.latency} ns (+${extra} ns; kick wake-up ${W} ns, I/O thread CPU ${ioCpuPerTransaction.toFixed(0)} ns per transaction)`);
    expect(W).toBeGreaterThan(0);
    expect(extra).toBeGreaterThanOrEqual(W);
    expect(extra).toBeLessThanOrEqual(W + ioCpuPerTransaction);
  });

  it('kvm (e1000): its extra latency over vhost is bounded by its exits to user space and their handlers', () => {
    const k = e1000.o.report.domains.find((d) => d.name === 'guest')!.kvm!;
    const exits = Object.values(k.userExits).reduce((a, b) => a + b, 0);
    const perExit = e1000.virt.vmexitRoundTripNs + e1000.virt.userspaceExitNs;
    const bound = (exits * perExit + k.handlerNs) / TRANSACTIONS;
    const extra = e1000.latency - vhost.latency;
    console.log(`TCP_RR latency: kvm ${e1000.latency} ns (+${extra} ns over vhost); ${(exits / TRANSACTIONS).toFixed(1)} exits to user space per transaction, bound ${bound.toFixed(0)} ns`);
    expect(extra).toBeGreaterThan(0);
    expect(extra).toBeLessThanOrEqual(bound);
  });
});
