// ProgramChain must behave as the generator that `yield*`s its parts in turn: the same
// operations, the same values handed to each step, each part made only when the one before
// it ends. The reference here is JavaScript's own `yield*`, not the chain's output.
import { describe, expect, it } from 'vitest';
import { compute, type GuestProgram } from '../../../hypervisor/public/guest';
import { chain } from '../../../guests/kernel/program';

/** A part that yields `n` operations and records the value each step received. */
function* part(name: string, n: number, log: string[]): GuestProgram {
  for (let i = 0; i < n; i++) {
    const got: number | undefined = yield compute(i + 1);
    log.push(`${name}${i}<-${got}`);
  }
}

/** Steps a program to the end, sending 100, 101, ... and listing what it yields. */
function drive(p: GuestProgram): string[] {
  const out: string[] = [];
  let send = 100;
  for (let r = p.next(); !r.done; r = p.next(send++)) out.push(typeof r.value === 'number' ? `n${r.value}` : `${r.value.op}${'ns' in r.value ? r.value.ns : ''}`);
  return out;
}

describe('ProgramChain', () => {
  it('runs nested chains as yield* would, making each part when the previous one ends', () => {
    const made: string[] = [];
    const viaChain: string[] = [];
    const viaYield: string[] = [];
    const thunk = (name: string, n: number, log: string[]) => () => {
      made.push(name);
      return part(name, n, log);
    };
    const c = chain(
      thunk('a', 2, viaChain),
      () => chain(thunk('b', 1, viaChain), () => chain(thunk('c', 2, viaChain)), thunk('d', 0, viaChain)),
      thunk('e', 1, viaChain),
    );
    function* reference(): GuestProgram {
      yield* part('a', 2, viaYield);
      yield* part('b', 1, viaYield);
      yield* part('c', 2, viaYield);
      yield* part('d', 0, viaYield);
      yield* part('e', 1, viaYield);
    }
    expect(made).toEqual([]); // nothing is made before the first step
    const ops = drive(c);
    expect(ops).toEqual(drive(reference()));
    expect(viaChain).toEqual(viaYield);
    expect(made).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('makes a part lazily: a thunk reads state the earlier parts left', () => {
    let found = 'nothing';
    const c = chain(
      function* () { found = 'disk'; yield compute(1); },
      () => chain(() => part(found, 1, [])),
    );
    expect(drive(c)).toEqual(['compute1', 'compute1']);
    expect(found).toBe('disk');
  });

  it('return() ends the chain and the running part; throw() goes to the running part', () => {
    let cleaned = false;
    const c = chain(() => chain(function* () { try { yield compute(1); yield compute(2); } finally { cleaned = true; } }), () => part('x', 3, []));
    expect(c.next().value).toEqual(compute(1));
    expect(c.return()).toEqual({ done: true, value: undefined });
    expect(cleaned).toBe(true);
    expect(c.next().done).toBe(true);

    const t = chain(() => chain(function* () { try { yield compute(1); } catch { yield compute(9); } }), () => part('y', 1, []));
    t.next();
    expect(t.throw(new Error('boom')).value).toEqual(compute(9));
    expect(t.next().value).toEqual(compute(1)); // then the next part, as yield* would go on
    expect(t.next().done).toBe(true);
  });
});
