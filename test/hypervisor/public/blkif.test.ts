// The blkif wire format (hypervisor/public/io/blkif.ts): the x86-64 layout of Xen's
// blkif_request and blkif_response, byte for byte.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_OP_INDIRECT, BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_REQ_OFFSET, BLKIF_REQUEST_SIZE,
  BLKIF_RESPONSE_SIZE, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR, BLKIF_SEGS_PER_INDIRECT_FRAME, type BlkifRequest,
  decodeBlkifRequest, decodeBlkifResponse, decodeIndirectSegment, encodeBlkifIndirectRequest, encodeBlkifRequest, encodeBlkifResponse,
  encodeIndirectSegment, indirectPages,
} from '../../../hypervisor/public/io/blkif';
import { isSafeU64, U64_UNSAFE } from '../../../hypervisor/public/io/u64';

const view = (n: number) => new DataView(new ArrayBuffer(n));

const request: BlkifRequest = {
  operation: BLKIF_OP_WRITE, nrSegments: 2, handle: 0x0301, id: 0x1_0000_0002, sectorNumber: 123456,
  segments: [{ gref: 0x11223344, firstSect: 1, lastSect: 7 }, { gref: 9, firstSect: 0, lastSect: 3 }],
};

describe('blkif requests', () => {
  test('are 112 bytes: 24 of header and 11 segments of 8', () => {
    expect(BLKIF_REQUEST_SIZE).toBe(24 + BLKIF_MAX_SEGMENTS_PER_REQUEST * 8);
  });

  test('lay out their fields where Xen\'s x86-64 header puts them', () => {
    const v = view(BLKIF_REQUEST_SIZE);
    encodeBlkifRequest(v, 0, request);
    expect(v.getUint8(0)).toBe(BLKIF_OP_WRITE);
    expect(v.getUint8(1)).toBe(2);
    expect(v.getUint16(2, true)).toBe(0x0301);
    expect(v.getUint32(4, true)).toBe(0);
    expect(v.getBigUint64(8, true)).toBe(0x1_0000_0002n);
    expect(v.getBigUint64(16, true)).toBe(123456n);
    expect(v.getUint32(24, true)).toBe(0x11223344);
    expect([v.getUint8(28), v.getUint8(29), v.getUint16(30, true)]).toEqual([1, 7, 0]);
    expect(v.getUint32(32, true)).toBe(9);
    expect(v.getUint8(37)).toBe(3);
  });

  test('decode to the request that was encoded, at any offset in a page', () => {
    const v = view(4096);
    encodeBlkifRequest(v, 64 + 3 * BLKIF_REQUEST_SIZE, request);
    expect(decodeBlkifRequest(v, 64 + 3 * BLKIF_REQUEST_SIZE)).toEqual(request);
  });

  test('encoding zeroes the padding and the unused segments, so no stale bytes leak', () => {
    const v = view(BLKIF_REQUEST_SIZE);
    new Uint8Array(v.buffer).fill(0xee);
    encodeBlkifRequest(v, 0, { ...request, nrSegments: 0, segments: [] });
    expect(new Uint8Array(v.buffer, 24).every((b) => b === 0)).toBe(true);
    expect(v.getUint32(4)).toBe(0);
  });

  test('a hostile nr_segments above 11 decodes without throwing, to 11 segments at most', () => {
    const v = view(BLKIF_REQUEST_SIZE);
    encodeBlkifRequest(v, 0, request);
    v.setUint8(BLKIF_REQ_OFFSET.nrSegments, 255);
    const req = decodeBlkifRequest(v, 0);
    expect(req.nrSegments).toBe(255);
    expect(req.segments).toHaveLength(BLKIF_MAX_SEGMENTS_PER_REQUEST);
  });

  test('a sector number at or above 2^53 decodes to the unsafe sentinel, which validators reject', () => {
    const v = view(BLKIF_REQUEST_SIZE);
    for (const hostile of [2n ** 53n, 2n ** 64n - 1n]) {
      v.setBigUint64(BLKIF_REQ_OFFSET.sectorNumber, hostile, true);
      expect(decodeBlkifRequest(v, 0).sectorNumber).toBe(U64_UNSAFE);
      expect(isSafeU64(decodeBlkifRequest(v, 0).sectorNumber)).toBe(false);
    }
    v.setBigUint64(BLKIF_REQ_OFFSET.sectorNumber, 2n ** 53n - 1n, true);
    expect(decodeBlkifRequest(v, 0).sectorNumber).toBe(Number.MAX_SAFE_INTEGER);
  });

  test('more than 11 segments, or a u64 field beyond 2^53, is a pvlab bug when encoding', () => {
    const twelve = Array.from({ length: 12 }, () => ({ gref: 1, firstSect: 0, lastSect: 7 }));
    expect(() => encodeBlkifRequest(view(112), 0, { ...request, segments: twelve })).toThrow(RangeError);
    expect(() => encodeBlkifRequest(view(112), 0, { ...request, id: 2 ** 60 })).toThrow(RangeError);
    expect(() => encodeBlkifRequest(view(112), 0, { ...request, sectorNumber: -1 })).toThrow(RangeError);
    expect(() => encodeBlkifRequest(view(112), 0, { ...request, operation: BLKIF_OP_INDIRECT })).toThrow(RangeError);
  });

  test('any request pvlab can encode decodes back to itself', () => {
    const u8 = fc.nat({ max: 255 });
    const seg = fc.record({ gref: fc.nat({ max: 0xffffffff }), firstSect: u8, lastSect: u8 });
    const req = fc.array(seg, { maxLength: 11 }).chain((segments) => fc.record({
      operation: u8.filter((op) => op !== BLKIF_OP_INDIRECT), nrSegments: fc.constant(segments.length), handle: fc.nat({ max: 0xffff }),
      id: fc.maxSafeNat(), sectorNumber: fc.maxSafeNat(), segments: fc.constant(segments),
    }));
    fc.assert(fc.property(req, (r) => {
      const v = view(BLKIF_REQUEST_SIZE);
      encodeBlkifRequest(v, 0, r);
      expect(decodeBlkifRequest(v, 0)).toEqual(r);
    }));
  });
});

