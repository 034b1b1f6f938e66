// A physical block device on the event engine: 512-byte sectors with real contents, a queue,
// and a timing model (disk-models.ts) deciding when each command completes.
//
// Who calls it: dom0's block backends and volumes, and natively running kernels, through
// `submit(req, done)`. `done` is always called later, through the engine, never re-entrantly.
//
// Data semantics: a request may name its memory as a scatter-gather list (`sg`, the views of
// the pages it moves, in order, as a bio's vectors do). A write's bytes are copied at submit
// (from `data` or `sg`; the caller may reuse its pages at once) and land on the medium at
// completion; a read copies the medium at completion, into `sg` as a device DMAs into a
// request's pages, or else into a fresh buffer of the result. So a read issued
// while a write to the same sectors is in flight sees the old or the new bytes according to
// which completes first, as on a real device. There is no volatile write cache: data is
// durable at completion, and a flush only costs the model's flush time (like an NVMe or SCSI
// flush, it covers the writes completed before it; waiting for in-flight ones is the host's job).
//
// A bad request (unknown op, out-of-range sectors, wrong buffer length) completes with status
// 'error' at the current instant and never occupies the device; submit never throws for one.
//
// Timing is the model's business (disk-models.ts): this file queues commands FIFO, keeps as
// many in service as the model allows, and moves the bytes when each completes.

import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { Engine, Handler } from './engine';
import { Histogram } from './histogram';
import { diskModelForPlatform, diskTiming, SECTOR_SIZE, type DiskModel, type DiskTiming } from './disk-models';
import { freshBytes, gather } from './bytes';

export type DiskOp = 'read' | 'write' | 'flush';

export interface DiskRequest {
  readonly op: DiskOp;
  /** First sector; ignored by flush. */
  readonly sector: number;
  /** Number of sectors (at least 1); ignored by flush. */
  readonly count: number;
  /** A write's bytes in one buffer: exactly count × 512 of them (or name them in `sg`). */
  readonly data?: Uint8Array;
  /** The request's memory as views adding up to exactly count × 512 bytes, in order: where a
   *  read's bytes land (else the result carries a fresh buffer), or a write's bytes (instead
   *  of `data`). */
  readonly sg?: readonly Uint8Array[];
}

/** Why a request was refused (kept precise here; a backend maps it to BLKIF_RSP_ERROR). */
export type DiskFault = 'bad-op' | 'bad-count' | 'out-of-range' | 'bad-buffer';

export interface DiskResult {
  readonly status: 'ok' | 'error';
  /** A read's bytes, a fresh copy owned by the caller (none when the read named `sg`). */
  readonly data?: Uint8Array;
  readonly reason?: DiskFault;
}

export type DiskDone = (result: DiskResult) => void;

/** Checks a request against a device of `sizeSectors`, once; undefined means well formed. */
export function checkRequest(req: DiskRequest, sizeSectors: number): DiskFault | undefined {
  if (req.op === 'flush') return undefined;
  if (req.op !== 'read' && req.op !== 'write') return 'bad-op';
  if (!Number.isSafeInteger(req.count) || req.count < 1) return 'bad-count';
  if (!Number.isSafeInteger(req.sector) || req.sector < 0 || req.sector + req.count > sizeSectors) return 'out-of-range';
  const bytes = req.count * SECTOR_SIZE;
  if (req.sg !== undefined && (!holds(req.sg, bytes) || (req.op === 'write' && req.data !== undefined))) return 'bad-buffer';
  if (req.op === 'write' && req.sg === undefined && (!(req.data instanceof Uint8Array) || req.data.length !== bytes)) return 'bad-buffer';
  return undefined;
}

function holds(views: readonly Uint8Array[], bytes: number): boolean {
  if (!Array.isArray(views)) return false;
  let n = 0;
  for (const v of views) {
    if (!(v instanceof Uint8Array)) return false;
    n += v.length;
  }
  return n === bytes;
}

/** Always-on counters of one disk. */
export class DiskStats {
  reads = 0;
  writes = 0;
  flushes = 0;
  errors = 0;
  bytesRead = 0;
  bytesWritten = 0;
  /** Reads an HDD served from its read-ahead stream, without positioning the head. */
  readAheadHits = 0;
  maxDepth = 0;
  /** Commands outstanding (queued or in service, itself included) seen by each arrival. */
  readonly depth = new Histogram();
  /** Submit-to-completion time of successful commands, all ops and by op. */
  readonly latency = new Histogram();
  readonly readLatency = new Histogram();
  readonly writeLatency = new Histogram();
}

