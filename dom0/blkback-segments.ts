// A block request's segments and the pages behind them, as blkback handles them: the sectors
// the disk reads or writes (the request's scatter-gather list), the grant-copy operations of
// copy mode, and the segment descriptors an INDIRECT request carries in its own pages.
import { GNTCOPY_dest_gref, GNTCOPY_source_gref } from '../hypervisor/public/grant_table';
import { BLKIF_SEGS_PER_INDIRECT_FRAME, decodeIndirectSegment, type BlkifSegment } from '../hypervisor/public/io/blkif';
import type { ValidRequest } from './blkif-validate';

/** A page of dom0's own memory used as the local side of grant copies. */
export type ScratchPage = Uint8Array & { gfn: number };

/** One segment of a grant copy between the guest's gref and a dom0 scratch page: its sectors
 *  only, as Linux's blkback copies them, so no byte of the page outside the segment moves. */
export function copyOp(seg: BlkifSegment, dom: number, scratch: Uint8Array, dir: 'in' | 'out') {
  const offset = seg.firstSect * 512; // at the same place in both pages
  const local = { refOrGfn: (scratch as ScratchPage).gfn, domid: 0, offset };
  const remote = { refOrGfn: seg.gref, domid: dom, offset };
  const len = (seg.lastSect - seg.firstSect + 1) * 512;
  return dir === 'in'
    ? { source: remote, dest: local, len, flags: GNTCOPY_source_gref }
    : { source: local, dest: remote, len, flags: GNTCOPY_dest_gref };
}

/** The sectors of each segment within its page, in order: the request's scatter-gather list. */
export function segmentViews(pages: Uint8Array[], req: ValidRequest): Uint8Array[] {
  return req.segments.map((s, i) => pages[i]!.subarray(s.firstSect * 512, (s.lastSect + 1) * 512));
}

/** The segment descriptors of an INDIRECT request, read from its mapped pages in order. */
export function indirectSegments(pages: Uint8Array[], nrSegments: number): BlkifSegment[] {
  const segments: BlkifSegment[] = [];
  pages.forEach((page, p) => {
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    const n = Math.min(BLKIF_SEGS_PER_INDIRECT_FRAME, nrSegments - p * BLKIF_SEGS_PER_INDIRECT_FRAME);
    for (let i = 0; i < n; i++) segments.push(decodeIndirectSegment(view, i));
  });
  return segments;
}
