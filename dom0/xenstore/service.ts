// xenstored as a dom0 service: it serves each introduced domain over that domain's store ring
// (a page dom0 maps) and an interdomain event channel, and serves dom0's own kernel code
// (backends, the toolstack) directly. Each request costs dom0 CPU; replies and watch events
// go back over the rings, with a notification, in the order xenstored produced them.
// A domain that does not read its replies stalls only itself: past XS_MAX_QUEUED_* of output
// waiting for room in its ring, its requests stay unread and watch events for it are dropped.
import type { VcpuEnv } from '../../hypervisor/public/guest';
import { evtchnClose, evtchnSend } from '../../hypervisor/public/calls';
import { decodeMessage, encodeMessage, parseWatchEvent, xsRequest, type XsMessage, replyErrno, fromUtf8, directoryNames, XS } from '../../hypervisor/public/io/xs_wire';
import { XsServerEnd } from '../../ringbuf/xsring';
import type { DGen, Dom0Kernel } from '../kernel';
import { Xenstored } from './xenstored';

interface Conn {
  domid: number;
  ring: XsServerEnd;
  localPort: number;
  /** The dom0 vCPU whose dispatch table has the port's handler. */
  vcpu: number;
  rx: Uint8Array;
  out: Uint8Array[];
  broken?: string;
}

/** Requests served per event before yielding the CPU back (bounds one burst). */
export const XS_REQUESTS_PER_BURST = 64;

/**
 * Output one connection may have waiting for room in its ring. Past either bound xenstored
 * reads no more of the domain's requests, and drops watch events for it, until the domain
 * reads its replies: XSA-326's outstanding-request quota (20) and memory quota, simplified.
 */
export const XS_MAX_QUEUED_MESSAGES = 20;
export const XS_MAX_QUEUED_BYTES = 64 * 1024;

function queuedBytes(c: Conn): number {
  return c.out.reduce((n, m) => n + m.length, 0);
}

function backlogged(c: Conn): boolean {
  return c.out.length >= XS_MAX_QUEUED_MESSAGES || queuedBytes(c) >= XS_MAX_QUEUED_BYTES;
}

export class XenstoreService {
  readonly xsd = new Xenstored();
  private readonly conns = new Map<number, Conn>();
  private readonly localWatches = new Map<string, (path: string) => void>();
  private reqId = 1;
  /** Serves skipped because the domain had not read its replies; watch events dropped for it. */
  readonly backPressure = { stalls: 0, eventsDropped: 0 };

  constructor(private readonly k: Dom0Kernel) {
    this.xsd.connect(0);
  }

  /** INTRODUCE: serve `domid` on `ring` through dom0's `localPort` (already bound). */
  introduce(domid: number, page: Uint8Array, localPort: number, dispatchVcpu = 0): void {
    const c: Conn = { domid, ring: new XsServerEnd(page), localPort, vcpu: dispatchVcpu, rx: new Uint8Array(0), out: [] };
    this.conns.set(domid, c);
    this.xsd.introduceDomain(domid);
    this.k.dispatch[dispatchVcpu]?.bind(localPort, () => this.k.defer((env) => this.serve(env, c)));
  }

  /** Forgets a domain: its connection, its watches, the nodes it owns, and dom0's end of
   *  its store channel (closed by dom0's kernel, which defers the hypercall). */
  release(domid: number): void {
    const c = this.conns.get(domid);
    this.conns.delete(domid);
    this.xsd.releaseDomain(domid);
    if (c === undefined) return;
    c.broken = 'released';
    this.k.dispatch[c.vcpu]?.unbind(c.localPort);
    this.k.defer((env) => this.closePort(env, c.localPort));
  }

  /** Output waiting for room in `domid`'s ring, in messages and bytes (for tests and reports). */
  queued(domid: number): { messages: number; bytes: number } {
    const c = this.conns.get(domid);
    return c ? { messages: c.out.length, bytes: queuedBytes(c) } : { messages: 0, bytes: 0 };
  }

  private *closePort(env: VcpuEnv, port: number): Generator<never, void, number> {
    evtchnClose(env, port);
  }

