// netfront: the PV network frontend (REFERENCE §2.5, §5.2), in the manner of Linux's
// xen-netfront with one queue. Handshake: read the backend and the MAC the toolstack wrote,
// wait for InitWait, set up the tx and rx rings (one page each, granted), allocate one event
// channel, write tx-ring-ref, rx-ring-ref, event-channel, request-rx-copy and the features in
// one transaction, go Initialised, wait for Connected, post the receive buffers.
//
// Transmit: each fragment of a frame takes a slot: its page granted read-only, the first slot's
// size the whole frame's, NETTXF_more_data on all but the last. One push per batch notifies
// only if netback asked (req_event). Each slot comes back with a NETIF_RSP_* status; the grants
// are revoked and the frame freed when its last slot is answered.
// Receive: 256 pages granted writable are posted; netback copies each frame in (GNTTABOP_copy)
// and answers in the request's slot with the byte count, or more_data for a frame spanning
// slots. The frame is copied out once, the buffer re-granted and re-posted.
// The event channel only sets a flag; the stack's poll does the work, and re-arms both rings'
// rsp_event (the final check) when it is done — the transmit ring's lazily (see rearm).
// Anything impossible from the backend (an unknown id, a bogus producer index, a length past
// the page) disconnects this device only.
import { evtchnAllocUnbound, evtchnSend } from '../../hypervisor/public/calls';
import {
  NETIF_RSP_NULL, NETIF_RSP_OKAY, NETIF_RX_RING, NETIF_TX_RING, NETRXF_more_data, NETTXF_data_validated, NETTXF_more_data,
  decodeNetifRxResponse, decodeNetifTxResponse, encodeNetifRxRequest, encodeNetifTxRequest,
} from '../../hypervisor/public/io/netif';
import { XenbusState } from '../../hypervisor/public/io/xs_wire';
import { FrontRing, sharedRingInit } from '../../ringbuf/ring';
import { parseMac, type Mac } from '../../hw/net/frame';
import type { PvKernel } from '../kernel/pv';
import type { KGen } from '../kernel/types';
import { NetDeviceStats, type NetDevice, type TxFrame } from '../net/netdev';
import { joined } from '../../hw/bytes';

const PAGE = 4096;
/** Slots in flight (as a fraction of the ring) from which transmit completions raise events. */
const TX_EVENT_FRACTION = 4;
/** The longest frame reassembled from rx slots (netif's 16-bit size). */
const MAX_RX_FRAME = 0xffff;

interface TxSlot {
  gref: number;
  /** Set on a frame's last slot: freed when it is answered. */
  frame: TxFrame | undefined;
}

interface RxBuf {
  gfn: number;
  gref: number;
  posted: boolean;
}

export class Netfront implements NetDevice {
  readonly name: string;
  readonly stats = new NetDeviceStats();
  mac: Mac = 0;
  failed: string | undefined;
  private readonly fe: string;
  private be = '';
  private beId = 0;
  private tx: FrontRing | undefined;
  private rx: FrontRing | undefined;
  private txRef = -1;
  private rxRef = -1;
  private port = -1;
  private txSlots: (TxSlot | undefined)[] = [];
  private txFreeIds: number[] = [];
  private rxBufs: RxBuf[] = [];
  private rxPartial: Uint8Array[] = [];
  private unpushed = 0;
  private event = false;
  private backendState = 0;

  constructor(private readonly k: PvKernel, readonly devid: number) {
    this.fe = `/local/domain/${k.domid}/device/vif/${devid}`;
    this.name = `eth${devid}`;
  }

  /** The xenbus handshake; false (with `failed`) if it could not connect. */
  *connect(): KGen<boolean> {
    const xs = this.k.xs;
    this.be = (yield* xs.read(`${this.fe}/backend`)) ?? '';
    this.beId = Number((yield* xs.read(`${this.fe}/backend-id`)) ?? 'NaN');
    const mac = parseMac((yield* xs.read(`${this.fe}/mac`)) ?? '');
    if (this.be === '' || !Number.isInteger(this.beId) || mac === undefined) return this.fail('no backend or MAC in xenstore');
    this.mac = mac;
    yield* xs.watch(`${this.be}/state`, `vif-be-${this.devid}`, () => (this.backendState = -1));
    if (!(yield* this.waitBackend((s) => s >= XenbusState.InitWait))) return false;
    if (!this.setupRings()) return false;
    const err = yield* xs.transaction(function* (this: Netfront, t: number): KGen {
      yield* xs.write(`${this.fe}/tx-ring-ref`, String(this.txRef), t);
      yield* xs.write(`${this.fe}/rx-ring-ref`, String(this.rxRef), t);
      yield* xs.write(`${this.fe}/event-channel`, String(this.port), t);
      yield* xs.write(`${this.fe}/request-rx-copy`, '1', t);
      yield* xs.write(`${this.fe}/feature-rx-notify`, '1', t);
      yield* xs.write(`${this.fe}/feature-sg`, '1', t);
    }.bind(this));
    if (err !== undefined) return this.fail(`publishing the rings failed (errno ${err})`);
    yield* xs.write(`${this.fe}/state`, String(XenbusState.Initialised));
    if (!(yield* this.waitBackend((s) => s === XenbusState.Connected))) return false;
    yield* xs.write(`${this.fe}/state`, String(XenbusState.Connected));
    this.postRx();
    return this.failed === undefined;
  }

