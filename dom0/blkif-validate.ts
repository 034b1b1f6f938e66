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
  | 'past-end-of-device' | 'write-to-readonly' | 'sector-not-representable';

const reject = (status: number, reason: BlkifRejection): BlkifVerdict => ({ kind: 'reject', status, reason });

export function validateBlkifRequest(r: BlkifRequest, sizeSectors: number, readonly: boolean): BlkifVerdict {
  const op = r.operation === BLKIF_OP_READ ? 'read' : r.operation === BLKIF_OP_WRITE ? 'write' : r.operation === BLKIF_OP_FLUSH_DISKCACHE ? 'flush' : undefined;
  if (op === undefined) {
    const known = [BLKIF_OP_WRITE_BARRIER, BLKIF_OP_RESERVED_1, BLKIF_OP_DISCARD, BLKIF_OP_INDIRECT].includes(r.operation);
    return known ? reject(BLKIF_RSP_EOPNOTSUPP, 'unsupported-operation') : reject(BLKIF_RSP_ERROR, 'unknown-operation');
  }
  if (op === 'flush') return { kind: 'ok', req: { id: r.id, operation: r.operation, op, sector: 0, count: 0, segments: [] } };
  if (r.nrSegments === 0) return reject(BLKIF_RSP_ERROR, 'no-segments');
  if (r.nrSegments > BLKIF_MAX_SEGMENTS_PER_REQUEST) return reject(BLKIF_RSP_ERROR, 'too-many-segments');
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
