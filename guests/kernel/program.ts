// Guest programs run one after another without a generator in between. A generator that only
// does `yield* a(); yield* b();` stays on the stack for the whole run, and V8 resumes every
// level of a `yield*` chain on every step of the innermost one: on a host of a thousand
// guests those resumptions were a measurable share of the simulator's time. A chain is a
// plain iterator that hands each step straight to the current part.
import type { GuestOp, GuestProgram } from '../../hypervisor/public/guest';

/** Runs the programs the thunks make, in order; each is made when the previous one ends,
 *  as a generator that `yield*`s them in turn would. */
export class ProgramChain implements GuestProgram {
  private current: GuestProgram | undefined;
  private index = 0;
  private parts: readonly (() => GuestProgram)[];

  constructor(parts: readonly (() => GuestProgram)[]) {
    this.parts = parts;
  }

  next(...args: [] | [number]): IteratorResult<GuestOp | number, void> {
    let input: number | undefined = args[0];
    for (;;) {
      if (this.current === undefined) {
        if (this.index >= this.parts.length) return { done: true, value: undefined };
        const part = this.parts[this.index++]!();
        input = undefined; // a new program's first step receives nothing, as after a yield*
        if (part instanceof ProgramChain && part.current === undefined) {
          // A chain that has not started is its remaining parts: run them here, one level up.
          this.parts = [...part.parts.slice(part.index), ...this.parts.slice(this.index)];
          this.index = 0;
          continue;
        }
        this.current = part;
      }
      const r = this.current.next(input as number);
      if (!r.done) return r;
      this.current = undefined;
    }
  }

  return(value: void): IteratorResult<GuestOp | number, void> {
    this.index = this.parts.length;
    const c = this.current;
    this.current = undefined;
    c?.return(value);
    return { done: true, value: undefined };
  }

  throw(e: unknown): IteratorResult<GuestOp | number, void> {
    const c = this.current;
    if (c === undefined) throw e;
    const r = c.throw(e);
    if (r.done) {
      this.current = undefined;
      return this.next();
    }
    return r;
  }

  [Symbol.iterator](): GuestProgram {
    return this;
  }

  [Symbol.dispose](): void {
    this.return();
  }
}

/** The programs the thunks make, one after another. */
export function chain(...parts: (() => GuestProgram)[]): GuestProgram {
  return new ProgramChain(parts);
}
