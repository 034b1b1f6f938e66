// The split virtqueue (ringbuf/virtqueue.ts): chains in and out, event-index suppression and
// the lost-wakeup-free re-checks, u16 wrap, and a device that names what a bad driver did.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtqDevice } from '../../ringbuf/virtq-device';
import { VirtqDriver, virtqAreasIn, virtqLayout, vringNeedEvent, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, type VirtqAreas } from '../../ringbuf/virtqueue';

const N = 8;
function pair(eventIdx = true, size = N) {
  const region = new Uint8Array(4096);
  const areas = virtqAreasIn(region, size)!;
  const drv = new VirtqDriver(areas, size, { eventIdx });
  const dev = new VirtqDevice(areas, size, { eventIdx });
  return { region, areas, drv, dev };
}
const seg = (addr: number, len: number, write = false) => ({ addr, len, write });

describe('the split virtqueue', () => {
  it('lays the three areas out with the spec\'s alignments, 128 entries in one 4 KiB page', () => {
    expect(virtqLayout(8)).toMatchObject({ desc: 0, avail: 128, used: 152, bytes: 152 + 70 });
    expect(virtqLayout(128).bytes).toBeLessThanOrEqual(4096);
    expect(virtqLayout(256).bytes).toBeGreaterThan(4096);
    expect(() => virtqLayout(6)).toThrow(RangeError);
  });

  it('implements vring_need_event: notify iff the event index lies in [old, new)', () => {
    expect(vringNeedEvent(5, 6, 5)).toBe(true);
    expect(vringNeedEvent(5, 5, 4)).toBe(false);
    expect(vringNeedEvent(3, 8, 5)).toBe(false);
    expect(vringNeedEvent(65535, 1, 65534)).toBe(true); // across the u16 wrap
  });

  it('carries a three-descriptor chain from driver to device and back, with its length', () => {
    const { drv, dev } = pair();
    const a = drv.add([seg(0x1000, 16), seg(0x2000, 4096, true), seg(0x3000, 1, true)]);
    expect(a).toEqual({ kind: 'ok', head: 0 });
    expect(drv.numFree).toBe(N - 3);
    expect(drv.kickPrepare()).toBe(true); // the device has not said otherwise: avail_event 0 is in [0, 1)
    const p = dev.pop();
    expect(p).toEqual({ kind: 'ok', head: 0, segments: [seg(0x1000, 16), seg(0x2000, 4096, true), seg(0x3000, 1, true)] });
    expect(dev.pop()).toEqual({ kind: 'empty' });
    dev.pushUsed(0, 4097);
    expect(dev.flushUsed()).toBe(true); // used_event 0 is in [0, 1)
    expect(drv.getUsed()).toEqual({ kind: 'ok', head: 0, len: 4097 });
    expect(drv.numFree).toBe(N);
    expect(drv.getUsed()).toEqual({ kind: 'empty' });
  });

  it('suppresses kicks while the device is busy and interrupts while the driver is, with EVENT_IDX', () => {
    const { drv, dev } = pair();
    drv.add([seg(0, 1)]);
    expect(drv.kickPrepare()).toBe(true);
    // The device works without re-enabling notifications: further kicks are unnecessary.
    dev.disableNotify();
    expect(dev.pop().kind).toBe('ok');
    drv.add([seg(0, 1)]);
    expect(drv.kickPrepare()).toBe(false);
    expect(dev.pop().kind).toBe('ok');
    expect(dev.enableNotify()).toBe(false); // nothing more: it may sleep, avail_event = 2
    drv.add([seg(0, 1)]);
    expect(drv.kickPrepare()).toBe(true);
    // Completions: the driver enabled callbacks at 0; the first flush notifies, the next do not.
    expect(dev.pop().kind).toBe('ok');
    dev.pushUsed(0, 0);
    expect(dev.flushUsed()).toBe(true);
    dev.pushUsed(1, 0);
    expect(dev.flushUsed()).toBe(false);
    expect(drv.getUsed().kind).toBe('ok');
    expect(drv.getUsed().kind).toBe('ok');
    expect(drv.enableCb()).toBe(false);
    dev.pushUsed(2, 0);
    expect(dev.flushUsed()).toBe(true);
  });

  it('uses the NO_NOTIFY and NO_INTERRUPT flags when EVENT_IDX is off', () => {
    const { drv, dev } = pair(false);
    dev.disableNotify();
    drv.add([seg(0, 1)]);
    expect(drv.kickPrepare()).toBe(false);
    expect(dev.enableNotify()).toBe(true); // the re-check finds the chain
    drv.disableCb();
    expect(dev.pop().kind).toBe('ok');
    dev.pushUsed(0, 0);
    expect(dev.flushUsed()).toBe(false);
    expect(drv.enableCb()).toBe(true);
  });

  it('wraps its u16 indices: 140,000 requests (twice round the u16) through a queue of 8', () => {
    const { drv, dev } = pair();
    for (let i = 0; i < 140_000; i++) {
      const a = drv.add([seg(i, 1), seg(i + 1, 1, true)]);
      if (a.kind !== 'ok') throw new Error(`add ${i}`);
      drv.kickPrepare();
      const p = dev.pop();
      if (p.kind !== 'ok') throw new Error(`pop ${i}: ${JSON.stringify(p)}`);
      dev.pushUsed(p.head, 1);
      dev.flushUsed();
      const u = drv.getUsed();
      if (u.kind !== 'ok' || u.head !== p.head) throw new Error(`used ${i}: ${JSON.stringify(u)}`);
    }
    expect(drv.numFree).toBe(N);
  });

  it('completes every request exactly once and never loses a wake-up, in any interleaving', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 400 }), fc.boolean(), (steps, eventIdx) => {
      const { drv, dev } = pair(eventIdx);
      // Each side takes one small step at a time and sleeps when its re-check finds nothing;
      // only a notification (a kick, an interrupt: pending until taken) wakes it.
      const st = { devAwake: false, drvAwake: true, devEmpty: false, drvEmpty: false, kick: false, irq: false, added: 0, completed: 0 };
      const taken: number[] = [];
      const outstanding = new Set<number>();
      const step = (s: number): boolean => {
        switch (s) {
          case 0: case 1: { // the driver adds one request and kicks if it must
            const a = drv.numFree > 0 ? drv.add([seg(st.added, 1)]) : { kind: 'no-space' as const };
            if (a.kind !== 'ok') return false;
            st.added++;
            outstanding.add(a.head);
            if (drv.kickPrepare()) st.kick = true;
            return true;
          }
          case 2: { // the device: wake on a kick, take one chain, or (after finding none) try to sleep
            if (!st.devAwake) {
              if (!st.kick) return false;
              st.kick = false;
              st.devAwake = true;
              dev.disableNotify();
            } else if (st.devEmpty) {
              st.devEmpty = false;
              if (!dev.enableNotify()) st.devAwake = false;
            } else {
              const p = dev.pop();
              if (p.kind === 'ok') taken.push(p.head);
              else st.devEmpty = true;
            }
            return true;
          }
          case 3: { // the device completes one
            if (taken.length === 0) return false;
            dev.pushUsed(taken.shift()!, 0);
            if (dev.flushUsed()) st.irq = true;
            return true;
          }
          default: { // the driver: wake on an interrupt, take one completion, or (after none) try to sleep
            if (!st.drvAwake) {
              if (!st.irq) return false;
              st.irq = false;
              st.drvAwake = true;
              drv.disableCb();
            } else if (st.drvEmpty) {
              st.drvEmpty = false;
              if (!drv.enableCb()) st.drvAwake = false;
            } else {
              const u = drv.getUsed();
              if (u.kind === 'ok') {
                if (!outstanding.delete(u.head)) throw new Error(`head ${u.head} completed twice`);
                st.completed++;
              } else st.drvEmpty = true;
            }
            return true;
          }
        }
      };
      for (const s of steps) step(s);
      // Drain with no new requests, in the same kind of random order, then in a fixed one:
      // if anything is stuck at the end, a wake-up was lost.
      const tail = steps.filter((s) => s >= 2);
      for (let k = 0; k < 8 * tail.length; k++) step(tail[k % tail.length]!);
      for (let guard = 0; guard < 100 * N; guard++) if (![2, 3, 4].map(step).some(Boolean)) break;
      expect(st.completed).toBe(st.added);
      expect(outstanding.size).toBe(0);
    }), { numRuns: 1000 });
  });
});