  private *waitBackend(ok: (s: number) => boolean): KGen<boolean> {
    for (let tries = 0; tries < 1000; tries++) {
      const s = Number((yield* this.k.xs.read(`${this.be}/state`)) ?? '0');
      if (ok(s)) return true;
      if (s === XenbusState.Closing || s === XenbusState.Closed) return this.fail(`backend went to state ${s}`);
      this.backendState = s;
      while (this.backendState === s) yield* this.k.wait();
    }
    return this.fail('backend never reached the expected state');
  }

  private setupRings(): boolean {
    const env = this.k.env;
    const txGfn = this.k.pages.alloc();
    const rxGfn = this.k.pages.alloc();
    const txPage = txGfn < 0 ? undefined : env.page(txGfn);
    const rxPage = rxGfn < 0 ? undefined : env.page(rxGfn);
    if (!txPage || !rxPage) return this.fail('out of memory for the rings');
    sharedRingInit(txPage);
    sharedRingInit(rxPage);
    this.tx = new FrontRing(txPage, NETIF_TX_RING);
    this.rx = new FrontRing(rxPage, NETIF_RX_RING);
    this.txSlots = new Array(this.tx.size).fill(undefined);
    this.txFreeIds = Array.from({ length: this.tx.size }, (_, i) => this.tx!.size - 1 - i);
    this.txRef = this.k.grants.grant(this.beId, txGfn, false);
    this.rxRef = this.k.grants.grant(this.beId, rxGfn, false);
    this.port = evtchnAllocUnbound(env, this.beId);
    if (this.txRef < 0 || this.rxRef < 0 || this.port < 0) return this.fail('no grant or port for the rings');
    for (let id = 0; id < this.rx.size; id++) {
      const gfn = this.k.pages.alloc();
      if (gfn < 0) return this.fail('out of memory for receive buffers');
      this.rxBufs.push({ gfn, gref: -1, posted: false });
    }
    this.k.events.bind(this.port, () => (this.event = true));
    return true;
  }

  /** Grants and posts every receive buffer not already posted; pushes, notifying if asked. */
  private postRx(): void {
    const ring = this.rx;
    if (!ring || this.failed) return;
    let posted = 0;
    for (const [id, b] of this.rxBufs.entries()) {
      if (b.posted || ring.full()) continue;
      b.gref = this.k.grants.grant(this.beId, b.gfn, false);
      if (b.gref < 0) break;
      b.posted = true;
      ring.produceRequest((v, at) => encodeNetifRxRequest(v, at, { id, gref: b.gref }));
      posted++;
    }
    if (posted > 0) this.push(ring);
  }

  txRoom(frags: number): number {
    return Math.floor(this.freeSlots() / Math.max(1, frags));
  }

  private freeSlots(): number {
    if (!this.tx || this.failed) return 0;
    return Math.min(this.tx.freeRequests(), this.txFreeIds.length, this.k.grants.available);
  }

  queue(f: TxFrame): boolean {
    const ring = this.tx;
    if (!ring || f.frags.length === 0 || f.frags.length > this.freeSlots()) return false;
    f.frags.forEach((frag, i) => {
      const last = i === f.frags.length - 1;
      const gref = this.k.grants.grant(this.beId, Math.floor(frag.gpa / PAGE), true);
      const id = this.txFreeIds.pop()!;
      this.txSlots[id] = { gref, frame: last ? f : undefined };
      const req = { gref, offset: frag.gpa % PAGE, flags: NETTXF_data_validated | (last ? 0 : NETTXF_more_data), id, size: i === 0 ? f.bytes : frag.len };
      ring.produceRequest((v, at) => encodeNetifTxRequest(v, at, req));
    });
    this.unpushed++;
    this.stats.txFrames++;
    this.stats.txBytes += f.bytes;
    return true;
  }

