// T11: a domain sending events as fast as its vCPU can, at dom0 through its xenstore channel
// and then at itself. Pending bits coalesce (a send on a port already pending is one event),
// every send is charged to the sender's vCPU as hypervisor time, and the victim's I/O through
// the same dom0 keeps its latency within the oracle's bound.
import { describe, expect, it } from 'vitest';
import { isolation, MS } from './harness';

describe('T11: an event storm', () => {
  it('coalesces in pending bits, is paid for by the sender, and leaves the victim within bounds', () => {
    const iso = isolation({ attack: 'T11', attackOpts: { durationNs: 10 * MS } });
    const { hv, profile } = iso.lab.w;
    const h = iso.lab.hostile!;
    const o = h.log.outcomes;
    const sends = (o['storm.dom0.sends'] as number) + (o['storm.self.sends'] as number);
    expect(o['storm.dom0.sends']).toBeGreaterThan(10_000);
    expect(o['storm.self.sends']).toBeGreaterThan(10_000);
    // Almost every send found its port already pending: one upcall stands for many sends.
    expect(hv.evtchn.counters.pendingAlreadySet).toBeGreaterThan(0.9 * sends);
    const perSend = profile.hypervisor.hypercallNs + profile.hypervisor.evtchnSendNs;
    expect(h.domain.cpu.hypervisor).toBeGreaterThanOrEqual(sends * perSend);
    console.log(`T11: ${sends} sends, ${hv.evtchn.counters.pendingAlreadySet} coalesced; victim p99 ${iso.beside.p99} ns beside the storm, ${iso.alone.p99} ns alone`);
  });
});
