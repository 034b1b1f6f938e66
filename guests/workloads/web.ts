// web: a web server under SPECweb99's load, serving from its disk (the network's side is not
// modelled yet: requests arrive as if from the loopback, responses cost their copy). SPECweb99's
// file set: directories of 36 files in four classes (9 files each of 0.1-0.9 KB, 1-9 KB,
// 10-90 KB, 100-900 KB), requested 35% / 50% / 14% / 1% by class; its request mix: 70% static
// GETs, 30% dynamic (content built by the server: GETs, ad rotation, POSTs appending to a log),
// and 0.15% CGI GETs, each a fork and exec of a program. Within a class and across directories
// popularity is Zipf-like (1/rank). The server is Apache-style prefork: each request is taken
// by the next of its worker processes, a context switch. Per request: accept, read the request,
// stat, open, read the file (from the buffer cache, or the disk), write the response, close,
// append to the access log. Dynamic content costs 300,000 cycles of server CPU (assumed).
// Reports requests per second.
import { compute } from '../../hypervisor/public/guest';
import type { RandomStream } from '../../hw/rng';
import { exec, exit, fork, spawn, wait } from '../kernel/lifecycle';
import type { FileSystem } from '../kernel/fs';
import type { GuestOs } from '../kernel/os';
import type { Process } from '../kernel/process';
import type { KGen } from '../kernel/types';
import type { BenchContext, OsBenchmark } from './bench';
import { SMALL_PROGRAM, program } from './images';

const CLASS_UNIT = [102.4, 1024, 10_240, 102_400];
const CLASS_SHARE = [0.35, 0.5, 0.14, 0.01];
const FILES_PER_CLASS = 9;
const DYNAMIC = 0.2985;
const CGI = 0.0015;
const POST_SHARE_OF_DYNAMIC = 0.048 / 0.2985;
const DYNAMIC_CYCLES = 300_000;
const REQUEST_BYTES = 300;
const LOG_LINE = 100;
const WORKERS = 8;

const HTTPD = program('httpd', { text: 300, data: 32, heap: 512, textTouched: 120, heapTouched: 128 });

export function web(requests = 1000, directories = 4): OsBenchmark {
  return {
    name: 'web',
    score: 'rate',
    unit: 'req',
    needsDisk: true,
    run: function* (ctx: BenchContext): KGen<number> {
      const { os } = ctx;
      const fs = ctx.fs!;
      const master = yield* spawn(os, HTTPD);
      if (!master) return 0;
      yield* fileSet(fs, master, directories);
      const workers: Process[] = [];
      for (let i = 0; i < WORKERS; i++) {
        const w = yield* fork(os, master);
        if (w) workers.push(w);
      }
      const logs = { access: 0, post: 0 };
      yield* ctx.mark('start');
      for (let r = 0; r < requests; r++) {
        const w = workers[r % workers.length]!;
        yield* os.switchTo(w);
        yield* serve(os, fs, w, ctx.rng, directories, logs);
      }
      yield* ctx.mark('end');
      return requests;
    },
  };
}

const fileName = (dir: number, cls: number, k: number) => `www/dir${dir}/class${cls}_${k}`;
const fileSize = (cls: number, k: number) => Math.round(CLASS_UNIT[cls]! * (k + 1));

function* fileSet(fs: FileSystem, p: Process, directories: number): KGen {
  for (let d = 0; d < directories; d++) {
    for (let c = 0; c < CLASS_UNIT.length; c++) {
      for (let k = 0; k < FILES_PER_CLASS; k++) {
        const fd = yield* fs.open(p, fileName(d, c, k), true);
        yield* fs.write(p, fd, 0, fileSize(c, k));
        yield* fs.close(p, fd);
      }
    }
  }
  yield* fs.sync();
}

/** A 1/rank choice among n. */
function zipf(rng: RandomStream, n: number): number {
  const h = Array.from({ length: n }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b, 0);
  let u = rng.float() * h;
  for (let i = 0; i < n; i++) if ((u -= 1 / (i + 1)) <= 0) return i;
  return n - 1;
}

function pickClass(rng: RandomStream): number {
  let u = rng.float();
  for (let c = 0; c < CLASS_SHARE.length; c++) if ((u -= CLASS_SHARE[c]!) <= 0) return c;
  return CLASS_SHARE.length - 1;
}

function* serve(os: GuestOs, fs: FileSystem, w: Process, rng: RandomStream, directories: number, logs: { access: number; post: number }): KGen {
  const kind = rng.float();
  const [dir, cls, k] = [zipf(rng, directories), pickClass(rng), zipf(rng, FILES_PER_CLASS)];
  yield* os.syscall(0); // accept
  yield* os.syscall(os.copyNs(REQUEST_BYTES)); // read the request
  if (kind < CGI) yield* cgi(os, w);
  else {
    if (kind < CGI + DYNAMIC) yield compute(os.cyclesNs(DYNAMIC_CYCLES), 'user');
    const name = fileName(dir, cls, k);
    yield* fs.stat(name);
    const fd = yield* fs.open(w, name);
    const n = yield* fs.read(w, fd, 0, fileSize(cls, k));
    yield* os.syscall(os.copyNs(Math.max(0, n))); // write the response to the socket
    yield* fs.close(w, fd);
    if (kind >= CGI && kind < CGI + DYNAMIC && rng.float() < POST_SHARE_OF_DYNAMIC) logs.post = yield* append(fs, w, 'www/post.log', logs.post);
  }
  yield* os.syscall(0); // close the connection
  logs.access = yield* append(fs, w, 'www/access.log', logs.access);
}

function* append(fs: FileSystem, p: Process, name: string, offset: number): KGen<number> {
  const fd = yield* fs.open(p, name, true);
  yield* fs.write(p, fd, offset, LOG_LINE);
  yield* fs.close(p, fd);
  return offset + LOG_LINE;
}

/** A CGI GET: the worker forks a child that execs the CGI program, and waits for it. */
function* cgi(os: GuestOs, w: Process): KGen {
  const c = yield* fork(os, w);
  if (!c) return;
  yield* os.switchTo(c);
  yield* os.touch(c, c.region('stack')!, 0, 1, true);
  yield* exec(os, c, SMALL_PROGRAM);
  yield* exit(os, c);
  yield* os.switchTo(w);
  yield* wait(os, w, c);
}
