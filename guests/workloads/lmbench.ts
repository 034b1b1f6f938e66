// lmbench's micro benchmarks (McVoy & Staelin, USENIX 1996; the lmbench 2 tests Barham et al.
// report in SOSP 2003, Tables 3-5), each as its source describes it, run by a small dynamically
// linked process (images.ts) on the guest's OS. Each reports its latency in microseconds:
//   null-call       getppid()                       null-io     1-byte read of /dev/zero
//   stat            stat() of a cached file           open-close  open() + close()
//   select-tcp      select() on 100 descriptors (`lat_select -n 100 tcp`; no network needed)
//   sig-install     sigaction()                      sig-handler kill() to itself, handler, return
//   fork            fork + exit + wait               exec        fork + execve + exit + wait
//   sh              fork + exec of /bin/sh -c hello (the shell forks and execs hello)
//   ctxsw-Np-Sk     N processes in a ring, each touching S KiB after it runs (`lat_ctx -s S N`);
//                   lmbench subtracts the ring's pipe overhead, so a hop here is the switch alone
//   file-create-Sk  create + write S KiB + close      file-delete-Sk  unlink (`lat_fs`, 100 files)
//   mmap            mmap of a 4 MiB file, a store every 16 KiB of its first tenth, munmap
//                   (`lat_mmap 4m`)
//   prot-fault      a store to a read-only page, caught by a SIGSEGV handler (`lat_sig prot`)
//   page-fault      each page of a mapped 4 MiB cached file touched once (`lat_pagefault`)
import { compute } from '../../hypervisor/public/guest';
import { exec, exit, fork, spawn, wait } from '../kernel/lifecycle';
import type { FileSystem } from '../kernel/fs';
import type { GuestOs } from '../kernel/os';
import type { Process } from '../kernel/process';
import type { KGen } from '../kernel/types';
import type { BenchContext, OsBenchmark } from './bench';
import { SHELL, SMALL_PROGRAM } from './images';

export const LMBENCH_TESTS = [
  'null-call', 'null-io', 'stat', 'open-close', 'select-tcp', 'sig-install', 'sig-handler', 'fork', 'exec', 'sh',
  'ctxsw-2p-0k', 'ctxsw-2p-16k', 'ctxsw-2p-64k', 'ctxsw-8p-16k', 'ctxsw-8p-64k', 'ctxsw-16p-16k', 'ctxsw-16p-64k',
  'file-create-0k', 'file-delete-0k', 'file-create-10k', 'file-delete-10k', 'mmap', 'prot-fault', 'page-fault',
] as const;
export type LmbenchTest = (typeof LMBENCH_TESTS)[number];

const SIGUSR1 = 10;
const KIB = 1024;
const PAGE = 4096;
/** lat_select's descriptors, lat_fs's files, lat_mmap's and lat_pagefault's file size. */
const SELECT_FDS = 100;
const FS_FILES = 100;
const MAP_FILE_BYTES = 4 * 1024 * KIB;

/** How many times each test repeats its operation (the results are exact; a few suffice). */
const ITERATIONS: Record<string, number> = { fork: 20, exec: 10, sh: 4, mmap: 10, 'page-fault': 1 };
const DEFAULT_ITERATIONS = 200;

export function lmbench(test: LmbenchTest, iterations?: number): OsBenchmark {
  const n = iterations ?? ITERATIONS[test] ?? (test.startsWith('ctxsw') ? 20 : test.startsWith('file') ? FS_FILES : DEFAULT_ITERATIONS);
  return {
    name: test,
    score: 'latency-us',
    unit: 'us',
    needsDisk: test === 'stat' || test === 'open-close' || test.startsWith('file') || test === 'mmap' || test === 'page-fault',
    run: function* (ctx: BenchContext): KGen<number> {
      const p = yield* spawn(ctx.os, SMALL_PROGRAM);
      if (!p) return 0;
      return yield* runTest(test, n, ctx, p);
    },
  };
}

function* runTest(test: LmbenchTest, n: number, ctx: BenchContext, p: Process): KGen<number> {
  const { os } = ctx;
  const fs = ctx.fs!;
  const c = os.costs;
  const ctxsw = /^ctxsw-(\d+)p-(\d+)k$/.exec(test);
  if (ctxsw) return yield* ring(ctx, p, Number(ctxsw[1]), Number(ctxsw[2]), n);
  const file = /^file-(create|delete)-(\d+)k$/.exec(test);
  if (file) return yield* files(ctx, p, file[1] as 'create' | 'delete', Number(file[2]) * KIB, n);
  switch (test) {
    case 'null-call': return yield* loop(ctx, n, () => os.syscall(0));
    case 'null-io': return yield* loop(ctx, n, () => os.syscall(c.nullIoNs));
    case 'select-tcp': return yield* loop(ctx, n, () => os.syscall(SELECT_FDS * c.selectPerFdNs));
    case 'sig-install': return yield* loop(ctx, n, () => os.sigaction(p, SIGUSR1));
    case 'sig-handler':
      yield* os.sigaction(p, SIGUSR1);
      return yield* loop(ctx, n, () => os.signalSelf(p, SIGUSR1));
    case 'prot-fault': return yield* loop(ctx, n, () => os.protFault());
    case 'stat':
    case 'open-close': {
      const fd = yield* fs.open(p, 'lmbench.file', true);
      yield* fs.close(p, fd);
      return yield* loop(ctx, n, test === 'stat' ? () => void0(fs.stat('lmbench.file')) : () => openClose(fs, p));
    }
    case 'fork': return yield* loop(ctx, n, () => forkOnce(os, p, undefined));
    case 'exec': return yield* loop(ctx, n, () => forkOnce(os, p, (child) => runProgram(os, child, false)));
    case 'sh': return yield* loop(ctx, n, () => forkOnce(os, p, (child) => runProgram(os, child, true)));
    case 'mmap': return yield* mapping(ctx, p, n, false);
    case 'page-fault': return yield* mapping(ctx, p, n, true);
  }
  return 0;
}

