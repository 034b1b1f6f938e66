// The split virtqueue of virtio 1.x (OASIS virtio spec §2.7): the ring of the KVM world, where
// Xen has public/io/ring.h. A driver (the guest's virtio-blk) and a device (QEMU's I/O thread,
// or a vhost worker in the host kernel) share three areas of guest memory:
//
//   descriptor table  N × 16 bytes   { addr u64, len u32, flags u16, next u16 }      driver writes
//   available ring    6 + 2N bytes   { flags u16, idx u16, ring[N] u16, used_event } driver writes
//   used ring         6 + 8N bytes   { flags u16, idx u16, ring[N] {id u32, len u32},
//                                       avail_event u16 }                              device writes
//
// A request is a chain of descriptors linked by `next`; the driver puts its head in the
// available ring, the device answers by putting the head (and the bytes it wrote) in the used
// ring. `idx` fields are free-running u16 counters; slot = idx & (N - 1). Each end keeps its own
// cursors privately (here, in a VirtqDriver or VirtqDevice object).
//
// Notification suppression: with VIRTIO_F_EVENT_IDX each side publishes the index at which it
// wants to be notified (used_event, avail_event), and a producer notifies only when its new
// index passes it (vring_need_event); without it, a flag (NO_NOTIFY, NO_INTERRUPT) says "don't".
//
// Who calls it: the guest's virtio drivers, and virtq-device.ts (the device's end, which the
// host's virtio devices use); imports nothing.
// The device parses untrusted input once, from private copies (a descriptor's 16 bytes, an
// avail slot's 2), into a typed chain or a named fault, and never reads them again. A fault in
// the ring's structure halts that end: every later call returns the same fault.

/** virtq_desc.flags. */
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
/** virtq_avail.flags: "don't interrupt me" (ignored by devices with EVENT_IDX). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** virtq_used.flags: "don't notify me" (ignored by drivers with EVENT_IDX). */
export const VIRTQ_USED_F_NO_NOTIFY = 1;
/** The largest queue the spec allows (a 15-bit size: the u16 index must outrun it). */
export const VIRTQ_MAX_SIZE = 32768;

export const DESC_BYTES = 16;
export const USED_ELEM_BYTES = 8;
export const RING_HEADER = 4; // flags u16, idx u16
export const U16 = 0xffff;

/** Byte offsets of the three areas laid out back to back with their alignments (16, 2, 4). */
export function virtqLayout(size: number): { desc: number; avail: number; used: number; bytes: number; descBytes: number; availBytes: number; usedBytes: number } {
  if (!Number.isInteger(size) || size < 1 || size > VIRTQ_MAX_SIZE || (size & (size - 1)) !== 0) {
    throw new RangeError(`virtqueue size must be a power of two up to ${VIRTQ_MAX_SIZE} (got ${size})`);
  }
  const descBytes = DESC_BYTES * size;
  const availBytes = RING_HEADER + 2 * size + 2;
  const usedBytes = RING_HEADER + USED_ELEM_BYTES * size + 2;
  const avail = descBytes;
  const used = (avail + availBytes + 3) & ~3;
  return { desc: 0, avail, used, bytes: used + usedBytes, descBytes, availBytes, usedBytes };
}

/** The three areas, each a view of exactly its bytes. */
export interface VirtqAreas {
  readonly desc: Uint8Array;
  readonly avail: Uint8Array;
  readonly used: Uint8Array;
}

/** Carves the areas out of one region laid out as virtqLayout says; undefined if it is too small. */
export function virtqAreasIn(region: Uint8Array, size: number): VirtqAreas | undefined {
  const l = virtqLayout(size);
  if (region.byteLength < l.bytes) return undefined;
  const at = (off: number, len: number): Uint8Array => region.subarray(off, off + len);
  return { desc: at(l.desc, l.descBytes), avail: at(l.avail, l.availBytes), used: at(l.used, l.usedBytes) };
}

/** vring_need_event: notify iff `event` lies in the window [old, new) just published. */
export function vringNeedEvent(event: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - event - 1) & U16) < ((newIdx - oldIdx) & U16);
}

/** One buffer of a chain: `write` means the device writes it (a read's data, a status byte). */
export interface VirtqSegment {
  readonly addr: number;
  readonly len: number;
  readonly write: boolean;
}

export interface VirtqOptions {
  /** VIRTIO_F_EVENT_IDX was negotiated. */
  readonly eventIdx: boolean;
  /**
   * VIRTIO_RING_F_INDIRECT_DESC was negotiated. The device side passes how it reads a table of
   * descriptors from guest memory: a private copy of `len` bytes at `addr`, or undefined if
   * they are not all guest RAM. (The driver side passes true and gives each chain's table to
   * `add`.)
   */
  readonly indirect?: boolean | ((addr: number, len: number) => Uint8Array | undefined);
}

/** Where a driver writes a chain's indirect table: its guest-physical address and its bytes. */
export interface IndirectTable {
  readonly addr: number;
  readonly bytes: Uint8Array;
}

