// The shared ring protocol of Xen's public/io/ring.h (REFERENCE §2), over a page of bytes.
// A frontend (the requester: blkfront, netfront) and a backend (blkback, netback) share one
// page: a 64-byte header of free-running u32 indices, then N slots, each holding a request or
// the response that later replaces it. Each end keeps its own cursors privately (here, in a
// FrontRing or BackRing object); only what both must see lives in the page.
//
// Who calls it: guest frontends and dom0 backends, directly; the hypervisor never reads a
// ring. Imports nothing of the project outside ringbuf/. Indices are loaded and stored through
// an IndexAccess (index-access.ts): plain for the simulator's pages, Atomics for a page in a
// SharedArrayBuffer, where the seq-cst Atomics also stand in for ring.h's memory barriers.
//
// Producing: `produceRequest(write)` hands the writer a DataView over exactly the next free
// slot's message bytes (offset 0); the entry becomes visible to the peer only at the next push.
// Consuming: `takeRequest(read)` copies the slot's bytes once into a private buffer and hands
// `read` a DataView over that copy, so nothing is ever re-read from shared memory after a
// check (TOCTOU). The copy is reused: `read` must return a decoded value, not keep the view.

import { type IndexAccess, indexAccessFor } from './index-access';
import { idxAdd, idxDiff } from './ring-idx';

/** Header bytes before slot 0: four indices, pvt[4] and padding up to a cache line. */
export const RING_HEADER_BYTES = 64;
/** Header offsets, with the end that writes each field. */
export const SRING_REQ_PROD = 0; // front: requests published up to here
export const SRING_REQ_EVENT = 4; // back: "notify me when req_prod passes this index"
export const SRING_RSP_PROD = 8; // back: responses published up to here
export const SRING_RSP_EVENT = 12; // front: "notify me when rsp_prod passes this index"
export const SRING_PVT = 16; // per-protocol bytes (netif smartpoll); zeroed at init
const SRING_PAD_END = RING_HEADER_BYTES;

/** The sizes of one protocol's request and response, e.g. blkif's 112 and 16 bytes. */
export interface RingMessageSizes {
  readonly reqSize: number;
  readonly rspSize: number;
}

/**
 * N, the number of slots: how many entries of max(reqSize, rspSize) fit after the header,
 * rounded DOWN to a power of two so that `idx & (N - 1)` is the slot of any index.
 */
export function ringSize(pageBytes: number, sizes: RingMessageSizes): number {
  const entry = Math.max(sizes.reqSize, sizes.rspSize);
  const fit = Math.floor((pageBytes - RING_HEADER_BYTES) / entry);
  if (!(entry > 0) || fit < 1) throw new RangeError(`no ${entry}-byte slot fits in ${pageBytes} bytes`);
  return 2 ** (31 - Math.clz32(fit));
}

/**
 * SHARED_RING_INIT, run by the front only, before it shares the page: producer indices at
 * `startIndex` (0 in Xen), both event thresholds one past it, pvt and padding zeroed.
 * `startIndex` lets tests start near 2^32 to watch the indices wrap.
 */
export function sharedRingInit(page: Uint8Array, startIndex = 0, access = indexAccessFor(page)): void {
  access.store(SRING_REQ_PROD, startIndex);
  access.store(SRING_RSP_PROD, startIndex);
  access.store(SRING_REQ_EVENT, idxAdd(startIndex, 1));
  access.store(SRING_RSP_EVENT, idxAdd(startIndex, 1));
  page.fill(0, SRING_PVT, SRING_PAD_END);
}

/**
 * The notify rule of RING_PUSH_*_AND_CHECK_NOTIFY: the peer asked to be woken at `event`;
 * notify only if that index lies in the window (old, new] just published.
 */
export function notifyNeeded(oldProd: number, newProd: number, event: number): boolean {
  return idxDiff(newProd, event) < idxDiff(newProd, oldProd);
}

export interface RingOptions {
  /** How indices are loaded and stored; by default atomic for a SharedArrayBuffer page. */
  readonly access?: IndexAccess;
  /** The private cursors' starting index (Xen's *_RING_ATTACH index); 0 by default. */
  readonly startIndex?: number;
  /**
   * Teaching hook, the "broken ring": the final check arms the event but skips the re-check,
   * so a request pushed in between is never noticed and its wakeup is lost.
   */
  readonly dropFinalRecheck?: boolean;
}

/** Writes one message into a slot. `slot` spans exactly the message; `offset` is always 0. */
export type SlotWriter = (slot: DataView, offset: number) => void;
/** Decodes one message from the consumer's private copy (valid only during the call). */
export type SlotReader<T> = (copy: DataView, offset: number) => T;

