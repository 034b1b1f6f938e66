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

/** One connection's watches, in registration order (events go out in that order). */
export class WatchList {
  private readonly watches: Watch[] = [];

  get count(): number {
    return this.watches.length;
  }

  has(path: string, token: string): boolean {
    return this.watches.some((w) => w.path === path && w.token === token);
  }

  add(watch: Watch): void {
    this.watches.push(watch);
  }

  /** Removes the watch; false if there was none. */
  remove(path: string, token: string): boolean {
    const i = this.watches.findIndex((w) => w.path === path && w.token === token);
    if (i < 0) return false;
    this.watches.splice(i, 1);
    return true;
  }

  clear(): void {
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
