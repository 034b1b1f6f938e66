// Lesson 15, interrupt moderation on an emulated NIC: the lesson's claims checked on the figures
// `pvlab run interrupt-moderation` prints, and its narration of one interrupt's registers.
import { describe, expect, it } from 'vitest';
import { lesson, narrate } from './helpers';

/** e1000 registers at the driver's BAR (REFERENCE §6.3). */
const BAR = 0xfeb8_0000;
const ICR = BAR + 0xc0;
const IMC = BAR + 0xd8;
const IMS = BAR + 0xd0;
const STATUS = BAR + 0x08;

describe('lesson 15, interrupt-moderation', () => {
  it('trades exits for latency: a fixed rate makes bulk cheaper and faster and request/response slower; the dynamic mode keeps latency', () => {
    const l = lesson('interrupt-moderation');
    // What each setting programs into ITR.
    expect(l.f('none.itrRate')).toBe(0);
    expect(l.f('fixed.itrRate')).toBeCloseTo(8_000, -2); // ITR counts 256 ns units: 488 of them
    expect(l.f('dynamic.itrRate')).toBeCloseTo(20_000, -2); // a few frames per interrupt: mixed traffic
    // Bulk: more packets per interrupt, fewer exits per packet, more throughput.
    expect(l.f('none.exitsPerPacket')).toBeGreaterThan(1);
    expect(l.f('fixed.packetsPerIrq')).toBeGreaterThan(4 * l.f('none.packetsPerIrq'));
    expect(l.f('fixed.exitsPerPacket')).toBeLessThan(l.f('none.exitsPerPacket') / 3);
    expect(l.f('fixed.mbps')).toBeGreaterThan(1.5 * l.f('none.mbps'));
    expect(l.f('dynamic.exitsPerPacket')).toBeLessThan(l.f('none.exitsPerPacket'));
    expect(l.f('dynamic.exitsPerPacket')).toBeGreaterThan(l.f('fixed.exitsPerPacket'));
    // Request/response: each transaction waits for the answer's interrupt, so 8,000 a second
    // allows at most 8,000 transactions; the dynamic mode treats one small packet as latency
    // traffic and leaves the rate where no moderation has it.
    expect(l.f('rr.fixed.tps')).toBeLessThanOrEqual(8_000 * 1.01);
    expect(l.f('rr.fixed.tps')).toBeLessThan(0.6 * l.f('rr.none.tps'));
    expect(l.f('rr.fixed.latency')).toBeGreaterThan(1.5 * l.f('rr.none.latency'));
    expect(l.f('rr.dynamic.tps')).toBeGreaterThan(0.97 * l.f('rr.none.tps'));
    // About five register accesses per interrupt (ICR, IMC, STATUS, IMS, STATUS) and a TDT per send.
    expect(l.f('rr.none.exitsPerPacket')).toBeGreaterThanOrEqual(5);
    expect(l.f('rr.none.exitsPerPacket')).toBeLessThanOrEqual(8);
  });

  it('narrates an interrupt as the register sequence the lesson names, each an EPT violation sent to QEMU', () => {
    const lines = narrate('interrupt-moderation', { fromNs: 100e6, events: 40, topics: new Set(['exits']) });
    console.log(lines.slice(0, 6).join('\n'));
    const accesses = lines.map((l) => {
      const m = /^d1v0 exits \(EPT_VIOLATION\) (reading (0x[0-9a-f]+)|writing 0x[0-9a-f]+ to (0x[0-9a-f]+)); Xen hands it to the device model in dom0/.exec(l);
      expect(m, l).not.toBeNull();
      return Number(m![2] ?? m![3]);
    });
    // An interrupt: ICR read, IMC write, STATUS flush; later IMS write, STATUS flush.
    const at = accesses.indexOf(ICR);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(accesses.slice(at, at + 3)).toEqual([ICR, IMC, STATUS]);
    const rearm = accesses.indexOf(IMS, at);
    expect(rearm).toBeGreaterThan(at);
    expect(accesses[rearm + 1]).toBe(STATUS);
  });
});
