// The xenstore daemon's logic (REFERENCE §5): one request in, its reply out, plus the watch
// events the request caused. Pure — no engine, no clock: whoever carries bytes (the xenstore
// ring in a shared page, or dom0's local socket) calls handle() and delivers what comes back.
//
// A request is checked in xenstored's order: a type it does not implement is ENOSYS; a
// privileged-only type from a domU is EACCES; a tx_id naming no open transaction is ENOENT;
// then the payload is parsed (EINVAL if malformed) and the operation runs, against the store or
// the transaction. Errors go back as XS_ERROR "<ENAME>\0" echoing req_id and tx_id.
//
// Watch events for the requesting connection are returned by handle() in the order xenstored
// queues them (a change's events before the reply, a new watch's first event after it); events
// for other connections wait in an outbox that the caller drains (drainEvents) and delivers.
//
// Who calls it: dom0's xenstore service and the toolstack (introduceDomain, releaseDomain),
// wired by lab/. Never throws because of a guest.

import { DOMID_FIRST_RESERVED } from '../../hypervisor/public/xen';
import { E2BIG, EACCES, EBUSY, EEXIST, EINVAL, ENOENT, ENOSPC, ENOSYS } from '../../hypervisor/public/errno';
import {
  joinStrings, XENSTORE_PAYLOAD_MAX, XS, XS_OK, xsErrorName, xsErrorReply, type XsMessage, xsReply, xsTypeName,
  xsWatchEvent,
} from '../../hypervisor/public/io/xs_wire';
import { Connection } from './connection';
import { canonicalize, childPath, homePath, parentOf, ROOT, SPECIAL_INTRODUCE, SPECIAL_RELEASE } from './nodename';
import { isNodeRequest, type Outcome, runNodeRequest } from './noderequests';
import { formatPerm, ownerOf, perms } from './perms';
import { DEFAULT_QUOTAS, type XsQuotas } from './quota';
import { parseRequest, type XsRequest } from './request';
import { NodeStore } from './store';
import { Transaction } from './transaction';
import { type Change, fail, ok, type OpContext, remove, type Result } from './tree';
import { eventPath, mayObserve, WatchIndex, type Watch } from './watch';

export interface XenstoredOptions {
  /** Overrides of xenstored's default quotas. */
  readonly quotas?: Partial<XsQuotas>;
  /** Domains whose connections bypass permissions and quotas; default [0]. */
  readonly privileged?: readonly number[];
}

/** A watch event for a connection other than the one whose request caused it. */
export interface DomainEvent {
  readonly domid: number;
  readonly msg: XsMessage;
}

export interface XenstoredStats {
  /** Requests received, by type name ("READ"; "UNKNOWN" for a number that is no type). */
  readonly requestsByType: Readonly<Record<string, number>>;
  /** Error replies sent, by errno name. */
  readonly errorsByName: Readonly<Record<string, number>>;
  readonly watchEventsFired: number;
  /** Events longer than a payload, which xenstored silently does not send. */
  readonly watchEventsDropped: number;
  readonly transactionsCommitted: number;
  /** Commits refused with EAGAIN. */
  readonly transactionsConflicted: number;
  readonly transactionsAborted: number;
  /** Requests for a domid with no connection (e.g. still in its ring when it was released). */
  readonly requestsUnconnected: number;
  readonly nodes: number;
  readonly connections: number;
  /** Watches registered over every connection (what must return to baseline on release). */
  readonly watches: number;
}

type Flags = { priv?: boolean; noTx?: boolean };
/** The types xenstored implements, with its XS_FLAG_PRIV and XS_FLAG_NOTID. */
const WIRE = new Map<number, Flags>([
  [XS.CONTROL, { priv: true }], [XS.DIRECTORY, {}], [XS.READ, {}], [XS.GET_PERMS, {}],
  [XS.WATCH, { noTx: true }], [XS.UNWATCH, { noTx: true }], [XS.TRANSACTION_START, {}],
  [XS.TRANSACTION_END, {}], [XS.INTRODUCE, { priv: true }], [XS.RELEASE, { priv: true }],
  [XS.GET_DOMAIN_PATH, {}], [XS.WRITE, {}], [XS.MKDIR, {}], [XS.RM, {}], [XS.SET_PERMS, {}],
  [XS.IS_DOMAIN_INTRODUCED, { priv: true }], [XS.RESUME, { priv: true }], [XS.SET_TARGET, { priv: true }],
  [XS.RESET_WATCHES, {}], [XS.DIRECTORY_PART, {}],
]);

