// T14: malformed xenbus handshakes (REFERENCE §5.3). For each fault, on its own disk, blkback
// writes an error node and closes that device only (Closing); the domain's next disk, with a
// correct handshake, connects, and the victim notices nothing.
import { describe, expect, it } from 'vitest';
import { XenbusState } from '../../hypervisor/public/io/xs_wire';
import { HANDSHAKE_FAULTS } from '../../guests/hostile/index';
import { isolation } from './harness';

const ERRORS: Record<string, RegExp> = {
  'ring-ref-not-a-number': /ring-ref or event-channel missing or not a number/,
  'ring-ref-not-granted': /mapping ring-ref 7 failed/,
  'ring-ref-readonly': /mapping ring-ref \d+ failed/,
  'ring-ref-for-another-domain': /mapping ring-ref \d+ failed/,
  'event-channel-not-a-number': /ring-ref or event-channel missing or not a number/,
  'event-channel-unbound': /binding event-channel 4000 failed \(-22\)/,
  'jump-to-connected': /ring-ref or event-channel missing or not a number/,
};

describe('T14: malformed handshakes', () => {
  it('close the one device with an error node each, and a correct handshake beside them connects', () => {
    const iso = isolation({ attack: 'T14', hostileDisks: HANDSHAKE_FAULTS.length });
    const h = iso.lab.hostile!;
    const o = h.log.outcomes;
    const xs = iso.lab.w.dom0.xs;
    for (const [fault, error] of Object.entries(ERRORS)) {
      expect(o[`${fault}.backendState`], fault).toBe(XenbusState.Closing);
      expect(o[`${fault}.error`], fault).toMatch(error);
      const devid = o[`${fault}.devid`] as number;
      expect(xs.read(undefined, `/local/domain/0/backend/vbd/${h.domain.id}/${devid}/error`), fault).toMatch(error);
    }
    expect(o['none.backendState']).toBe(XenbusState.Connected);
    expect(o['none.error']).toBe('');
    expect(h.backends.map((b) => b.state)).toEqual([...Object.keys(ERRORS).map(() => XenbusState.Closing), XenbusState.Connected]);
    // Nothing half-done is left behind by the refused ones: the one mapping is the good ring.
    expect(iso.lab.w.hv.grants.liveMappings().filter((m) => m.granter === h.domain.id)).toHaveLength(1);
  });
});