/** A peer moved its producer index somewhere a well-behaved peer never could. */
export type RingOverflow =
  | {
      kind: 'overflow';
      /** More than N past the last response (RING_REQUEST_PROD_OVERFLOW), or behind req_cons. */
      reason: 'request-producer-overflow' | 'request-producer-behind-consumer';
      prod: number;
      reqCons: number;
      rspProdPvt: number;
      size: number;
    }
  | {
      kind: 'overflow';
      /** More than N past rsp_cons (RING_RESPONSE_PROD_OVERFLOW), or past every request made. */
      reason: 'response-producer-overflow' | 'response-producer-ahead-of-requests';
      prod: number;
      rspCons: number;
      reqProdPvt: number;
      size: number;
    };

export type RingCheck = { kind: 'ok' } | RingOverflow;
/** `no-slot`: the front's ring is full, or the back has no consumed request left to answer. */
export type Produced = { kind: 'ok'; index: number } | { kind: 'no-slot' };
/**
 * `wait` (back only, RING_REQUEST_CONS_OVERFLOW): all N slots hold requests not yet answered,
 * so consuming another would leave it no slot for its response. Not the peer's fault.
 */
export type Taken<T> =
  | { kind: 'ok'; value: T; index: number }
  | { kind: 'empty' }
  | { kind: 'wait'; reason: 'request-consumer-overflow' }
  | RingOverflow;
/** What the front's takeResponse can answer: never `wait`, a front always has room. */
export type TakenResponse<T> = Exclude<Taken<T>, { kind: 'wait' }>;

/** What both ends share: the page, the index strategy, slot views and the private copy. */
abstract class RingEnd {
  readonly size: number;
  protected readonly access: IndexAccess;
  protected readonly dropFinalRecheck: boolean;
  protected halt: RingOverflow | null = null;
  private lastPushed: number;
  private readonly writeSlots: DataView[] = [];
  private readonly readSlots: Uint8Array[] = [];
  private readonly copy: Uint8Array;
  private readonly copyView: DataView;

  constructor(page: Uint8Array, sizes: RingMessageSizes, writeSize: number, readSize: number, options: RingOptions) {
    this.size = ringSize(page.byteLength, sizes);
    this.access = options.access ?? indexAccessFor(page);
    this.dropFinalRecheck = options.dropFinalRecheck ?? false;
    this.lastPushed = (options.startIndex ?? 0) >>> 0;
    this.pushedFrom = this.lastPushed;
    const entry = Math.max(sizes.reqSize, sizes.rspSize);
    for (let i = 0; i < this.size; i++) {
      const at = page.byteOffset + RING_HEADER_BYTES + i * entry;
      this.writeSlots.push(new DataView(page.buffer, at, writeSize));
      this.readSlots.push(new Uint8Array(page.buffer, at, readSize));
    }
    this.copy = new Uint8Array(readSize);
    this.copyView = new DataView(this.copy.buffer);
  }

  /** The overflow that shut this end down, or null while the peer has behaved. */
  get halted(): RingOverflow | null {
    return this.halt;
  }

  protected writeSlot(index: number, write: SlotWriter): void {
    write(this.writeSlots[index & (this.size - 1)]!, 0);
  }

  /** RING_COPY_*: one copy out of shared memory, then decode from the copy only. */
  protected readSlot<T>(index: number, read: SlotReader<T>): T {
    this.copy.set(this.readSlots[index & (this.size - 1)]!);
    return read(this.copyView, 0);
  }

  /**
   * Publishes `newProd` at `prodOffset` and says whether the peer's event asks for a kick.
   * `old` is our own last published value, kept privately: ring.h re-reads it from the page,
   * which gives the same answer unless the peer scribbles on a field that is ours.
   */
  protected publish(prodOffset: number, eventOffset: number, newProd: number, check: boolean): boolean {
    const oldProd = this.lastPushed;
    this.lastPushed = newProd;
    this.pushedFrom = oldProd;
    this.access.store(prodOffset, newProd);
    if (!check) return false;
    this.eventSeen = this.access.load(eventOffset);
    return notifyNeeded(oldProd, newProd, this.eventSeen);
  }

  private pushedFrom: number;
  private eventSeen = 0;

  /** The last push as the notify rule saw it: the window (oldProd, newProd] and the peer's
   *  event index read after publishing. For narration; it reads nothing shared. */
  lastPush(): { oldProd: number; newProd: number; event: number } {
    return { oldProd: this.pushedFrom, newProd: this.lastPushed, event: this.eventSeen };
  }

