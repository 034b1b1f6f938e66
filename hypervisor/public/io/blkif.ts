// The block device wire format (Xen's public/io/blkif.h, REFERENCE §2.4), x86-64 layout: what
// blkfront writes into a ring slot and blkback writes back. Requests name guest pages by
// grant reference and sectors in 512-byte units; the id is opaque and echoed in the response.
// The plain request and the INDIRECT one (its segments in granted pages of their own) are
// laid out here; DISCARD exists as an op number so a backend can refuse it. Used by guests'
// blkfront and dom0's blkback; imports nothing but the u64 helpers.
//
// Decoding never throws: any bytes decode to a value, and validation (segment count, sector
// bounds, u64 values beyond 2^53, see u64.ts) is the backend's job.

import { getU64, setU64 } from './u64';

/** Operations (`BLKIF_OP_*`). */
export const BLKIF_OP_READ = 0;
export const BLKIF_OP_WRITE = 1;
export const BLKIF_OP_WRITE_BARRIER = 2;
export const BLKIF_OP_FLUSH_DISKCACHE = 3;
export const BLKIF_OP_RESERVED_1 = 4;
export const BLKIF_OP_DISCARD = 5;
export const BLKIF_OP_INDIRECT = 6;

/** Response status (`BLKIF_RSP_*`), an i16. */
export const BLKIF_RSP_EOPNOTSUPP = -2;
export const BLKIF_RSP_ERROR = -1;
export const BLKIF_RSP_OKAY = 0;

/** Bits of the vbd's `info` xenstore key. */
export const VDISK_CDROM = 1;
export const VDISK_REMOVABLE = 2;
export const VDISK_READONLY = 4;

/** Sector numbers and first/last_sect are always in 512-byte units, whatever the disk. */
export const BLKIF_SECTOR_SIZE = 512;
/** Sectors in one 4 KiB granted frame, so first_sect and last_sect are 0..7. */
export const BLKIF_SECTORS_PER_PAGE = 8;
/** 11 segments is what lets 32 requests of 112 bytes fit a page with the 64-byte header. */
export const BLKIF_MAX_SEGMENTS_PER_REQUEST = 11;
/** Most pages of segment descriptors an INDIRECT request may point at. */
export const BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST = 8;

/** Segment descriptors in one indirect page (4096 / 8). */
export const BLKIF_SEGS_PER_INDIRECT_FRAME = 512;

export const BLKIF_SEGMENT_SIZE = 8;
export const BLKIF_REQUEST_SIZE = 112;
export const BLKIF_RESPONSE_SIZE = 16;
/** Message sizes of a blkif ring (ringbuf's RingMessageSizes): N = 32 on a 4 KiB page. */
export const BLKIF_RING = { reqSize: BLKIF_REQUEST_SIZE, rspSize: BLKIF_RESPONSE_SIZE } as const;

/** Byte offsets of blkif_request's fields (bytes 4..7 are padding before the u64 id). */
export const BLKIF_REQ_OFFSET = { operation: 0, nrSegments: 1, handle: 2, id: 8, sectorNumber: 16, seg: 24 } as const;
/** Byte offsets of blkif_request_indirect's fields (bytes 4..7 and 26..27 are padding). */
export const BLKIF_REQ_INDIRECT_OFFSET = { operation: 0, indirectOp: 1, nrSegments: 2, id: 8, sectorNumber: 16, handle: 24, indirectGrefs: 28 } as const;
/** Byte offsets inside one segment (bytes 6..7 are padding). */
export const BLKIF_SEG_OFFSET = { gref: 0, firstSect: 4, lastSect: 5 } as const;
/** Byte offsets of blkif_response's fields (byte 9 and 12..15 are padding). */
export const BLKIF_RSP_OFFSET = { id: 0, operation: 8, status: 10 } as const;

/** One granted frame and the inclusive range of its 512-byte sectors to transfer. */
export interface BlkifSegment {
  gref: number;
  firstSect: number;
  lastSect: number;
}