describe('blkif INDIRECT requests', () => {
  test('lay out indirect_op at 1, a u16 nr_segments at 2, id at 8, sector at 16, handle at 24, the page grefs from 28', () => {
    const v = view(BLKIF_REQUEST_SIZE);
    for (let i = 0; i < BLKIF_REQUEST_SIZE; i++) v.setUint8(i, 0xaa);
    encodeBlkifIndirectRequest(v, 0, { indirectOp: BLKIF_OP_WRITE, nrSegments: 300, handle: 51712, id: 9, sectorNumber: 4096, indirectGrefs: [70, 71] });
    expect([v.getUint8(0), v.getUint8(1), v.getUint16(2, true)]).toEqual([BLKIF_OP_INDIRECT, BLKIF_OP_WRITE, 300]);
    expect([v.getBigUint64(8, true), v.getBigUint64(16, true), v.getUint16(24, true)]).toEqual([9n, 4096n, 51712]);
    expect([v.getUint32(28, true), v.getUint32(32, true), v.getUint32(36, true)]).toEqual([70, 71, 0]);
    expect([4, 5, 6, 7, 26, 27].map((b) => v.getUint8(b))).toEqual([0, 0, 0, 0, 0, 0]); // padding
    expect(indirectPages(300)).toBe(1);
    expect([indirectPages(512), indirectPages(513), indirectPages(0)]).toEqual([1, 2, 0]);
  });

  test('any INDIRECT request decodes back to itself, with as many page grefs as its count needs', () => {
    const req = fc.record({
      indirectOp: fc.nat({ max: 255 }), nrSegments: fc.nat({ max: 0xffff }), handle: fc.nat({ max: 0xffff }), id: fc.maxSafeNat(), sectorNumber: fc.maxSafeNat(),
    }).chain((r) => fc.array(fc.nat({ max: 0xffffffff }), { minLength: Math.min(8, indirectPages(r.nrSegments)), maxLength: Math.min(8, indirectPages(r.nrSegments)) }).map((indirectGrefs) => ({ ...r, indirectGrefs })));
    fc.assert(fc.property(req, (r) => {
      const v = view(BLKIF_REQUEST_SIZE);
      encodeBlkifIndirectRequest(v, 0, r);
      expect(decodeBlkifRequest(v, 0)).toEqual({ operation: BLKIF_OP_INDIRECT, segments: [], ...r });
    }));
  });

  test('segment descriptors are 8 bytes each in their page, 512 to a page', () => {
    const page = view(4096);
    encodeIndirectSegment(page, 511, { gref: 0xdeadbeef, firstSect: 1, lastSect: 6 });
    expect([page.getUint32(4088, true), page.getUint8(4092), page.getUint8(4093)]).toEqual([0xdeadbeef, 1, 6]);
    expect(decodeIndirectSegment(page, 511)).toEqual({ gref: 0xdeadbeef, firstSect: 1, lastSect: 6 });
    expect(BLKIF_SEGS_PER_INDIRECT_FRAME * 8).toBe(4096);
  });
});

describe('blkif responses', () => {
  test('are 16 bytes: id at 0, operation at 8, a signed status at 10', () => {
    const v = view(BLKIF_RESPONSE_SIZE);
    encodeBlkifResponse(v, 0, { id: 77, operation: BLKIF_OP_READ, status: BLKIF_RSP_EOPNOTSUPP });
    expect(v.getBigUint64(0, true)).toBe(77n);
    expect(v.getUint8(8)).toBe(BLKIF_OP_READ);
    expect(v.getInt16(10, true)).toBe(-2);
    expect(decodeBlkifResponse(v, 0)).toEqual({ id: 77, operation: BLKIF_OP_READ, status: BLKIF_RSP_EOPNOTSUPP });
  });

  test('an error status survives the round trip as -1', () => {
    const v = view(BLKIF_RESPONSE_SIZE);
    encodeBlkifResponse(v, 0, { id: 1, operation: BLKIF_OP_WRITE, status: BLKIF_RSP_ERROR });
    expect(decodeBlkifResponse(v, 0).status).toBe(-1);
  });
});
