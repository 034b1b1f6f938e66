// A block frontend that writes the ring the way an attacker can: raw bytes in the slots, raw
// producer indices, any field value the wire format can hold (u64s beyond 2^53, 12 segments,
// unknown operations), and a xenbus handshake that can be made wrong on purpose (T14). It
// reads its responses raw too, trusting nothing. Used by the hostile attacks; a well-behaved
// kernel uses guests/xen/blkfront.ts.
import { evtchnAllocUnbound, evtchnSend } from '../../hypervisor/public/calls';
import {
  BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_OP_INDIRECT, BLKIF_REQ_INDIRECT_OFFSET, BLKIF_REQ_OFFSET, BLKIF_REQUEST_SIZE, BLKIF_RING, BLKIF_SEG_OFFSET, BLKIF_SEGMENT_SIZE,
  decodeBlkifResponse, type BlkifResponse,
} from '../../hypervisor/public/io/blkif';
import { XenbusState } from '../../hypervisor/public/io/xs_wire';
import { RING_HEADER_BYTES, SRING_REQ_EVENT, SRING_REQ_PROD, SRING_RSP_EVENT, SRING_RSP_PROD, ringSize, sharedRingInit } from '../../ringbuf/ring';
import { idxAdd, idxDiff } from '../../ringbuf/ring-idx';
import type { PvKernel } from '../kernel/pv';
import type { KGen } from '../kernel/types';
import { waitFor } from './kernel';

/** Ways to get the handshake of REFERENCE §5.3 wrong (T14); 'none' gets it right. */
export const HANDSHAKE_FAULTS = [
  'none', 'ring-ref-not-a-number', 'ring-ref-not-granted', 'ring-ref-readonly', 'ring-ref-for-another-domain',
  'event-channel-not-a-number', 'event-channel-unbound', 'jump-to-connected',
] as const;
export type HandshakeFault = (typeof HANDSHAKE_FAULTS)[number];

/** One segment as raw bytes: any u32 gref, any u8 first/last sector. */
export interface RawSegment {
  gref: number;
  first: number;
  last: number;
}

/** A request as raw field values; u64 fields may be bigints up to 2^64 - 1. */
export interface RawRequest {
  op: number;
  /** The nr_segments byte, whatever it says; `segs` are what is written in the slot. */
  nrSegments?: number;
  handle?: number;
  id: number | bigint;
  sector: number | bigint;
  segs: RawSegment[];
  /** Writes the slot as an INDIRECT request instead (`op` is then its indirect_op): its u16
   *  nr_segments and the grefs of its pages of descriptors; `segs` are not written. */
  indirect?: { nrSegments: number; grefs: number[] };
}

export const U64_MAX = (1n << 64n) - 1n;
const RSP_SLOT = RING_HEADER_BYTES;

export interface Connected {
  ok: boolean;
  /** The backend's state when the handshake ended, and its error node if it wrote one. */
  backendState: number;
  error?: string;
}

export class RawFront {
  readonly fe: string;
  be = '';
  beId = -1;
  page: Uint8Array | undefined;
  view: DataView | undefined;
  gfn = -1;
  ringRef = -1;
  port = -1;
  readonly size = ringSize(4096, BLKIF_RING);
  /** Our private cursors: requests produced, responses consumed. */
  reqProd: number;
  rspCons: number;
  private beChanged = false;
  /** Write feature-persistent=1 at connect: the backend then keeps mapped what it maps. */
  offerPersistent = false;

  constructor(
    private readonly k: PvKernel,
    readonly devid: number,
    private readonly startIndex = 0,
  ) {
    this.fe = `/local/domain/${k.domid}/device/vbd/${devid}`;
    this.reqProd = this.rspCons = startIndex >>> 0;
  }