describe('a device facing a bad driver', () => {
  const write = (areas: VirtqAreas, at: 'avail' | 'desc', off: number, v: number, bytes = 2) => {
    const dv = new DataView(areas[at].buffer, areas[at].byteOffset);
    if (bytes === 2) dv.setUint16(off, v, true);
    else dv.setUint32(off, v, true);
  };

  it('halts on an avail.idx more than a queue ahead (InvalidAvailRingIndex)', () => {
    const { areas, dev } = pair();
    write(areas, 'avail', 2, N + 1);
    const p = dev.pop();
    expect(p).toMatchObject({ kind: 'broken', reason: 'avail-index-overflow' });
    expect(dev.pop()).toBe(p); // halted: the same fault again
    expect(dev.halted).toBe(p);
  });

  it('halts on a head or a next out of range, a loop, and an indirect descriptor it never offered', () => {
    const cases: [string, (a: VirtqAreas) => void][] = [
      ['head-out-of-range', (a) => { write(a, 'avail', 4, N); write(a, 'avail', 2, 1); }],
      ['next-out-of-range', (a) => { write(a, 'desc', 12, VIRTQ_DESC_F_NEXT); write(a, 'desc', 14, 99); write(a, 'avail', 2, 1); }],
      ['chain-too-long', (a) => { write(a, 'desc', 12, VIRTQ_DESC_F_NEXT); write(a, 'desc', 14, 0); write(a, 'avail', 2, 1); }],
      ['indirect-not-negotiated', (a) => { write(a, 'desc', 12, 4); write(a, 'avail', 2, 1); }],
    ];
    for (const [reason, poke] of cases) {
      const { areas, dev } = pair();
      poke(areas);
      expect(dev.pop()).toMatchObject({ kind: 'broken', reason });
    }
  });

  it('lets the driver name a device that answers what it was never asked', () => {
    const { areas, drv } = pair();
    const used = new DataView(areas.used.buffer, areas.used.byteOffset);
    used.setUint32(4, 3, true); // id 3, never given
    used.setUint16(2, 1, true);
    expect(drv.getUsed()).toMatchObject({ kind: 'broken', reason: 'used-id-not-outstanding' });
    const b = pair();
    new DataView(b.areas.used.buffer, b.areas.used.byteOffset).setUint16(2, N + 1, true);
    expect(b.drv.getUsed()).toMatchObject({ kind: 'broken', reason: 'used-index-overflow' });
  });
});