/** What a device can find wrong with the driver's rings (named for what the driver did). */
export type VirtqDeviceFault = {
  kind: 'broken';
  reason: 'avail-index-overflow' | 'head-out-of-range' | 'next-out-of-range' | 'chain-too-long' | 'indirect-not-negotiated' | 'indirect-table-invalid';
  detail: string;
};
/** What a driver can find wrong with the device's used ring. */
export type VirtqDriverFault = {
  kind: 'broken';
  reason: 'used-index-overflow' | 'used-id-out-of-range' | 'used-id-not-outstanding';
  detail: string;
};

export type Popped = { kind: 'ok'; head: number; segments: VirtqSegment[] } | { kind: 'empty' } | VirtqDeviceFault;
export type Used = { kind: 'ok'; head: number; len: number } | { kind: 'empty' } | VirtqDriverFault;
export type Added = { kind: 'ok'; head: number } | { kind: 'no-space' };

export const view = (a: Uint8Array): DataView => new DataView(a.buffer, a.byteOffset, a.byteLength);

/** The buffer the descriptor at `at` names (its flags and link are read by the caller). */
export function readDesc(d: DataView, at: number): VirtqSegment {
  return { addr: d.getUint32(at, true) + d.getUint32(at + 4, true) * 0x1_0000_0000, len: d.getUint32(at + 8, true), write: (d.getUint16(at + 12, true) & VIRTQ_DESC_F_WRITE) !== 0 };
}

/** One descriptor at `at`: linked to `next`, or the chain's last if next < 0. */
function writeDesc(d: DataView, at: number, s: VirtqSegment, next: number, extraFlags = 0): void {
  d.setUint32(at, s.addr >>> 0, true);
  d.setUint32(at + 4, Math.floor(s.addr / 0x1_0000_0000), true);
  d.setUint32(at + 8, s.len >>> 0, true);
  d.setUint16(at + 12, (next < 0 ? 0 : VIRTQ_DESC_F_NEXT) | (s.write ? VIRTQ_DESC_F_WRITE : 0) | extraFlags, true);
  d.setUint16(at + 14, next < 0 ? 0 : next, true);
}

/** Views of a queue's three areas, checked to be large enough for `size` entries. */
export function viewAreas(areas: VirtqAreas, size: number): { desc: DataView; avail: DataView; used: DataView } {
  const l = virtqLayout(size);
  if (areas.desc.byteLength < l.descBytes || areas.avail.byteLength < l.availBytes || areas.used.byteLength < l.usedBytes) throw new RangeError('virtqueue areas too small');
  return { desc: view(areas.desc), avail: view(areas.avail), used: view(areas.used) };
}

/** The driver's end: builds chains, publishes them, takes completions. */
export class VirtqDriver {
  readonly size: number;
  private readonly desc: DataView;
  private readonly avail: DataView;
  private readonly used: DataView;
  /** Private links of free descriptors (Linux's desc_extra): never read back from shared memory. */
  private readonly nextFree: number[];
  private freeHead = 0;
  private numFreeDesc: number;
  /** Descriptors in each outstanding chain, by head; 0 = not outstanding. */
  private readonly chainLen: number[];
  private availIdx = 0;
  private availPublished = 0;
  private lastUsed = 0;
  private halt: VirtqDriverFault | null = null;
  private readonly copy = new DataView(new ArrayBuffer(USED_ELEM_BYTES));

  constructor(areas: VirtqAreas, size: number, private readonly opts: VirtqOptions) {
    this.size = size;
    ({ desc: this.desc, avail: this.avail, used: this.used } = viewAreas(areas, size));
    areas.desc.fill(0);
    areas.avail.fill(0);
    areas.used.fill(0);
    this.nextFree = Array.from({ length: size }, (_, i) => i + 1);
    this.numFreeDesc = size;
    this.chainLen = new Array<number>(size).fill(0);
  }

  get numFree(): number {
    return this.numFreeDesc;
  }

  get halted(): VirtqDriverFault | null {
    return this.halt;
  }

  /** Chains `segs` into free descriptors and puts the head in the available ring (unpublished).
   *  With a `table` (and INDIRECT_DESC negotiated), a chain of several goes into the table
   *  instead, and takes one descriptor of the ring (Linux's virtqueue_add_split does so for
   *  every request of more than one buffer). */
  add(segs: readonly VirtqSegment[], table?: IndirectTable): Added {
    if (table && this.opts.indirect && segs.length > 1 && segs.length <= this.size && table.bytes.byteLength >= segs.length * DESC_BYTES) {
      const t = view(table.bytes);
      segs.forEach((s, k) => writeDesc(t, k * DESC_BYTES, s, k === segs.length - 1 ? -1 : k + 1));
      return this.addChain([{ addr: table.addr, len: segs.length * DESC_BYTES, write: false }], VIRTQ_DESC_F_INDIRECT);
    }
    return this.addChain(segs, 0);
  }

