// Xenstore node permissions (REFERENCE §5.1, docs/misc/xenstore.txt "GET_PERMS"): each node
// carries a list of {domid, letter} entries. The FIRST entry names the owner, who always has
// full access, and its letter is the default for every domain not listed after it. Letters:
// `n` none, `r` read, `w` write, `b` both. A privileged connection (dom0) bypasses all of it,
// and a domain with a target (SET_TARGET, e.g. a device-model stub domain) acts as that target.
//
// Who calls it: the tree operations (access checks), the watch code (may this connection see
// this event?) and xenstored (GET_PERMS/SET_PERMS payloads). Pure functions.

export type PermLetter = 'n' | 'r' | 'w' | 'b';

export interface XsPerm {
  readonly domid: number;
  readonly perm: PermLetter;
}

/** Access bits. OWNER is granted only to the owner and privileged callers, never by a letter. */
export const PERM_NONE = 0;
export const PERM_READ = 1;
export const PERM_WRITE = 2;
export const PERM_OWNER = 4;

const LETTER_BITS: Record<PermLetter, number> = { n: PERM_NONE, r: PERM_READ, w: PERM_WRITE, b: PERM_READ | PERM_WRITE };
const FULL = PERM_READ | PERM_WRITE | PERM_OWNER;
const MAX_DOMID = 0xffff;

/** Who is asking. `target` is set by SET_TARGET. */
export interface Caller {
  readonly domid: number;
  readonly privileged: boolean;
  readonly target?: number | undefined;
}

const actsAs = (caller: Caller, domid: number): boolean =>
  domid === caller.domid || (caller.target !== undefined && domid === caller.target);

/** The access bits `caller` has on a node with `perms` (xenstored's perm_for_conn). */
export function permFor(caller: Caller, perms: readonly XsPerm[]): number {
  const owner = perms[0];
  if (caller.privileged || owner === undefined || actsAs(caller, owner.domid)) return FULL;
  for (let i = 1; i < perms.length; i++) {
    const entry = perms[i]!;
    if (actsAs(caller, entry.domid)) return LETTER_BITS[entry.perm];
  }
  return LETTER_BITS[owner.perm];
}

/** "r5" → {domid 5, read}; undefined for anything else (bad letter, not a decimal domid). */
export function parsePerm(text: string): XsPerm | undefined {
  const m = /^([nrwb])([0-9]{1,5})$/.exec(text);
  if (!m) return undefined;
  const domid = Number(m[2]);
  if (domid > MAX_DOMID) return undefined;
  return { domid, perm: m[1] as PermLetter };
}

/** A whole list; undefined if any entry is malformed or the list is empty. */
export function parsePerms(texts: readonly string[]): XsPerm[] | undefined {
  if (texts.length === 0) return undefined;
  const out: XsPerm[] = [];
  for (const t of texts) {
    const p = parsePerm(t);
    if (!p) return undefined;
    out.push(p);
  }
  return out;
}

export const formatPerm = (p: XsPerm): string => `${p.perm}${p.domid}`;

/** Builds a list from its string form, for code that writes literal permissions ("n0", "r5").
 *  A malformed literal is a pvlab bug. */
export function perms(...texts: string[]): XsPerm[] {
  const parsed = parsePerms(texts);
  if (!parsed) throw new RangeError(`bad xenstore permissions: ${texts.join(' ')}`);
  return parsed;
}

export const ownerOf = (list: readonly XsPerm[]): number => list[0]?.domid ?? 0;
