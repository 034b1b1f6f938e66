// blkfront: the PV block frontend (REFERENCE §5.3 and §6.1). It connects through the xenbus
// handshake, then turns each block I/O into a blkif request on the shared ring, granting the
// data pages to the backend (writable for a read, read-only for a write). When the backend
// offers feature-max-indirect-segments, an I/O of more than 11 pages (up to 32) is one
// INDIRECT request whose segments sit in a granted page of their own, as Linux's blkfront
// sends them; otherwise the block layer splits it at 11. With persistent grants (both ends
// offer feature-persistent, Linux's default) the data goes through pages granted once and kept
// for as long as the device is connected: a write is copied into them before it is queued, a
// read copied out of them when it completes, and the backend maps each only the first time it
// sees it. It notifies only when the ring's
// req_event says the backend is waiting, and takes responses in its event handler, validating
// each: a response for an id that is not outstanding, or a bogus rsp_prod, means a broken
// backend, and the device is dropped (never the kernel).
import { evtchnAllocUnbound, evtchnClose, evtchnSend } from '../../hypervisor/public/calls';
import {
  BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_RING, BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_RSP_ERROR, decodeBlkifResponse, encodeBlkifIndirectRequest, encodeBlkifRequest,
  encodeIndirectSegment,
} from '../../hypervisor/public/io/blkif';
import { XenbusState } from '../../hypervisor/public/io/xs_wire';
import { FrontRing, sharedRingInit } from '../../ringbuf/ring';
import { compute } from '../../hypervisor/public/guest';
import { sectorsInPage } from '../kernel/bio';
import type { PvKernel } from '../kernel/pv';
import type { BlockDevice, BlockIo, KGen } from '../kernel/types';

interface Shadow {
  io: BlockIo;
  /** Grants revoked when the response comes. */
  grefs: number[];
  /** Persistent grants carrying the data, one per page, back to the pool when it comes. */
  bounce: Bounce[] | undefined;
}

/** A page of the frontend's granted to the backend for as long as the device is connected. */
interface Bounce {
  gfn: number;
  gref: number;
}

export interface BlkfrontStats {
  requests: number;
  responses: number;
  notificationsSent: number;
  pushesSuppressed: number;
  /** Requests per push that reached the ring (for the ring batch mean). */
  batches: number;
  errors: number;
  /** Bytes copied into or out of persistent grants. */
  bounceBytes: number;
}

export class Blkfront implements BlockDevice {
  readonly name: string;
  sizeSectors = 0;
  /** 11, or more once the backend offers indirect requests. */
  maxPages = BLKIF_MAX_SEGMENTS_PER_REQUEST;
  /** Each request id's page of segment descriptors, allocated on its first indirect request. */
  private indirectGfn: number[] = [];
  /** Persistent grants only: each request id's descriptor page stays granted (its ref). */
  private indirectRef: number[] = [];
  /** Both ends offered feature-persistent. */
  persistent = false;
  /** Persistent grants not carrying a request now, the last given back reused first (Linux's
   *  list of grants, added at its head); and every one made, to revoke at close. */
  private freeBounce: Bounce[] = [];
  private allBounce: Bounce[] = [];
  private fe: string;
  private be = '';
  private beId = 0;
  private ring: FrontRing | undefined;
  private ringGfn = -1;
  private ringRef = -1;
  private port = -1;
  private shadow: (Shadow | undefined)[] = [];
  private freeIds: number[] = [];
  private backendState = 0;
  private unpushed = 0;
  failed: string | undefined;
  readonly stats: BlkfrontStats = { requests: 0, responses: 0, notificationsSent: 0, pushesSuppressed: 0, batches: 0, errors: 0, bounceBytes: 0 };

  constructor(
    private readonly k: PvKernel,
    readonly devid: number,
  ) {
    this.fe = `/local/domain/${k.domid}/device/vbd/${devid}`;
    this.name = `vbd-${devid}`;
  }

