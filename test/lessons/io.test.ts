// Lessons 1-4, the I/O path: each lesson's claim checked on the figures `pvlab run` prints.
import { describe, expect, it } from 'vitest';
import { lesson, narrate } from './helpers';
import { modern } from '../../hw/platforms/modern';

describe('lesson 1, pv-vs-hvm', () => {
  it('reads at least 1.5 times as fast through PV drivers as through emulated IDE, with no exits against 20 to 32 per read', () => {
    const l = lesson('pv-vs-hvm');
    expect(l.f('pv.iops')).toBeGreaterThanOrEqual(1.5 * l.f('hvm.iops'));
    expect(l.f('hvm.latency')).toBeGreaterThanOrEqual(1.5 * l.f('pv.latency'));
    expect(l.f('pv.exitsPerIo')).toBe(0);
    expect(l.f('hvm.exitsPerIo')).toBeGreaterThanOrEqual(20);
    expect(l.f('hvm.exitsPerIo')).toBeLessThanOrEqual(32);
    expect(l.f('hvm.ioreqsPerIo')).toBeGreaterThanOrEqual(20);
    // Per read: an event send (unless the ring suppresses it), SCHEDOP_block, and the irets that
    // end io_submit() and io_getevents() (a 64-bit PV kernel's system calls bounce through Xen);
    // boot's calls are spread over the reads.
    expect(l.f('pv.hypercallsPerIo')).toBeGreaterThanOrEqual(3);
    expect(l.f('pv.hypercallsPerIo')).toBeLessThanOrEqual(4.25);
    // Xen's time per read: hvm's ~27 exits against pv's two system-call bounces and ~four
    // hypercalls (about 1.7 µs at modern's 895 and 835 cycles).
    expect(l.f('hvm.hypervisorPct')).toBeGreaterThan(4 * l.f('pv.hypervisorPct'));
    expect(l.f('dom0.dmPct')).toBeGreaterThan(0);
  });
});

describe('lesson 2, vmexit-anatomy', () => {
  it('counts 20 to 32 register accesses per IDE read, every one an IO_INSTRUCTION exit sent to QEMU as an ioreq', () => {
    const l = lesson('vmexit-anatomy');
    expect(l.f('reads')).toBe(10);
    expect(l.f('accessesPerRead')).toBeGreaterThanOrEqual(20);
    expect(l.f('accessesPerRead')).toBeLessThanOrEqual(32);
    expect(l.f('ioreqs')).toBe(l.f('ioExits')); // no IDE register is emulated inside Xen
    expect(l.f('ioExits')).toBeGreaterThanOrEqual(l.f('reads') * l.f('accessesPerRead') + l.f('probeAccesses'));
    expect(l.f('probeAccesses')).toBeGreaterThan(l.f('accessesPerRead'));
    expect(l.f('hltExits')).toBeGreaterThanOrEqual(l.f('reads'));
  });

  it('narrates each access with its exit reason, port and register, and the hand-off to the device model', () => {
    const lines = narrate('vmexit-anatomy', { fromNs: 3_290_000, events: 30, topics: new Set(['exits']) });
    console.log(lines.slice(0, 8).join('\n'));
    expect(lines).toHaveLength(30);
    for (const l of lines) expect(l).toMatch(/^d1v0 exits \(IO_INSTRUCTION\) (reading port 0x[0-9a-f]+|writing 0x[0-9a-f]+ to port 0x[0-9a-f]+)/);
    // The drive select of REFERENCE §6.3: 0xa0 written to the device register at 0x1f6.
    expect(lines.some((l) => /writing 0xa0 to port 0x1f6 \(device\)/.test(l))).toBe(true);
    expect(lines.some((l) => /reading port 0x1f7 \(status\/command\)/.test(l))).toBe(true);
    expect(lines.some((l) => /port 0xc000 \(bm-cmd\)/.test(l))).toBe(true); // the bus-master DMA engine
    expect(lines.every((l) => l.includes('Xen hands it to the device model in dom0 as an ioreq'))).toBe(true);
  });
});

