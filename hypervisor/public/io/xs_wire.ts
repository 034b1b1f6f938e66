// The xenstore wire protocol (Xen's public/io/xs_wire.h and docs/misc/xenstore.txt, REFERENCE
// §5.1) and the XenBus device states (public/io/xenbus.h, §5.3). Every message, in either
// direction, is a 16-byte little-endian header `xsd_sockmsg {type, req_id, tx_id, len}` and
// `len` payload bytes. Payloads are NUL-terminated strings, except a WRITE's value and a READ
// reply, which are raw bytes. Errors travel as the errno NAME ("ENOENT\0"), never a number.
//
// Who calls it: guests' xenbus clients (build requests, read replies and watch events) and
// dom0's xenstored (decode requests, build replies). The byte ring that carries these bytes is
// ringbuf/xsring.ts. Imports only the errno numbers.
//
// Decoding never throws: bytes from a guest become a typed message or a typed rejection.
// Strings: paths, tokens and numbers are ASCII; `latin1` conversion below maps each byte to
// one char and back, so a token of any bytes is echoed exactly. Values are Uint8Array.

import {
  E2BIG, EACCES, EAGAIN, EBUSY, EEXIST, EINVAL, EIO, EISCONN, ENOENT, ENOMEM, ENOSPC, ENOSYS,
  ENOTEMPTY, EPERM, EROFS,
} from '../errno';

/** Message types (`enum xsd_sockmsg_type`). 20 was XS_RESTRICT, since removed. */
export const XS = {
  CONTROL: 0, // was XS_DEBUG
  DIRECTORY: 1,
  READ: 2,
  GET_PERMS: 3,
  WATCH: 4,
  UNWATCH: 5,
  TRANSACTION_START: 6,
  TRANSACTION_END: 7,
  INTRODUCE: 8,
  RELEASE: 9,
  GET_DOMAIN_PATH: 10,
  WRITE: 11,
  MKDIR: 12,
  RM: 13,
  SET_PERMS: 14,
  WATCH_EVENT: 15, // server to client only
  ERROR: 16, // server to client only
  IS_DOMAIN_INTRODUCED: 17,
  RESUME: 18,
  SET_TARGET: 19,
  RESET_WATCHES: 21,
  DIRECTORY_PART: 22,
  GET_FEATURE: 23, // optional in the protocol; not supported by pvlab's xenstored
  SET_FEATURE: 24,
  GET_QUOTA: 25,
  SET_QUOTA: 26,
} as const;
export type XsTypeName = keyof typeof XS;
/** Guaranteed never to be a valid type. */
export const XS_INVALID = 0xffff;
/** The old name of XS.CONTROL. */
export const XS_DEBUG = XS.CONTROL;

const TYPE_NAMES = new Map<number, XsTypeName>(
  (Object.entries(XS) as [XsTypeName, number][]).map(([name, nr]) => [nr, name]),
);
/** "READ" for 2; undefined for a number that is no message type. */
export function xsTypeName(type: number): XsTypeName | undefined {
  return TYPE_NAMES.get(type);
}

/** Header bytes; all four fields are u32 little-endian. */
export const XSD_SOCKMSG_SIZE = 16;
export const XSD_SOCKMSG_OFFSET = { type: 0, reqId: 4, txId: 8, len: 12 } as const;
/** Longest payload either side may send. Exceeding it gets the connection killed. */
export const XENSTORE_PAYLOAD_MAX = 4096;
/** Longest absolute path; exceeding it "just gets you an error back" (EINVAL). */
export const XENSTORE_ABS_PATH_MAX = 3072;
/** Longest relative path (the part below /local/domain/<domid>/). */
export const XENSTORE_REL_PATH_MAX = 2048;
/** Indices of the two strings of a watch event (`enum xs_watch_type`). */
export const XS_WATCH_PATH = 0;
export const XS_WATCH_TOKEN = 1;

/** One message: the header's fields and a private copy of the payload. */
export interface XsMessage {
  readonly type: number;
  readonly reqId: number;
  readonly txId: number;
  readonly payload: Uint8Array;
}

