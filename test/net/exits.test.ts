// Acceptance: what a packet costs in traps and notifications (REFERENCE §6.3).
//   e1000 without interrupt moderation: 5 to 8 register exits per packet (request/response,
//     every packet completed by its own interrupt: TDT, then ICR, IMC, STATUS, [RDT], IMS,
//     STATUS);
//   e1000 with moderation (InterruptThrottleRate 8000) under bulk load: well below 1;
//   PV netfront: no register exit at all, and below 0.1 notifications per packet (both
//     directions, frontend and backend together) under bulk load — ttcp with 64 KiB writes, so
//     that one push carries a window's worth of segments (there is no GSO) — thanks to the
//     rings' event indices, NAPI polling and lazily reaped transmit completions.
// The tests print the numbers they assert.
import { describe, expect, it } from 'vitest';
import { driverAccessesPerPacket, runNet } from './helpers';

/** EPT-violation exits per packet after the probe (the e1000 is the only MMIO device used). */
function e1000ExitsPerPacket(o: ReturnType<typeof runNet>) {
  const ept = o.report.domains.find((d) => d.name === 'guest')!.vmexits['EPT_VIOLATION'] ?? 0;
  const dev = o.g.net!.stack!.dev as unknown as { dio: { perOp: Map<string, { accesses: number }> } };
  const probe = dev.dio.perOp.get('probe')?.accesses ?? 0;
  const { accesses, packets } = driverAccessesPerPacket(o.g);
  return { exits: ept - probe, accesses, packets, perPacket: (ept - probe) / packets };
}

function pvNotificationsPerPacket(o: ReturnType<typeof runNet>) {
  const nf = o.g.kernel!.nics[0]!;
  const nb = o.g.net!.vifs[0]!;
  const st = o.g.net!.stack!.stats;
  const packets = st.framesIn + st.framesOut;
  return { front: nf.stats.notifications, back: nb.stats.notificationsSent, packets, perPacket: (nf.stats.notifications + nb.stats.notificationsSent) / packets };
}

describe('traps and notifications per packet', () => {
  it('e1000 without moderation: 5 to 8 register exits per packet in request/response', () => {
    const o = runNet('hvm', 'netperf-rr', { transactions: '2000', itr: '0' }, '1s');
    const e = e1000ExitsPerPacket(o);
    console.log(`e1000, no moderation, TCP_RR: ${e.exits} register exits for ${e.packets} packets = ${e.perPacket.toFixed(2)} per packet`);
    expect(e.exits).toBe(e.accesses); // every access the driver made was one exit
    expect(e.perPacket).toBeGreaterThanOrEqual(5);
    expect(e.perPacket).toBeLessThanOrEqual(8);
  });

  it('e1000 with moderation (InterruptThrottleRate 8000): well below 1 register exit per packet under bulk load', () => {
    const o = runNet('hvm', 'ttcp', { bytes: '8MiB', itr: '8000' }, '1s');
    const e = e1000ExitsPerPacket(o);
    const off = e1000ExitsPerPacket(runNet('hvm', 'ttcp', { bytes: '8MiB', itr: '0' }, '1s'));
    console.log(`e1000, ttcp 8 MiB: with moderation ${e.perPacket.toFixed(3)} exits per packet (${e.exits} / ${e.packets}); without ${off.perPacket.toFixed(3)} (${off.exits} / ${off.packets})`);
    expect(o.g.workload.stats()).toMatchObject({ finished: true, errors: 0 });
    expect(e.perPacket).toBeLessThan(0.5);
    expect(e.perPacket).toBeLessThan(off.perPacket);
  });

  it('PV netfront: no register exit, and below 0.1 notifications per packet under bulk load (64 KiB writes and reads)', () => {
    const tx = runNet('pv', 'ttcp', { bytes: '8MiB', buflen: '64KiB' }, '1s');
    const rx = runNet('pv', 'ttcp', { mode: 'receive', bytes: '8MiB', buflen: '64KiB' }, '1s');
    for (const [what, o] of [['transmit', tx], ['receive', rx]] as const) {
      const n = pvNotificationsPerPacket(o);
      console.log(`PV ttcp ${what} 8 MiB, -l 64 KiB: ${n.front} frontend + ${n.back} backend notifications for ${n.packets} packets = ${n.perPacket.toFixed(3)} per packet`);
      expect(o.report.domains.find((d) => d.name === 'guest')!.vmexits).toEqual({});
      expect(o.g.workload.stats()).toMatchObject({ finished: true, errors: 0 });
      expect(n.perPacket).toBeLessThan(0.1);
    }
  });

  it('PV request/response has no batching to amortize: about one notification per packet each way', () => {
    const o = runNet('pv', 'netperf-rr', { transactions: '500' }, '1s');
    const n = pvNotificationsPerPacket(o);
    console.log(`PV TCP_RR: ${n.perPacket.toFixed(2)} notifications per packet`);
    expect(n.perPacket).toBeGreaterThan(0.5);
  });
});
