// Xenstore node names: what a valid path is and how a relative one resolves (REFERENCE §5.1,
// docs/misc/xenstore.txt). Allowed characters are ASCII alphanumerics and `-/_@`; no empty
// path, no `//`, no trailing `/` except the root itself. A path not starting with `/` (or `@`)
// is relative to the caller's home, /local/domain/<domid>. Names starting with `@` are the
// special watch paths (@introduceDomain, @releaseDomain) and are accepted only where a request
// allows them (WATCH, UNWATCH, GET_PERMS, SET_PERMS).
//
// Who calls it: xenstored before every tree operation and watch. Pure functions; every
// failure is EINVAL, as in xenstored's canonicalize().

import { EINVAL } from '../../hypervisor/public/errno';
import { XENSTORE_ABS_PATH_MAX } from '../../hypervisor/public/io/xs_wire';

export const ROOT = '/';
export const SPECIAL_INTRODUCE = '@introduceDomain';
export const SPECIAL_RELEASE = '@releaseDomain';

const VALID = /^[A-Za-z0-9\-/_@]*$/;
const DOMAIN_LOCAL = /^\/local\/domain\/[0-9]{1,5}\//;

export const homePath = (domid: number): string => `/local/domain/${domid}`;

export type Canonical = { ok: true; path: string; relative: boolean } | { ok: false; errno: number };

export interface CanonicalizeOptions {
  /** Whose home a relative path is under. */
  readonly domid: number;
  /** The relative-length quota applies only to unprivileged callers. */
  readonly privileged: boolean;
  /** Bytes allowed below /local/domain/<id>/ (XsQuotas.maxPathBytes). */
  readonly maxPathBytes: number;
  /** May the name be a special `@...` watch path? */
  readonly allowSpecial: boolean;
}

/** The absolute name a request means, or EINVAL. `relative` says the caller gave a relative
 *  name (watch events are then reported relative too). */
export function canonicalize(raw: string, opt: CanonicalizeOptions): Canonical {
  const bad = { ok: false, errno: EINVAL } as const;
  if (!VALID.test(raw)) return bad;
  if (raw.startsWith('@')) return opt.allowSpecial ? { ok: true, path: raw, relative: false } : bad;
  const relative = !raw.startsWith('/');
  const path = relative ? `${homePath(opt.domid)}/${raw}` : raw;
  if (path.endsWith('/') && path !== ROOT) return bad;
  if (path.includes('//')) return bad;
  if (path.length > XENSTORE_ABS_PATH_MAX) return bad;
  const local = DOMAIN_LOCAL.exec(path)?.[0].length ?? 0;
  if (!opt.privileged && path.length - local > opt.maxPathBytes) return bad;
  return { ok: true, path, relative };
}

export const isSpecial = (path: string): boolean => path.startsWith('@');

/** The parent of an absolute name; the root is its own parent, and so is a special name's. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? ROOT : path.slice(0, slash);
}

/** The last component ("vbd" for /local/domain/1/device/vbd). */
export const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** `parent`/`name`, minding the root. */
export const childPath = (parent: string, name: string): string => (parent === ROOT ? `/${name}` : `${parent}/${name}`);

/** Is `child` equal to `parent` or below it? Every node is below the root; a special name is
 *  not (xenstored's is_child would say yes, so a watch on / would see @releaseDomain changes). */
export function isAtOrBelow(child: string, parent: string): boolean {
  if (parent === ROOT) return !isSpecial(child);
  if (!child.startsWith(parent)) return false;
  return child.length === parent.length || child[parent.length] === '/';
}