  *kick(): KGen {
    if (this.unpushed === 0 || !this.tx) return;
    this.unpushed = 0;
    this.stats.kicks++;
    this.push(this.tx);
  }

  /** RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, and the event send if it says so. */
  private push(ring: FrontRing): void {
    if (ring.pushRequestsAndCheckNotify()) {
      this.stats.notifications++;
      evtchnSend(this.k.env, this.port);
    } else this.stats.suppressed++;
  }

  signalled(): boolean {
    return this.event && !this.failed;
  }

  *ack(): KGen {
    this.event = false;
    this.stats.interrupts++;
  }

  *poll(budget: number): KGen<Uint8Array[]> {
    this.reapTx();
    const out = this.takeRx(budget);
    this.postRx();
    return out;
  }

  /**
   * The final checks: rsp_event re-armed on both rings; anything already there is a signal.
   * Transmit completions are reaped by every poll anyway, so the transmit ring asks for an
   * event only once a quarter of it is in flight, and then halfway through those slots (as
   * xennet_tx_buf_gc arms it); below that the frontend finds them lazily, as FreeBSD's
   * netfront does from its transmit path.
   */
  *rearm(): KGen {
    if (!this.tx || !this.rx || this.failed) return;
    const inFlight = this.tx.size - this.txFreeIds.length;
    const ahead = inFlight >= this.tx.size / TX_EVENT_FRACTION ? Math.ceil(inFlight / 2) : this.tx.size;
    const more = this.tx.finalCheckForResponsesAfter(ahead);
    if (this.rx.finalCheckForResponses() || more) this.event = true;
  }

  private reapTx(): void {
    const ring = this.tx;
    for (let guard = 0; ring && !this.failed && guard <= ring.size; guard++) {
      const t = ring.takeResponse(decodeNetifTxResponse);
      if (t.kind === 'empty') return;
      if (t.kind !== 'ok') return void this.fail(`backend is broken: ${t.reason}`);
      if (t.value.status === NETIF_RSP_NULL) continue; // an extra-info slot's answer
      const slot = t.value.id < this.txSlots.length ? this.txSlots[t.value.id] : undefined;
      if (!slot) return void this.fail(`backend answered unknown tx id ${t.value.id}`);
      this.txSlots[t.value.id] = undefined;
      this.txFreeIds.push(t.value.id);
      this.k.grants.revoke(slot.gref);
      if (t.value.status !== NETIF_RSP_OKAY) this.stats.txErrors++;
      slot.frame?.done();
    }
  }

  private takeRx(budget: number): Uint8Array[] {
    const ring = this.rx;
    const out: Uint8Array[] = [];
    for (let guard = 0; ring && !this.failed && out.length < budget && guard <= ring.size; guard++) {
      const t = ring.takeResponse(decodeNetifRxResponse);
      if (t.kind === 'empty') break;
      if (t.kind !== 'ok') {
        this.fail(`backend is broken: ${t.reason}`);
        break;
      }
      const r = t.value;
      const b = r.id < this.rxBufs.length ? this.rxBufs[r.id] : undefined;
      if (!b || !b.posted) {
        this.fail(`backend answered unknown rx id ${r.id}`);
        break;
      }
      b.posted = false;
      this.k.grants.revoke(b.gref);
      this.rxSlot(b, r, out);
    }
    return out;
  }

  /** One answered buffer: its bytes copied out once, a whole frame delivered at its last slot. */
  private rxSlot(b: RxBuf, r: { offset: number; flags: number; status: number }, out: Uint8Array[]): void {
    if (r.status < 0 || r.offset + r.status > PAGE) {
      this.stats.rxErrors++;
      this.rxPartial = [];
      return;
    }
    this.rxPartial.push(this.k.env.page(b.gfn)!.slice(r.offset, r.offset + r.status));
    if (r.flags & NETRXF_more_data) return;
    const parts = this.rxPartial;
    this.rxPartial = [];
    const total = parts.reduce((n, p) => n + p.length, 0);
    if (total === 0 || total > MAX_RX_FRAME) return void this.stats.rxErrors++;
    const f = parts.length === 1 ? parts[0]! : joined(parts, total);
    this.stats.rxFrames++;
    this.stats.rxBytes += total;
    out.push(f);
  }

  private fail(why: string): boolean {
    this.failed ??= why;
    for (const [id, s] of this.txSlots.entries()) {
      if (!s) continue;
      this.txSlots[id] = undefined;
      s.frame?.done();
    }
    return false;
  }
}
