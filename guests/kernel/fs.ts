// A small ext2-like file system over the block device, through the buffer cache: a block
// bitmap, an inode table (32 inodes per 4 KiB block), one flat directory (64 entries per
// block) and data blocks allocated next-fit. Metadata and data live in cached blocks, dirtied
// by creates, writes and deletes and written back on fsync, sync or eviction, so file
// operations become block I/O the way they do in Linux. The system calls over it (open, read,
// write, stat, unlink, fsync) charge the platform profile's kernel work for each.
import type { BufferCache } from './bcache';
import type { GuestOs } from './os';
import type { Process } from './process';
import type { KGen } from './types';

const BLOCK = 4096;
const INODES_PER_BLOCK = 32;
const DIRENTS_PER_BLOCK = 64;
const BITS_PER_BLOCK = BLOCK * 8;

export interface Inode {
  readonly ino: number;
  size: number;
  readonly blocks: number[];
  /** Its directory entry's slot. */
  slot: number;
}

export interface FsLayout {
  bitmap: number;
  inodes: number;
  dir: number;
  data: number;
  blocks: number;
  maxInodes: number;
}

export function layout(blocks: number, maxInodes: number): FsLayout {
  const bitmap = 1;
  const inodes = bitmap + Math.ceil(blocks / BITS_PER_BLOCK);
  const dir = inodes + Math.ceil(maxInodes / INODES_PER_BLOCK);
  const data = dir + Math.ceil(maxInodes / DIRENTS_PER_BLOCK);
  return { bitmap, inodes, dir, data, blocks, maxInodes };
}

export class FileSystem {
  readonly layout: FsLayout;
  private readonly names = new Map<string, Inode>();
  private readonly byIno = new Map<number, Inode>();
  private readonly free: Uint8Array;
  private nextBlock: number;
  private readonly freeInos: number[] = [];
  private readonly freeSlots: number[] = [];
  private nextIno = 1;
  private nextSlot = 0;
  /** Operations refused for want of space or inodes (-ENOSPC). */
  enospc = 0;

  constructor(
    private readonly os: GuestOs,
    readonly cache: BufferCache,
    blocks: number,
    maxInodes = 8192,
  ) {
    this.layout = layout(blocks, maxInodes);
    this.free = new Uint8Array(blocks).fill(1);
    this.free.fill(0, 0, this.layout.data);
    this.nextBlock = this.layout.data;
  }

  /** The file system was made before the guest booted (mkfs); mounting it leaves its metadata
   *  blocks in the cache, clean, as a warm system has them. */
  *mount(): KGen {
    const meta = Array.from({ length: this.layout.data - this.layout.bitmap }, (_, i) => this.layout.bitmap + i);
    yield* this.cache.adopt(meta);
  }

  lookup(name: string): Inode | undefined {
    return this.names.get(name);
  }

  private inodeBlock(ino: number): number {
    return this.layout.inodes + Math.floor(ino / INODES_PER_BLOCK);
  }

  private dirBlock(slot: number): number {
    return this.layout.dir + Math.floor(slot / DIRENTS_PER_BLOCK);
  }

  /** Path lookup: the directory block holding the name and the inode's block. */
  private *resolve(name: string): KGen<Inode | undefined> {
    const ino = this.names.get(name);
    yield* this.cache.read(ino ? [this.dirBlock(ino.slot), this.inodeBlock(ino.ino)] : [this.layout.dir]);
    return ino;
  }

  /** open(), creating the file when asked and absent; returns the fd or -1. */
  *open(p: Process, name: string, create = false): KGen<number> {
    let ino = yield* this.resolve(name);
    if (!ino && create) {
      ino = yield* this.create(name);
      yield* this.os.syscall(this.os.costs.fileCreateNs);
    } else yield* this.os.syscall(this.os.costs.openCloseNs);
    return ino ? p.openFd(ino.ino) : -1;
  }

  /** close(): its work is counted with open's. */
  *close(p: Process, fd: number): KGen {
    p.fds.delete(fd);
    yield* this.os.syscall(0);
  }

  private *create(name: string): KGen<Inode | undefined> {
    const ino = this.freeInos.pop() ?? (this.nextIno < this.layout.maxInodes ? this.nextIno++ : -1);
    const slot = this.freeSlots.pop() ?? (this.nextSlot < this.layout.maxInodes ? this.nextSlot++ : -1);
    if (ino < 0 || slot < 0) return void this.enospc++;
    const node: Inode = { ino, size: 0, blocks: [], slot };
    this.names.set(name, node);
    this.byIno.set(ino, node);
    yield* this.cache.read([this.inodeBlock(ino), this.dirBlock(slot)]);
    this.cache.markDirty(this.inodeBlock(ino));
    this.cache.markDirty(this.dirBlock(slot));
    return node;
  }