  /** The connect half of the handshake; false (with `failed` set) if it could not. */
  *connect(): KGen<boolean> {
    const xs = this.k.xs;
    this.be = (yield* xs.read(`${this.fe}/backend`)) ?? '';
    this.beId = Number((yield* xs.read(`${this.fe}/backend-id`)) ?? 'NaN');
    if (this.be === '' || !Number.isInteger(this.beId)) return this.fail('no backend in xenstore');
    yield* xs.watch(`${this.be}/state`, `be-${this.devid}`, () => {
      this.backendState = -1;
      this.k.hotplug.pending = true; // the kernel looks for a backend that went to Closing
    });
    if (!(yield* this.waitBackend((s) => s >= XenbusState.InitWait))) return false;
    if (!this.setupRing()) return false;
    const err = yield* xs.transaction(function* (this: Blkfront, tx: number): KGen {
      yield* xs.write(`${this.fe}/ring-ref`, String(this.ringRef), tx);
      yield* xs.write(`${this.fe}/event-channel`, String(this.port), tx);
      yield* xs.write(`${this.fe}/protocol`, 'x86_64-abi', tx);
      yield* xs.write(`${this.fe}/feature-persistent`, this.k.params.blkfrontPersistent ? '1' : '0', tx);
    }.bind(this));
    if (err !== undefined) return this.fail(`publishing the ring failed (errno ${err})`);
    this.noteState(XenbusState.Initialised, `granted the ring page as ref ${this.ringRef}, allocated unbound port ${this.port} for dom${this.beId}, wrote ring-ref, event-channel and protocol in one transaction`);
    yield* xs.write(`${this.fe}/state`, String(XenbusState.Initialised));
    if (!(yield* this.waitBackend((s) => s === XenbusState.Connected))) return false;
    this.sizeSectors = Number((yield* xs.read(`${this.be}/sectors`)) ?? '0');
    const indirect = Number((yield* xs.read(`${this.be}/feature-max-indirect-segments`)) ?? '0');
    const mine = this.k.params.blkfrontMaxIndirectSegments;
    if (Number.isInteger(indirect) && Math.min(indirect, mine) > BLKIF_MAX_SEGMENTS_PER_REQUEST) this.maxPages = Math.min(indirect, mine);
    this.persistent = this.k.params.blkfrontPersistent && (yield* xs.read(`${this.be}/feature-persistent`)) === '1';
    this.noteState(XenbusState.Connected, `saw the backend Connected, read sectors = ${this.sizeSectors}: the disk is ready`);
    yield* xs.write(`${this.fe}/state`, String(XenbusState.Connected));
    return true;
  }

  /** Waits (sleeping between watch events) until the backend's state satisfies `ok`. */
  private *waitBackend(ok: (s: number) => boolean): KGen<boolean> {
    for (let tries = 0; tries < 1000; tries++) {
      const s = Number((yield* this.k.xs.read(`${this.be}/state`)) ?? '0');
      if (ok(s)) return true;
      if (s === XenbusState.Closed || s === XenbusState.Closing) return this.fail(`backend went to state ${s}`);
      this.backendState = s;
      while (this.backendState === s) yield* this.k.wait();
    }
    return this.fail('backend never reached the expected state');
  }

  private setupRing(): boolean {
    const env = this.k.env;
    this.ringGfn = this.k.pages.alloc();
    const page = this.ringGfn < 0 ? undefined : env.page(this.ringGfn);
    if (!page) return this.failSync('out of memory for the ring');
    sharedRingInit(page);
    this.ring = new FrontRing(page, BLKIF_RING);
    this.shadow = new Array(this.ring.size).fill(undefined);
    this.freeIds = Array.from({ length: this.ring.size }, (_, i) => this.ring!.size - 1 - i);
    this.ringRef = this.k.grants.grant(this.beId, this.ringGfn, false);
    this.port = evtchnAllocUnbound(env, this.beId);
    if (this.ringRef < 0 || this.port < 0) return this.failSync('no grant or port for the ring');
    this.k.events.bind(this.port, () => this.onEvent());
    return true;
  }

  canSubmit(pages = this.maxPages): boolean {
    // New grants: the data pages the persistent pool cannot carry, and the descriptor page.
    const data = this.persistent ? Math.max(0, pages - this.freeBounce.length) : pages;
    const grants = pages > BLKIF_MAX_SEGMENTS_PER_REQUEST ? data + 1 : data;
    return this.failed === undefined && this.ring !== undefined && this.freeIds.length > 0 && this.k.grants.available >= grants;
  }

