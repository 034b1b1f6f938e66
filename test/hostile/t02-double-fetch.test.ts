// T2: the backend copies a request out of the shared slot once and acts on its copy only;
// rewriting the slot after the copy changes nothing (REFERENCE §2.2, "copy, then validate").
import { describe, expect, it } from 'vitest';
import { BLKIF_RSP_OKAY } from '../../hypervisor/public/io/blkif';
import { isolation } from './harness';

describe('T2: a request rewritten after the backend copied it', () => {
  it('is served as it was when copied: its id, its sector, and no other', () => {
    const iso = isolation({ attack: 'T2' });
    const o = iso.lab.hostile!.log.outcomes;
    expect(o['rewrittenAfterCopy']).toBe(true);
    expect(o['response.id']).toBe(7);
    expect(o['response.status']).toBe(BLKIF_RSP_OKAY);
    expect(o['disk64.written']).toBe(true);
    expect(o['disk128.untouched']).toBe(true);
    expect(iso.lab.hostile!.backends[0]!.failed).toBeUndefined();
  });
});
