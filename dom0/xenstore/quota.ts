// Xenstored's per-domain quotas: how much of the shared store one unprivileged domain may use,
// so that a hostile guest cannot exhaust it for everyone. Defaults are C xenstored's (the
// `hard_quotas[]` table of tools/xenstored/domain.c; oxenstored has different numbers).
// Privileged connections (dom0) are exempt from every quota, as in xenstored.
//
// Who calls it: the tree operations (nodes, node size, permissions, path length), the watch
// and transaction code, and whoever builds a Xenstored (overrides, e.g. tiny quotas in tests).

import { XENSTORE_REL_PATH_MAX } from '../../hypervisor/public/io/xs_wire';

export interface XsQuotas {
  /** Nodes a domain may own; creating one more gets ENOSPC. */
  readonly maxNodesPerDomain: number;
  /** Watches per domain; one more gets E2BIG. */
  readonly maxWatchesPerDomain: number;
  /** Open transactions per domain; one more TRANSACTION_START gets ENOSPC. */
  readonly maxTransactionsPerDomain: number;
  /** Distinct nodes one transaction may touch; beyond it the request gets ENOSPC and the
   *  transaction can no longer commit. */
  readonly maxNodesPerTransaction: number;
  /** Entries in one node's permission list; more gets ENOSPC. */
  readonly maxPermsPerNode: number;
  /** Bytes of a path below /local/domain/<id>/ (the whole path if elsewhere); more is EINVAL. */
  readonly maxPathBytes: number;
  /** Bytes of a stored node record (see nodeSizeBytes); more gets ENOSPC. */
  readonly maxNodeBytes: number;
}

export const DEFAULT_QUOTAS: XsQuotas = {
  maxNodesPerDomain: 1000, // xenstored "nodes"
  maxWatchesPerDomain: 128, // "watches"
  maxTransactionsPerDomain: 10, // "transactions"
  maxNodesPerTransaction: 1024, // "transaction-nodes"
  maxPermsPerNode: 5, // "node-permissions"
  maxPathBytes: XENSTORE_REL_PATH_MAX, // "path-max"
  maxNodeBytes: 2048, // "node-size"
};
// The limits are exact: xenstored tests watches and transactions with `>` before adding one,
// which lets a domain have 129 watches and 11 transactions; pvlab stops at 128 and 10.
// Not modelled: "outstanding" (20 requests in flight; our handle() answers synchronously) and
// "memory" (2.5 MB per domain; the node, watch and transaction counts bound it here).

/** A stored node's fixed header in xenstored (generation u64, perm count, data and children
 *  lengths) and one permission entry (domid u32, perm u32): what node-size counts besides the
 *  value and the NUL-separated child names. */
export const NODE_HEADER_BYTES = 16;
export const PERM_ENTRY_BYTES = 8;

/** The size the node-size quota is checked against. A value alone may thus be at most
 *  2048 - 16 - 8 = 2024 bytes for a domU node with one permission entry and no children. */
export function nodeSizeBytes(node: { value: Uint8Array; perms: readonly unknown[]; children: readonly string[] }): number {
  const childBytes = node.children.reduce((n, c) => n + c.length + 1, 0);
  return NODE_HEADER_BYTES + PERM_ENTRY_BYTES * node.perms.length + node.value.length + childBytes;
}