export interface BlkifRequest {
  operation: number;
  /** As the guest wrote it (0..255, or 0..65535 for INDIRECT); `segments` holds min(nrSegments,
   *  11) entries, none for INDIRECT (its segments are in the indirect pages). */
  nrSegments: number;
  handle: number;
  id: number;
  sectorNumber: number;
  segments: BlkifSegment[];
  /** INDIRECT only: the operation the segments are for. */
  indirectOp?: number;
  /** INDIRECT only: the pages of segment descriptors, as many as nrSegments needs (at most 8). */
  indirectGrefs?: number[];
}

/** Pages of segment descriptors an INDIRECT request of `nrSegments` segments points at. */
export function indirectPages(nrSegments: number): number {
  return Math.ceil(nrSegments / BLKIF_SEGS_PER_INDIRECT_FRAME);
}

export interface BlkifResponse {
  id: number;
  operation: number;
  status: number;
}

function segmentOffset(offset: number, i: number): number {
  return offset + BLKIF_REQ_OFFSET.seg + i * BLKIF_SEGMENT_SIZE;
}

/** Writes all 112 bytes, padding and unused segments zeroed. More than 11 segments is a bug,
 *  and so is an INDIRECT request (encodeBlkifIndirectRequest lays those out). */
export function encodeBlkifRequest(view: DataView, offset: number, req: BlkifRequest): void {
  if (req.segments.length > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
    throw new RangeError(`blkif request with ${req.segments.length} segments`);
  }
  if (req.operation === BLKIF_OP_INDIRECT) throw new RangeError('an INDIRECT request in the plain layout');
  for (let i = 0; i < BLKIF_REQUEST_SIZE; i += 4) view.setUint32(offset + i, 0);
  view.setUint8(offset + BLKIF_REQ_OFFSET.operation, req.operation);
  view.setUint8(offset + BLKIF_REQ_OFFSET.nrSegments, req.nrSegments);
  view.setUint16(offset + BLKIF_REQ_OFFSET.handle, req.handle, true);
  setU64(view, offset + BLKIF_REQ_OFFSET.id, req.id);
  setU64(view, offset + BLKIF_REQ_OFFSET.sectorNumber, req.sectorNumber);
  req.segments.forEach((seg, i) => {
    const at = segmentOffset(offset, i);
    view.setUint32(at + BLKIF_SEG_OFFSET.gref, seg.gref, true);
    view.setUint8(at + BLKIF_SEG_OFFSET.firstSect, seg.firstSect);
    view.setUint8(at + BLKIF_SEG_OFFSET.lastSect, seg.lastSect);
  });
}

/** Writes all 112 bytes of an INDIRECT request; its segments go in the indirect pages. */
export function encodeBlkifIndirectRequest(view: DataView, offset: number, req: { indirectOp: number; nrSegments: number; handle: number; id: number; sectorNumber: number; indirectGrefs: number[] }): void {
  if (req.indirectGrefs.length > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST) throw new RangeError(`blkif indirect request with ${req.indirectGrefs.length} pages`);
  const o = BLKIF_REQ_INDIRECT_OFFSET;
  for (let i = 0; i < BLKIF_REQUEST_SIZE; i += 4) view.setUint32(offset + i, 0);
  view.setUint8(offset + o.operation, BLKIF_OP_INDIRECT);
  view.setUint8(offset + o.indirectOp, req.indirectOp);
  view.setUint16(offset + o.nrSegments, req.nrSegments, true);
  setU64(view, offset + o.id, req.id);
  setU64(view, offset + o.sectorNumber, req.sectorNumber);
  view.setUint16(offset + o.handle, req.handle, true);
  req.indirectGrefs.forEach((g, i) => view.setUint32(offset + o.indirectGrefs + 4 * i, g, true));
}