describe('lesson 3, ring-batching', () => {
  it('at iodepth 32 sends at most a fifth of the notifications per request that iodepth 1 sends, each way, with batches of 8 or more', () => {
    const l = lesson('ring-batching');
    expect(l.f('qd1.frontNotify')).toBeGreaterThanOrEqual(0.9);
    expect(l.f('qd32.frontNotify')).toBeLessThanOrEqual(l.f('qd1.frontNotify') / 5);
    expect(l.f('qd32.backNotify')).toBeLessThanOrEqual(l.f('qd1.backNotify') / 5);
    expect(l.f('qd1.batch')).toBe(1);
    expect(l.f('qd32.batch')).toBeGreaterThanOrEqual(8);
    expect(l.f('qd32.batch')).toBeLessThanOrEqual(32); // a blkif ring on one page has 32 slots
    expect(l.f('qd32.iops')).toBeGreaterThan(5 * l.f('qd1.iops'));
  });

  it('narrates each push with the event index and whether it lies in the window (old, new]', () => {
    const lines = narrate('ring-batching', { fromNs: 20e6, events: 30, topics: new Set(['rings']) });
    console.log(lines.slice(0, 4).join('\n'));
    expect(lines).toHaveLength(30);
    const re = /pushes (\d+) (request|response)s? on xvda's blkif ring \((req|rsp)_prod (\d+) → (\d+)\); (req|rsp)_event was (\d+), (inside|not inside) \((\d+), (\d+)\], so it (notifies port \d+|sends nothing)/;
    for (const line of lines) {
      const m = re.exec(line);
      expect(m, line).not.toBeNull();
      const [count, oldProd, newProd, event, where, lo, hi, what] = [m![1], m![4], m![5], m![7], m![8], m![9], m![10], m![11]].map(String);
      expect(Number(newProd) - Number(oldProd)).toBe(Number(count));
      expect([lo, hi]).toEqual([oldProd, newProd]);
      const inside = Number(event) > Number(oldProd) && Number(event) <= Number(newProd); // REFERENCE §2.3
      expect(where).toBe(inside ? 'inside' : 'not inside');
      expect(what.startsWith('notifies')).toBe(inside);
      expect(m![3]).toBe(m![6]); // req_prod goes with req_event, rsp_prod with rsp_event
    }
    expect(lines.some((l) => /^d2v0 pushes 32 requests/.test(l))).toBe(true);
    expect(lines.some((l) => /^d0v0 pushes \d+ responses? .*rsp_event/.test(l))).toBe(true);
  });
});

describe('lesson 4, grant-map-vs-copy', () => {
  it('maps and shoots down once per request at iodepth 1, where copying costs dom0 less; at iodepth 32 mapping costs less', () => {
    const l = lesson('grant-map-vs-copy');
    expect(l.f('mapper.mapsPerIo')).toBeGreaterThanOrEqual(0.99);
    expect(l.f('mapper.shootdownsPerIo')).toBeGreaterThanOrEqual(0.9);
    expect(l.f('copier.copiesPerIo')).toBeGreaterThanOrEqual(0.99);
    expect(l.f('copier.mapsPerIo')).toBe(0);
    expect(l.f('copy.qd1.hvNs')).toBeLessThan(0.75 * l.f('map.qd1.hvNs'));
    expect(l.f('map.qd32.hvNs')).toBeLessThan(l.f('copy.qd32.hvNs'));
    expect(l.f('map.qd32.hvNs')).toBeLessThan(l.f('map.qd1.hvNs') / 3); // one shootdown per batch of 32
  });

  it('with persistent grants maps a page once and keeps it: dom0 saves the map, the unmap and the shootdown, and the guest copies the bytes', () => {
    const l = lesson('grant-map-vs-copy');
    // One read at a time: the frontend reuses the page it got back last, so one grant is kept.
    expect(l.f('keeper.keptGrants')).toBe(1);
    expect(l.f('keeper.mapsPerIo')).toBeLessThan(0.01);
    expect(l.f('keeper.copiedPerIo')).toBe(4096);
    // What persistence removes per request, by the platform's costs: two hypercalls (map and
    // unmap), one page mapped, one unmapped, one TLB shootdown.
    const hv = modern.hypervisor;
    const saved = 2 * hv.hypercallNs + hv.grantMapNs + hv.grantUnmapNs + hv.tlbShootdownNs;
    expect(l.f('map.qd1.hvNs') - l.f('keep.qd1.hvNs')).toBeCloseTo(saved, -1);
    expect(l.f('keep.qd1.hvNs')).toBeLessThan(l.f('copy.qd1.hvNs'));
    expect(l.f('keep.qd32.hvNs')).toBeLessThan(l.f('map.qd32.hvNs') / 5);
  });
});
