// The xenstore transport (REFERENCE §5.1, Xen's xenstore_domain_interface): one shared page
// holding two 1024-byte byte rings, `req` (guest → xenstored) and `rsp` (xenstored → guest),
// each with free-running u32 indices. Unlike ring.h rings there are no slots and no event
// thresholds: it is a byte stream, and whoever moves an index kicks the event channel.
//
// Who calls it: a guest's xenbus client (XsClientEnd) and xenstored in dom0 (XsServerEnd).
// Each read copies bytes out once; indices are sanity-checked on every access, because
// (prod - cons) > 1024 can only come from a bogus peer.

import { type IndexAccess, indexAccessFor } from './index-access';
import { idxAdd, idxDiff } from './ring-idx';

/** Bytes in each of the two rings; a power of two, so the position of index i is i & mask. */
export const XENSTORE_RING_SIZE = 1024;
const MASK = XENSTORE_RING_SIZE - 1;
/** Layout of the interface page, with the side that writes each field. */
export const XS_REQ = 0; // guest writes request bytes
export const XS_RSP = 1024; // xenstored writes response bytes
export const XS_REQ_CONS = 2048; // xenstored: request bytes consumed
export const XS_REQ_PROD = 2052; // guest: request bytes produced
export const XS_RSP_CONS = 2056; // guest: response bytes consumed
export const XS_RSP_PROD = 2060; // xenstored: response bytes produced
/** Bytes of the page the interface uses (the rest of the 4 KiB page is not ours). */
export const XS_INTERFACE_BYTES = 2064;

/** The indices of one direction are incoherent: more than a ring's worth apart. */
export interface XsOverflow {
  kind: 'overflow';
  reason: 'xenstore-ring-indices-bogus';
  ring: 'req' | 'rsp';
  prod: number;
  cons: number;
}
export type XsWritten = { kind: 'ok'; written: number } | XsOverflow;
export type XsRead = { kind: 'ok'; bytes: Uint8Array } | XsOverflow;

/** Zeroes the four indices; done once by whoever builds the domain's store page. */
export function xsRingInit(page: Uint8Array, access = indexAccessFor(page)): void {
  for (const off of [XS_REQ_CONS, XS_REQ_PROD, XS_RSP_CONS, XS_RSP_PROD]) access.store(off, 0);
}

interface Direction {
  ring: 'req' | 'rsp';
  data: number;
  cons: number;
  prod: number;
}
const REQ: Direction = { ring: 'req', data: XS_REQ, cons: XS_REQ_CONS, prod: XS_REQ_PROD };
const RSP: Direction = { ring: 'rsp', data: XS_RSP, cons: XS_RSP_CONS, prod: XS_RSP_PROD };

/** One end of the interface: it writes into `out` and reads from `in`. */
class XsEnd {
  private readonly access: IndexAccess;

  constructor(
    private readonly page: Uint8Array,
    private readonly outbound: Direction,
    private readonly inbound: Direction,
    access?: IndexAccess,
  ) {
    if (page.byteLength < XS_INTERFACE_BYTES) throw new RangeError(`xenstore page too small: ${page.byteLength}`);
    this.access = access ?? indexAccessFor(page);
  }

  /** Loads a direction's indices and checks them: used bytes never exceed the ring. */
  private indices(dir: Direction): { prod: number; cons: number; used: number } | XsOverflow {
    const cons = this.access.load(dir.cons);
    const prod = this.access.load(dir.prod);
    const used = idxDiff(prod, cons);
    if (used > XENSTORE_RING_SIZE) return { kind: 'overflow', reason: 'xenstore-ring-indices-bogus', ring: dir.ring, prod, cons };
    return { prod, cons, used };
  }

  /** Writes as many of `bytes` as fit (possibly 0), then publishes the new producer index. */
  write(bytes: Uint8Array): XsWritten {
    const at = this.indices(this.outbound);
    if ('kind' in at) return at;
    const n = Math.min(bytes.length, XENSTORE_RING_SIZE - at.used);
    for (let i = 0; i < n; i++) this.page[this.outbound.data + (idxAdd(at.prod, i) & MASK)] = bytes[i]!;
    if (n > 0) this.access.store(this.outbound.prod, idxAdd(at.prod, n));
    return { kind: 'ok', written: n };
  }

  /** Copies out up to `max` available bytes (possibly none), then publishes the consumer index. */
  read(max = XENSTORE_RING_SIZE): XsRead {
    const at = this.indices(this.inbound);
    if ('kind' in at) return at;
    const n = Math.min(max, at.used);
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = this.page[this.inbound.data + (idxAdd(at.cons, i) & MASK)]!;
    if (n > 0) this.access.store(this.inbound.cons, idxAdd(at.cons, n));
    return { kind: 'ok', bytes };
  }

  /** Bytes waiting to be read, or the overflow if the peer's indices are bogus. */
  available(): number | XsOverflow {
    const at = this.indices(this.inbound);
    return 'kind' in at ? at : at.used;
  }

  /** Room left for writing, or the overflow if the indices are bogus. */
  space(): number | XsOverflow {
    const at = this.indices(this.outbound);
    return 'kind' in at ? at : XENSTORE_RING_SIZE - at.used;
  }
}

/** The guest's end (xenbus): writes requests, reads responses. */
export class XsClientEnd extends XsEnd {
  constructor(page: Uint8Array, access?: IndexAccess) {
    super(page, REQ, RSP, access);
  }
}

/** xenstored's end: reads requests, writes responses. */
export class XsServerEnd extends XsEnd {
  constructor(page: Uint8Array, access?: IndexAccess) {
    super(page, RSP, REQ, access);
  }
}