/** What the decoder makes of the bytes at the front of a stream. */
export type XsDecoded =
  | { kind: 'message'; msg: XsMessage; size: number }
  | { kind: 'incomplete'; need: number }
  | { kind: 'rejected'; reason: 'payload-too-long'; len: number };

/** Reads one message from the front of `bytes`. Fewer bytes than a whole message: 'incomplete'
 *  with the total needed. A `len` over XENSTORE_PAYLOAD_MAX: 'rejected' (xenstored then stops
 *  talking to that connection). The payload is copied, so the caller may reuse `bytes`. */
export function decodeMessage(bytes: Uint8Array): XsDecoded {
  if (bytes.length < XSD_SOCKMSG_SIZE) return { kind: 'incomplete', need: XSD_SOCKMSG_SIZE };
  const view = new DataView(bytes.buffer, bytes.byteOffset, XSD_SOCKMSG_SIZE);
  const len = view.getUint32(XSD_SOCKMSG_OFFSET.len, true);
  if (len > XENSTORE_PAYLOAD_MAX) return { kind: 'rejected', reason: 'payload-too-long', len };
  const size = XSD_SOCKMSG_SIZE + len;
  if (bytes.length < size) return { kind: 'incomplete', need: size };
  const msg: XsMessage = {
    type: view.getUint32(XSD_SOCKMSG_OFFSET.type, true),
    reqId: view.getUint32(XSD_SOCKMSG_OFFSET.reqId, true),
    txId: view.getUint32(XSD_SOCKMSG_OFFSET.txId, true),
    payload: bytes.slice(XSD_SOCKMSG_SIZE, size),
  };
  return { kind: 'message', msg, size };
}

/** Header plus payload. Field values must be u32 (a pvlab bug otherwise); the payload length
 *  is NOT checked, so a test can build the over-long message a hostile guest would send. */
export function encodeMessage(msg: XsMessage): Uint8Array {
  const out = new Uint8Array(XSD_SOCKMSG_SIZE + msg.payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(XSD_SOCKMSG_OFFSET.type, u32('type', msg.type), true);
  view.setUint32(XSD_SOCKMSG_OFFSET.reqId, u32('req_id', msg.reqId), true);
  view.setUint32(XSD_SOCKMSG_OFFSET.txId, u32('tx_id', msg.txId), true);
  view.setUint32(XSD_SOCKMSG_OFFSET.len, msg.payload.length, true);
  out.set(msg.payload, XSD_SOCKMSG_SIZE);
  return out;
}

function u32(field: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`xsd_sockmsg ${field} not a u32: ${n}`);
  return n;
}

// ---- Payload strings -------------------------------------------------------------------------

/** Each byte becomes the char with that code: lossless for any bytes. */
export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** The inverse of latin1(); chars above 0xff are a pvlab bug. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`not a byte string: char ${c} at ${i}`);
    out[i] = c;
  }
  return out;
}

/** Text values (UTF-8), for clients that store human-readable strings. */
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const fromUtf8 = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The names of XS_DIRECTORY's reply: each child's name, followed by a NUL. */
export function directoryNames(payload: Uint8Array): string[] {
  return fromUtf8(payload).split('\0').filter((s) => s.length > 0);
}

/** The NUL-terminated strings at the front of a payload, as byte strings. Bytes after the last
 *  NUL are not a string and are ignored (xenstored's get_strings does the same). */
export function splitStrings(payload: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < payload.length; i++) {
    if (payload[i] !== 0) continue;
    out.push(latin1(payload.subarray(start, i)));
    start = i + 1;
  }
  return out;
}

