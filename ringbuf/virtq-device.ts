// The device's end of a split virtqueue (virtio 1.x §2.7; the ring's layout and the driver's
// end are in virtqueue.ts): QEMU's I/O thread or a vhost worker taking chains from the
// available ring and answering on the used ring. It parses untrusted input once, from private
// copies (a descriptor's 16 bytes, an avail slot's 2), into a typed chain or a named fault, and
// never reads them again; a fault in the ring's structure halts it, and every later call
// returns the same fault. Who calls it: the host's virtio devices.
import {
  DESC_BYTES, RING_HEADER, U16, USED_ELEM_BYTES, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT,
  VIRTQ_USED_F_NO_NOTIFY, readDesc, view, viewAreas, vringNeedEvent,
  type Popped, type VirtqAreas, type VirtqDeviceFault, type VirtqOptions, type VirtqSegment,
} from './virtqueue';

/** The device's end: takes chains from the available ring, answers on the used ring. */
export class VirtqDevice {
  readonly size: number;
  private readonly desc: DataView;
  private readonly avail: DataView;
  private readonly used: DataView;
  private lastAvail = 0;
  private availSeen = 0;
  private usedIdx = 0;
  private usedPublished = 0;
  private halt: VirtqDeviceFault | null = null;
  private readonly copy = new DataView(new ArrayBuffer(DESC_BYTES));

  constructor(areas: VirtqAreas, size: number, private readonly opts: VirtqOptions) {
    this.size = size;
    ({ desc: this.desc, avail: this.avail, used: this.used } = viewAreas(areas, size));
  }

  get halted(): VirtqDeviceFault | null {
    return this.halt;
  }

  /** Chains taken and not yet answered. */
  get inFlight(): number {
    return (this.lastAvail - this.usedIdx) & U16;
  }

  /** virtqueue_pop: the next chain, or empty. avail.idx is read (and checked) once per batch. */
  pop(): Popped {
    if (this.halt) return this.halt;
    if (this.lastAvail === this.availSeen) {
      const idx = this.avail.getUint16(2, true);
      const ahead = (idx - this.usedIdx) & U16;
      if (ahead > this.size) return this.broken('avail-index-overflow', `avail.idx ${idx} is ${ahead} past the ${this.usedIdx} answered, more than the ${this.size} entries a queue holds`);
      if (((idx - this.lastAvail) & U16) > ahead) return this.broken('avail-index-overflow', `avail.idx ${idx} moved back behind ${this.lastAvail} already taken`);
      this.availSeen = idx;
      if (idx === this.lastAvail) return { kind: 'empty' };
    }
    const head = this.avail.getUint16(RING_HEADER + 2 * (this.lastAvail & (this.size - 1)), true);
    const chain = this.walk(head);
    if (chain.kind !== 'ok') return chain;
    this.lastAvail = (this.lastAvail + 1) & U16;
    return chain;
  }

