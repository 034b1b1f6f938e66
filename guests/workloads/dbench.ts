// dbench (Tridgell): the file-system load of the Netbench file-server benchmark, replayed by N
// client processes from its loadfile of a Windows client's operations (NTCreateX, WriteX,
// ReadX, QPathInformation, Flush, Close, Unlink). Each client here cycles through that mix on
// its own files: create a file and write 64 KiB in 16 KiB writes (flushing every fourth file,
// as the loadfile's Flush does), stat it three times, read it back, and delete the file it
// wrote `LIVE` rounds ago; the clients take turns on the CPU. Data and metadata go through the
// buffer cache, so flushes, evictions and the final sync are disk writes. Reports MB/s (bytes
// written and read), as dbench does.
import { exit, fork, spawn, wait } from '../kernel/lifecycle';
import type { FileSystem } from '../kernel/fs';
import type { Process } from '../kernel/process';
import type { KGen } from '../kernel/types';
import type { BenchContext, OsBenchmark } from './bench';
import { SMALL_PROGRAM } from './images';

const KIB = 1024;
const FILE = 64 * KIB;
const IO = 16 * KIB;
const LIVE = 8;
const FLUSH_EVERY = 4;

export function dbench(clients = 4, rounds = 50): OsBenchmark {
  return {
    name: 'dbench',
    score: 'rate',
    unit: 'MB',
    needsDisk: true,
    run: function* (ctx: BenchContext): KGen<number> {
      const { os } = ctx;
      const fs = ctx.fs!;
      const parent = yield* spawn(os, SMALL_PROGRAM);
      if (!parent) return 0;
      const all: Process[] = [];
      for (let i = 0; i < clients; i++) {
        const c = yield* fork(os, parent);
        if (c) all.push(c);
      }
      let bytes = 0;
      yield* ctx.mark('start');
      for (let r = 0; r < rounds; r++) {
        for (const [i, c] of all.entries()) {
          yield* os.switchTo(c);
          bytes += yield* oneFile(fs, c, i, r);
        }
      }
      yield* fs.sync();
      yield* ctx.mark('end');
      for (const c of all) {
        yield* os.switchTo(c);
        yield* exit(os, c);
        yield* os.switchTo(parent);
        yield* wait(os, parent, c);
      }
      return bytes / 1e6;
    },
  };
}

function* oneFile(fs: FileSystem, p: Process, client: number, round: number): KGen<number> {
  const name = (r: number) => `clients/${client}/f${r}`;
  let fd = yield* fs.open(p, name(round), true);
  for (let off = 0; off < FILE; off += IO) yield* fs.write(p, fd, off, IO);
  if (round % FLUSH_EVERY === FLUSH_EVERY - 1) yield* fs.fsync(p, fd);
  yield* fs.close(p, fd);
  for (let i = 0; i < 3; i++) yield* fs.stat(name(round));
  fd = yield* fs.open(p, name(round));
  for (let off = 0; off < FILE; off += IO) yield* fs.read(p, fd, off, IO);
  yield* fs.close(p, fd);
  if (round >= LIVE) yield* fs.unlink(name(round - LIVE));
  return 2 * FILE;
}