  /** Puts one request on the ring (not yet pushed). */
  *submit(io: BlockIo): KGen {
    if (!this.canSubmit(io.gfns.length) || io.gfns.length === 0 || io.gfns.length > this.maxPages) {
      io.done(BLKIF_RSP_ERROR);
      return;
    }
    const write = io.op === 'write';
    const bounce = this.persistent ? this.takeBounce(io.gfns.length) : undefined;
    if (this.persistent && !bounce) return io.done(BLKIF_RSP_ERROR);
    const copyNs = bounce && write ? this.copyNs(this.copyBytes(io, bounce, 'in')) : 0;
    yield compute(this.k.costs.blockSubmitNs + copyNs, 'kernel');
    const id = this.freeIds.pop()!;
    const dataRefs = bounce ? bounce.map((b) => b.gref) : io.gfns.map((gfn) => this.k.grants.grant(this.beId, gfn, write));
    const grefs = bounce ? [] : dataRefs;
    this.shadow[id] = { io, grefs, bounce };
    const operation = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
    const segments = dataRefs.map((gref, i) => ({ gref, firstSect: 0, lastSect: sectorsInPage(io.count, i) - 1 }));
    if (segments.length <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
      const req = { operation, nrSegments: segments.length, handle: this.devid, id, sectorNumber: io.sector, segments };
      this.ring!.produceRequest((view, off) => encodeBlkifRequest(view, off, req));
    } else {
      // The segments go in a page of their own, granted read-only; the slot names that page.
      const gfn = this.indirectPage(id);
      const page = gfn < 0 ? undefined : this.k.env.page(gfn);
      if (!page) {
        for (const ref of grefs) this.k.grants.revoke(ref);
        if (bounce) this.giveBack(bounce);
        this.shadow[id] = undefined;
        this.freeIds.push(id);
        io.done(BLKIF_RSP_ERROR);
        return;
      }
      const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
      segments.forEach((seg, i) => encodeIndirectSegment(view, i, seg));
      // Persistent: granted once, writable, as Linux grants every page of its pool; otherwise
      // read-only and revoked with the data pages when the response comes.
      const pageRef = bounce ? this.persistentIndirectRef(id, gfn) : this.k.grants.grant(this.beId, gfn, true);
      if (!bounce) grefs.push(pageRef);
      const req = { indirectOp: operation, nrSegments: segments.length, handle: this.devid, id, sectorNumber: io.sector, indirectGrefs: [pageRef] };
      this.ring!.produceRequest((v, off) => encodeBlkifIndirectRequest(v, off, req));
    }
    this.stats.requests++;
    this.unpushed++;
  }

  private indirectPage(id: number): number {
    return (this.indirectGfn[id] ??= this.k.pages.alloc());
  }

  private persistentIndirectRef(id: number, gfn: number): number {
    const ref = this.indirectRef[id] ?? this.k.grants.grant(this.beId, gfn, false);
    if (ref >= 0) this.indirectRef[id] = ref;
    return ref;
  }

  /** `n` persistent grants for one request, from the pool or newly made (a page of the kernel's
   *  and a grant, writable, since the backend maps each once for reads and writes alike). */
  private takeBounce(n: number): Bounce[] | undefined {
    const out: Bounce[] = [];
    while (out.length < n) {
      let b = this.freeBounce.pop();
      if (!b) {
        const gfn = this.k.pages.alloc();
        const gref = gfn < 0 ? -1 : this.k.grants.grant(this.beId, gfn, false);
        if (gref < 0) {
          if (gfn >= 0) this.k.pages.free(gfn);
          this.giveBack(out);
          return undefined;
        }
        b = { gfn, gref };
        this.allBounce.push(b);
      }
      out.push(b);
    }
    return out;
  }

  private giveBack(bounce: Bounce[]): void {
    for (const b of bounce) this.freeBounce.push(b);
  }

  private copyNs(bytes: number): number {
    return Math.ceil(bytes / this.k.costs.memcpyBytesPerNs);
  }

  /** Copies the I/O's sectors between its own pages and its persistent grants ('in': into the
   *  grants, for a write; 'out': out of them, for a read); returns the bytes copied. */
  private copyBytes(io: BlockIo, bounce: Bounce[], dir: 'in' | 'out'): number {
    const env = this.k.env;
    let bytes = 0;
    for (let i = 0; i < bounce.length; i++) {
      const n = sectorsInPage(io.count, i) * 512;
      const mine = env.page(io.gfns[i]!);
      const granted = env.page(bounce[i]!.gfn);
      if (!mine || !granted) continue;
      if (dir === 'in') granted.set(mine.subarray(0, n));
      else mine.set(granted.subarray(0, n));
      bytes += n;
    }
    this.stats.bounceBytes += bytes;
    return bytes;
  }