/** One command, pooled; it is the engine handler of its own completion. */
class DiskCommand implements Handler {
  op: DiskOp = 'flush';
  sector = 0;
  count = 0;
  /** A write's bytes, copied at submit into `buffer` (kept from one use of the command to the next). */
  data: Uint8Array | undefined;
  /** Where a read's bytes go at completion, if the request named them. */
  into: readonly Uint8Array[] | undefined;
  done: DiskDone | undefined;
  private buffer = new Uint8Array(0);
  submitNs = 0;
  fault: DiskFault | undefined;

  constructor(private readonly disk: Disk) {}

  fire(): void {
    this.disk.finish(this);
  }

  /** Copies a write's bytes (from `data` or `sg`) into the command's own buffer. */
  copyIn(req: DiskRequest): Uint8Array {
    const n = req.count * SECTOR_SIZE;
    if (this.buffer.length < n) this.buffer = new Uint8Array(n);
    const out = this.buffer.subarray(0, n);
    if (req.sg === undefined) out.set(req.data!);
    else gather(out, req.sg);
    return out;
  }
}

/** Where a disk's bytes live. A read fills the given views, in order; unwritten sectors read
 *  as zeros. */
interface SectorStore {
  readInto(sector: number, into: readonly Uint8Array[]): void;
  write(sector: number, data: Uint8Array): void;
  close(): void;
}

const CHUNK_BYTES = 4096;

/** Sparse contents in memory: 4 KiB chunks, created on first write. */
class MemoryStore implements SectorStore {
  private readonly chunks = new Map<number, Uint8Array>();

  readInto(sector: number, into: readonly Uint8Array[]): void {
    let offset = sector * SECTOR_SIZE;
    for (const dest of into) {
      this.walk(offset, dest.length, (chunk, at, pos, len) => {
        const bytes = this.chunks.get(chunk);
        if (bytes) dest.set(bytes.subarray(at, at + len), pos);
        else dest.fill(0, pos, pos + len);
      });
      offset += dest.length;
    }
  }

  write(sector: number, data: Uint8Array): void {
    this.walk(sector * SECTOR_SIZE, data.length, (chunk, at, pos, len) => {
      let bytes = this.chunks.get(chunk);
      if (!bytes) this.chunks.set(chunk, (bytes = new Uint8Array(CHUNK_BYTES)));
      bytes.set(data.subarray(pos, pos + len), at);
    });
  }

  close(): void {}

  /** Calls `fn(chunk, offset in chunk, offset in buffer, length)` for each chunk of a range. */
  private walk(offset: number, length: number, fn: (chunk: number, at: number, pos: number, len: number) => void): void {
    for (let pos = 0; pos < length; ) {
      const at = (offset + pos) % CHUNK_BYTES;
      const len = Math.min(CHUNK_BYTES - at, length - pos);
      fn(Math.floor((offset + pos) / CHUNK_BYTES), at, pos, len);
      pos += len;
    }
  }
}

/** Contents in a raw image file on the host, read and written synchronously at sector offsets.
 *  A missing file is created sparse at the disk's size; a shorter one is extended. */
class ImageFileStore implements SectorStore {
  private fd: number;

  constructor(path: string, sizeBytes: number) {
    this.fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    if (fstatSync(this.fd).size < sizeBytes) ftruncateSync(this.fd, sizeBytes);
  }

  readInto(sector: number, into: readonly Uint8Array[]): void {
    let offset = sector * SECTOR_SIZE;
    for (const dest of into) {
      for (let done = 0; done < dest.length; ) {
        const n = readSync(this.fd, dest, done, dest.length - done, offset + done);
        if (n === 0) {
          dest.fill(0, done); // past the end of the file: zeros
          break;
        }
        done += n;
      }
      offset += dest.length;
    }
  }