  /** RING_FINAL_CHECK_FOR_*: arm the event at cons+1, then look again (unless broken). */
  protected finalCheck(eventOffset: number, cons: number, unconsumed: () => number): boolean {
    if (unconsumed() > 0) return true;
    this.access.store(eventOffset, idxAdd(cons, 1));
    if (this.dropFinalRecheck) return false;
    return unconsumed() > 0;
  }
}

/** The requester's end: produces requests, consumes responses. */
export class FrontRing extends RingEnd {
  private reqProdPvt: number;
  private rspCons: number;
  private rspProdSeen: number;

  constructor(page: Uint8Array, sizes: RingMessageSizes, options: RingOptions = {}) {
    super(page, sizes, sizes.reqSize, sizes.rspSize, options);
    this.reqProdPvt = this.rspCons = this.rspProdSeen = (options.startIndex ?? 0) >>> 0;
  }

  /** req_prod_pvt: requests produced so far, pushed or not. */
  get requestsProduced(): number {
    return this.reqProdPvt;
  }

  /** rsp_cons: responses consumed so far. */
  get responsesConsumed(): number {
    return this.rspCons;
  }

  /** RING_FREE_REQUESTS: N minus the requests produced but not yet answered and consumed. */
  freeRequests(): number {
    return this.size - idxDiff(this.reqProdPvt, this.rspCons);
  }

  full(): boolean {
    return this.freeRequests() === 0;
  }

  /** Writes the next request into its slot; it stays private until the next push. */
  produceRequest(write: SlotWriter): Produced {
    if (this.full()) return { kind: 'no-slot' };
    const index = this.reqProdPvt;
    this.writeSlot(index, write);
    this.reqProdPvt = idxAdd(index, 1);
    return { kind: 'ok', index };
  }

  /** RING_PUSH_REQUESTS: publish req_prod, never notify. */
  pushRequests(): void {
    this.publish(SRING_REQ_PROD, SRING_REQ_EVENT, this.reqProdPvt, false);
  }

  /** RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: publish, then true if the back must be kicked. */
  pushRequestsAndCheckNotify(): boolean {
    return this.publish(SRING_REQ_PROD, SRING_REQ_EVENT, this.reqProdPvt, true);
  }

  /** RING_HAS_UNCONSUMED_RESPONSES: rsp_prod - rsp_cons, as the peer has published it. */
  unconsumedResponses(): number {
    return idxDiff(this.access.load(SRING_RSP_PROD), this.rspCons);
  }

  /** RING_RESPONSE_PROD_OVERFLOW, plus pvlab's stricter "answers no request was made for". */
  checkResponseProducer(prod: number): RingCheck {
    const ahead = idxDiff(prod, this.rspCons);
    const base = { kind: 'overflow', prod, rspCons: this.rspCons, reqProdPvt: this.reqProdPvt, size: this.size } as const;
    if (ahead > this.size) return { ...base, reason: 'response-producer-overflow' };
    if (ahead > idxDiff(this.reqProdPvt, this.rspCons)) return { ...base, reason: 'response-producer-ahead-of-requests' };
    return { kind: 'ok' };
  }

  /** Consumes the next response from a private copy; a bogus rsp_prod halts this end. */
  takeResponse<T>(read: SlotReader<T>): TakenResponse<T> {
    if (this.halt !== null) return this.halt;
    if (this.rspCons === this.rspProdSeen) {
      const prod = this.access.load(SRING_RSP_PROD);
      const check = this.checkResponseProducer(prod);
      if (check.kind === 'overflow') return (this.halt = check);
      this.rspProdSeen = prod;
      if (this.rspCons === prod) return { kind: 'empty' };
    }
    const index = this.rspCons;
    const value = this.readSlot(index, read);
    this.rspCons = idxAdd(index, 1);
    return { kind: 'ok', value, index };
  }

  /** RING_FINAL_CHECK_FOR_RESPONSES: true if there is work; false means "sleep, I'll be kicked". */
  finalCheckForResponses(): boolean {
    return this.finalCheck(SRING_RSP_EVENT, this.rspCons, () => this.unconsumedResponses());
  }

  /**
   * The final check with the event `ahead` responses past rsp_cons instead of one, so that the
   * back's pushes kick us only once that many are ready (Linux netfront arms its transmit ring
   * halfway through what is in flight). An event beyond the requests outstanding is reached
   * only by responses to requests not yet made: the front then finds its responses by polling.
   */
  finalCheckForResponsesAfter(ahead: number): boolean {
    if (this.unconsumedResponses() > 0) return true;
    this.access.store(SRING_RSP_EVENT, idxAdd(this.rspCons, Math.max(1, Math.floor(ahead))));
    if (this.dropFinalRecheck) return false;
    return this.unconsumedResponses() > 0;
  }

}

