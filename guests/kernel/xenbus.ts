// The guest's xenbus client: xenstore requests and replies as messages over the store ring
// (a byte stream in a shared page) with an event channel to xenstored in dom0. Every request
// waits for its reply by req_id; watch events are handed to the callbacks registered for
// their token. Nothing here trusts what comes back: a bogus ring or message breaks the
// connection, it does not crash the kernel.
import { evtchnSend } from '../../hypervisor/public/calls';
import type { VcpuEnv } from '../../hypervisor/public/guest';
import {
  XS, decodeMessage, directoryNames, encodeMessage, fromUtf8, joinStrings, parseWatchEvent, replyErrno, utf8, xsMessage, type XsMessage,
} from '../../hypervisor/public/io/xs_wire';
import { XENSTORE_RING_SIZE, XsClientEnd } from '../../ringbuf/xsring';
import { EAGAIN } from '../../hypervisor/public/errno';
import type { KGen } from './types';

export interface XenbusHost {
  readonly env: VcpuEnv;
  /** Sleeps until an event arrives and dispatches it. */
  wait(): KGen;
}

export type WatchCallback = (path: string) => void;

export class XenbusClient {
  private readonly ring: XsClientEnd;
  private rx: Uint8Array = new Uint8Array(0);
  private outbox: Uint8Array[] = [];
  private readonly replies = new Map<number, XsMessage>();
  private readonly watches = new Map<string, WatchCallback>();
  private nextReqId = 1;
  broken: string | undefined;
  requests = 0;

  constructor(
    private readonly host: XenbusHost,
    page: Uint8Array,
    private readonly port: number,
  ) {
    this.ring = new XsClientEnd(page);
  }

  /** The store port's handler: pull every byte xenstored wrote, decode whole messages. */
  onEvent(): void {
    if (this.broken) return;
    const wasFull = this.ring.available() === XENSTORE_RING_SIZE;
    const r = this.ring.read();
    if (r.kind !== 'ok') return this.fail('xenstore ring indices are bogus');
    // xenstored stopped writing when the ring filled: tell it there is room again (Linux xb_read).
    if (wasFull && r.bytes.length > 0) evtchnSend(this.host.env, this.port);
    this.rx = concat(this.rx, r.bytes);
    for (;;) {
      const d = decodeMessage(this.rx);
      if (d.kind === 'incomplete') break;
      if (d.kind === 'rejected') return this.fail(`bad message from xenstored: ${d.reason}`);
      this.rx = this.rx.slice(d.size);
      this.deliver(d.msg);
    }
    this.flush();
  }

  private deliver(msg: XsMessage): void {
    if (msg.type === XS.WATCH_EVENT) {
      const ev = parseWatchEvent(msg);
      if (ev) this.watches.get(ev.token)?.(ev.path);
      return;
    }
    this.replies.set(msg.reqId, msg);
  }

  /** Sends one request and waits for its reply. */
  *request(type: number, payload: Uint8Array, txId = 0): KGen<XsMessage> {
    const reqId = this.nextReqId++;
    this.requests++;
    this.outbox.push(encodeMessage(xsMessage(type, payload, { reqId, txId })));
    this.flush();
    while (!this.replies.has(reqId)) {
      if (this.broken) return xsMessage(XS.ERROR, utf8('EIO\0'), { reqId, txId });
      yield* this.host.wait();
    }
    const reply = this.replies.get(reqId)!;
    this.replies.delete(reqId);
    return reply;
  }

  /** The value at `path`, or undefined (ENOENT, EACCES...). */
  *read(path: string, txId = 0): KGen<string | undefined> {
    const r = yield* this.request(XS.READ, joinStrings([path]), txId);
    return replyErrno(r) === undefined ? fromUtf8(r.payload) : undefined;
  }

  /** Writes `value` at `path`; returns the errno on failure, undefined on success. */
  *write(path: string, value: string, txId = 0): KGen<number | undefined> {
    const payload = concat(utf8(path + '\0'), utf8(value));
    const r = yield* this.request(XS.WRITE, payload, txId);
    return replyErrno(r);
  }

  *directory(path: string): KGen<string[]> {
    const r = yield* this.request(XS.DIRECTORY, joinStrings([path]));
    if (replyErrno(r) !== undefined) return [];
    return directoryNames(r.payload);
  }

  *watch(path: string, token: string, cb: WatchCallback): KGen<number | undefined> {
    this.watches.set(token, cb);
    const r = yield* this.request(XS.WATCH, joinStrings([path, token]));
    return replyErrno(r);
  }

  *unwatch(path: string, token: string): KGen {
    this.watches.delete(token);
    yield* this.request(XS.UNWATCH, joinStrings([path, token]));
  }

  /** Runs `body` in a transaction, retrying the whole of it while the commit says EAGAIN. */
  *transaction(body: (txId: number) => KGen, maxTries = 16): KGen<number | undefined> {
    for (let i = 0; i < maxTries; i++) {
      const start = yield* this.request(XS.TRANSACTION_START, utf8('\0'));
      const err = replyErrno(start);
      if (err !== undefined) return err;
      const txId = Number(fromUtf8(start.payload).replace(/\0.*$/, ''));
      yield* body(txId);
      const end = yield* this.request(XS.TRANSACTION_END, utf8('T\0'), txId);
      const e = replyErrno(end);
      if (e !== EAGAIN) return e;
    }
    return EAGAIN;
  }

  private flush(): void {
    let sent = false;
    while (this.outbox.length > 0) {
      const head = this.outbox[0]!;
      const w = this.ring.write(head);
      if (w.kind !== 'ok') return this.fail('xenstore ring indices are bogus');
      if (w.written === 0) break;
      sent = true;
      if (w.written === head.length) this.outbox.shift();
      else this.outbox[0] = head.slice(w.written);
    }
    if (sent) evtchnSend(this.host.env, this.port);
  }

  private fail(why: string): void {
    this.broken = why;
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
