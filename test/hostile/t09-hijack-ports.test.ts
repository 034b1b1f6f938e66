// T9: a port offered to one domain (alloc_unbound names who may bind it) cannot be bound by
// another: the attacker scans every target's first 64 ports while the victim's channels are
// being offered and bound, and gets only -EINVAL (-ESRCH for domains that do not exist).
// Acting in another domain's table is XSM_TARGET: -EPERM.
import { describe, expect, it } from 'vitest';
import { EINVAL, EPERM, ESRCH } from '../../hypervisor/public/errno';
import { isolation, MS } from './harness';

describe('T9: hijacking event channels', () => {
  it('binds nothing offered to others, and may not allocate in or reset their tables', () => {
    const iso = isolation({ attack: 'T9', attackOpts: { durationNs: 3 * MS } });
    const o = iso.lab.hostile!.log.outcomes;
    expect(o['hijack.bound']).toBe(0);
    expect(o['hijack.codes']).toEqual([-EINVAL, -ESRCH]);
    expect(o['hijack.scans']).toBeGreaterThan(20); // it kept trying through the victim's handshake
    expect(o['bind.missingDomain']).toBe(-ESRCH);
    expect(o['allocUnbound.forAnother']).toBe(-EPERM);
    expect(o['allocUnbound.remoteMissing']).toBe(-ESRCH);
    expect(o['reset.another']).toBe(-EPERM);
    expect(o['status.another']).toBe(-EPERM);
  });
});
