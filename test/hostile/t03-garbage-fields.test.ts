// T3: every blkif validation rule of REFERENCE §2.4, one request each, in one batch. Each gets
// BLKIF_RSP_ERROR (EOPNOTSUPP for operations blkback knows but does not offer) with its id
// echoed; the ring stays connected and the sectors they aimed at stay untouched.
import { describe, expect, it } from 'vitest';
import { BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR, BLKIF_RSP_OKAY } from '../../hypervisor/public/io/blkif';
import { XenbusState } from '../../hypervisor/public/io/xs_wire';
import { isolation } from './harness';

const EXPECTED: Record<string, number> = {
  'no-segments': BLKIF_RSP_ERROR,
  'twelve-segments': BLKIF_RSP_ERROR,
  'first-after-last': BLKIF_RSP_ERROR,
  'last-sect-8': BLKIF_RSP_ERROR,
  'past-the-end': BLKIF_RSP_ERROR,
  'sector-u64-max': BLKIF_RSP_ERROR,
  'sector-wraps-64-bits': BLKIF_RSP_ERROR,
  'sector-near-2^53': BLKIF_RSP_ERROR,
  'unknown-op': BLKIF_RSP_ERROR,
  'write-barrier': BLKIF_RSP_EOPNOTSUPP,
  discard: BLKIF_RSP_EOPNOTSUPP,
  // INDIRECT is offered: its operation must be a read or a write, it has at most 256 segments,
  // and its page of descriptors must map.
  'indirect-flush': BLKIF_RSP_ERROR,
  'indirect-257-segments': BLKIF_RSP_ERROR,
  'indirect-bad-page': BLKIF_RSP_ERROR,
  'bad-gref': BLKIF_RSP_ERROR,
  'read-into-readonly-grant': BLKIF_RSP_ERROR,
  'valid-write': BLKIF_RSP_OKAY,
};

describe('T3: garbage blkif fields', () => {
  it('are each answered with an error and the id echoed, the ring stays up, the disk unchanged', () => {
    const iso = isolation({ attack: 'T3' });
    const h = iso.lab.hostile!;
    const o = h.log.outcomes;
    for (const [name, status] of Object.entries(EXPECTED)) expect(o[`status.${name}`], name).toBe(status);
    expect(o['responses']).toBe(Object.keys(EXPECTED).length);
    expect(o['aimedAt.untouched']).toBe(true);
    expect(o['validWrite.readBack']).toBe(true);
    expect(o['backendState']).toBe(XenbusState.Connected);
    expect(h.backends[0]!.failed).toBeUndefined();
    expect(h.backends[0]!.stats.invalid).toBe(14); // the two refused data grants fail later, at map time
  });
});
