// Xenstored's reading of a request payload: the untrusted bytes of one message become a typed
// request, once, or the errno xenstored answers a malformed one with (EINVAL; ENOSYS for a type
// it does not implement). The syntax per type is docs/misc/xenstore.txt's, as xenstored
// enforces it: single-argument requests need exactly one string, ending the payload; WATCH
// needs exactly two strings; WRITE's value is whatever follows the path's NUL.
//
// Who calls it: xenstored, after its privilege and transaction checks. Pure.

import { EINVAL, ENOSYS } from '../../hypervisor/public/errno';
import { splitStrings, XS } from '../../hypervisor/public/io/xs_wire';

export type XsRequest =
  | { op: 'read' | 'directory' | 'get_perms' | 'mkdir' | 'rm'; path: string }
  | { op: 'directory_part'; path: string; offset: number }
  | { op: 'write'; path: string; value: Uint8Array }
  | { op: 'set_perms'; path: string; perms: string[] }
  | { op: 'watch' | 'unwatch'; path: string; token: string }
  | { op: 'transaction_start' | 'reset_watches' }
  | { op: 'transaction_end'; commit: boolean }
  | { op: 'introduce'; domid: number; mfn: number; port: number }
  | { op: 'release' | 'get_domain_path' | 'is_domain_introduced' | 'resume'; domid: number }
  | { op: 'set_target'; domid: number; target: number }
  | { op: 'control'; command: string; args: string[] };

export type Parsed = { ok: true; req: XsRequest } | { ok: false; errno: number };

const invalid: Parsed = { ok: false, errno: EINVAL };
const req = (r: XsRequest): Parsed => ({ ok: true, req: r });

/** The one string of a single-argument payload: exactly one NUL, at the end. */
function oneArg(payload: Uint8Array): string | undefined {
  if (payload.length === 0 || payload.indexOf(0) !== payload.length - 1) return undefined;
  return splitStrings(payload)[0];
}

/** A decimal number with at most `digits` digits, or undefined. */
function decimal(text: string | undefined, digits: number, signed = false): number | undefined {
  if (text === undefined) return undefined;
  const re = signed ? new RegExp(`^-?[0-9]{1,${digits}}$`) : new RegExp(`^[0-9]{1,${digits}}$`);
  return re.test(text) ? Number(text) : undefined;
}

const DOMID_DIGITS = 5;
const MAX_DOMID = 0xffff;
const domidOf = (text: string | undefined): number | undefined => {
  const n = decimal(text, DOMID_DIGITS);
  return n !== undefined && n <= MAX_DOMID ? n : undefined;
};

type PathOp = 'read' | 'directory' | 'get_perms' | 'mkdir' | 'rm';
const PATH_OPS = new Map<number, PathOp>([
  [XS.READ, 'read'], [XS.DIRECTORY, 'directory'], [XS.GET_PERMS, 'get_perms'], [XS.MKDIR, 'mkdir'], [XS.RM, 'rm'],
]);
type DomidOp = 'release' | 'get_domain_path' | 'is_domain_introduced' | 'resume';
const DOMID_OPS = new Map<number, DomidOp>([
  [XS.RELEASE, 'release'], [XS.GET_DOMAIN_PATH, 'get_domain_path'],
  [XS.IS_DOMAIN_INTRODUCED, 'is_domain_introduced'], [XS.RESUME, 'resume'],
]);

export function parseRequest(type: number, payload: Uint8Array): Parsed {
  const pathOp = PATH_OPS.get(type);
  if (pathOp) {
    const path = oneArg(payload);
    return path === undefined ? invalid : req({ op: pathOp, path });
  }
  const domidOp = DOMID_OPS.get(type);
  if (domidOp) {
    const domid = domidOf(oneArg(payload));
    return domid === undefined ? invalid : req({ op: domidOp, domid });
  }
  return parseOther(type, payload);
}

function parseOther(type: number, payload: Uint8Array): Parsed {
  const s = splitStrings(payload);
  switch (type) {
    case XS.WRITE: {
      const nul = payload.indexOf(0);
      if (nul < 0) return invalid;
      return req({ op: 'write', path: s[0]!, value: payload.slice(nul + 1) });
    }
    case XS.WATCH:
    case XS.UNWATCH:
      if (s.length !== 2) return invalid;
      return req({ op: type === XS.WATCH ? 'watch' : 'unwatch', path: s[0]!, token: s[1]! });
    case XS.SET_PERMS:
      return s.length < 2 ? invalid : req({ op: 'set_perms', path: s[0]!, perms: s.slice(1) });
    case XS.DIRECTORY_PART: {
      const offset = decimal(s[1], 10);
      return s.length !== 2 || offset === undefined ? invalid : req({ op: 'directory_part', path: s[0]!, offset });
    }
    case XS.TRANSACTION_START:
      return req({ op: 'transaction_start' });
    case XS.RESET_WATCHES:
      return req({ op: 'reset_watches' });
    case XS.TRANSACTION_END: {
      const arg = oneArg(payload);
      return arg === 'T' || arg === 'F' ? req({ op: 'transaction_end', commit: arg === 'T' }) : invalid;
    }
    default:
      return parseAdmin(type, s);
  }
}

function parseAdmin(type: number, s: string[]): Parsed {
  switch (type) {
    case XS.INTRODUCE: {
      const domid = domidOf(s[0]);
      const mfn = decimal(s[1], 20, true); // "signed decimal (!)", says xenstore.txt
      const port = decimal(s[2], 10);
      if (s.length < 3 || domid === undefined || mfn === undefined || port === undefined) return invalid;
      return req({ op: 'introduce', domid, mfn, port });
    }
    case XS.SET_TARGET: {
      const domid = domidOf(s[0]);
      const target = domidOf(s[1]);
      if (s.length !== 2 || domid === undefined || target === undefined) return invalid;
      return req({ op: 'set_target', domid, target });
    }
    case XS.CONTROL:
      return s.length < 1 ? invalid : req({ op: 'control', command: s[0]!, args: s.slice(1) });
    default:
      return { ok: false, errno: ENOSYS }; // WATCH_EVENT, ERROR, features, quotas, unknown
  }
}