/** The responder's end: consumes requests, produces responses. */
export class BackRing extends RingEnd {
  private rspProdPvt: number;
  private reqCons: number;
  private reqProdSeen: number;

  constructor(page: Uint8Array, sizes: RingMessageSizes, options: RingOptions = {}) {
    super(page, sizes, sizes.rspSize, sizes.reqSize, options);
    this.rspProdPvt = this.reqCons = this.reqProdSeen = (options.startIndex ?? 0) >>> 0;
  }

  /** req_cons: requests consumed so far. */
  get requestsConsumed(): number {
    return this.reqCons;
  }

  /** rsp_prod_pvt: responses produced so far, pushed or not. */
  get responsesProduced(): number {
    return this.rspProdPvt;
  }

  /**
   * RING_HAS_UNCONSUMED_REQUESTS: min(req_prod - req_cons, N - (req_cons - rsp_prod_pvt)).
   * The second term bounds the answer even when a hostile front writes a huge req_prod.
   */
  unconsumedRequests(): number {
    const published = idxDiff(this.access.load(SRING_REQ_PROD), this.reqCons);
    return Math.min(published, this.size - idxDiff(this.reqCons, this.rspProdPvt));
  }

  /** RING_REQUEST_CONS_OVERFLOW: no slot would be left for the response to request `cons`. */
  requestConsumerOverflow(cons: number): boolean {
    return idxDiff(cons, this.rspProdPvt) >= this.size;
  }

  /** RING_REQUEST_PROD_OVERFLOW (a bogus frontend), plus pvlab's "req_prod moved backwards". */
  checkRequestProducer(prod: number): RingCheck {
    const ahead = idxDiff(prod, this.rspProdPvt);
    const base = { kind: 'overflow', prod, reqCons: this.reqCons, rspProdPvt: this.rspProdPvt, size: this.size } as const;
    if (ahead > this.size) return { ...base, reason: 'request-producer-overflow' };
    if (ahead < idxDiff(this.reqCons, this.rspProdPvt)) return { ...base, reason: 'request-producer-behind-consumer' };
    return { kind: 'ok' };
  }

  /**
   * Consumes the next request from a private copy. req_prod is loaded (and checked) only when
   * the requests seen last time are used up, as blkback reads it once per batch. A bogus
   * req_prod halts this end: every later call returns the same overflow.
   */
  takeRequest<T>(read: SlotReader<T>): Taken<T> {
    if (this.halt !== null) return this.halt;
    if (this.reqCons === this.reqProdSeen) {
      const prod = this.access.load(SRING_REQ_PROD);
      const check = this.checkRequestProducer(prod);
      if (check.kind === 'overflow') return (this.halt = check);
      this.reqProdSeen = prod;
      if (this.reqCons === prod) return { kind: 'empty' };
    }
    if (this.requestConsumerOverflow(this.reqCons)) return { kind: 'wait', reason: 'request-consumer-overflow' };
    const index = this.reqCons;
    const value = this.readSlot(index, read);
    this.reqCons = idxAdd(index, 1);
    return { kind: 'ok', value, index };
  }

  /** Writes the next response into its slot, which a consumed request has freed. */
  produceResponse(write: SlotWriter): Produced {
    if (this.rspProdPvt === this.reqCons) return { kind: 'no-slot' };
    const index = this.rspProdPvt;
    this.writeSlot(index, write);
    this.rspProdPvt = idxAdd(index, 1);
    return { kind: 'ok', index };
  }

  /** RING_PUSH_RESPONSES: publish rsp_prod, never notify. */
  pushResponses(): void {
    this.publish(SRING_RSP_PROD, SRING_RSP_EVENT, this.rspProdPvt, false);
  }

  /** RING_PUSH_RESPONSES_AND_CHECK_NOTIFY: publish, then true if the front must be kicked. */
  pushResponsesAndCheckNotify(): boolean {
    return this.publish(SRING_RSP_PROD, SRING_RSP_EVENT, this.rspProdPvt, true);
  }

  /** RING_FINAL_CHECK_FOR_REQUESTS: true if there is work; false means "sleep, I'll be kicked". */
  finalCheckForRequests(): boolean {
    return this.finalCheck(SRING_REQ_EVENT, this.reqCons, () => this.unconsumedRequests());
  }
}
