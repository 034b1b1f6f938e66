// T8: EVTCHNOP_send on a port that is out of range, reserved, free or closed is -EINVAL; on
// a port still unbound (nobody listens yet) the event is dropped and the call returns 0.
import { describe, expect, it } from 'vitest';
import { EFAULT, EINVAL } from '../../hypervisor/public/errno';
import { isolation } from './harness';

describe('T8: event sends on ports that cannot carry them', () => {
  it('get -EINVAL, except on an unbound port where the event is dropped with 0', () => {
    const iso = isolation({ attack: 'T8' });
    const o = iso.lab.hostile!.log.outcomes;
    // 4096, 1e9, -1 and 2^32 are ports no table has; 1.5 is no port number at all (a bad struct).
    expect(o['send.outOfRange']).toEqual([-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EFAULT]);
    expect(o['send.reserved']).toBe(-EINVAL);
    expect(o['send.free']).toBe(-EINVAL);
    expect(o['unbound.port']).toBeGreaterThan(0);
    expect(o['send.unbound']).toBe(0);
    expect(o['close.unbound']).toBe(0);
    expect(o['send.closed']).toBe(-EINVAL);
    expect(o['close.again']).toBe(-EINVAL);
    expect(o['unmask.outOfRange']).toBe(-EINVAL);
    expect(o['bindVcpu.free']).toBe(-EINVAL);
    expect(iso.lab.w.hv.evtchn.counters.sendsDropped).toBeGreaterThan(0);
  });
});