describe('indirect descriptors (VIRTIO_RING_F_INDIRECT_DESC)', () => {
  /** A queue of N with a 'guest memory' of 64 KiB behind it: tables live at 0x8000 onwards. */
  function indirectPair() {
    const ram = new Uint8Array(0x10000);
    const areas = virtqAreasIn(ram.subarray(0, 4096), N)!;
    const drv = new VirtqDriver(areas, N, { eventIdx: true, indirect: true });
    const read = (addr: number, len: number) => (addr + len <= ram.length ? ram.slice(addr, addr + len) : undefined);
    const dev = new VirtqDevice(areas, N, { eventIdx: true, indirect: read });
    const table = (addr: number) => ({ addr, bytes: ram.subarray(addr, addr + 16 * N) });
    return { ram, areas, drv, dev, table };
  }

  it('puts a chain of any length up to the queue size in a table, taking one descriptor of the ring', () => {
    const { drv, dev, table } = indirectPair();
    const chain = [seg(0x1000, 16), ...Array.from({ length: N - 2 }, (_, i) => seg(0x2000 + 0x1000 * i, 4096, true)), seg(0x3000, 1, true)];
    expect(drv.add(chain, table(0x8000))).toEqual({ kind: 'ok', head: 0 });
    expect(drv.numFree).toBe(N - 1); // a direct chain of N would have taken them all
    expect(drv.add([seg(0x1000, 16), seg(0x3000, 1, true)], table(0x9000))).toEqual({ kind: 'ok', head: 1 });
    drv.kickPrepare();
    expect(dev.pop()).toEqual({ kind: 'ok', head: 0, segments: chain });
    expect(dev.pop()).toEqual({ kind: 'ok', head: 1, segments: [seg(0x1000, 16), seg(0x3000, 1, true)] });
    dev.pushUsed(0, 1);
    dev.pushUsed(1, 1);
    dev.flushUsed();
    expect(drv.getUsed()).toMatchObject({ kind: 'ok', head: 0 });
    expect(drv.getUsed()).toMatchObject({ kind: 'ok', head: 1 });
    expect(drv.numFree).toBe(N);
  });

  it('halts on a table of a bad size, outside RAM, with an entry indirect again, a loop, a link out of it, or behind NEXT', () => {
    const bad: [string, (r: { ram: Uint8Array; areas: VirtqAreas }) => void][] = [];
    const desc = (a: VirtqAreas, i: number, addr: number, len: number, flags: number, next = 0) => {
      const d = new DataView(a.desc.buffer, a.desc.byteOffset);
      d.setUint32(i * 16, addr, true);
      d.setUint32(i * 16 + 8, len, true);
      d.setUint16(i * 16 + 12, flags, true);
      d.setUint16(i * 16 + 14, next, true);
    };
    const entry = (ram: Uint8Array, at: number, i: number, flags: number, next = 0) => {
      const d = new DataView(ram.buffer, at);
      d.setUint32(i * 16, 0x1000, true);
      d.setUint32(i * 16 + 8, 512, true);
      d.setUint16(i * 16 + 12, flags, true);
      d.setUint16(i * 16 + 14, next, true);
    };
    const publish = (a: VirtqAreas) => new DataView(a.avail.buffer, a.avail.byteOffset).setUint16(2, 1, true);
    bad.push(['size 0', ({ areas }) => desc(areas, 0, 0x8000, 0, VIRTQ_DESC_F_INDIRECT)]);
    bad.push(['size 24', ({ areas }) => desc(areas, 0, 0x8000, 24, VIRTQ_DESC_F_INDIRECT)]);
    bad.push(['more entries than the queue', ({ areas }) => desc(areas, 0, 0x8000, 16 * (N + 1), VIRTQ_DESC_F_INDIRECT)]);
    bad.push(['outside RAM', ({ areas }) => desc(areas, 0, 0xfff0, 32, VIRTQ_DESC_F_INDIRECT)]);
    bad.push(['indirect again', ({ ram, areas }) => { entry(ram, 0x8000, 0, VIRTQ_DESC_F_INDIRECT); desc(areas, 0, 0x8000, 32, VIRTQ_DESC_F_INDIRECT); }]);
    bad.push(['a loop', ({ ram, areas }) => { entry(ram, 0x8000, 0, VIRTQ_DESC_F_NEXT, 1); entry(ram, 0x8000, 1, VIRTQ_DESC_F_NEXT, 0); desc(areas, 0, 0x8000, 32, VIRTQ_DESC_F_INDIRECT); }]);
    bad.push(['a link out of the table', ({ ram, areas }) => { entry(ram, 0x8000, 0, VIRTQ_DESC_F_NEXT, 2); desc(areas, 0, 0x8000, 32, VIRTQ_DESC_F_INDIRECT); }]);
    bad.push(['behind NEXT', ({ ram, areas }) => { entry(ram, 0x8000, 0, 0); desc(areas, 0, 0x1000, 16, VIRTQ_DESC_F_NEXT, 1); desc(areas, 1, 0x8000, 16, VIRTQ_DESC_F_INDIRECT); }]);
    bad.push(['with NEXT', ({ ram, areas }) => { entry(ram, 0x8000, 0, 0); desc(areas, 0, 0x8000, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1); }]);
    for (const [name, poke] of bad) {
      const p = indirectPair();
      poke(p);
      publish(p.areas);
      expect(p.dev.pop(), name).toMatchObject({ kind: 'broken', reason: 'indirect-table-invalid' });
    }
    // The table is read once: rewriting it after the pop changes nothing the device holds.
    const p = indirectPair();
    p.drv.add([seg(0x1000, 16), seg(0x3000, 1, true)], p.table(0x8000));
    p.drv.kickPrepare();
    const got = p.dev.pop();
    p.ram.fill(0xff, 0x8000, 0x8020);
    expect(got).toEqual({ kind: 'ok', head: 0, segments: [seg(0x1000, 16), seg(0x3000, 1, true)] });
  });
});
