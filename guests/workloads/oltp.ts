// oltp: a small database under sysbench's OLTP read-write test. A client process sends each
// transaction's queries over a local socket to a database server process: sysbench's mix is 10
// point selects, 4 range selects of 100 rows (simple, sum, order, distinct), an indexed and a
// non-indexed update, a delete and an insert, between BEGIN and COMMIT. Every query is a round
// trip: two context switches and four system calls. The server finds rows in its buffer pool,
// reading a table page from the data file the first time it is needed (sysbench's table of
// 10,000 rows of about 200 bytes: 2 MB); COMMIT appends the transaction's log record and
// fsyncs the log, a synchronous disk write. Server CPU per query (assumed): 50,000 cycles for a
// point select, 200,000 for a range, 100,000 for a change. Reports transactions per second.
import { compute } from '../../hypervisor/public/guest';
import { exec, fork, spawn } from '../kernel/lifecycle';
import type { FileSystem } from '../kernel/fs';
import type { GuestOs } from '../kernel/os';
import type { Process, Image } from '../kernel/process';
import type { KGen } from '../kernel/types';
import type { BenchContext, OsBenchmark } from './bench';
import { SMALL_PROGRAM, program } from './images';

const ROWS = 10_000;
const ROW_BYTES = 200;
const PAGE = 4096;
const TABLE_PAGES = Math.ceil((ROWS * ROW_BYTES) / PAGE);
const LOG_RECORD = 1024;
const QUERY_BYTES = 200;

type Query = { kind: 'point' | 'range' | 'change'; cycles: number; rows: number };
const POINT: Query = { kind: 'point', cycles: 50_000, rows: 1 };
const RANGE: Query = { kind: 'range', cycles: 200_000, rows: 100 };
const CHANGE: Query = { kind: 'change', cycles: 100_000, rows: 1 };
/** BEGIN, the 18 queries, and COMMIT (handled apart). */
const TRANSACTION: readonly Query[] = [...Array<Query>(10).fill(POINT), ...Array<Query>(4).fill(RANGE), ...Array<Query>(4).fill(CHANGE)];

const SERVER: Image = program('mysqld', { text: 1200, data: 64, heap: TABLE_PAGES + 256, textTouched: 300, heapTouched: 64 });

export function oltp(transactions = 100): OsBenchmark {
  return {
    name: 'oltp',
    score: 'rate',
    unit: 'tx',
    needsDisk: true,
    run: function* (ctx: BenchContext): KGen<number> {
      const { os } = ctx;
      const fs = ctx.fs!;
      const client = yield* spawn(os, SMALL_PROGRAM);
      const server = client && (yield* serverProcess(os, client));
      if (!client || !server) return 0;
      const db = new Database(os, fs, server);
      yield* db.load();
      yield* ctx.mark('start');
      for (let t = 0; t < transactions; t++) {
        yield* roundTrip(os, client, server, () => db.begin());
        for (const q of TRANSACTION) yield* roundTrip(os, client, server, () => db.query(q, ctx.rng.int(0, ROWS - 1)));
        yield* roundTrip(os, client, server, () => db.commit());
      }
      yield* ctx.mark('end');
      return transactions;
    },
  };
}

function* serverProcess(os: GuestOs, parent: Process): KGen<Process | undefined> {
  const s = yield* fork(os, parent);
  if (!s) return undefined;
  yield* os.switchTo(s);
  yield* exec(os, s, SERVER);
  return s;
}

/** One query over the socket: send, switch, receive, serve, reply, switch back, receive. */
function* roundTrip(os: GuestOs, client: Process, server: Process, serve: () => KGen<number>): KGen {
  yield* os.switchTo(client);
  yield* os.syscall(os.copyNs(QUERY_BYTES)); // send
  yield* os.switchTo(server);
  yield* os.syscall(os.copyNs(QUERY_BYTES)); // receive
  const reply = yield* serve();
  yield* os.syscall(os.copyNs(reply)); // reply
  yield* os.switchTo(client);
  yield* os.syscall(os.copyNs(reply)); // receive the result
}

class Database {
  private readonly pool: Uint8Array = new Uint8Array(TABLE_PAGES);
  private logFd = -1;
  private dataFd = -1;
  private logBytes = 0;

  constructor(
    private readonly os: GuestOs,
    private readonly fs: FileSystem,
    private readonly server: Process,
  ) {}

  /** The table written to its data file and on disk; the log file created. */
  *load(): KGen {
    this.dataFd = yield* this.fs.open(this.server, 'db/table.ibd', true);
    yield* this.fs.write(this.server, this.dataFd, 0, TABLE_PAGES * PAGE);
    this.logFd = yield* this.fs.open(this.server, 'db/ib_logfile0', true);
    yield* this.fs.sync();
  }

  *begin(): KGen<number> {
    yield compute(this.os.cyclesNs(POINT.cycles / 5), 'user');
    return 16;
  }

  /** Finds the rows (reading table pages into the buffer pool on first use) and works on them. */
  *query(q: Query, row: number): KGen<number> {
    const first = Math.floor((row * ROW_BYTES) / PAGE);
    const last = Math.min(TABLE_PAGES - 1, Math.floor(((row + q.rows) * ROW_BYTES) / PAGE));
    for (let pg = first; pg <= last; pg++) yield* this.page(pg);
    yield compute(this.os.cyclesNs(q.cycles), 'user');
    return q.kind === 'change' ? 16 : q.rows * ROW_BYTES;
  }

  private *page(pg: number): KGen {
    if (this.pool[pg] === 1) return;
    this.pool[pg] = 1;
    yield* this.fs.read(this.server, this.dataFd, pg * PAGE, PAGE);
    yield* this.os.touch(this.server, this.server.region('heap')!, 256 + pg, 1, true);
  }

  /** The log record appended and forced to disk. */
  *commit(): KGen<number> {
    yield* this.fs.write(this.server, this.logFd, this.logBytes, LOG_RECORD);
    this.logBytes += LOG_RECORD;
    yield* this.fs.fsync(this.server, this.logFd);
    return 16;
  }
}