  /** RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, and the event send if it says so. */
  *kick(): KGen {
    if (this.unpushed === 0 || !this.ring) return;
    this.stats.batches++;
    this.unpushed = 0;
    const notify = this.ring.pushRequestsAndCheckNotify();
    const env = this.k.env;
    if (env.tracing) env.note?.({ kind: 'ring', proto: 'blkif', end: 'front', devid: this.devid, ...this.ring.lastPush(), notify, port: this.port });
    if (notify) {
      this.stats.notificationsSent++;
      evtchnSend(env, this.port);
    } else this.stats.pushesSuppressed++;
  }

  /** The event handler: take every response, then re-arm rsp_event with the final check. */
  private onEvent(): void {
    const ring = this.ring;
    if (!ring || this.failed) return;
    for (let guard = 0; guard <= 2 * ring.size + 2; guard++) {
      const t = ring.takeResponse(decodeBlkifResponse);
      if (t.kind === 'ok') {
        this.complete(t.value.id, t.value.status);
        if (this.failed) return;
      } else if (t.kind === 'empty') {
        if (!ring.finalCheckForResponses()) return;
      } else return void this.failSync(`backend is broken: ${t.reason}`);
    }
  }

  private complete(id: number, status: number): void {
    const s = Number.isInteger(id) && id >= 0 && id < this.shadow.length ? this.shadow[id] : undefined;
    if (s === undefined) return void this.failSync(`backend answered unknown request id ${id}`);
    this.shadow[id] = undefined;
    this.freeIds.push(id);
    for (const ref of s.grefs) this.k.grants.revoke(ref);
    let copyNs = 0;
    if (s.bounce) {
      if (status === 0 && s.io.op === 'read') copyNs = this.copyNs(this.copyBytes(s.io, s.bounce, 'out'));
      this.giveBack(s.bounce);
    }
    this.stats.responses++;
    if (status !== 0) this.stats.errors++;
    this.k.charge(this.k.costs.blockCompleteNs + copyNs);
    s.io.done(status);
  }

  /** The toolstack is taking the device away (`xl block-detach`: backend online=0, Closing). */
  *backendClosing(): KGen<boolean> {
    if (this.ring === undefined) return false;
    return Number((yield* this.k.xs.read(`${this.be}/state`)) ?? '0') === XenbusState.Closing;
  }

  /** Closing (5) → waits for the backend to close (6) → releases the ring → Closed (6). */
  *close(): KGen {
    const xs = this.k.xs;
    this.noteState(XenbusState.Closing, 'stops issuing requests and asks the backend to let go');
    yield* xs.write(`${this.fe}/state`, String(XenbusState.Closing));
    for (let i = 0; i < 1000; i++) {
      const s = Number((yield* xs.read(`${this.be}/state`)) ?? '6');
      if (s === XenbusState.Closed) break;
      this.backendState = s;
      while (this.backendState === s) yield* this.k.wait();
    }
    const released = `saw the backend Closed; closed port ${this.port} and revoked ring-ref ${this.ringRef}`;
    this.releaseRing();
    this.noteState(XenbusState.Closed, released);
    yield* xs.write(`${this.fe}/state`, String(XenbusState.Closed));
  }

  /** Narration of a state write (only while traced). */
  private noteState(state: number, detail: string): void {
    const env = this.k.env;
    if (env.tracing) env.note?.({ kind: 'xenbus', end: 'front', devid: this.devid, state, detail });
  }

  private releaseRing(): void {
    if (this.port >= 0) {
      this.k.events.unbind(this.port);
      evtchnClose(this.k.env, this.port);
      this.port = -1;
    }
    if (this.ringRef >= 0) this.k.grants.revoke(this.ringRef);
    this.ringRef = -1;
    this.ring = undefined;
    // The backend has closed, so it unmapped the persistent grants: end them all.
    for (const b of this.allBounce) if (this.k.grants.revoke(b.gref)) this.k.pages.free(b.gfn);
    for (const ref of this.indirectRef) if (ref !== undefined && ref >= 0) this.k.grants.revoke(ref);
    this.allBounce = [];
    this.freeBounce = [];
    this.indirectRef = [];
  }

  private failSync(why: string): boolean {
    this.failed = why;
    for (const [id, s] of this.shadow.entries()) {
      if (s === undefined) continue;
      this.shadow[id] = undefined;
      s.io.done(BLKIF_RSP_ERROR);
    }
    return false;
  }

  private fail(why: string): boolean {
    return this.failSync(why);
  }
}
