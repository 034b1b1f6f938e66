// The xenstore tree operations, as xenstored performs them (REFERENCE §5.1): read, directory,
// write (creating missing parents, "mkdir -p"), mkdir, rm (a whole subtree), get/set perms.
// Each checks the caller's permission first and answers like xenstored:
//  - a node you may not access is EACCES; a missing one is ENOENT only if you have the asked-
//    for access to its nearest existing ancestor, EACCES otherwise (so a domain cannot probe
//    for names it has no business seeing) — xenstored's errno_from_parents;
//  - new nodes inherit their parent's permissions, and a node created by an unprivileged
//    domain is owned by that domain;
//  - quotas (quota.ts) bind unprivileged callers only.
// Every change is reported through ctx.fire, which xenstored turns into watch events now, or a
// transaction queues until it commits.
//
// Who calls it: xenstored, with paths already canonical (nodename.ts). Pure: all state is in
// ctx.access (the global store or a transaction's view).

import { EACCES, EINVAL, ENOENT, ENOSPC, EPERM } from '../../hypervisor/public/errno';
import { baseName, childPath, parentOf, ROOT } from './nodename';
import { type Caller, ownerOf, PERM_OWNER, PERM_READ, PERM_WRITE, permFor, type XsPerm } from './perms';
import { nodeSizeBytes, type XsQuotas } from './quota';
import type { NodeAccess, NodeContent, XsNode } from './store';

/** A change watches may see. `exact` changes (nodes removed below an rm's root) match only
 *  watches on that very path; others match watches on the path or any ancestor. `extraPerms`
 *  are permission lists that also let a watcher see it (the node's old ones). */
export interface Change {
  readonly path: string;
  readonly exact: boolean;
  readonly extraPerms: readonly (readonly XsPerm[])[];
}

export interface OpContext {
  readonly access: NodeAccess;
  readonly caller: Caller;
  readonly quotas: XsQuotas;
  fire(change: Change): void;
}

export type Result<T> = { ok: true; value: T } | { ok: false; errno: number };
export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (errno: number): { ok: false; errno: number } => ({ ok: false, errno });
const DONE = ok(undefined);

/** The node at `path` if the caller has every bit of `want` on it; else the errno xenstored
 *  gives, which depends on what the caller may know about the node's ancestors. */
export function getNode(ctx: OpContext, path: string, want: number): Result<XsNode> {
  const node = ctx.access.get(path);
  if (node && (permFor(ctx.caller, node.perms) & want) === want) return ok(node);
  const errno = node ? EACCES : ENOENT;
  const ancestor = nearestAncestor(ctx.access, path);
  const allowed = ancestor ? permFor(ctx.caller, ancestor.perms) & want : 0;
  return fail(allowed ? errno : EACCES);
}

function nearestAncestor(access: NodeAccess, path: string): XsNode | undefined {
  let at = path;
  while (at !== ROOT) {
    at = parentOf(at);
    const node = access.get(at);
    if (node) return node;
  }
  return undefined;
}

export function readValue(ctx: OpContext, path: string): Result<Uint8Array> {
  const got = getNode(ctx, path, PERM_READ);
  return got.ok ? ok(got.value.value) : got;
}

export function listChildren(ctx: OpContext, path: string): Result<readonly string[]> {
  const got = getNode(ctx, path, PERM_READ);
  return got.ok ? ok(got.value.children) : got;
}

export function readPerms(ctx: OpContext, path: string): Result<readonly XsPerm[]> {
  const got = getNode(ctx, path, PERM_READ);
  return got.ok ? ok(got.value.perms) : got;
}

/** WRITE: replaces the value, creating the node and any missing parents (with empty values). */
export function writeValue(ctx: OpContext, path: string, value: Uint8Array): Result<undefined> {
  const got = getNode(ctx, path, PERM_WRITE);
  if (!got.ok) {
    if (got.errno !== ENOENT) return got;
    const made = create(ctx, path, value);
    if (!made.ok) return made;
  } else {
    const content = { ...got.value, value };
    if (!fits(ctx, content)) return fail(ENOSPC);
    ctx.access.put(path, content);
  }
  ctx.fire({ path, exact: false, extraPerms: [] });
  return DONE;
}

/** MKDIR: makes sure the node exists; an existing node is left alone (and no watch fires). */
export function makeDir(ctx: OpContext, path: string): Result<undefined> {
  const got = getNode(ctx, path, PERM_WRITE);
  if (got.ok) return DONE;
  if (got.errno !== ENOENT) return got;
  const made = create(ctx, path, new Uint8Array(0));
  if (!made.ok) return made;
  ctx.fire({ path, exact: false, extraPerms: [] });
  return DONE;
}