  private *serve(env: VcpuEnv, c: Conn): DGen {
    if (c.broken) return;
    this.flush(env, c); // the room the domain made by reading goes to what waited for it
    if (backlogged(c)) {
      this.backPressure.stalls++;
      return;
    }
    const r = c.ring.read();
    if (r.kind !== 'ok') {
      c.broken = 'bogus ring indices';
      return;
    }
    c.rx = concat(c.rx, r.bytes);
    for (let n = 0; n < XS_REQUESTS_PER_BURST; n++) {
      if (backlogged(c)) this.flush(env, c);
      if (backlogged(c)) break;
      const d = decodeMessage(c.rx);
      if (d.kind === 'incomplete') break;
      if (d.kind === 'rejected') {
        c.broken = d.reason;
        return;
      }
      c.rx = c.rx.slice(d.size);
      this.k.charge(this.k.costs.xenstoreRequestNs);
      for (const m of this.xsd.handle(c.domid, d.msg)) c.out.push(encodeMessage(m));
    }
    yield* this.k.settle(env); // the replies go out once xenstored has handled the requests
    this.routeEvents(env);
    this.flush(env, c);
    if (!backlogged(c) && c.rx.length > 0 && decodeMessage(c.rx).kind === 'message') this.k.defer((e) => this.serve(e, c));
  }

  /** Dom0's own request: handled at once, charged to dom0. */
  request(env: VcpuEnv | undefined, msg: XsMessage): XsMessage {
    this.k.charge(this.k.costs.xenstoreRequestNs);
    const out = this.xsd.handle(0, { ...msg, reqId: this.reqId++ });
    let reply = out[out.length - 1]!;
    for (const m of out) {
      if (m.type === XS.WATCH_EVENT) this.deliverLocal(m);
      else reply = m;
    }
    this.routeEvents(env);
    return reply;
  }

  read(env: VcpuEnv | undefined, path: string): string | undefined {
    const r = this.request(env, xsRequest.read(path));
    return replyErrno(r) === undefined ? fromUtf8(r.payload) : undefined;
  }

  /** The children of `path`, in xenstored's order; undefined if it does not exist. */
  directory(env: VcpuEnv | undefined, path: string): string[] | undefined {
    const r = this.request(env, xsRequest.directory(path));
    return replyErrno(r) === undefined ? directoryNames(r.payload) : undefined;
  }

  write(env: VcpuEnv | undefined, path: string, value: string): number | undefined {
    return replyErrno(this.request(env, xsRequest.write(path, value)));
  }

  setPerms(env: VcpuEnv | undefined, path: string, perms: string[]): number | undefined {
    return replyErrno(this.request(env, xsRequest.setPerms(path, perms)));
  }

  rm(env: VcpuEnv | undefined, path: string): number | undefined {
    return replyErrno(this.request(env, xsRequest.rm(path)));
  }

  /** A watch for dom0 kernel code; `cb` runs synchronously when it fires. */
  watch(env: VcpuEnv | undefined, path: string, token: string, cb: (path: string) => void): void {
    this.localWatches.set(token, cb);
    this.request(env, xsRequest.watch(path, token));
  }

  unwatch(env: VcpuEnv | undefined, path: string, token: string): void {
    this.localWatches.delete(token);
    this.request(env, xsRequest.unwatch(path, token));
  }

  private deliverLocal(m: XsMessage): void {
    const ev = parseWatchEvent(m);
    if (ev) this.localWatches.get(ev.token)?.(ev.path);
  }

  /** Hands watch events to dom0's callbacks or to the watching domain's ring. */
  private routeEvents(env: VcpuEnv | undefined): void {
    const touched = new Set<Conn>();
    for (const { domid, msg } of this.xsd.drainEvents()) {
      if (domid === 0) this.deliverLocal(msg);
      else {
        const c = this.conns.get(domid);
        if (!c) continue;
        if (queuedBytes(c) >= XS_MAX_QUEUED_BYTES) {
          this.backPressure.eventsDropped++;
          continue;
        }
        c.out.push(encodeMessage(msg));
        touched.add(c);
      }
    }
    for (const c of touched) this.flush(env, c);
  }

  private flush(env: VcpuEnv | undefined, c: Conn): void {
    let wrote = false;
    while (c.out.length > 0) {
      const w = c.ring.write(c.out[0]!);
      if (w.kind !== 'ok') {
        c.broken = 'bogus ring indices';
        return;
      }
      if (w.written === 0) break;
      wrote = true;
      if (w.written === c.out[0]!.length) c.out.shift();
      else c.out[0] = c.out[0]!.slice(w.written);
    }
    if (wrote && env) evtchnSend(env, c.localPort);
    else if (wrote) this.k.defer((e) => this.notify(e, c));
  }

  private *notify(env: VcpuEnv, c: Conn): Generator<never, void, number> {
    if (!c.broken) evtchnSend(env, c.localPort); // a released connection's port may be closed
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