  /** The handshake, wrong in the way `fault` says; waits up to `timeoutNs` for the backend. */
  *connect(fault: HandshakeFault = 'none', timeoutNs = 50_000_000): KGen<Connected> {
    const xs = this.k.xs;
    const deadline = this.k.env.now() + timeoutNs;
    this.be = (yield* xs.read(`${this.fe}/backend`)) ?? '';
    this.beId = Number((yield* xs.read(`${this.fe}/backend-id`)) ?? 'NaN');
    if (this.be === '' || !Number.isInteger(this.beId)) return { ok: false, backendState: -1, error: 'no backend' };
    yield* xs.watch(`${this.be}/state`, `hostile-be-${this.devid}`, () => (this.beChanged = true));
    yield* this.waitBackend((s) => s >= XenbusState.InitWait, deadline);
    this.setupRing(fault);
    if (fault !== 'jump-to-connected') {
      yield* xs.write(`${this.fe}/ring-ref`, this.ringRefText(fault));
      yield* xs.write(`${this.fe}/event-channel`, this.portText(fault));
      yield* xs.write(`${this.fe}/protocol`, 'x86_64-abi');
      if (this.offerPersistent) yield* xs.write(`${this.fe}/feature-persistent`, '1');
    }
    const next = fault === 'jump-to-connected' ? XenbusState.Connected : XenbusState.Initialised;
    yield* xs.write(`${this.fe}/state`, String(next));
    const s = yield* this.waitBackend((x) => x >= XenbusState.Connected, deadline);
    const error = (yield* xs.read(`${this.be}/error`)) ?? undefined;
    return { ok: s === XenbusState.Connected, backendState: s, error };
  }

  /** Reads the backend's state until `ok` holds, it gives up (Closing/Closed) or `deadline`. */
  private *waitBackend(ok: (s: number) => boolean, deadline: number): KGen<number> {
    for (;;) {
      this.beChanged = false;
      const s = Number((yield* this.k.xs.read(`${this.be}/state`)) ?? '0');
      if (ok(s) || s >= XenbusState.Closing || this.k.env.now() >= deadline) return s;
      yield* waitFor(this.k, () => this.beChanged, deadline);
    }
  }

  private setupRing(fault: HandshakeFault): void {
    const k = this.k;
    this.gfn = k.pages.alloc();
    this.page = this.gfn < 0 ? undefined : k.env.page(this.gfn);
    if (!this.page) return;
    this.view = new DataView(this.page.buffer, this.page.byteOffset, this.page.byteLength);
    sharedRingInit(this.page, this.startIndex);
    const grantee = fault === 'ring-ref-for-another-domain' ? k.domid : this.beId;
    if (fault !== 'ring-ref-not-granted') this.ringRef = k.grants.grant(grantee, this.gfn, fault === 'ring-ref-readonly');
    if (fault !== 'event-channel-unbound') this.port = evtchnAllocUnbound(k.env, this.beId);
    if (this.port >= 0) k.events.bind(this.port, () => undefined);
  }

  private ringRefText(fault: HandshakeFault): string {
    if (fault === 'ring-ref-not-a-number') return 'banana';
    if (fault === 'ring-ref-not-granted') return String(NEVER_GRANTED_REF);
    return String(this.ringRef);
  }

  private portText(fault: HandshakeFault): string {
    if (fault === 'event-channel-not-a-number') return '0x-1';
    if (fault === 'event-channel-unbound') return String(PORT_NEVER_ALLOCATED);
    return String(this.port);
  }

  // ---- raw ring access ------------------------------------------------------------------

  get connected(): boolean {
    return this.view !== undefined;
  }

  slotOffset(index: number): number {
    return RING_HEADER_BYTES + (index & (this.size - 1)) * BLKIF_REQUEST_SIZE;
  }