const error = (errno: number): Outcome => ({ ok: false, errno });
const OK_OUTCOME: Outcome = { ok: true, payload: XS_OK };
const acked = (r: Result<unknown>): Outcome => (r.ok ? OK_OUTCOME : r);

export class Xenstored {
  readonly quotas: XsQuotas;
  private readonly store = new NodeStore();
  private readonly conns = new Map<number, Connection>();
  private readonly privileged: ReadonlySet<number>;
  private readonly outbox: DomainEvent[] = [];
  /** Messages for the connection whose request is being handled, in queue order. */
  private current: { domid: number; msgs: XsMessage[] } | undefined;
  private readonly requests: Record<string, number> = {};
  private readonly errors: Record<string, number> = {};
  private readonly watchIndex = new WatchIndex();
  private readonly n = { fired: 0, dropped: 0, committed: 0, conflicted: 0, aborted: 0, unconnected: 0 };

  constructor(opts: XenstoredOptions = {}) {
    this.quotas = { ...DEFAULT_QUOTAS, ...opts.quotas };
    this.privileged = new Set(opts.privileged ?? [0]);
    // The nodes xenstored starts with: everything owned by dom0, no access for others.
    const none = perms('n0');
    const empty = new Uint8Array(0);
    this.store.put(ROOT, { value: empty, perms: none, children: ['tool'] });
    this.store.put('/tool', { value: empty, perms: none, children: ['xenstored'] });
    this.store.put('/tool/xenstored', { value: empty, perms: none, children: [] });
    this.store.put(SPECIAL_RELEASE, { value: empty, perms: none, children: [] });
    this.store.put(SPECIAL_INTRODUCE, { value: empty, perms: none, children: [] });
  }

  /** Opens the connection of `domid` (idempotent). */
  connect(domid: number): void {
    if (!this.conns.has(domid)) this.conns.set(domid, new Connection(domid, this.privileged.has(domid), this.watchIndex));
  }

  isConnected(domid: number): boolean {
    return this.conns.has(domid);
  }

  /** Handles one request from `domid`: its reply, with this connection's own watch events. */
  handle(domid: number, msg: XsMessage): XsMessage[] {
    const conn = this.conns.get(domid);
    if (!conn) {
      this.n.unconnected++;
      return [];
    }
    const name = xsTypeName(msg.type) ?? 'UNKNOWN';
    this.requests[name] = (this.requests[name] ?? 0) + 1;
    const msgs: XsMessage[] = [];
    this.current = { domid, msgs };
    const outcome = this.process(conn, msg);
    this.current = undefined;
    msgs.push(this.replyFor(msg, outcome));
    if (outcome.ok && outcome.after) msgs.push(...outcome.after);
    return msgs;
  }

  /** Watch events for connections other than the requester's, oldest first; empties the outbox. */
  drainEvents(): DomainEvent[] {
    return this.outbox.splice(0, this.outbox.length);
  }

  /** What XS_INTRODUCE does: connect the domain and fire @introduceDomain (once). */
  introduceDomain(domid: number): Result<undefined> {
    if (domid === 0 || domid >= DOMID_FIRST_RESERVED) return fail(EINVAL);
    this.connect(domid);
    const conn = this.conns.get(domid)!;
    if (conn.introduced) return ok(undefined);
    conn.introduced = true;
    this.fire({ path: SPECIAL_INTRODUCE, exact: true, extraPerms: [] });
    return ok(undefined);
  }

  /** What XS_RELEASE (or the domain's destruction) does: close its connection, dropping its
   *  watches and transactions; delete the nodes it owns; forget its permission entries (so a
   *  later domain with the same id inherits nothing); fire @releaseDomain. */
  releaseDomain(domid: number): Result<undefined> {
    if (domid === 0 || domid >= DOMID_FIRST_RESERVED) return fail(EINVAL);
    const conn = this.conns.get(domid);
    if (!conn) return fail(ENOENT);
    conn.reset();
    this.conns.delete(domid);
    for (const other of this.conns.values()) if (other.target === domid) other.target = undefined;
    this.removeNodesOwnedBy(domid);
    this.forgetPermsOf(domid);
    this.fire({ path: SPECIAL_RELEASE, exact: true, extraPerms: [] });
    return ok(undefined);
  }

