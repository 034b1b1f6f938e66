// The ioreq slot layout of public/hvm/ioreq.h as pvlab's helpers read and write it: checked
// against the documented offsets with a DataView, independently of the helpers.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { IOREQ_SIZE, readIoreq, setIoreqData, writeIoreq, type Ioreq } from '../../../hypervisor/public/hvm/ioreq';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ioreq = fc.record({
  addr: fc.integer({ min: 0, max: 2 ** 48 }), data: u32, count: u32, size: fc.constantFrom(1, 2, 4, 8), vpEport: u32,
  state: fc.integer({ min: 0, max: 3 }), dir: fc.integer({ min: 0, max: 1 }), type: fc.integer({ min: 0, max: 1 }),
});

test('a slot written by writeIoreq sits at the documented offsets, and readIoreq reads it back', () => {
  fc.assert(
    fc.property(ioreq, fc.integer({ min: 0, max: 7 }), (r: Ioreq, vcpu) => {
      const page = new Uint8Array(4096).fill(0xaa);
      writeIoreq(page, vcpu, r);
      const v = new DataView(page.buffer, vcpu * IOREQ_SIZE, IOREQ_SIZE);
      expect(v.getBigUint64(0, true)).toBe(BigInt(r.addr)); // addr u64
      expect(v.getBigUint64(8, true)).toBe(BigInt(r.data)); // data u64
      expect([v.getUint32(16, true), v.getUint32(20, true), v.getUint32(24, true)]).toEqual([r.count, r.size, r.vpEport]);
      expect([v.getUint8(28), (v.getUint8(29) >> 1) & 1, v.getUint8(30)]).toEqual([r.state, r.dir, r.type]);
      expect(page.subarray(0, vcpu * IOREQ_SIZE).every((b) => b === 0xaa)).toBe(true); // other slots untouched
      expect(readIoreq(page, vcpu)).toEqual(r);
      setIoreqData(page, vcpu, 0x12345678);
      expect(v.getUint32(8, true)).toBe(0x12345678);
    }),
    { numRuns: 200 },
  );
});