  private inodeOf(p: Process, fd: number): Inode | undefined {
    const ino = p.fds.get(fd);
    return ino === undefined ? undefined : this.byIno.get(ino);
  }

  /** write() of `bytes` at `offset`: new blocks are allocated, the data copied into the cache. */
  *write(p: Process, fd: number, offset: number, bytes: number): KGen<number> {
    const node = this.inodeOf(p, fd);
    if (!node || bytes <= 0) return (yield* this.os.syscall(0), -1);
    const first = Math.floor(offset / BLOCK);
    const last = Math.floor((offset + bytes - 1) / BLOCK);
    const grown = yield* this.grow(node, last + 1);
    const touched = node.blocks.slice(first, last + 1);
    const whole = touched.filter((_, i) => offset <= (first + i) * BLOCK && (first + i + 1) * BLOCK <= offset + bytes);
    yield* this.cache.read(touched.filter((b) => !whole.includes(b) && !grown.includes(b)));
    yield* this.cache.overwrite(touched);
    node.size = Math.max(node.size, offset + bytes);
    this.cache.markDirty(this.inodeBlock(node.ino));
    yield* this.os.syscall(this.os.copyNs(bytes) + grown.length * this.os.costs.fileBlockAllocNs);
    return bytes;
  }

  /** Gives the file `n` blocks, next-fit; returns the new ones. */
  private *grow(node: Inode, n: number): KGen<number[]> {
    const fresh: number[] = [];
    while (node.blocks.length < n) {
      const b = this.allocBlock();
      if (b < 0) break;
      node.blocks.push(b);
      fresh.push(b);
    }
    const bitmaps = [...new Set(fresh.map((b) => this.layout.bitmap + Math.floor(b / BITS_PER_BLOCK)))];
    yield* this.cache.read(bitmaps);
    for (const bm of bitmaps) this.cache.markDirty(bm);
    return fresh;
  }

  private allocBlock(): number {
    const n = this.free.length;
    for (let i = 0; i < n; i++) {
      const b = this.nextBlock;
      this.nextBlock = b + 1 < n ? b + 1 : this.layout.data;
      if (this.free[b] === 1) {
        this.free[b] = 0;
        return b;
      }
    }
    this.enospc++;
    return -1;
  }

  /** read() of `bytes` at `offset` (short at the end of the file): cached blocks are copied,
   *  absent ones read from the device first. */
  *read(p: Process, fd: number, offset: number, bytes: number): KGen<number> {
    const node = this.inodeOf(p, fd);
    const n = node ? Math.max(0, Math.min(bytes, node.size - offset)) : 0;
    if (node && n > 0) yield* this.cache.read(node.blocks.slice(Math.floor(offset / BLOCK), Math.floor((offset + n - 1) / BLOCK) + 1));
    yield* this.os.syscall(this.os.copyNs(n));
    return node ? n : -1;
  }

  /** stat() by name. */
  *stat(name: string): KGen<Inode | undefined> {
    const node = yield* this.resolve(name);
    yield* this.os.syscall(this.os.costs.statNs);
    return node;
  }

  /** fsync(): the file's dirty data and its inode reach the disk before it returns. */
  *fsync(p: Process, fd: number): KGen {
    const node = this.inodeOf(p, fd);
    yield* this.os.syscall(0);
    if (node) yield* this.cache.flush([...node.blocks, this.inodeBlock(node.ino), this.dirBlock(node.slot)]);
  }

  /** unlink(): blocks freed (their cached copies dropped), the inode and entry released. */
  *unlink(name: string): KGen<boolean> {
    const node = yield* this.resolve(name);
    if (!node) return (yield* this.os.syscall(0), false);
    this.names.delete(name);
    this.byIno.delete(node.ino);
    for (const b of node.blocks) {
      this.free[b] = 1;
      this.cache.drop(b);
    }
    const bitmaps = [...new Set(node.blocks.map((b) => this.layout.bitmap + Math.floor(b / BITS_PER_BLOCK)))];
    yield* this.cache.read(bitmaps);
    for (const b of [...bitmaps, this.inodeBlock(node.ino), this.dirBlock(node.slot)]) this.cache.markDirty(b);
    this.freeInos.push(node.ino);
    this.freeSlots.push(node.slot);
    yield* this.os.syscall(this.os.costs.fileDeleteNs + node.blocks.length * this.os.costs.fileBlockFreeNs);
    return true;
  }

  /** sync(): every dirty block written. */
  *sync(): KGen {
    yield* this.os.syscall(0);
    yield* this.cache.flush();
  }
}