/** Runs `op` n times between the marks. */
function* loop(ctx: BenchContext, n: number, op: () => KGen): KGen<number> {
  yield* ctx.mark('start');
  for (let i = 0; i < n; i++) yield* op();
  yield* ctx.mark('end');
  return n;
}

function* openClose(fs: FileSystem, p: Process): KGen {
  const fd = yield* fs.open(p, 'lmbench.file');
  yield* fs.close(p, fd);
}

/** A copy-on-write store to the first page of the process's stack and of its data. */
function* dirtyStackAndData(os: GuestOs, p: Process): KGen {
  for (const name of ['stack', 'data']) {
    const r = p.region(name);
    if (r) yield* os.touch(p, r, 0, 1, true);
  }
}

/** fork; the child runs `child` (or just exits); the parent waits and dirties its pages. */
function* forkOnce(os: GuestOs, p: Process, child: ((c: Process) => KGen) | undefined): KGen {
  const c = yield* fork(os, p);
  if (!c) return;
  yield* os.switchTo(c);
  yield* dirtyStackAndData(os, c);
  if (child) yield* child(c);
  yield* exit(os, c);
  yield* os.switchTo(p);
  yield* wait(os, p, c);
  yield* dirtyStackAndData(os, p);
}

/** execve of hello, or of /bin/sh -c hello: the shell starts, then forks and execs hello. */
function* runProgram(os: GuestOs, p: Process, viaShell: boolean): KGen {
  if (!viaShell) return void (yield* exec(os, p, SMALL_PROGRAM));
  yield* exec(os, p, SHELL);
  yield compute(os.costs.shellStartupNs, 'user');
  yield* forkOnce(os, p, (c) => runProgram(os, c, false));
}

/** lat_ctx: `procs` processes with `kib` KiB each, the token passed `rounds` times round. */
function* ring(ctx: BenchContext, p: Process, procs: number, kib: number, rounds: number): KGen<number> {
  const { os } = ctx;
  const all = [p];
  for (let i = 1; i < procs; i++) {
    const c = yield* fork(os, p);
    if (c) all.push(c);
  }
  for (const q of all) {
    yield* os.switchTo(q);
    const pages = Math.ceil((kib * KIB) / PAGE);
    if (pages > 0) yield* os.touch(q, os.mmap(q, { name: 'ctx-array', pages, writable: true, shared: false }), 0, pages, true);
    q.workingSet = 2 + pages; // its code and stack, and the array it sums
  }
  yield* os.switchTo(all[0]!);
  yield* ctx.mark('start');
  for (let r = 0; r < rounds; r++) for (let i = 1; i <= all.length; i++) yield* os.switchTo(all[i % all.length]!);
  yield* ctx.mark('end');
  return rounds * all.length;
}

/** lat_fs: `count` files of `bytes` created (measured), or created and then deleted (measured). */
function* files(ctx: BenchContext, p: Process, what: 'create' | 'delete', bytes: number, count: number): KGen<number> {
  const fs = ctx.fs!;
  const create = function* (i: number): KGen {
    const fd = yield* fs.open(p, `lat_fs.${i}`, true);
    if (bytes > 0) yield* fs.write(p, fd, 0, bytes);
    yield* fs.close(p, fd);
  };
  if (what === 'create') return yield* loopIndexed(ctx, count, create);
  for (let i = 0; i < count; i++) yield* create(i);
  return yield* loopIndexed(ctx, count, (i) => void0(fs.unlink(`lat_fs.${i}`)));
}

function* void0(g: KGen<unknown>): KGen {
  yield* g;
}

function* loopIndexed(ctx: BenchContext, n: number, op: (i: number) => KGen): KGen<number> {
  yield* ctx.mark('start');
  for (let i = 0; i < n; i++) yield* op(i);
  yield* ctx.mark('end');
  return n;
}

/** lat_mmap (map, store every 16 KiB of the first tenth, unmap) or lat_pagefault (every page). */
function* mapping(ctx: BenchContext, p: Process, n: number, everyPage: boolean): KGen<number> {
  const { os } = ctx;
  const fs = ctx.fs!;
  const fd = yield* fs.open(p, 'lmbench.map', true);
  yield* fs.write(p, fd, 0, MAP_FILE_BYTES);
  const node = fs.lookup('lmbench.map')!;
  const pages = MAP_FILE_BYTES / PAGE;
  const touches = everyPage ? Array.from({ length: pages }, (_, i) => i) : Array.from({ length: Math.ceil(MAP_FILE_BYTES / 10 / (16 * KIB)) }, (_, i) => i * 4);
  let measured = 0;
  if (!everyPage) yield* ctx.mark('start');
  for (let it = 0; it < n; it++) {
    yield* os.syscall(os.costs.mmapNs / 2);
    const r = os.mmap(p, { name: 'mapped-file', pages, writable: !everyPage, shared: true, external: true }, (i) => fs.cache.frameOf(node.blocks[i]!));
    yield* fs.cache.read(touches.map((i) => node.blocks[i]!));
    if (everyPage && it === 0) yield* ctx.mark('start');
    for (const i of touches) yield* os.touch(p, r, i, 1, !everyPage);
    measured += touches.length;
    if (everyPage && it === n - 1) yield* ctx.mark('end');
    yield* os.syscall(os.costs.mmapNs / 2);
    yield* os.munmap(p, r);
  }
  if (!everyPage) yield* ctx.mark('end');
  return everyPage ? measured : n;
}
