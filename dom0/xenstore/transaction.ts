// A xenstore transaction (REFERENCE §5.1), modelled on how C xenstored really does it: not a
// copy of the whole database, but a private overlay filled on first access. The first time a
// transaction touches a node it copies it (or its absence) from the store and notes its
// generation; from then on it reads and writes only its copy. Commit checks that every node it
// touched still has the generation it noted — if anyone else changed, created or removed one
// meanwhile, the commit fails with EAGAIN and the client retries from the start (optimistic
// concurrency). Otherwise all its changes are applied at once and its watch events fire then.
//
// Note that a node first touched AFTER another client changed it does not conflict: the
// transaction simply sees the new value. Creating a node also touches its parent (whose child
// list changes), so two transactions adding siblings under one parent conflict, as in Xen.
//
// Who calls it: xenstored (TRANSACTION_START/END, and any request carrying a tx_id, whose tree
// operation then runs against the transaction instead of the store).

import { EAGAIN, ENOSPC } from '../../hypervisor/public/errno';
import { type Caller, ownerOf, type XsPerm } from './perms';
import type { XsQuotas } from './quota';
import { generationOf, type NodeAccess, type NodeContent, type NodeStore, type XsNode } from './store';
import { type Change, fail, ok, type Result } from './tree';

interface Accessed {
  /** Generation in the store when first touched (NO_GENERATION if it did not exist). */
  readonly gen: number;
  /** Permissions then, so a watcher that could read the node before still hears of it. */
  readonly perms: readonly XsPerm[] | undefined;
  modified: boolean;
  /** A watch event to fire at commit; non-exact wins over exact, as in xenstored. */
  fire?: { exact: boolean };
}

export class Transaction implements NodeAccess {
  private readonly overlay = new Map<string, XsNode | null>();
  private readonly accessed = new Map<string, Accessed>();
  private overQuota = false;

  /** `maxNodes`: distinct nodes it may touch (Infinity for a privileged owner). */
  constructor(
    readonly id: number,
    private readonly store: NodeStore,
    private readonly maxNodes: number,
  ) {}

  get(path: string): XsNode | undefined {
    const mine = this.overlay.get(path);
    if (mine !== undefined) return mine ?? undefined;
    const node = this.store.get(path);
    this.record(path, node);
    this.overlay.set(path, node ?? null);
    return node;
  }

  put(path: string, content: NodeContent): void {
    this.touch(path).modified = true;
    this.overlay.set(path, { ...content, gen: this.store.nextGeneration() });
  }

  del(path: string): void {
    this.touch(path).modified = true;
    this.overlay.set(path, null);
  }

  ownedCount(domid: number): number {
    return this.store.ownedCount(domid) + this.ownedDelta(domid);
  }

  /** Remembers a change for commit time. */
  queueWatch(change: Change): void {
    const entry = this.touch(change.path);
    if (!entry.fire) entry.fire = { exact: change.exact };
    else if (!change.exact) entry.fire.exact = false;
  }

  /** Has it touched more nodes than its quota allows? Such a transaction cannot commit. */
  get exceededQuota(): boolean {
    return this.overQuota;
  }

  get touchedCount(): number {
    return this.accessed.size;
  }

  /** Applies the transaction to the store, or explains why not (EAGAIN: conflict; ENOSPC: a
   *  quota). On success returns the changes to fire watches for, in first-touch order. */
  commit(committer: Caller, quotas: XsQuotas): Result<Change[]> {
    if (this.overQuota) return fail(ENOSPC);
    for (const [path, a] of this.accessed) {
      if (generationOf(this.store.get(path)) !== a.gen) return fail(EAGAIN);
    }
    const domid = committer.domid;
    if (!committer.privileged && this.ownedDelta(domid) > 0 && this.ownedCount(domid) > quotas.maxNodesPerDomain) {
      return fail(ENOSPC);
    }
    const changes: Change[] = [];
    for (const [path, a] of this.accessed) {
      if (!a.modified) continue;
      const node = this.overlay.get(path);
      if (node) this.store.put(path, node);
      else this.store.del(path);
    }
    for (const [path, a] of this.accessed) {
      if (a.fire) changes.push({ path, exact: a.fire.exact, extraPerms: a.perms ? [a.perms] : [] });
    }
    return ok(changes);
  }

  private touch(path: string): Accessed {
    const known = this.accessed.get(path);
    if (known) return known;
    const node = this.store.get(path);
    if (!this.overlay.has(path)) this.overlay.set(path, node ?? null);
    return this.record(path, node);
  }

  private record(path: string, node: XsNode | undefined): Accessed {
    if (this.accessed.size >= this.maxNodes) this.overQuota = true;
    const entry: Accessed = { gen: generationOf(node), perms: node?.perms, modified: false };
    this.accessed.set(path, entry);
    return entry;
  }

  /** Nodes `domid` gains (or loses) if this transaction commits. */
  private ownedDelta(domid: number): number {
    let delta = 0;
    for (const [path, a] of this.accessed) {
      if (!a.modified) continue;
      const before = this.store.get(path);
      const after = this.overlay.get(path);
      if (before && ownerOf(before.perms) === domid) delta--;
      if (after && ownerOf(after.perms) === domid) delta++;
    }
    return delta;
  }
}
