// specint: SPEC CPU2000's integer suite (CINT2000), the CPU-bound yardstick Barham et al. and
// Adams & Agesen report. The twelve programs run one after another, each started by the
// harness with fork + exec, each faulting in its memory and then computing in user mode with
// few system calls, so every mode but emulation should run it at nearly native speed: user code
// runs directly. Parameters:
//   - reference times: SPEC's, in seconds on the 300 MHz reference machine (Sun Ultra 5_10);
//     a program's work is that many reference-machine cycles, run here at one instruction per
//     cycle (an assumption: the model has no micro-architecture);
//   - memory: SPEC's footprint study says many CINT2000 programs exceed 100 MB and none 200 MB:
//     each program here touches 100 MiB over its run;
//   - the run is a `slice` of the reference run (1% by default), taking its share of the page
//     faults, TLB misses and system calls, so the ratios to native are those of the whole run;
//   - TLB misses: 0.1 per thousand instructions and 200 system calls per program (reading its
//     input, writing its output) are assumptions, stated here.
// Reports the run time in seconds.
import { compute, mmuOp } from '../../hypervisor/public/guest';
import { exec, exit, fork, spawn, wait } from '../kernel/lifecycle';
import type { GuestOs } from '../kernel/os';
import type { Process } from '../kernel/process';
import type { KGen } from '../kernel/types';
import type { BenchContext, OsBenchmark } from './bench';
import { SMALL_PROGRAM, program } from './images';

/** CINT2000's programs and their reference times in seconds. */
export const CINT2000: readonly (readonly [string, number])[] = [
  ['164.gzip', 1400], ['175.vpr', 1400], ['176.gcc', 1100], ['181.mcf', 1800], ['186.crafty', 1000], ['197.parser', 1800],
  ['252.eon', 1300], ['253.perlbmk', 1800], ['254.gap', 1100], ['255.vortex', 1900], ['256.bzip2', 1500], ['300.twolf', 3000],
];
const REFERENCE_GHZ = 0.3;
const FOOTPRINT_PAGES = (100 * 1024 * 1024) / 4096;
const TLB_MISSES_PER_KILO_INSTRUCTION = 0.1;
const SYSCALLS_PER_PROGRAM = 200;
/** User work is run in chunks of this many cycles, each followed by its TLB misses. */
const CHUNK_CYCLES = 100e6;

export function specint(slice = 0.01): OsBenchmark {
  return {
    name: 'specint',
    score: 'time-s',
    unit: 's',
    run: function* (ctx: BenchContext): KGen<number> {
      const { os } = ctx;
      const harness = yield* spawn(os, SMALL_PROGRAM);
      if (!harness) return 0;
      yield* ctx.mark('start');
      for (const [name, refSeconds] of CINT2000) yield* runProgram(os, harness, name, refSeconds * REFERENCE_GHZ * 1e9 * slice, slice);
      yield* ctx.mark('end');
      return CINT2000.length;
    },
  };
}

function* runProgram(os: GuestOs, harness: Process, name: string, cycles: number, slice: number): KGen {
  const c = yield* fork(os, harness);
  if (!c) return;
  yield* os.switchTo(c);
  const image = program(name, { text: 256, data: 16, heap: FOOTPRINT_PAGES, textTouched: 64, heapTouched: 0 });
  if (yield* exec(os, c, image)) yield* compute_(os, c, cycles, slice);
  yield* exit(os, c);
  yield* os.switchTo(harness);
  yield* wait(os, harness, c);
}

/** The program's run: its share of the footprint faulted in, then chunks of user work. */
function* compute_(os: GuestOs, p: Process, cycles: number, slice: number): KGen {
  const heap = p.region('heap')!;
  yield* os.touch(p, heap, 0, Math.round(FOOTPRINT_PAGES * slice), true);
  const chunks = Math.max(1, Math.round(cycles / CHUNK_CYCLES));
  const syscalls = Math.max(1, Math.round(SYSCALLS_PER_PROGRAM * slice));
  for (let i = 0; i < chunks; i++) {
    const work = cycles / chunks;
    yield compute(os.cyclesNs(work), 'user');
    yield mmuOp('tlb-miss', Math.round((work / 1000) * TLB_MISSES_PER_KILO_INSTRUCTION));
    const due = Math.floor(((i + 1) * syscalls) / chunks) - Math.floor((i * syscalls) / chunks);
    if (due > 0) yield* os.syscall(0, due);
  }
}
