// Xenstore watches (REFERENCE §5.1, docs/misc/xenstore.txt "WATCH"): a connection registers
// (path, token) and is sent WATCH_EVENT "path\0token\0" once straight away, then for every
// change at or below the path. A watch given as a relative path reports relative paths. A
// change reaches a connection only if it may read the node or its parent (or could read the
// node before the change), as xenstored's watch_permitted() decides.
//
// Who calls it: xenstored (WATCH, UNWATCH, RESET_WATCHES, firing, domain release). Pure.

import { isAtOrBelow } from './nodename';
import { type Caller, PERM_READ, permFor, type XsPerm } from './perms';

export interface Watch {
  /** Absolute (canonical) path or special `@...` name. */
  readonly path: string;
  readonly token: string;
  /** Characters to cut from an event path for a watch registered relative ("/local/domain/N/"). */
  readonly prefixLen: number;
}

/**
 * Which watch lists have a watch at each path, so a change finds its watchers by looking up
 * the changed path and its ancestors instead of asking every connection (a host with a
 * thousand domains writes xenstore constantly). Shared by all of a xenstored's connections.
 */
export class WatchIndex {
  private readonly byPath = new Map<string, Map<WatchList, number>>();

  note(list: WatchList, path: string, delta: 1 | -1): void {
    let m = this.byPath.get(path);
    if (!m) this.byPath.set(path, (m = new Map()));
    const n = (m.get(list) ?? 0) + delta;
    if (n > 0) m.set(list, n);
    else m.delete(list);
    if (m.size === 0) this.byPath.delete(path);
  }

  /** The lists with a watch that a change at `path` may trigger, in connection order. */
  candidates(path: string, exact: boolean): WatchList[] {
    const found = new Set<WatchList>();
    const add = (p: string): void => {
      const m = this.byPath.get(p);
      if (m) for (const l of m.keys()) found.add(l);
    };
    add(path);
    if (!exact && path.startsWith('/')) {
      add('/');
      for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) add(path.slice(0, i));
    }
    return [...found].sort((a, b) => a.seq - b.seq);
  }
}

let nextListSeq = 0;

/** One connection's watches, in registration order (events go out in that order). */
export class WatchList {
  private readonly watches: Watch[] = [];
  /** Creation order, which is the order connections are served in. */
  readonly seq = nextListSeq++;
  /** The connection that owns the list (set by Connection). */
  owner: unknown;

  constructor(private readonly index?: WatchIndex) {}

  get count(): number {
    return this.watches.length;
  }

  has(path: string, token: string): boolean {
    return this.watches.some((w) => w.path === path && w.token === token);
  }

  add(watch: Watch): void {
    this.watches.push(watch);
    this.index?.note(this, watch.path, 1);
  }

  /** Removes the watch; false if there was none. */
  remove(path: string, token: string): boolean {
    const i = this.watches.findIndex((w) => w.path === path && w.token === token);
    if (i < 0) return false;
    this.index?.note(this, this.watches[i]!.path, -1);
    this.watches.splice(i, 1);
    return true;
  }

  clear(): void {
    for (const w of this.watches) this.index?.note(this, w.path, -1);
    this.watches.length = 0;
  }

  /** The watches a change at `path` triggers. */
  matching(path: string, exact: boolean): Watch[] {
    return this.watches.filter((w) => (exact ? w.path === path : isAtOrBelow(path, w.path)));
  }
}

/** The path an event carries for this watch: relative if the watch was registered so. */
export const eventPath = (watch: Watch, changed: string): string => changed.slice(watch.prefixLen);

/** May `caller` see a change, given the permission lists that apply (the node's current and
 *  old ones, its parent's)? Read access through any of them is enough. */
export function mayObserve(caller: Caller, candidates: readonly (readonly XsPerm[] | undefined)[]): boolean {
  return candidates.some((p) => p !== undefined && (permFor(caller, p) & PERM_READ) !== 0);
}
