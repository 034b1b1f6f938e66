// T13, the scheduling side: a guest whose code yields an operation no vCPU can carry out, or
// passes set_timer_op a time that is not an integer number of ns, is refused or crashed,
// never lets the simulator throw, and leaves the clock an integer.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../hw/engine';
import { modern } from '../../hw/platforms/modern';
import { Hypervisor } from '../../hypervisor/hypervisor';
import { CreditScheduler } from '../../hypervisor/sched/credit';
import { EINVAL } from '../../hypervisor/public/errno';
import { HYPERCALL } from '../../hypervisor/public/xen';
import { malformedGuestOp, type GuestOp, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';

function host() {
  const engine = new Engine();
  const hv = new Hypervisor(engine, modern, { pcpus: 1, memoryMiB: 64 }, new CreditScheduler());
  const add = (name: string, prog: (env: VcpuEnv) => GuestProgram) => {
    const d = hv.createDomain({ name, type: 'pv', vcpus: 1, memoryMiB: 16, weight: 256, cap: 0 }, prog);
    if (typeof d === 'string') throw new Error(d);
    hv.unpause(d.id);
    return d;
  };
  return { engine, hv, add };
}

const MALFORMED: [string, unknown][] = [
  ['a NaN compute', NaN],
  ['a negative compute', -5],
  ['a fractional compute', 1.5],
  ['an endless compute', Infinity],
  ['a compute in no mode', { op: 'compute', ns: 100, mode: 'supervisor' }],
  ['a block until NaN', { op: 'block', until: NaN }],
  ['a block until a fraction', { op: 'block', until: 1000.5 }],
  ['an unknown operation', { op: 'hlt-forever' }],
  ['null', null],
  ['a string', 'compute'],
  ['a shutdown for no reason Xen knows', { op: 'shutdown', reason: 'bored' }],
  ['I/O in no address space', { op: 'io', space: 'dram', dir: 'in', addr: 0, size: 1, value: 0 }],
];

describe('a guest yielding operations no vCPU can carry out', () => {
  it.each(MALFORMED)('is crashed for %s, and the simulator goes on', (_name, op) => {
    const { engine, add } = host();
    const bad = add('bad', function* (): GuestProgram {
      yield 1000;
      yield op as GuestOp;
      yield 1000;
    });
    let ticks = 0;
    const good = add('good', function* (): GuestProgram {
      for (;;) {
        yield 10_000;
        ticks++;
      }
    });
    expect(() => engine.run(5_000_000)).not.toThrow();
    expect(bad.shutdownReason).toBe('crash');
    expect(good.shutdownReason).toBeUndefined();
    expect(ticks).toBeGreaterThan(400);
    expect(Number.isSafeInteger(engine.now)).toBe(true);
  });

  it('accepts every well-formed operation', () => {
    const ok: unknown[] = [0, 5000, { op: 'compute', ns: 7, mode: 'kernel' }, { op: 'block' }, { op: 'block', until: 9 }, { op: 'yield' }, { op: 'shutdown', reason: 'poweroff' }];
    for (const op of ok) expect(malformedGuestOp(op)).toBeUndefined();
  });
});

describe('set_timer_op with a deadline that is not a time', () => {
  it('answers -EINVAL for NaN, Infinity, fractions, negatives and non-numbers, and 0 for a real deadline', () => {
    const { engine, add } = host();
    const rcs: number[] = [];
    add('t', function* (env): GuestProgram {
      for (const d of [NaN, Infinity, 1.5, -1, '1000', 2 ** 60, null]) rcs.push(env.hypercall(HYPERCALL.set_timer_op, d));
      rcs.push(env.hypercall(HYPERCALL.set_timer_op, env.now() + 1000));
      yield { op: 'block' };
    });
    expect(() => engine.run(1_000_000)).not.toThrow();
    expect(rcs).toEqual([-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, 0]);
  });
});

describe('a guest spinning without time passing', () => {
  it('is crashed after a million zero-time operations instead of making the simulator throw', () => {
    const { engine, add } = host();
    const spin = add('spin', function* (): GuestProgram {
      for (;;) yield 0;
    });
    const yielder = add('yielder', function* (): GuestProgram {
      for (;;) yield { op: 'yield' };
    });
    let ticks = 0;
    add('good', function* (): GuestProgram {
      for (;;) {
        yield 10_000;
        ticks++;
      }
    });
    expect(() => engine.run(5_000_000)).not.toThrow();
    expect(spin.shutdownReason).toBe('crash');
    expect(yielder.shutdownReason).toBeUndefined(); // SCHEDOP_yield costs a hypercall: time passes
    expect(ticks).toBeGreaterThan(100);
  });
});
