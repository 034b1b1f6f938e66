// Validation of one blkif request, done once on the backend's private copy (REFERENCE §2.4):
// the result is a typed request or the BLKIF_RSP_* status to answer with. Nothing here reads
// the shared ring.
import {
  BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_OP_DISCARD, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_INDIRECT, BLKIF_OP_READ, BLKIF_OP_RESERVED_1,
  BLKIF_OP_WRITE, BLKIF_OP_WRITE_BARRIER, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR, BLKIF_SECTORS_PER_PAGE, type BlkifRequest, type BlkifSegment,
} from '../hypervisor/public/io/blkif';
import { isSafeU64 } from '../hypervisor/public/io/u64';

export interface ValidRequest {
  id: number;
  operation: number;
  op: 'read' | 'write' | 'flush';
  sector: number;
  count: number;
  segments: BlkifSegment[];
}

export type BlkifVerdict =
  | { kind: 'ok'; req: ValidRequest }
  | { kind: 'reject'; status: number; reason: BlkifRejection };

export type BlkifRejection =
  | 'unsupported-operation' | 'unknown-operation' | 'no-segments' | 'too-many-segments' | 'bad-sector-range-in-segment'
  | 'past-end-of-device' | 'write-to-readonly' | 'sector-not-representable' | 'bad-indirect-operation';

const reject = (status: number, reason: BlkifRejection): BlkifVerdict => ({ kind: 'reject', status, reason });

/** The most segments blkback takes in one INDIRECT request (Linux's MAX_INDIRECT_SEGMENTS),
 *  advertised as feature-max-indirect-segments. */
export const MAX_INDIRECT_SEGMENTS = 256;

/**
 * An INDIRECT request's header, checked before its pages are mapped (as Linux's
 * dispatch_rw_block_io does): the operation it carries must be a read or a write, and it must
 * have 1..MAX_INDIRECT_SEGMENTS segments. Undefined if the pages may be mapped.
 */
export function indirectHeaderVerdict(r: BlkifRequest): BlkifVerdict | undefined {
  if (r.indirectOp !== BLKIF_OP_READ && r.indirectOp !== BLKIF_OP_WRITE) return reject(BLKIF_RSP_ERROR, 'bad-indirect-operation');
  if (r.nrSegments === 0) return reject(BLKIF_RSP_ERROR, 'no-segments');
  if (r.nrSegments > MAX_INDIRECT_SEGMENTS) return reject(BLKIF_RSP_ERROR, 'too-many-segments');
  return undefined;
}

/** A request, its segments in hand. An INDIRECT one (its header checked by
 *  indirectHeaderVerdict, its segments read from its pages) is valid only if `indirect`. */
export function validateBlkifRequest(r: BlkifRequest, sizeSectors: number, readonly: boolean, indirect = false): BlkifVerdict {
  const isIndirect = indirect && r.operation === BLKIF_OP_INDIRECT;
  const code = isIndirect ? r.indirectOp : r.operation;
  const op = code === BLKIF_OP_READ ? 'read' : code === BLKIF_OP_WRITE ? 'write' : code === BLKIF_OP_FLUSH_DISKCACHE && !isIndirect ? 'flush' : undefined;
  if (op === undefined) {
    const known = [BLKIF_OP_WRITE_BARRIER, BLKIF_OP_RESERVED_1, BLKIF_OP_DISCARD, BLKIF_OP_INDIRECT].includes(r.operation);
    return known ? reject(BLKIF_RSP_EOPNOTSUPP, 'unsupported-operation') : reject(BLKIF_RSP_ERROR, 'unknown-operation');
  }
  if (op === 'flush') return { kind: 'ok', req: { id: r.id, operation: r.operation, op, sector: 0, count: 0, segments: [] } };
  if (r.nrSegments === 0) return reject(BLKIF_RSP_ERROR, 'no-segments');
  if (r.nrSegments > (isIndirect ? MAX_INDIRECT_SEGMENTS : BLKIF_MAX_SEGMENTS_PER_REQUEST)) return reject(BLKIF_RSP_ERROR, 'too-many-segments');
  let count = 0;
  for (const s of r.segments) {
    if (s.lastSect >= BLKIF_SECTORS_PER_PAGE || s.lastSect < s.firstSect) return reject(BLKIF_RSP_ERROR, 'bad-sector-range-in-segment');
    count += s.lastSect - s.firstSect + 1;
  }
  if (!isSafeU64(r.sectorNumber)) return reject(BLKIF_RSP_ERROR, 'sector-not-representable');
  if (r.sectorNumber + count > sizeSectors) return reject(BLKIF_RSP_ERROR, 'past-end-of-device');
  if (op === 'write' && readonly) return reject(BLKIF_RSP_ERROR, 'write-to-readonly');
  return { kind: 'ok', req: { id: r.id, operation: r.operation, op, sector: r.sectorNumber, count, segments: r.segments.slice(0, r.nrSegments) } };
}