  /** A node as stored, bypassing permissions: for reports and tests, not for guests. */
  inspect(path: string): { value: Uint8Array; perms: string[]; children: string[]; gen: number } | undefined {
    const node = this.store.get(path);
    if (!node) return undefined;
    return { value: node.value, perms: node.perms.map(formatPerm), children: [...node.children], gen: node.gen };
  }

  /** Nodes owned by `domid` (what the node quota counts). */
  nodesOwnedBy(domid: number): number {
    return this.store.ownedCount(domid);
  }

  stats(): XenstoredStats {
    return {
      requestsByType: { ...this.requests },
      errorsByName: { ...this.errors },
      watchEventsFired: this.n.fired,
      watchEventsDropped: this.n.dropped,
      transactionsCommitted: this.n.committed,
      transactionsConflicted: this.n.conflicted,
      transactionsAborted: this.n.aborted,
      requestsUnconnected: this.n.unconnected,
      nodes: this.store.size,
      connections: this.conns.size,
      watches: [...this.conns.values()].reduce((n, c) => n + c.watches.count, 0),
    };
  }

  // ---- one request ----------------------------------------------------------------------------

  private process(conn: Connection, msg: XsMessage): Outcome {
    const flags = WIRE.get(msg.type);
    if (!flags) return error(ENOSYS);
    if (flags.priv && !conn.privileged) return error(EACCES);
    let tx: Transaction | undefined;
    if (!flags.noTx && msg.txId !== 0) {
      tx = conn.transactions.get(msg.txId);
      if (!tx) return error(ENOENT);
    }
    const parsed = parseRequest(msg.type, msg.payload);
    if (!parsed.ok) return error(parsed.errno);
    return this.dispatch(conn, parsed.req, tx);
  }

  /** The reply to `req`; a payload too long to send becomes E2BIG, as in xenstored. */
  private replyFor(req: XsMessage, outcome: Outcome): XsMessage {
    if (outcome.ok && outcome.payload.length <= XENSTORE_PAYLOAD_MAX) return xsReply(req, outcome.payload);
    const errno = outcome.ok ? E2BIG : outcome.errno;
    const name = xsErrorName(errno);
    this.errors[name] = (this.errors[name] ?? 0) + 1;
    return xsErrorReply(req, errno);
  }

  private dispatch(conn: Connection, req: XsRequest, tx: Transaction | undefined): Outcome {
    if (isNodeRequest(req)) {
      const outcome = runNodeRequest(this.context(conn, tx), req);
      return tx?.exceededQuota ? error(ENOSPC) : outcome;
    }
    switch (req.op) {
      case 'watch':
        return this.watch(conn, req.path, req.token);
      case 'unwatch':
        return this.unwatch(conn, req.path, req.token);
      case 'reset_watches':
        conn.reset();
        return OK_OUTCOME;
      case 'transaction_start':
        return this.startTransaction(conn, tx);
      case 'transaction_end':
        return this.endTransaction(conn, tx, req.commit);
      case 'introduce':
        return acked(this.introduceDomain(req.domid));
      case 'release':
        return acked(this.releaseDomain(req.domid));
      case 'get_domain_path':
        return { ok: true, payload: joinStrings([homePath(req.domid)]) };
      case 'is_domain_introduced':
        return { ok: true, payload: joinStrings([this.conns.get(req.domid)?.introduced ? 'T' : 'F']) };
      case 'resume':
        return this.conns.has(req.domid) ? OK_OUTCOME : error(ENOENT); // shutdown is not modelled
      case 'set_target':
        return this.setTarget(req.domid, req.target);
      case 'control':
        return req.command === 'check' || req.command === 'print' ? OK_OUTCOME : error(EINVAL);
    }
  }

  private context(conn: Connection, tx: Transaction | undefined): OpContext {
    return {
      access: tx ?? this.store,
      caller: conn.caller,
      quotas: this.quotas,
      fire: tx ? (c) => tx.queueWatch(c) : (c) => this.fire(c),
    };
  }

  // ---- watches ---------------------------------------------------------------------------------

  private watch(conn: Connection, raw: string, token: string): Outcome {
    const name = this.canonical(conn, raw);
    if (!name.ok) return name;
    if (conn.watches.has(name.path, token)) return error(EEXIST);
    if (!conn.privileged && conn.watches.count >= this.quotas.maxWatchesPerDomain) return error(E2BIG);
    const w: Watch = { path: name.path, token, prefixLen: name.relative ? homePath(conn.domid).length + 1 : 0 };
    conn.watches.add(w);
    const first = this.event(eventPath(w, w.path), token); // fires once straight away
    return { ok: true, payload: XS_OK, after: first ? [first] : [] };
  }

