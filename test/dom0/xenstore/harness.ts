// Test harness for xenstored: plays the transport. Each Client sends requests as one domain
// and keeps the watch events addressed to it, whether they came back with its own reply or
// through xenstored's outbox (drained after every request).

import {
  fromUtf8, parseWatchEvent, replyErrno, splitStrings, XS, xsErrorName, type XsIds, type XsMessage, xsRequest,
} from '../../../hypervisor/public/io/xs_wire';
import { Xenstored, type XenstoredOptions } from '../../../dom0/xenstore/xenstored';

export type Answer = { value: string } | { error: string };

export class Harness {
  readonly xs: Xenstored;
  private readonly inboxes = new Map<number, XsMessage[]>();

  constructor(opts?: XenstoredOptions) {
    this.xs = new Xenstored(opts);
  }

  /** A client for `domid`: dom0 is connected, a domU introduced. */
  client(domid: number): Client {
    if (domid === 0) this.xs.connect(0);
    else this.xs.introduceDomain(domid);
    this.pump();
    return new Client(this, domid);
  }

  inbox(domid: number): XsMessage[] {
    let box = this.inboxes.get(domid);
    if (!box) this.inboxes.set(domid, (box = []));
    return box;
  }

  pump(): void {
    for (const { domid, msg } of this.xs.drainEvents()) this.inbox(domid).push(msg);
  }
}

export class Client {
  private reqId = 1;

  constructor(
    readonly h: Harness,
    readonly domid: number,
  ) {}

  /** Sends one request; returns its reply, files any watch events. */
  send(msg: XsMessage): XsMessage {
    const out = this.h.xs.handle(this.domid, msg);
    let reply: XsMessage | undefined;
    for (const m of out) {
      if (m.type === XS.WATCH_EVENT) this.h.inbox(this.domid).push(m);
      else reply = m;
    }
    this.h.pump();
    if (!reply) throw new Error('no reply');
    return reply;
  }

  private ids(txId = 0): XsIds {
    return { reqId: this.reqId++, txId };
  }

  private answer(reply: XsMessage): Answer {
    const errno = replyErrno(reply);
    return errno === undefined ? { value: fromUtf8(reply.payload) } : { error: xsErrorName(errno) };
  }

  private list(reply: XsMessage): string[] | { error: string } {
    const errno = replyErrno(reply);
    return errno === undefined ? splitStrings(reply.payload) : { error: xsErrorName(errno) };
  }

  read = (path: string, tx = 0) => this.answer(this.send(xsRequest.read(path, this.ids(tx))));
  write = (path: string, value: string | Uint8Array, tx = 0) => this.answer(this.send(xsRequest.write(path, value, this.ids(tx))));
  mkdir = (path: string, tx = 0) => this.answer(this.send(xsRequest.mkdir(path, this.ids(tx))));
  rm = (path: string, tx = 0) => this.answer(this.send(xsRequest.rm(path, this.ids(tx))));
  dir = (path: string, tx = 0) => this.list(this.send(xsRequest.directory(path, this.ids(tx))));
  getPerms = (path: string) => this.list(this.send(xsRequest.getPerms(path, this.ids())));
  setPerms = (path: string, ...perms: string[]) => this.answer(this.send(xsRequest.setPerms(path, perms, this.ids())));
  watch = (path: string, token: string) => this.answer(this.send(xsRequest.watch(path, token, this.ids())));
  unwatch = (path: string, token: string) => this.answer(this.send(xsRequest.unwatch(path, token, this.ids())));

  /** Starts a transaction; returns its id. */
  start(): number {
    const a = this.answer(this.send(xsRequest.transactionStart(this.ids())));
    if (!('value' in a)) throw new Error(`transaction start failed: ${a.error}`);
    return Number(a.value.replace(/\0$/, ''));
  }

  end = (tx: number, commit: boolean) => this.answer(this.send(xsRequest.transactionEnd(commit, this.ids(tx))));

  /** Watch events received so far, oldest first; empties the inbox. */
  events(): { path: string; token: string }[] {
    const box = this.h.inbox(this.domid);
    return box.splice(0, box.length).map((m) => parseWatchEvent(m)!);
  }
}

/** The text of an "OK\0" answer. */
export const OK = { value: 'OK\0' };
export const err = (name: string) => ({ error: name });
