// netback against a hostile frontend: malformed transmit requests get NETIF_RSP_ERROR and
// the vif goes on; an impossible ring state closes that one vif; a guest beside it on the
// same bridge notices nothing; the simulator never throws. And a well-behaved frontend's frame
// leaves the host only after netback's work for it.
import { describe, expect, it } from 'vitest';
import { buildWorld } from '../../lab/run/world';
import { scenarioFrom } from '../helpers/world';
import { encodeNetifTxRequest, NETTXF_extra_info, NETTXF_more_data } from '../../hypervisor/public/io/netif';
import { XenbusState } from '../../hypervisor/public/io/xs_wire';
import type { FrontRing } from '../../ringbuf/ring';

const MS = 1_000_000;

const yaml = `name: hostile-vif
duration: 300ms
host: {pcpus: 4}
dom0: {vcpus: 2}
domains:
  - {name: victim, type: pv, memory: 256, vif: ['bridge=xenbr0'], workload: {kind: ttcp, bytes: 2MiB}}
  - {name: evil, type: pv, memory: 256, vif: ['bridge=xenbr0'], workload: {kind: ttcp, mode: sink}}
`;

describe('netback and a hostile frontend', () => {
  it('answers malformed packets with errors, closes the vif on a bogus producer index, and the other guest goes on', () => {
    const w = buildWorld(scenarioFrom(yaml));
    const evil = w.guests.find((g) => g.domain.name === 'evil')!;
    const victim = w.guests.find((g) => g.domain.name === 'victim')!;
    const at = (t: number, fn: () => void) => w.engine.at(t, { fire: fn });
    const ring = () => (evil.kernel!.nics[0] as unknown as { tx: FrontRing }).tx;
    const kick = () => w.hv.evtchn.send(evil.domain.id, (evil.kernel!.nics[0] as unknown as { port: number }).port);
    const put = (gref: number, offset: number, flags: number, id: number, size: number) =>
      ring().produceRequest((v, o) => encodeNetifTxRequest(v, o, { gref, offset, flags, id, size }));
    const validGref = 8; // the first ref the evil kernel's allocator hands out: its tx ring page
    at(40 * MS, () => {
      put(validGref, 4000, 0, 200, 200); // runs past its page
      put(validGref, 0, 0, 201, 10); // shorter than an Ethernet header
      for (let i = 0; i < 20; i++) put(validGref, 0, i < 19 ? NETTXF_more_data : 0, 202 + i, i === 0 ? 20 * 60 : 60); // 20 slots
      put(99_999, 0, 0, 230, 60); // a grant that does not exist
      put(validGref, 0, NETTXF_extra_info, 231, 60); // asks for GSO, which was never offered
      put(0, 0, 0, 232, 0);
      ring().pushRequests();
      kick();
    });
    at(60 * MS, () => {
      const access = (ring() as unknown as { access: { store(off: number, v: number): void } }).access;
      access.store(0, (ring().requestsProduced + 5000) >>> 0); // req_prod far past anything possible
      kick();
    });
    w.engine.run(w.scenario.duration);
    const nb = evil.net!.vifs[0]!;
    expect(nb.stats.txErrors).toBe(5);
    expect(nb.failed).toMatch(/bogus ring requests \(request-producer-overflow\)/);
    expect(nb.state).toBe(XenbusState.Closing);
    expect(w.dom0.xs.read(undefined, `${nb.be}/error`)).toMatch(/bogus/);
    expect(w.net!.bridge.portNames).not.toContain(nb.name);
    expect(victim.workload.stats()).toMatchObject({ bytes: 2 << 20, errors: 0, finished: true });
    const [sink] = w.net!.peer.connections();
    expect(sink!.stats).toMatchObject({ bytesIn: 2 << 20, verifyErrors: 0 });
    expect(victim.net!.vifs[0]!.failed).toBeUndefined();
  });
});

describe('netback on the path of a packet', () => {
  it("hands a PV guest's frame to the physical NIC only after netback has built it: its grant copy and its per-packet work", () => {
    const w = buildWorld(scenarioFrom(`name: rr
duration: 20ms
host: {pcpus: 4}
dom0: {vcpus: 1}
domains:
  - {name: g, type: pv, memory: 256, vif: ['bridge=xenbr0'], workload: {kind: netperf-rr}}
`));
    // When dom0's vCPU last started running, and when the physical NIC is given each frame.
    let dom0Ran = -1;
    const gaps: number[] = [];
    const sub = w.hv.trace.events.subscribe((e) => {
      if (e.type === 'runstate' && e.dom === 0 && e.to === 'running') dom0Ran = e.t;
    });
    const nic = w.net!.nic;
    const transmit = nic.transmit.bind(nic);
    nic.transmit = (frame) => {
      if (dom0Ran >= 0) gaps.push(w.engine.now - dom0Ran);
      return transmit(frame);
    };
    w.engine.run(20 * MS);
    sub.unsubscribe();
    expect(gaps.length).toBeGreaterThan(100);
    // Before the frame leaves, dom0's vCPU is switched in (a scheduling decision and a context
    // switch), bounced into its event callback and takes the interrupt; then netback
    // grant-copies the frame (a hypercall) and does its per-packet work.
    const p = w.profile;
    const wake = p.sched.scheduleDecisionNs + p.sched.contextSwitchNs + p.hypervisor.upcallNs + p.kernel.irqEntryNs;
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(wake + p.hypervisor.hypercallNs + p.net.driverPerPacketNs);
  });
});