/** Segment `i` of an indirect page (blkif_request_segment, 8 bytes each). */
export function encodeIndirectSegment(page: DataView, i: number, seg: BlkifSegment): void {
  const at = i * BLKIF_SEGMENT_SIZE;
  page.setUint32(at + BLKIF_SEG_OFFSET.gref, seg.gref, true);
  page.setUint8(at + BLKIF_SEG_OFFSET.firstSect, seg.firstSect);
  page.setUint8(at + BLKIF_SEG_OFFSET.lastSect, seg.lastSect);
  page.setUint16(at + 6, 0, true);
}

export function decodeIndirectSegment(page: DataView, i: number): BlkifSegment {
  const at = i * BLKIF_SEGMENT_SIZE;
  return { gref: page.getUint32(at + BLKIF_SEG_OFFSET.gref, true), firstSect: page.getUint8(at + BLKIF_SEG_OFFSET.firstSect), lastSect: page.getUint8(at + BLKIF_SEG_OFFSET.lastSect) };
}

export function decodeBlkifRequest(view: DataView, offset: number): BlkifRequest {
  if (view.getUint8(offset + BLKIF_REQ_OFFSET.operation) === BLKIF_OP_INDIRECT) return decodeIndirect(view, offset);
  const nrSegments = view.getUint8(offset + BLKIF_REQ_OFFSET.nrSegments);
  const segments: BlkifSegment[] = [];
  for (let i = 0; i < Math.min(nrSegments, BLKIF_MAX_SEGMENTS_PER_REQUEST); i++) {
    const at = segmentOffset(offset, i);
    segments.push({
      gref: view.getUint32(at + BLKIF_SEG_OFFSET.gref, true),
      firstSect: view.getUint8(at + BLKIF_SEG_OFFSET.firstSect),
      lastSect: view.getUint8(at + BLKIF_SEG_OFFSET.lastSect),
    });
  }
  return {
    operation: view.getUint8(offset + BLKIF_REQ_OFFSET.operation),
    nrSegments,
    handle: view.getUint16(offset + BLKIF_REQ_OFFSET.handle, true),
    id: getU64(view, offset + BLKIF_REQ_OFFSET.id),
    sectorNumber: getU64(view, offset + BLKIF_REQ_OFFSET.sectorNumber),
    segments,
  };
}

function decodeIndirect(view: DataView, offset: number): BlkifRequest {
  const o = BLKIF_REQ_INDIRECT_OFFSET;
  const nrSegments = view.getUint16(offset + o.nrSegments, true);
  const indirectGrefs: number[] = [];
  for (let i = 0; i < Math.min(indirectPages(nrSegments), BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST); i++) indirectGrefs.push(view.getUint32(offset + o.indirectGrefs + 4 * i, true));
  return {
    operation: BLKIF_OP_INDIRECT,
    nrSegments,
    handle: view.getUint16(offset + o.handle, true),
    id: getU64(view, offset + o.id),
    sectorNumber: getU64(view, offset + o.sectorNumber),
    segments: [],
    indirectOp: view.getUint8(offset + o.indirectOp),
    indirectGrefs,
  };
}

/** Writes all 16 bytes, padding zeroed. */
export function encodeBlkifResponse(view: DataView, offset: number, rsp: BlkifResponse): void {
  for (let i = 0; i < BLKIF_RESPONSE_SIZE; i += 4) view.setUint32(offset + i, 0);
  setU64(view, offset + BLKIF_RSP_OFFSET.id, rsp.id);
  view.setUint8(offset + BLKIF_RSP_OFFSET.operation, rsp.operation);
  view.setInt16(offset + BLKIF_RSP_OFFSET.status, rsp.status, true);
}

export function decodeBlkifResponse(view: DataView, offset: number): BlkifResponse {
  return {
    id: getU64(view, offset + BLKIF_RSP_OFFSET.id),
    operation: view.getUint8(offset + BLKIF_RSP_OFFSET.operation),
    status: view.getInt16(offset + BLKIF_RSP_OFFSET.status, true),
  };
}