  private unwatch(conn: Connection, raw: string, token: string): Outcome {
    const name = this.canonical(conn, raw);
    if (!name.ok) return name;
    return conn.watches.remove(name.path, token) ? OK_OUTCOME : error(ENOENT);
  }

  private canonical(conn: Connection, raw: string) {
    const { domid, privileged } = conn;
    return canonicalize(raw, { domid, privileged, maxPathBytes: this.quotas.maxPathBytes, allowSpecial: true });
  }

  /** Sends a change to every watch it matches whose connection may see it. */
  private fire(change: Change): void {
    const node = this.store.get(change.path);
    const parent = node ? this.store.get(parentOf(change.path)) : undefined;
    const candidates = [...change.extraPerms, node?.perms, parent?.perms];
    for (const list of this.watchIndex.candidates(change.path, change.exact)) {
      const conn = list.owner as Connection;
      if (this.conns.get(conn.domid) !== conn) continue;
      const hits = conn.watches.matching(change.path, change.exact);
      if (hits.length === 0 || !mayObserve(conn.caller, candidates)) continue;
      for (const w of hits) {
        const msg = this.event(eventPath(w, change.path), w.token);
        if (!msg) continue;
        if (this.current?.domid === conn.domid) this.current.msgs.push(msg);
        else this.outbox.push({ domid: conn.domid, msg });
      }
    }
  }

  /** A WATCH_EVENT, counted; undefined if too long to send. */
  private event(path: string, token: string): XsMessage | undefined {
    const msg = xsWatchEvent(path, token);
    if (msg.payload.length > XENSTORE_PAYLOAD_MAX) {
      this.n.dropped++;
      return undefined;
    }
    this.n.fired++;
    return msg;
  }

  // ---- transactions ----------------------------------------------------------------------------

  private startTransaction(conn: Connection, current: Transaction | undefined): Outcome {
    if (current) return error(EBUSY); // no nesting
    if (!conn.privileged && conn.transactions.size >= this.quotas.maxTransactionsPerDomain) return error(ENOSPC);
    const id = conn.allocateTxId();
    const limit = conn.privileged ? Infinity : this.quotas.maxNodesPerTransaction;
    conn.transactions.set(id, new Transaction(id, this.store, limit));
    return { ok: true, payload: joinStrings([String(id)]) };
  }

  private endTransaction(conn: Connection, tx: Transaction | undefined, commit: boolean): Outcome {
    if (!tx) return error(ENOENT);
    conn.transactions.delete(tx.id); // gone whatever the outcome
    if (!commit) {
      this.n.aborted++;
      return OK_OUTCOME;
    }
    const result = tx.commit(conn.caller, this.quotas);
    if (!result.ok) {
      if (result.errno !== ENOSPC) this.n.conflicted++;
      return result;
    }
    this.n.committed++;
    for (const change of result.value) this.fire(change);
    return OK_OUTCOME;
  }

  // ---- domains ---------------------------------------------------------------------------------

  private setTarget(domid: number, target: number): Outcome {
    const conn = this.conns.get(domid);
    if (!conn || !this.conns.has(target)) return error(ENOENT);
    conn.target = target;
    return OK_OUTCOME;
  }

  /** Deletes every subtree whose top node `domid` owns, firing watches as RM would. */
  private removeNodesOwnedBy(domid: number): void {
    const ctx: OpContext = {
      access: this.store,
      caller: { domid: 0, privileged: true },
      quotas: this.quotas,
      fire: (c) => this.fire(c),
    };
    const stack = [ROOT];
    while (stack.length > 0) {
      const path = stack.pop()!;
      const node = this.store.get(path);
      if (!node) continue;
      if (path !== ROOT && ownerOf(node.perms) === domid) {
        remove(ctx, path);
        continue;
      }
      for (const child of [...node.children].reverse()) stack.push(childPath(path, child));
    }
  }

  /** Drops the entries naming `domid` from other nodes' permission lists (not the owner's). */
  private forgetPermsOf(domid: number): void {
    for (const path of this.store.paths()) {
      const node = this.store.get(path)!;
      const kept = node.perms.filter((p, i) => i === 0 || p.domid !== domid);
      if (kept.length !== node.perms.length) this.store.put(path, { ...node, perms: kept });
    }
  }
}