  /** Follows a chain from its head, each descriptor copied once; at most N descriptors. */
  private walk(head: number): Popped {
    if (head >= this.size) return this.broken('head-out-of-range', `available head ${head} in a queue of ${this.size}`);
    const segments: VirtqSegment[] = [];
    let i = head;
    for (;;) {
      if (segments.length === this.size) return this.broken('chain-too-long', `the chain from ${head} runs past ${this.size} descriptors (a loop)`);
      for (let b = 0; b < DESC_BYTES; b++) this.copy.setUint8(b, this.desc.getUint8(i * DESC_BYTES + b));
      const seg = readDesc(this.copy, 0);
      const flags = this.copy.getUint16(12, true);
      const next = this.copy.getUint16(14, true);
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        const read = this.opts.indirect;
        if (typeof read !== 'function') return this.broken('indirect-not-negotiated', `descriptor ${i} is indirect, a feature this device did not offer`);
        if (segments.length > 0 || flags & VIRTQ_DESC_F_NEXT) return this.broken('indirect-table-invalid', `descriptor ${i} is indirect but not a chain's only descriptor`);
        return this.walkTable(head, i, seg.addr, seg.len, read);
      }
      segments.push(seg);
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) return { kind: 'ok', head, segments };
      if (next >= this.size) return this.broken('next-out-of-range', `descriptor ${i} links to ${next} in a queue of ${this.size}`);
      i = next;
    }
  }

  /**
   * The chain in an indirect table (spec §2.7.5.3): its length a non-zero multiple of 16 and at
   * most the queue's size in entries, all of it in guest RAM (QEMU's "Invalid size for indirect
   * buffer table", "Cannot map indirect buffer"); read once, as a private copy; its entries
   * linked by `next` within the table, none of them indirect again, no loop.
   */
  private walkTable(head: number, at: number, addr: number, len: number, read: (addr: number, len: number) => Uint8Array | undefined): Popped {
    if (len === 0 || len % DESC_BYTES !== 0 || len / DESC_BYTES > this.size) return this.broken('indirect-table-invalid', `descriptor ${at} points at a table of ${len} bytes (a multiple of ${DESC_BYTES}, at most ${this.size} entries)`);
    const bytes = read(addr, len);
    if (!bytes) return this.broken('indirect-table-invalid', `descriptor ${at} points at a table outside guest RAM (0x${addr.toString(16)}, ${len} bytes)`);
    const t = view(bytes);
    const max = len / DESC_BYTES;
    const segments: VirtqSegment[] = [];
    for (let i = 0; ; ) {
      if (segments.length === max) return this.broken('indirect-table-invalid', `the table of descriptor ${at} loops`);
      const o = i * DESC_BYTES;
      const flags = t.getUint16(o + 12, true);
      if (flags & VIRTQ_DESC_F_INDIRECT) return this.broken('indirect-table-invalid', `entry ${i} of the table of descriptor ${at} is indirect again`);
      segments.push(readDesc(t, o));
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) return { kind: 'ok', head, segments };
      i = t.getUint16(o + 14, true);
      if (i >= max) return this.broken('indirect-table-invalid', `entry links to ${i} in the table of descriptor ${at}, of ${max} entries`);
    }
  }

  /** virtqueue_push: answers `head`, `len` bytes written; visible at the next flush. */
  pushUsed(head: number, len: number): void {
    if (this.halt) return;
    const at = RING_HEADER + USED_ELEM_BYTES * (this.usedIdx & (this.size - 1));
    this.used.setUint32(at, head, true);
    this.used.setUint32(at + 4, len >>> 0, true);
    this.usedIdx = (this.usedIdx + 1) & U16;
  }

  /** virtqueue_flush + virtio_should_notify: publishes used.idx, then says whether to interrupt. */
  flushUsed(): boolean {
    const old = this.usedPublished;
    const now = this.usedIdx;
    if (old === now || this.halt) return false;
    this.used.setUint16(2, now, true);
    this.usedPublished = now;
    if (this.opts.eventIdx) return vringNeedEvent(this.avail.getUint16(RING_HEADER + 2 * this.size, true), now, old);
    return (this.avail.getUint16(0, true) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /** The last flush's window and the driver's used_event, for narration. */
  lastFlush(): { usedIdx: number; usedEvent: number } {
    return { usedIdx: this.usedPublished, usedEvent: this.avail.getUint16(RING_HEADER + 2 * this.size, true) };
  }

  /** virtio_queue_set_notification(0): without EVENT_IDX, ask the driver not to kick. */
  disableNotify(): void {
    if (!this.opts.eventIdx) this.used.setUint16(0, this.used.getUint16(0, true) | VIRTQ_USED_F_NO_NOTIFY, true);
  }

  /** virtio_queue_set_notification(1), then look again: true means chains are already there. */
  enableNotify(): boolean {
    if (this.halt) return false;
    if (this.opts.eventIdx) this.used.setUint16(RING_HEADER + USED_ELEM_BYTES * this.size, this.lastAvail, true);
    else this.used.setUint16(0, this.used.getUint16(0, true) & ~VIRTQ_USED_F_NO_NOTIFY, true);
    return this.avail.getUint16(2, true) !== this.lastAvail; // after a full barrier in C
  }

  private broken(reason: VirtqDeviceFault['reason'], detail: string): VirtqDeviceFault {
    this.halt = { kind: 'broken', reason, detail };
    return this.halt;
  }
}