/** Creates `path` and its missing ancestors; the nearest existing ancestor gains a child. */
function create(ctx: OpContext, path: string, value: Uint8Array): Result<undefined> {
  const missing = [path];
  let top = parentOf(path);
  let anchor = ctx.access.get(top);
  while (!anchor) {
    if (top === ROOT) return fail(ENOENT); // no root: cannot happen in a built store
    missing.push(top);
    top = parentOf(top);
    anchor = ctx.access.get(top);
  }
  missing.reverse(); // outermost first
  if (!ctx.caller.privileged && ctx.access.ownedCount(ctx.caller.domid) + missing.length > ctx.quotas.maxNodesPerDomain) {
    return fail(ENOSPC);
  }
  const writes: [string, NodeContent][] = [[top, { ...anchor, children: [...anchor.children, baseName(missing[0]!)] }]];
  let perms = inherit(anchor.perms, ctx.caller);
  for (let i = 0; i < missing.length; i++) {
    const next = missing[i + 1];
    const last = next === undefined;
    writes.push([missing[i]!, { value: last ? value : new Uint8Array(0), perms, children: last ? [] : [baseName(next)] }]);
    perms = inherit(perms, ctx.caller);
  }
  if (!writes.every(([, c]) => fits(ctx, c))) return fail(ENOSPC);
  for (const [p, c] of writes) ctx.access.put(p, c);
  return DONE;
}

/** A new node's permissions: its parent's, but a domain owns what it creates. */
function inherit(parent: readonly XsPerm[], caller: Caller): readonly XsPerm[] {
  if (caller.privileged || parent.length === 0) return parent;
  return [{ domid: caller.domid, perm: parent[0]!.perm }, ...parent.slice(1)];
}

const fits = (ctx: OpContext, content: NodeContent): boolean =>
  ctx.caller.privileged || nodeSizeBytes(content) <= ctx.quotas.maxNodeBytes;

/** RM: removes the node and everything below it. Absent is fine if the parent exists. */
export function remove(ctx: OpContext, path: string): Result<undefined> {
  const got = getNode(ctx, path, PERM_WRITE);
  if (!got.ok) {
    if (got.errno !== ENOENT) return got;
    return ctx.access.get(parentOf(path)) ? DONE : fail(ENOENT);
  }
  if (path === ROOT) return fail(EINVAL);
  const parentPath = parentOf(path);
  const parent = ctx.access.get(parentPath);
  if (!parent) return fail(EINVAL);
  const doomed = subtreeDeepestFirst(ctx.access, path, got.value, parent.perms);
  for (const d of doomed) ctx.access.del(d.path);
  const name = baseName(path);
  ctx.access.put(parentPath, { ...parent, children: parent.children.filter((c) => c !== name) });
  for (const d of doomed) ctx.fire({ path: d.path, exact: d.path !== path, extraPerms: [d.perms, d.parentPerms] });
  return DONE;
}

interface Doomed {
  path: string;
  perms: readonly XsPerm[];
  parentPerms: readonly XsPerm[];
}

/** The subtree at `path`, children before their parent (the order xenstored deletes and
 *  reports them in). Bounded by the store's size: each node is visited once. */
function subtreeDeepestFirst(access: NodeAccess, path: string, node: XsNode, parentPerms: readonly XsPerm[]): Doomed[] {
  const out: Doomed[] = [];
  const stack: { path: string; node: XsNode; parentPerms: readonly XsPerm[]; expanded: boolean }[] = [
    { path, node, parentPerms, expanded: false },
  ];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.expanded) {
      stack.pop();
      out.push({ path: top.path, perms: top.node.perms, parentPerms: top.parentPerms });
      continue;
    }
    top.expanded = true;
    for (const name of [...top.node.children].reverse()) {
      const p = childPath(top.path, name);
      const child = access.get(p);
      if (child) stack.push({ path: p, node: child, parentPerms: top.node.perms, expanded: false });
    }
  }
  return out;
}

/** SET_PERMS: only the owner (or a privileged caller) may, and only a privileged caller may
 *  hand the node to another owner (EPERM). */
export function setPerms(ctx: OpContext, path: string, list: readonly XsPerm[]): Result<undefined> {
  const got = getNode(ctx, path, PERM_WRITE | PERM_OWNER);
  if (!got.ok) return got;
  if (!ctx.caller.privileged && ownerOf(list) !== ownerOf(got.value.perms)) return fail(EPERM);
  const content = { ...got.value, perms: list };
  if (!fits(ctx, content)) return fail(ENOSPC);
  ctx.access.put(path, content);
  ctx.fire({ path, exact: false, extraPerms: [got.value.perms] });
  return DONE;
}
