// kernel-build: compiling a Linux kernel with make -j1, the mixed workload virtualization
// papers quote as "compile". For each source file make forks and execs the gcc driver, which
// forks and execs cc1 (reads the .c file and its headers, computes, writes a .s file) and then
// as (reads the .s, writes the .o), and removes the .s. It is mostly user CPU, with a steady
// stream of fork, exec, exit and page faults, and file reads and writes through the buffer
// cache; the build ends with sync. Parameters (assumed, period-typical): a source file of 12 KiB
// that includes 40 of 200 headers of 8 KiB; cc1 works 4e8 cycles and grows an 8 MiB heap per
// file, as 2e7 cycles; a .s of 30 KiB and an .o of 8 KiB. Reports the build time in seconds.
import { compute } from '../../hypervisor/public/guest';
import { exec, exit, fork, spawn, wait } from '../kernel/lifecycle';
import type { FileSystem } from '../kernel/fs';
import type { GuestOs } from '../kernel/os';
import type { Image, Process } from '../kernel/process';
import type { KGen } from '../kernel/types';
import type { BenchContext, OsBenchmark } from './bench';
import { program } from './images';

const KIB = 1024;
const SOURCE = 12 * KIB;
const HEADER = 8 * KIB;
const HEADERS = 200;
const INCLUDES = 40;
const ASM = 30 * KIB;
const OBJECT = 8 * KIB;
const CC1_CYCLES = 4e8;
const AS_CYCLES = 2e7;
const CC1_HEAP_PAGES = (8 * 1024 * KIB) / 4096;

const MAKE = program('make', { text: 40, data: 8, heap: 256, textTouched: 30, heapTouched: 100 });
const GCC = program('gcc', { text: 60, data: 4, heap: 64, textTouched: 20, heapTouched: 10 });
const CC1 = program('cc1', { text: 1000, data: 64, heap: CC1_HEAP_PAGES, textTouched: 400, heapTouched: 0 });
const AS = program('as', { text: 100, data: 8, heap: 256, textTouched: 40, heapTouched: 50 });

export function kernelBuild(units = 10): OsBenchmark {
  return {
    name: 'kernel-build',
    score: 'time-s',
    unit: 's',
    needsDisk: true,
    run: function* (ctx: BenchContext): KGen<number> {
      const { os } = ctx;
      const fs = ctx.fs!;
      const make = yield* spawn(os, MAKE);
      if (!make) return 0;
      yield* writeFiles(fs, make, 'include/h', HEADERS, HEADER);
      yield* writeFiles(fs, make, 'src/f', units, SOURCE);
      yield* fs.sync();
      yield* ctx.mark('start');
      for (let u = 0; u < units; u++) yield* compileOne(os, fs, make, u);
      yield* fs.sync();
      yield* ctx.mark('end');
      return units;
    },
  };
}

function* writeFiles(fs: FileSystem, p: Process, prefix: string, n: number, bytes: number): KGen {
  for (let i = 0; i < n; i++) {
    const fd = yield* fs.open(p, `${prefix}${i}`, true);
    yield* fs.write(p, fd, 0, bytes);
    yield* fs.close(p, fd);
  }
}

function* readFile(fs: FileSystem, p: Process, name: string, bytes: number): KGen {
  const fd = yield* fs.open(p, name);
  yield* fs.read(p, fd, 0, bytes);
  yield* fs.close(p, fd);
}

/** `parent` forks a child that execs `image` and runs `body`; the parent waits for it. */
function* spawnChild(os: GuestOs, parent: Process, image: Image, body: (c: Process) => KGen): KGen {
  const c = yield* fork(os, parent);
  if (!c) return;
  yield* os.switchTo(c);
  yield* os.touch(c, c.region('stack')!, 0, 1, true);
  if (yield* exec(os, c, image)) yield* body(c);
  yield* exit(os, c);
  yield* os.switchTo(parent);
  yield* wait(os, parent, c);
}

function* compileOne(os: GuestOs, fs: FileSystem, make: Process, u: number): KGen {
  yield* spawnChild(os, make, GCC, function* (gcc) {
    yield* spawnChild(os, gcc, CC1, function* (cc1) {
      yield* readFile(fs, cc1, `src/f${u}`, SOURCE);
      for (let j = 0; j < INCLUDES; j++) yield* readFile(fs, cc1, `include/h${(u * 7 + j) % HEADERS}`, HEADER);
      yield* os.touch(cc1, cc1.region('heap')!, 0, CC1_HEAP_PAGES, true);
      yield compute(os.cyclesNs(CC1_CYCLES), 'user');
      yield* writeNew(fs, cc1, `tmp/f${u}.s`, ASM);
    });
    yield* spawnChild(os, gcc, AS, function* (as) {
      yield* readFile(fs, as, `tmp/f${u}.s`, ASM);
      yield compute(os.cyclesNs(AS_CYCLES), 'user');
      yield* writeNew(fs, as, `obj/f${u}.o`, OBJECT);
    });
    yield* fs.unlink(`tmp/f${u}.s`);
  });
}

function* writeNew(fs: FileSystem, p: Process, name: string, bytes: number): KGen {
  const fd = yield* fs.open(p, name, true);
  yield* fs.write(p, fd, 0, bytes);
  yield* fs.close(p, fd);
}
