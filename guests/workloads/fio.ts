// fio: block I/O with `iodepth` requests in flight over a region of a disk, as fio's
// libaio engine does (REFERENCE: fio's rw, bs, iodepth, size, verify). With `verify` the job
// first writes every block of its sequence with a pattern derived from the offset and the
// seed, then reads the same sequence back and counts the blocks that do not match.
// It runs on any BlockDevice (blkfront, or a native IDE/AHCI driver): the same workload in
// every mode, with the same random offsets for the same seed. An I/O with more pages than the
// device takes in one request goes as several (../kernel/bio), as Linux's block layer splits it.
import { Histogram } from '../../hw/histogram';
import type { RandomStream } from '../../hw/rng';
import { sectorsInPage, splitIo } from '../kernel/bio';
import type { BlockDevice, BlockIo, KGen } from '../kernel/types';
import type { Workload, WorkloadStats } from './workload';

export type FioRw = 'read' | 'write' | 'randread' | 'randwrite' | 'rw';

export interface FioOptions {
  rw: FioRw;
  bs: number;
  iodepth: number;
  size: number;
  verify: boolean;
  ops?: number;
  /** fio's rate_iops: the job issues at most this many I/Os per second. */
  rateIops?: number;
}

/** What fio needs from the kernel it runs on. */
export interface IoKernel {
  now(): number;
  wait(): KGen;
  /** Sleeps until `t` (or an interrupt), handling what arrives meanwhile. */
  sleep(t: number): KGen;
  allocPage(): number;
  page(gfn: number): Uint8Array | undefined;
  /** One system call's entry and return (the kernel's work in it is the driver's or the
   *  scheduler's): io_submit() for each I/O, io_getevents() for each reap, as libaio's fio. */
  syscall(): KGen;
}

const PAGE = 4096;

interface Slot {
  gfns: number[];
  busy: boolean;
}

export class FioJob {
  readonly latency = new Histogram();
  ops = 0;
  bytes = 0;
  errors = 0;
  verifyErrors = 0;
  done = false;
  /** When the job started and, once done, when it finished (simulated ns). */
  startedAt = -1;
  finishedAt = -1;
  private seq = 0;
  private phase: 'write' | 'verify' | 'run';

  constructor(
    readonly opts: FioOptions,
    private readonly rng: RandomStream,
    private readonly seed: number,
  ) {
    this.phase = opts.verify ? 'write' : 'run';
  }

  stats(): WorkloadStats {
    return { kind: 'fio', ops: this.ops, unit: 'I/Os', bytes: this.bytes, errors: this.errors, verifyErrors: this.verifyErrors, finished: this.done };
  }

  *run(k: IoKernel, dev: BlockDevice): KGen {
    const pagesPer = Math.ceil(this.opts.bs / PAGE);
    const slots: Slot[] = [];
    for (let i = 0; i < this.opts.iodepth; i++) slots.push({ gfns: Array.from({ length: pagesPer }, () => k.allocPage()), busy: false });
    if (slots.some((s) => s.gfns.some((g) => g < 0))) {
      this.errors++;
      this.done = true;
      return;
    }
    this.startedAt = k.now();
    const blocks = Math.max(1, Math.floor(Math.min(this.opts.size, dev.sizeSectors * 512) / this.opts.bs));
    const perPhase = this.opts.ops ?? (this.opts.verify ? blocks : Infinity);
    const order: number[] = [];
    // I/Os submitted and not yet reaped, as fio counts them, and those of them the kernel has
    // completed: fio learns of a completion only from io_getevents().
    let inflight = 0;
    let completed = 0;
    for (;;) {
      if (this.seq >= perPhase && inflight === 0) {
        if (this.phase !== 'write') break;
        this.phase = 'verify';
        this.seq = 0;
      }
      let queued = false;
      const gap = this.opts.rateIops ? 1e9 / this.opts.rateIops : 0;
      if (gap > 0 && this.seq < perPhase && inflight < slots.length) {
        const due = this.startedAt + Math.round(this.seq * gap);
        if (k.now() < due) {
          yield* k.sleep(due); // fio's rate limiting: sleep until the next I/O is due
          continue;
        }
      }
      while (this.seq < perPhase && inflight < slots.length && dev.canSubmit(Math.min(pagesPer, dev.maxPages))) {
        const slot = slots.find((s) => !s.busy)!;
        const block = this.pickBlock(order, blocks);
        const io = this.prepare(k, slot, block, () => completed++);
        yield* k.syscall(); // io_submit
        if (pagesPer <= dev.maxPages) yield* dev.submit(io);
        else {
          for (const part of splitIo(io, dev.maxPages)) { // the block layer's split to the device's limit
            while (!dev.canSubmit(part.gfns.length)) {
              yield* dev.kick(); // the parts so far go out, and their completions free room
              yield* k.wait();
            }
            yield* dev.submit(part);
          }
        }
        inflight++;
        queued = true;
        if (gap > 0) break;
      }
      if (queued) yield* dev.kick();
      else if (completed > 0) {
        // io_getevents(): every completion so far, reaped in one call.
        inflight -= completed;
        completed = 0;
        yield* k.syscall();
      } else yield* k.wait(); // in io_getevents(), asleep until a completion comes
    }
    this.done = true;
    this.finishedAt = k.now();
  }

