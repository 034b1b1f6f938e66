// The e1000's two descriptor rings in host memory (82540EM SDM §3.2, §3.3). Software owns the
// descriptors from the tail (TDT, RDT) around to the head; the hardware owns those from the
// head (TDH, RDH) up to the tail, and advances the head as it works.
//
// Transmit: from TDH to TDT, each legacy descriptor is copied once, its buffer gathered into
// the frame being built; at EOP the frame goes to the backend, and a descriptor with RS gets DD
// written back. Receive: a frame takes as many descriptors from RDH as its length needs, each
// buffer is filled by DMA and the descriptor written back with its length and DD (EOP on the
// last). Every walk is bounded by the ring size; what a hostile driver can put in a descriptor
// only ever costs it its own frames (counted), never the model.
import type { DmaMemory } from '../bus';
import { addr64, putU16, readDescriptor, u16, u32 } from '../dma';
import {
  DESC_BYTES, MAX_TX_FRAME, RING_ALIGN, RING_MAX_DESCS, RXD_LENGTH, RXD_STATUS, RXD_STA_DD, RXD_STA_EOP, TXD_CMD,
  TXD_CMD_DEXT, TXD_CMD_EOP, TXD_CMD_RS, TXD_LENGTH, TXD_STA, TXD_STA_DD,
} from './regs';

export class E1000Stats {
  txFrames = 0;
  txBytes = 0;
  rxFrames = 0;
  rxBytes = 0;
  /** Frames longer than the model accepts, or built from extended (context/data) descriptors. */
  txBadFrames = 0;
  /** Frames offered while no receive descriptor was free (missed packets). */
  rxNoBuffers = 0;
  rxFiltered = 0;
  /** A head or tail outside the ring, or a ring length the hardware cannot use. */
  badRing = 0;
  interrupts = 0;
  misaligned = 0;
  ignoredWrites = 0;
  resets = 0;
}

/** A ring's registers as software programmed them. */
export interface RingRegs {
  bal: number;
  bah: number;
  len: number;
  head: number;
  tail: number;
}

export function emptyRing(): RingRegs {
  return { bal: 0, bah: 0, len: 0, head: 0, tail: 0 };
}

/** Descriptors in the ring, or 0 when its length is unusable. */
export function ringCount(r: RingRegs): number {
  if (r.len === 0 || r.len % RING_ALIGN !== 0) return 0;
  return Math.min(RING_MAX_DESCS, r.len / DESC_BYTES);
}

/** The ring's size if head and tail both lie inside it; 0 otherwise. */
export function usableRing(r: RingRegs, stats: E1000Stats): number {
  const n = ringCount(r);
  if (n === 0) return 0;
  if (r.head >= n || r.tail >= n) {
    stats.badRing++;
    return 0;
  }
  return n;
}

function descAddr(r: RingRegs, i: number): number {
  return addr64(r.bal & ~0xf, r.bah) + i * DESC_BYTES;
}

export interface TxOutcome {
  /** A descriptor with RS was written back. */
  written: boolean;
  /** The backend refused a frame: the ring stopped, keeping it. */
  blocked: boolean;
}

/** The transmit engine: builds frames across descriptors and keeps one the backend refused. */
export class TxEngine {
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private bad = false;
  private held: { frame: Uint8Array; cmd: number } | undefined;

  constructor(private readonly mem: DmaMemory, private readonly stats: E1000Stats) {}

  reset(): void {
    this.parts = [];
    this.bytes = 0;
    this.bad = false;
    this.held = undefined;
  }

  /** Processes descriptors from TDH to TDT, sending each finished frame with `send`. */
  run(r: RingRegs, send: (f: Uint8Array) => boolean): TxOutcome {
    const out = { written: false, blocked: false };
    const n = usableRing(r, this.stats);
    for (let guard = 0; n > 0 && r.head !== r.tail && guard < n; guard++) {
      if (this.held) {
        if (!send(this.held.frame)) return { ...out, blocked: true };
        out.written = this.complete(r, this.held.cmd) || out.written;
        this.held = undefined;
      } else {
        const d = readDescriptor(this.mem, descAddr(r, r.head), DESC_BYTES);
        const cmd = d[TXD_CMD]!;
        this.gather(d, cmd);
        if (cmd & TXD_CMD_EOP) {
          const frame = this.finish();
          if (frame && !send(frame)) {
            this.held = { frame, cmd };
            return { ...out, blocked: true };
          }
        }
        out.written = this.complete(r, cmd) || out.written;
      }
      r.head = (r.head + 1) % n;
    }
    return out;
  }

  private gather(d: Uint8Array, cmd: number): void {
    const len = u16(d, TXD_LENGTH);
    if (cmd & TXD_CMD_DEXT) this.bad = true; // context and data descriptors: not modelled
    if (len === 0 || this.bad) return;
    if (this.bytes + len > MAX_TX_FRAME) {
      this.bad = true;
      return;
    }
    this.parts.push(this.mem.read(addr64(u32(d, 0), u32(d, 4)), len));
    this.bytes += len;
  }

  /** The frame the gathered buffers make, or undefined for a bad or empty one. */
  private finish(): Uint8Array | undefined {
    const bad = this.bad || this.bytes === 0;
    const frame = new Uint8Array(this.bytes);
    let at = 0;
    for (const p of this.parts) {
      frame.set(p, at);
      at += p.length;
    }
    this.parts = [];
    this.bytes = 0;
    this.bad = false;
    if (bad) {
      this.stats.txBadFrames++;
      return undefined;
    }
    this.stats.txFrames++;
    this.stats.txBytes += frame.length;
    return frame;
  }

  /** RS: write DD into the descriptor's status byte. */
  private complete(r: RingRegs, cmd: number): boolean {
    if (!(cmd & TXD_CMD_RS)) return false;
    this.mem.write(descAddr(r, r.head) + TXD_STA, Uint8Array.of(TXD_STA_DD));
    return true;
  }
}

/** Descriptors the hardware owns (head up to tail, exclusive). */
export function rxAvailable(r: RingRegs, n: number): number {
  return (r.tail - r.head + n) % n;
}

/** Writes `frame` into the receive ring from RDH in `bufBytes` pieces; false if it does not fit. */
export function receiveInto(mem: DmaMemory, r: RingRegs, n: number, bufBytes: number, frame: Uint8Array): boolean {
  const needed = Math.max(1, Math.ceil(frame.length / bufBytes));
  if (n === 0 || rxAvailable(r, n) < needed) return false;
  for (let i = 0; i < needed; i++) {
    const at = descAddr(r, r.head);
    const d = readDescriptor(mem, at, DESC_BYTES);
    const chunk = frame.subarray(i * bufBytes, Math.min(frame.length, (i + 1) * bufBytes));
    mem.write(addr64(u32(d, 0), u32(d, 4)), chunk);
    const back = new Uint8Array(8);
    putU16(back, RXD_LENGTH - 8, chunk.length);
    back[RXD_STATUS - 8] = RXD_STA_DD | (i === needed - 1 ? RXD_STA_EOP : 0);
    mem.write(at + 8, back);
    r.head = (r.head + 1) % n;
  }
  return true;
}
