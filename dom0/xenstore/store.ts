// The xenstore database: a flat map from absolute name to node, as xenstored keeps it. A node
// holds a value (raw bytes), its permission list and the names of its children in creation
// order; there is no other distinction between directories and leaves. Every change stamps the
// node with a fresh generation number from one global counter, which is how transactions
// detect that someone else changed a node they used (see transaction.ts).
//
// Who calls it: the tree operations through the NodeAccess interface (which a transaction
// also implements, as an overlay), and xenstored for domain clean-up and counts.

import { ownerOf, type XsPerm } from './perms';

export interface NodeContent {
  readonly value: Uint8Array;
  readonly perms: readonly XsPerm[];
  readonly children: readonly string[];
}

export interface XsNode extends NodeContent {
  /** Generation of the last change to this node's value, permissions or child list. */
  readonly gen: number;
}

/** Generation reported for a node that does not exist. */
export const NO_GENERATION = -1;

/** What the tree operations need from a store: the global one or a transaction's view. */
export interface NodeAccess {
  get(path: string): XsNode | undefined;
  put(path: string, content: NodeContent): void;
  del(path: string): void;
  /** Nodes owned by `domid` as this view sees them (for the node quota). */
  ownedCount(domid: number): number;
}

export class NodeStore implements NodeAccess {
  private readonly nodes = new Map<string, XsNode>();
  private readonly owned = new Map<number, number>();
  private generation = 0;

  get(path: string): XsNode | undefined {
    return this.nodes.get(path);
  }

  put(path: string, content: NodeContent): void {
    const old = this.nodes.get(path);
    if (old) this.count(ownerOf(old.perms), -1);
    this.count(ownerOf(content.perms), +1);
    this.nodes.set(path, { ...content, gen: this.nextGeneration() });
  }

  del(path: string): void {
    const old = this.nodes.get(path);
    if (!old) return;
    this.count(ownerOf(old.perms), -1);
    this.nodes.delete(path);
  }

  ownedCount(domid: number): number {
    return this.owned.get(domid) ?? 0;
  }

  /** A fresh generation number; transactions stamp their private copies with these too. */
  nextGeneration(): number {
    return ++this.generation;
  }

  get size(): number {
    return this.nodes.size;
  }

  /** All names, in creation order (for clean-up walks and reports). */
  paths(): string[] {
    return [...this.nodes.keys()];
  }

  private count(domid: number, delta: number): void {
    const n = (this.owned.get(domid) ?? 0) + delta;
    if (n === 0) this.owned.delete(domid);
    else this.owned.set(domid, n);
  }
}

/** Generation of `path` in `access`, or NO_GENERATION if absent. */
export const generationOf = (node: XsNode | undefined): number => node?.gen ?? NO_GENERATION;