  private pickBlock(order: number[], blocks: number): number {
    const i = this.seq++;
    if (this.phase === 'verify') return order[i]!;
    const random = this.opts.rw === 'randread' || this.opts.rw === 'randwrite';
    const b = random ? this.rng.int(0, blocks - 1) : i % blocks;
    if (this.phase === 'write') order.push(b);
    return b;
  }

  /** One I/O of the job on `slot`, its pages filled if it writes; submitted by run() itself, as
   *  a separate generator would be one more level resumed at every step of the submission. */
  private prepare(k: IoKernel, slot: Slot, block: number, release: () => void): BlockIo {
    // The verify phase reads back what the write phase wrote, whatever the job's rw (fio's
    // do_verify after a write job).
    const rw = this.opts.rw;
    const write = this.phase === 'write' || (this.phase === 'run' && (rw === 'write' || rw === 'randwrite' || (rw === 'rw' && block % 2 === 1)));
    const offset = block * this.opts.bs;
    const count = this.opts.bs / 512;
    if (write) for (let p = 0; p < slot.gfns.length; p++) fillPattern(k.page(slot.gfns[p]!)!, offset + p * PAGE, this.seed);
    slot.busy = true;
    const start = k.now();
    const verifying = this.phase === 'verify';
    return {
      op: write ? 'write' : 'read',
      sector: offset / 512,
      count,
      gfns: slot.gfns,
      done: (status) => {
        slot.busy = false;
        release();
        this.latency.record(k.now() - start);
        if (status !== 0) this.errors++;
        else {
          this.ops++;
          this.bytes += this.opts.bs;
        }
        if (verifying && status === 0 && !slot.gfns.every((g, p) => checkPattern(k.page(g)!, offset + p * PAGE, this.seed, sectorsInPage(count, p) * 512))) this.verifyErrors++;
      },
    };
  }
}

/** The verify pattern: every 32-bit word is a hash of (seed, its byte offset on the disk). */
export function fillPattern(page: Uint8Array, diskOffset: number, seed: number): void {
  const w = new Uint32Array(page.buffer, page.byteOffset, PAGE / 4);
  const base = Math.floor(diskOffset / 4);
  for (let i = 0; i < w.length; i++) w[i] = mix(seed, base + i);
}

/** Whether the first `bytes` of `page` hold the pattern (an I/O's last page may be partial). */
export function checkPattern(page: Uint8Array, diskOffset: number, seed: number, bytes = PAGE): boolean {
  const w = new Uint32Array(page.buffer, page.byteOffset, bytes / 4);
  const base = Math.floor(diskOffset / 4);
  for (let i = 0; i < w.length; i++) if (w[i] !== mix(seed, base + i)) return false;
  return true;
}

function mix(seed: number, x: number): number {
  let h = (Math.imul(x ^ (x / 0x100000000), 0x9e3779b1) ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A workload wrapper for the lab: the kernel decides how the job reaches its disk. */
export function fioWorkload(job: FioJob, kernel: (job: FioJob) => Workload['kernel']): Workload {
  return { kind: 'fio', kernel: kernel(job), stats: () => job.stats() };
}
