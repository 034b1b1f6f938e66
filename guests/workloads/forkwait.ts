// forkwait (Adams & Agesen, ASPLOS 2006): a process forks a child that exits at once, and
// waits for it, over and over (their run: 40,000 times). It isolates process creation and
// teardown: page-table copies, copy-on-write faults, switches. Reports microseconds per
// fork + wait. The parent is a small dynamically linked program (images.ts).
import { exit, fork, spawn, wait } from '../kernel/lifecycle';
import type { KGen } from '../kernel/types';
import type { BenchContext, OsBenchmark } from './bench';
import { SMALL_PROGRAM } from './images';

/** The default number of fork + wait pairs: 1% of the published run (the result is per pair). */
export const FORKWAIT_DEFAULT = 400;

export function forkwait(forks = FORKWAIT_DEFAULT): OsBenchmark {
  return {
    name: 'forkwait',
    score: 'latency-us',
    unit: 'us',
    run: function* ({ os, mark }: BenchContext): KGen<number> {
      const p = yield* spawn(os, SMALL_PROGRAM);
      if (!p) return 0;
      const stack = p.region('stack')!;
      yield* mark('start');
      for (let i = 0; i < forks; i++) {
        const c = yield* fork(os, p);
        if (!c) break;
        yield* os.switchTo(c);
        yield* os.touch(c, c.region('stack')!, 0, 1, true); // returning from fork() writes the stack
        yield* exit(os, c);
        yield* os.switchTo(p);
        yield* wait(os, p, c);
        yield* os.touch(p, stack, 0, 1, true);
      }
      yield* mark('end');
      return forks;
    },
  };
}
