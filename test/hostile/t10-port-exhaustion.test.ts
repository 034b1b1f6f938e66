// T10: a domain that allocates every port it may have gets -ENOSPC at the limit (from every
// allocating operation), gets the closed port back after one close, and costs no other
// domain a port: each domain's table is its own.
import { describe, expect, it } from 'vitest';
import { ENOSPC } from '../../hypervisor/public/errno';
import { EVTCHN_2L_NR_CHANNELS } from '../../hypervisor/public/event_channel';
import { isolation } from './harness';

describe('T10: event-channel exhaustion', () => {
  it('ends in -ENOSPC at the 2-level limit and recovers the one port closed', () => {
    const iso = isolation({ attack: 'T10' });
    const o = iso.lab.hostile!.log.outcomes;
    // Port 0 is reserved and the xenstore channel holds one: the rest is the attacker's.
    expect(o['allocated']).toBe(EVTCHN_2L_NR_CHANNELS - 2);
    expect(o['atLimit']).toBe(-ENOSPC);
    expect(o['bindIpi.atLimit']).toBe(-ENOSPC);
    expect(o['close']).toBe(0);
    expect(o['reallocated']).toBe(o['reallocatedIsClosedPort']);
    expect(o['afterRecovery']).toBe(-ENOSPC);
  });
});
