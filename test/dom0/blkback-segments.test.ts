// blkback moves a segment's sectors and nothing else of its page, in both grant modes: a
// frontend may name part of a page (first_sect..last_sect), and the rest of that page is the
// guest's own memory. A raw frontend (the hostile tests' RawFront) writes a whole page, then
// reads three sectors back into the middle of a page full of 0xee.
import { describe, expect, it } from 'vitest';
import { BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR, encodeIndirectSegment } from '../../hypervisor/public/io/blkif';
import type { GrantMode } from '../../dom0/blkback';
import { grantedPage, withRawFront } from '../helpers/rawfront-world';

interface Seen { statuses: number[]; page?: Uint8Array; written?: Uint8Array }

function partialRead(mode: GrantMode): Seen {
  const seen: Seen = { statuses: [] };
  withRawFront(mode, function* (k, env, f) {
    const src = grantedPage(k, env, (i) => (i * 7 + 1) & 0xff);
    seen.written = src.p.slice();
    f.produce({ op: BLKIF_OP_WRITE, id: 1, sector: 0, segs: [{ gref: src.gref, first: 0, last: 7 }] });
    f.publish();
    seen.statuses.push(...(yield* f.awaitResponses(1, 50e6)).map((r) => r.status));
    const dst = grantedPage(k, env, () => 0xee);
    f.produce({ op: BLKIF_OP_READ, id: 2, sector: 2, segs: [{ gref: dst.gref, first: 2, last: 4 }] });
    f.publish();
    seen.statuses.push(...(yield* f.awaitResponses(1, 50e6)).map((r) => r.status));
    seen.page = dst.p.slice();
  });
  return seen;
}

describe('blkback and partial-page segments', () => {
  it.each(['map', 'copy'] as const)('in %s mode, a read of sectors 2-4 lands at bytes 1024-2559 of the page and nowhere else', (mode) => {
    const s = partialRead(mode);
    expect(s.statuses).toEqual([0, 0]);
    const p = s.page!;
    expect(p.subarray(0, 1024).every((b) => b === 0xee)).toBe(true);
    expect(Buffer.from(p.subarray(1024, 2560)).equals(Buffer.from(s.written!.subarray(1024, 2560)))).toBe(true); // disk sectors 2-4
    expect(p.subarray(2560).every((b) => b === 0xee)).toBe(true);
  });
});


describe('blkback and INDIRECT requests', () => {
  it('in map mode takes 16 segments from a page of descriptors, writes them and reads them back; qdisk (copy) refuses with EOPNOTSUPP', () => {
    for (const mode of ['map', 'copy'] as const) {
      const seen: { statuses: number[]; ok?: boolean; offered?: string } = { statuses: [] };
      const { bb } = withRawFront(mode, function* (k, env, f) {
        seen.offered = yield* k.xs.read(`${f.be}/feature-max-indirect-segments`);
        const grant = (ro: boolean, fill: (i: number) => number) => grantedPage(k, env, fill, ro);
        const data = Array.from({ length: 16 }, (_, n) => grant(false, (i) => (i * 13 + n * 7 + 1) & 0xff));
        const desc = grant(true, () => 0);
        const dv = new DataView(desc.p.buffer, desc.p.byteOffset, desc.p.byteLength);
        data.forEach((d, i) => encodeIndirectSegment(dv, i, { gref: d.gref, firstSect: 0, lastSect: 7 }));
        f.produce({ op: BLKIF_OP_WRITE, id: 1, sector: 64, segs: [], indirect: { nrSegments: 16, grefs: [desc.gref] } });
        f.publish();
        seen.statuses.push(...(yield* f.awaitResponses(1, 50e6)).map((r) => r.status));
        // Read them back into 16 zeroed pages, through a second page of descriptors.
        const back = Array.from({ length: 16 }, () => grant(false, () => 0));
        const desc2 = grant(true, () => 0);
        const dv2 = new DataView(desc2.p.buffer, desc2.p.byteOffset, desc2.p.byteLength);
        back.forEach((d, i) => encodeIndirectSegment(dv2, i, { gref: d.gref, firstSect: 0, lastSect: 7 }));
        f.produce({ op: BLKIF_OP_READ, id: 2, sector: 64, segs: [], indirect: { nrSegments: 16, grefs: [desc2.gref] } });
        // And one whose descriptors name sector 8 of a page: refused, nothing written.
        encodeIndirectSegment(dv, 3, { gref: data[3]!.gref, firstSect: 0, lastSect: 8 });
        f.produce({ op: BLKIF_OP_WRITE, id: 3, sector: 1024, segs: [], indirect: { nrSegments: 16, grefs: [desc.gref] } });
        f.publish();
        const rs = yield* f.awaitResponses(2, 50e6);
        seen.statuses.push(...rs.sort((a, b) => Number(a.id) - Number(b.id)).map((r) => r.status));
        seen.ok = back.every((b, n) => Buffer.from(b.p).equals(Buffer.from(data[n]!.p)));
      });
      if (mode === 'map') {
        expect(seen.statuses).toEqual([0, 0, BLKIF_RSP_ERROR]);
        expect(seen.ok).toBe(true);
        expect(bb.stats.bytes).toBe(2 * 16 * 4096);
        expect(bb.stats.invalid).toBe(1);
      } else {
        expect(seen.statuses).toEqual([BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_EOPNOTSUPP]);
        expect(bb.stats.bytes).toBe(0);
      }
      expect(seen.offered).toBe(mode === 'map' ? '256' : undefined);
      expect(bb.failed).toBeUndefined();
    }
  });
});