  /** Writes `r` into the slot of ring index `index`, byte by byte (nothing is checked). */
  writeSlot(index: number, r: RawRequest): void {
    const v = this.view!;
    const at = this.slotOffset(index);
    for (let i = 0; i < BLKIF_REQUEST_SIZE; i++) v.setUint8(at + i, 0);
    if (r.indirect) {
      const o = BLKIF_REQ_INDIRECT_OFFSET;
      v.setUint8(at + o.operation, BLKIF_OP_INDIRECT);
      v.setUint8(at + o.indirectOp, r.op & 0xff);
      v.setUint16(at + o.nrSegments, r.indirect.nrSegments & 0xffff, true);
      v.setBigUint64(at + o.id, BigInt.asUintN(64, BigInt(r.id)), true);
      v.setBigUint64(at + o.sectorNumber, BigInt.asUintN(64, BigInt(r.sector)), true);
      v.setUint16(at + o.handle, (r.handle ?? this.devid) & 0xffff, true);
      r.indirect.grefs.slice(0, 8).forEach((g, i) => v.setUint32(at + o.indirectGrefs + 4 * i, g >>> 0, true));
      return;
    }
    v.setUint8(at + BLKIF_REQ_OFFSET.operation, r.op & 0xff);
    v.setUint8(at + BLKIF_REQ_OFFSET.nrSegments, (r.nrSegments ?? r.segs.length) & 0xff);
    v.setUint16(at + BLKIF_REQ_OFFSET.handle, (r.handle ?? this.devid) & 0xffff, true);
    v.setBigUint64(at + BLKIF_REQ_OFFSET.id, BigInt.asUintN(64, BigInt(r.id)), true);
    v.setBigUint64(at + BLKIF_REQ_OFFSET.sectorNumber, BigInt.asUintN(64, BigInt(r.sector)), true);
    r.segs.slice(0, BLKIF_MAX_SEGMENTS_PER_REQUEST).forEach((s, i) => {
      const o = at + BLKIF_REQ_OFFSET.seg + i * BLKIF_SEGMENT_SIZE;
      v.setUint32(o + BLKIF_SEG_OFFSET.gref, s.gref >>> 0, true);
      v.setUint8(o + BLKIF_SEG_OFFSET.firstSect, s.first & 0xff);
      v.setUint8(o + BLKIF_SEG_OFFSET.lastSect, s.last & 0xff);
    });
  }

  /** Produces `r` at our private producer index (not yet published). */
  produce(r: RawRequest): number {
    const index = this.reqProd;
    this.writeSlot(index, r);
    this.reqProd = idxAdd(index, 1);
    return index;
  }

  /** Writes any value into req_prod (the shared producer index) and kicks the backend. */
  publish(reqProd = this.reqProd, notify = true): void {
    this.view!.setUint32(SRING_REQ_PROD, reqProd >>> 0, true);
    if (notify) this.notify();
  }

  notify(): void {
    if (this.port >= 0) evtchnSend(this.k.env, this.port);
  }

  get rspProd(): number {
    return this.view!.getUint32(SRING_RSP_PROD, true);
  }

  get reqEvent(): number {
    return this.view!.getUint32(SRING_REQ_EVENT, true);
  }

  /** Responses published since the last take, copied out (at most a ring's worth). */
  takeResponses(): BlkifResponse[] {
    const out: BlkifResponse[] = [];
    const prod = this.rspProd;
    const n = Math.min(idxDiff(prod, this.rspCons), this.size);
    for (let i = 0; i < n; i++) {
      const at = RSP_SLOT + ((this.rspCons + i) & (this.size - 1)) * BLKIF_REQUEST_SIZE;
      out.push(decodeBlkifResponse(new DataView(this.page!.slice(at, at + 16).buffer), 0));
    }
    this.rspCons = idxAdd(this.rspCons, n);
    this.view!.setUint32(SRING_RSP_EVENT, idxAdd(this.rspCons, 1), true); // wake me on the next one
    return out;
  }

  /** Responses published and not yet taken. */
  get unconsumed(): number {
    return idxDiff(this.rspProd, this.rspCons);
  }

  /** Waits until the backend's state satisfies `ok`, up to `timeoutNs`; returns the state. */
  *waitState(ok: (s: number) => boolean, timeoutNs: number): KGen<number> {
    return yield* this.waitBackend(ok, this.k.env.now() + timeoutNs);
  }

  /** Waits for `n` unconsumed responses (sleeping between notifications) and takes them. */
  *awaitResponses(n: number, timeoutNs: number): KGen<BlkifResponse[]> {
    const ready = (): boolean => {
      if (this.unconsumed >= n) return true;
      this.view!.setUint32(SRING_RSP_EVENT, idxAdd(this.rspProd, 1), true); // then look again
      return this.unconsumed >= n;
    };
    yield* waitFor(this.k, ready, this.k.env.now() + timeoutNs);
    return this.takeResponses();
  }
}

/** A grant ref inside the table that this kernel never hands out (refs 0-7 are reserved). */
const NEVER_GRANTED_REF = 7;
/** A port number no kernel allocates this early (the lowest free port is always taken first). */
const PORT_NEVER_ALLOCATED = 4000;