  private addChain(segs: readonly VirtqSegment[], extraFlags: number): Added {
    if (segs.length === 0 || segs.length > this.numFreeDesc || this.halt) return { kind: 'no-space' };
    const head = this.freeHead;
    let i = head;
    segs.forEach((s, k) => {
      const last = k === segs.length - 1;
      const nxt = this.nextFree[i]!;
      writeDesc(this.desc, i * DESC_BYTES, s, last ? -1 : nxt, extraFlags);
      if (!last) i = nxt;
      else this.freeHead = nxt;
    });
    this.numFreeDesc -= segs.length;
    this.chainLen[head] = segs.length;
    this.avail.setUint16(RING_HEADER + 2 * (this.availIdx & (this.size - 1)), head, true);
    this.availIdx = (this.availIdx + 1) & U16;
    return { kind: 'ok', head };
  }

  /** virtqueue_kick_prepare: publishes avail.idx, then says whether the device must be notified. */
  kickPrepare(): boolean {
    const old = this.availPublished;
    const now = this.availIdx;
    if (old === now) return false;
    this.avail.setUint16(2, now, true); // after the ring entries (a write barrier in C)
    this.availPublished = now;
    if (this.opts.eventIdx) return vringNeedEvent(this.used.getUint16(this.availEventOffset(), true), now, old);
    return (this.used.getUint16(0, true) & VIRTQ_USED_F_NO_NOTIFY) === 0;
  }

  /** The last kick's window and the device's avail_event, for narration. */
  lastKick(): { availIdx: number; availEvent: number } {
    return { availIdx: this.availPublished, availEvent: this.used.getUint16(this.availEventOffset(), true) };
  }

  /** virtqueue_get_buf: the next completion, copied once and checked; its chain is freed. */
  getUsed(): Used {
    if (this.halt) return this.halt;
    const usedIdx = this.used.getUint16(2, true);
    const pending = (usedIdx - this.lastUsed) & U16;
    if (pending === 0) return { kind: 'empty' };
    if (pending > this.size) return this.broken('used-index-overflow', `used.idx ${usedIdx} is ${pending} past ${this.lastUsed}, more than the ${this.size} entries a queue holds`);
    const at = RING_HEADER + USED_ELEM_BYTES * (this.lastUsed & (this.size - 1));
    for (let b = 0; b < USED_ELEM_BYTES; b++) this.copy.setUint8(b, this.used.getUint8(at + b));
    const head = this.copy.getUint32(0, true);
    const len = this.copy.getUint32(4, true);
    if (head >= this.size) return this.broken('used-id-out-of-range', `used id ${head} in a queue of ${this.size}`);
    if (this.chainLen[head] === 0) return this.broken('used-id-not-outstanding', `used id ${head} was not given to the device`);
    this.lastUsed = (this.lastUsed + 1) & U16;
    this.freeChain(head);
    return { kind: 'ok', head, len };
  }

  /** virtqueue_disable_cb: without EVENT_IDX, ask for no interrupts; with it, not moving
   *  used_event is enough (the device notifies only when it passes it). */
  disableCb(): void {
    if (!this.opts.eventIdx) this.avail.setUint16(0, this.avail.getUint16(0, true) | VIRTQ_AVAIL_F_NO_INTERRUPT, true);
  }

  /** virtqueue_enable_cb: ask to be interrupted by the next completion, then look again:
   *  true means completions are already there (take them now, or the interrupt is lost). */
  enableCb(): boolean {
    if (this.opts.eventIdx) this.avail.setUint16(RING_HEADER + 2 * this.size, this.lastUsed, true);
    else this.avail.setUint16(0, this.avail.getUint16(0, true) & ~VIRTQ_AVAIL_F_NO_INTERRUPT, true);
    return ((this.used.getUint16(2, true) - this.lastUsed) & U16) !== 0; // after a full barrier in C
  }

  /** virtqueue_enable_cb_delayed: ask to be interrupted only once `ahead` more completions are
   *  published (with EVENT_IDX; without it, at the next one), then look again: true means they
   *  are already there. How a transmit queue is reaped lazily: no interrupt per packet. */
  delayCb(ahead: number): boolean {
    const n = Math.max(1, Math.min(ahead, this.size));
    if (!this.opts.eventIdx) return this.enableCb();
    this.avail.setUint16(RING_HEADER + 2 * this.size, (this.lastUsed + n - 1) & U16, true);
    return ((this.used.getUint16(2, true) - this.lastUsed) & U16) >= n; // after a full barrier in C
  }

  /** Chains given to the device and not yet taken back. */
  get outstanding(): number {
    return (this.availIdx - this.lastUsed) & U16;
  }

  private availEventOffset(): number {
    return RING_HEADER + USED_ELEM_BYTES * this.size;
  }

  private freeChain(head: number): void {
    let i = head;
    for (let k = 1; k < this.chainLen[head]!; k++) i = this.nextFree[i]!;
    this.nextFree[i] = this.freeHead;
    this.freeHead = head;
    this.numFreeDesc += this.chainLen[head]!;
    this.chainLen[head] = 0;
  }

  private broken(reason: VirtqDriverFault['reason'], detail: string): VirtqDriverFault {
    this.halt = { kind: 'broken', reason, detail };
    return this.halt;
  }
}