/** Each part (a byte string, see latin1) followed by a NUL. */
export function joinStrings(parts: readonly string[]): Uint8Array {
  const size = parts.reduce((n, p) => n + p.length + 1, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(latin1Bytes(p), at);
    at += p.length + 1;
  }
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// ---- Errors ----------------------------------------------------------------------------------

/** Linux's EISDIR; errno.ts does not carry it because no hypercall returns it. */
const EISDIR = 21;

/** `xsd_errors[]`: the errors that can cross the wire, by name. EINVAL is first because
 *  xenstored sends it for any errno missing here; EPERM was appended last (2022). */
export const XSD_ERRORS: readonly { errnum: number; name: string }[] = [
  { errnum: EINVAL, name: 'EINVAL' }, { errnum: EACCES, name: 'EACCES' },
  { errnum: EEXIST, name: 'EEXIST' }, { errnum: EISDIR, name: 'EISDIR' },
  { errnum: ENOENT, name: 'ENOENT' }, { errnum: ENOMEM, name: 'ENOMEM' },
  { errnum: ENOSPC, name: 'ENOSPC' }, { errnum: EIO, name: 'EIO' },
  { errnum: ENOTEMPTY, name: 'ENOTEMPTY' }, { errnum: ENOSYS, name: 'ENOSYS' },
  { errnum: EROFS, name: 'EROFS' }, { errnum: EBUSY, name: 'EBUSY' },
  { errnum: EAGAIN, name: 'EAGAIN' }, { errnum: EISCONN, name: 'EISCONN' },
  { errnum: E2BIG, name: 'E2BIG' }, { errnum: EPERM, name: 'EPERM' },
];

/** The wire name of an errno; "EINVAL" for one the table lacks, as xenstored does. */
export function xsErrorName(errnum: number): string {
  return XSD_ERRORS.find((e) => e.errnum === errnum)?.name ?? 'EINVAL';
}

/** The errno a client sees for an ERROR reply; EINVAL for a name it does not know. */
export function xsErrorNumber(name: string): number {
  return XSD_ERRORS.find((e) => e.name === name)?.errnum ?? EINVAL;
}

// ---- Building messages -------------------------------------------------------------------------

export interface XsIds {
  reqId?: number;
  txId?: number;
}

export function xsMessage(type: number, payload: Uint8Array, ids: XsIds = {}): XsMessage {
  return { type, reqId: ids.reqId ?? 0, txId: ids.txId ?? 0, payload };
}

const strMsg = (type: number, parts: readonly string[], ids?: XsIds): XsMessage =>
  xsMessage(type, joinStrings(parts), ids);

/** A value given as text is stored as its UTF-8 bytes. */
export type XsValue = string | Uint8Array;
const valueBytes = (v: XsValue): Uint8Array => (typeof v === 'string' ? utf8(v) : v);

/** Requests a client sends, one builder per type (payload syntax of docs/misc/xenstore.txt).
 *  Paths, tokens and permissions are byte strings (chars 0-255; anything else is a pvlab bug). */
export const xsRequest = {
  read: (path: string, ids?: XsIds) => strMsg(XS.READ, [path], ids),
  directory: (path: string, ids?: XsIds) => strMsg(XS.DIRECTORY, [path], ids),
  directoryPart: (path: string, offset: number, ids?: XsIds) =>
    strMsg(XS.DIRECTORY_PART, [path, String(offset)], ids),
  getPerms: (path: string, ids?: XsIds) => strMsg(XS.GET_PERMS, [path], ids),
  /** Perms as strings: "b0", "r5"; the first names the owner and the default for others. */
  setPerms: (path: string, perms: readonly string[], ids?: XsIds) => strMsg(XS.SET_PERMS, [path, ...perms], ids),
  /** WRITE is `path\0value`: the value is raw bytes with no trailing NUL. */
  write: (path: string, value: XsValue, ids?: XsIds) =>
    xsMessage(XS.WRITE, concat(joinStrings([path]), valueBytes(value)), ids),
  mkdir: (path: string, ids?: XsIds) => strMsg(XS.MKDIR, [path], ids),
  rm: (path: string, ids?: XsIds) => strMsg(XS.RM, [path], ids),
  watch: (path: string, token: string, ids?: XsIds) => strMsg(XS.WATCH, [path, token], ids),
  unwatch: (path: string, token: string, ids?: XsIds) => strMsg(XS.UNWATCH, [path, token], ids),
  resetWatches: (ids?: XsIds) => strMsg(XS.RESET_WATCHES, [''], ids),
  transactionStart: (ids?: XsIds) => strMsg(XS.TRANSACTION_START, [''], ids),
  /** "T" commits, "F" aborts; the transaction is named by ids.txId. */
  transactionEnd: (commit: boolean, ids?: XsIds) => strMsg(XS.TRANSACTION_END, [commit ? 'T' : 'F'], ids),
  introduce: (domid: number, mfn: number, port: number, ids?: XsIds) =>
    strMsg(XS.INTRODUCE, [String(domid), String(mfn), String(port)], ids),
  release: (domid: number, ids?: XsIds) => strMsg(XS.RELEASE, [String(domid)], ids),
  getDomainPath: (domid: number, ids?: XsIds) => strMsg(XS.GET_DOMAIN_PATH, [String(domid)], ids),
  isDomainIntroduced: (domid: number, ids?: XsIds) => strMsg(XS.IS_DOMAIN_INTRODUCED, [String(domid)], ids),
  resume: (domid: number, ids?: XsIds) => strMsg(XS.RESUME, [String(domid)], ids),
  setTarget: (domid: number, target: number, ids?: XsIds) =>
    strMsg(XS.SET_TARGET, [String(domid), String(target)], ids),
  control: (command: string, args: readonly string[] = [], ids?: XsIds) => strMsg(XS.CONTROL, [command, ...args], ids),
};

/** The reply carrying `payload` for request `req`: same type, req_id and tx_id. */
export function xsReply(req: XsMessage, payload: Uint8Array): XsMessage {
  return { type: req.type, reqId: req.reqId, txId: req.txId, payload };
}

/** The ERROR reply for `req`: only req_id and tx_id are copied. */
export function xsErrorReply(req: XsMessage, errnum: number): XsMessage {
  return { type: XS.ERROR, reqId: req.reqId, txId: req.txId, payload: joinStrings([xsErrorName(errnum)]) };
}

/** The "OK\0" payload of requests with no other answer. */
export const XS_OK = joinStrings(['OK']);

/** A watch event: "path\0token\0", with req_id and tx_id both 0. */
export function xsWatchEvent(path: string, token: string): XsMessage {
  return xsMessage(XS.WATCH_EVENT, joinStrings([path, token]));
}

// ---- Reading replies ---------------------------------------------------------------------------

/** The errno of an ERROR reply, or undefined for any other message. */
export function replyErrno(msg: XsMessage): number | undefined {
  if (msg.type !== XS.ERROR) return undefined;
  return xsErrorNumber(splitStrings(msg.payload)[0] ?? '');
}

/** Path and token of a WATCH_EVENT, or undefined if `msg` is not a well-formed one. */
export function parseWatchEvent(msg: XsMessage): { path: string; token: string } | undefined {
  if (msg.type !== XS.WATCH_EVENT) return undefined;
  const parts = splitStrings(msg.payload);
  const path = parts[XS_WATCH_PATH];
  const token = parts[XS_WATCH_TOKEN];
  return path === undefined || token === undefined ? undefined : { path, token };
}

// ---- XenBus states (public/io/xenbus.h) -------------------------------------------------------

/** The `state` key each end of a split device publishes, as a decimal string. */
export const XenbusState = {
  Unknown: 0,
  Initialising: 1,
  InitWait: 2, // backend: waiting for the frontend's ring details
  Initialised: 3, // frontend: ring published
  Connected: 4,
  Closing: 5,
  Closed: 6,
  Reconfiguring: 7,
  Reconfigured: 8,
} as const;
export type XenbusStateName = keyof typeof XenbusState;
export type XenbusStateValue = (typeof XenbusState)[XenbusStateName];

const STATE_NAMES = Object.keys(XenbusState) as XenbusStateName[];

/** "Connected" for 4; undefined for a number outside the enum. */
export function xenbusStateName(state: number): XenbusStateName | undefined {
  return STATE_NAMES.find((n) => XenbusState[n] === state);
}

/** A `state` value as read from xenstore ("4"); undefined unless it is one of the states. */
export function parseXenbusState(text: string): XenbusStateValue | undefined {
  if (!/^[0-9]$/.test(text)) return undefined;
  const n = Number(text);
  return xenbusStateName(n) === undefined ? undefined : (n as XenbusStateValue);
}