  write(sector: number, data: Uint8Array): void {
    for (let done = 0; done < data.length; ) {
      done += writeSync(this.fd, data, done, data.length - done, sector * SECTOR_SIZE + done);
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

const OK: DiskResult = Object.freeze({ status: 'ok' });

/** Consumed queue slots tolerated before the queue array is compacted (amortised O(1)). */
const QUEUE_COMPACT_AT = 1024;

export interface DiskOptions {
  /** Back the disk by a raw image file at this host path (created sparse if missing). */
  readonly imagePath?: string;
}

export class Disk {
  readonly sizeSectors: number;
  readonly stats = new DiskStats();
  private readonly store: SectorStore;
  private readonly timing: DiskTiming;
  private readonly pool: DiskCommand[] = [];
  private readonly queue: DiskCommand[] = [];
  private queueHead = 0;
  private inService = 0;
  private busySince = 0;
  private busyClosedNs = 0;

  constructor(
    private readonly engine: Engine,
    readonly model: DiskModel,
    readonly sizeBytes: number,
    options: DiskOptions = {},
  ) {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % SECTOR_SIZE !== 0) {
      throw new RangeError(`disk: size ${sizeBytes} is not a positive multiple of ${SECTOR_SIZE} bytes`);
    }
    this.sizeSectors = sizeBytes / SECTOR_SIZE;
    this.store = options.imagePath === undefined ? new MemoryStore() : new ImageFileStore(options.imagePath, sizeBytes);
    this.timing = diskTiming(model, this.sizeSectors, this.stats);
  }

  /** Commands queued or in service. */
  get outstanding(): number {
    return this.inService + this.queue.length - this.queueHead;
  }

  /** Time with at least one command in service, up to now. */
  get busyNs(): number {
    return this.busyClosedNs + (this.inService > 0 ? this.engine.now - this.busySince : 0);
  }

  submit(req: DiskRequest, done: DiskDone): void {
    const c = this.pool.pop() ?? new DiskCommand(this);
    c.done = done;
    c.submitNs = this.engine.now;
    c.fault = checkRequest(req, this.sizeSectors);
    if (c.fault !== undefined) {
      this.engine.at(this.engine.now, c);
      return;
    }
    c.op = req.op;
    c.sector = req.sector;
    c.count = req.count;
    c.data = req.op === 'write' ? c.copyIn(req) : undefined;
    c.into = req.op === 'read' ? req.sg : undefined;
    const depth = this.outstanding + 1;
    this.stats.depth.record(depth);
    if (depth > this.stats.maxDepth) this.stats.maxDepth = depth;
    this.queue.push(c);
    this.dispatch();
  }

  /** Closes the backing image file, if any. */
  close(): void {
    this.store.close();
  }

  /** @internal the completion of a command, called by its handler. */
  finish(c: DiskCommand): void {
    const done = c.done!;
    let result: DiskResult;
    if (c.fault !== undefined) {
      this.stats.errors++;
      result = { status: 'error', reason: c.fault };
    } else {
      this.inService--;
      result = this.apply(c);
      this.dispatch();
      if (this.inService === 0) this.busyClosedNs += this.engine.now - this.busySince;
    }
    c.done = undefined;
    c.data = undefined;
    c.into = undefined;
    this.pool.push(c);
    done(result);
  }

  /** Starts queued commands, FIFO, while the device has room. */
  private dispatch(): void {
    while (this.inService < this.timing.capacity && this.queueHead < this.queue.length) {
      const c = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = undefined as unknown as DiskCommand;
      if (this.queueHead === this.queue.length) {
        this.queue.length = 0;
        this.queueHead = 0;
      } else if (this.queueHead >= QUEUE_COMPACT_AT && this.queueHead * 2 >= this.queue.length) {
        // A queue that never drains would otherwise grow without bound.
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      if (this.inService++ === 0) this.busySince = this.engine.now;
      this.engine.at(this.timing.start(c, this.engine.now), c);
    }
  }

  /** Moves the bytes and counts the command, at its completion. */
  private apply(c: DiskCommand): DiskResult {
    const s = this.stats;
    const latency = this.engine.now - c.submitNs;
    s.latency.record(latency);
    switch (c.op) {
      case 'read': {
        s.reads++;
        s.bytesRead += c.count * SECTOR_SIZE;
        s.readLatency.record(latency);
        if (c.into !== undefined) {
          this.store.readInto(c.sector, c.into);
          return OK;
        }
        const data = freshBytes(c.count * SECTOR_SIZE);
        this.store.readInto(c.sector, [data]);
        return { status: 'ok', data };
      }
      case 'write':
        s.writes++;
        s.bytesWritten += c.count * SECTOR_SIZE;
        s.writeLatency.record(latency);
        this.store.write(c.sector, c.data!);
        return OK;
      case 'flush':
        s.flushes++;
        return OK;
    }
  }
}

/** Builds the disk a platform profile is paired with (PLATFORM_DISKS), or undefined. */
export function diskForPlatform(engine: Engine, platform: string, sizeBytes: number, options: DiskOptions = {}): Disk | undefined {
  const model = diskModelForPlatform(platform);
  return model === undefined ? undefined : new Disk(engine, model, sizeBytes, options);
}
