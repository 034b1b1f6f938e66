// The requests on nodes — READ, DIRECTORY, DIRECTORY_PART, GET_PERMS, SET_PERMS, WRITE, MKDIR,
// RM — from a parsed request to a reply payload: resolve the name (nodename.ts), run the tree
// operation (tree.ts), and lay out the answer as docs/misc/xenstore.txt specifies.
//
// Who calls it: xenstored, with a context whose store is the global one or a transaction's.

import { ENOSPC, EINVAL } from '../../hypervisor/public/errno';
import { joinStrings, XENSTORE_PAYLOAD_MAX, XS_OK, type XsMessage } from '../../hypervisor/public/io/xs_wire';
import { canonicalize } from './nodename';
import { formatPerm, parsePerms, PERM_READ } from './perms';
import type { XsRequest } from './request';
import { getNode, listChildren, makeDir, type OpContext, readPerms, readValue, remove, type Result, setPerms, writeValue } from './tree';

export type Outcome = { ok: true; payload: Uint8Array; after?: XsMessage[] } | { ok: false; errno: number };

export type NodeRequest = Extract<
  XsRequest,
  { op: 'read' | 'directory' | 'directory_part' | 'get_perms' | 'set_perms' | 'write' | 'mkdir' | 'rm' }
>;

const NODE_OPS = new Set<XsRequest['op']>(['read', 'directory', 'directory_part', 'get_perms', 'set_perms', 'write', 'mkdir', 'rm']);
export const isNodeRequest = (r: XsRequest): r is NodeRequest => NODE_OPS.has(r.op);

const reply = (payload: Uint8Array): Outcome => ({ ok: true, payload });
const acked = (r: Result<undefined>): Outcome => (r.ok ? reply(XS_OK) : r);

export function runNodeRequest(ctx: OpContext, req: NodeRequest): Outcome {
  const special = req.op === 'get_perms' || req.op === 'set_perms';
  const name = canonicalize(req.path, {
    domid: ctx.caller.domid,
    privileged: ctx.caller.privileged,
    maxPathBytes: ctx.quotas.maxPathBytes,
    allowSpecial: special,
  });
  if (!name.ok) return name;
  const path = name.path;
  switch (req.op) {
    case 'read': {
      const r = readValue(ctx, path);
      return r.ok ? reply(r.value) : r;
    }
    case 'directory': {
      const r = listChildren(ctx, path);
      return r.ok ? reply(joinStrings(r.value)) : r;
    }
    case 'directory_part':
      return directoryPart(ctx, path, req.offset);
    case 'get_perms': {
      const r = readPerms(ctx, path);
      return r.ok ? reply(joinStrings(r.value.map(formatPerm))) : r;
    }
    case 'set_perms':
      return changePerms(ctx, path, req.perms);
    case 'write':
      return acked(writeValue(ctx, path, req.value));
    case 'mkdir':
      return acked(makeDir(ctx, path));
    case 'rm':
      return acked(remove(ctx, path));
  }
}

/** xenstored checks the number of entries (ENOSPC) before their syntax (EINVAL). */
function changePerms(ctx: OpContext, path: string, texts: readonly string[]): Outcome {
  if (!ctx.caller.privileged && texts.length > ctx.quotas.maxPermsPerNode) return { ok: false, errno: ENOSPC };
  const list = parsePerms(texts);
  if (!list) return { ok: false, errno: EINVAL };
  return acked(setPerms(ctx, path, list));
}

/** DIRECTORY_PART: "<gen>\0" then the child names from byte `offset` of the NUL-separated
 *  list, as many whole names as fit in a payload; an extra NUL marks the end of the list. */
function directoryPart(ctx: OpContext, path: string, offset: number): Outcome {
  const got = getNode(ctx, path, PERM_READ);
  if (!got.ok) return got;
  const gen = joinStrings([String(got.value.gen)]);
  const all = joinStrings(got.value.children);
  if (offset >= all.length) return reply(joinStrings([String(got.value.gen), '']));
  const rest = all.subarray(offset);
  const room = XENSTORE_PAYLOAD_MAX - gen.length - 1;
  let len = 0;
  while (len < rest.length) {
    const nul = rest.indexOf(0, len);
    if (nul < 0 || nul >= room) break; // the name (and its NUL) would not fit
    len = nul + 1;
  }
  const end = len === rest.length ? 1 : 0;
  const out = new Uint8Array(gen.length + len + end);
  out.set(gen, 0);
  out.set(rest.subarray(0, len), gen.length);
  return reply(out);
}
