// The network device wire format (Xen's public/io/netif.h, REFERENCE §2.5): the tx ring
// (front → back packets, in granted fragments) and the rx ring (the front posts empty granted
// pages, the back fills them). Used by guests' netfront and dom0's netback; imports nothing.
// Decoding never throws; validating ids, sizes and offsets is the backend's job.
// Not laid out here: netif_extra_info (GSO, multicast, hash), which overlays an 8-byte slot.

/** Tx request flags (`NETTXF_*`). */
export const NETTXF_csum_blank = 1;
export const NETTXF_data_validated = 2;
/** More fragments of this packet follow in later slots. */
export const NETTXF_more_data = 4;
/** The next slot holds a netif_extra_info, not a fragment. */
export const NETTXF_extra_info = 8;

/** Rx response flags (`NETRXF_*`). */
export const NETRXF_data_validated = 1;
export const NETRXF_csum_blank = 2;
export const NETRXF_more_data = 4;
export const NETRXF_extra_info = 8;

/** Response status (`NETIF_RSP_*`), an i16; an rx status >= 0 is the byte count. */
export const NETIF_RSP_DROPPED = -2;
export const NETIF_RSP_ERROR = -1;
export const NETIF_RSP_OKAY = 0;
/** The status of a slot used by an extra-info segment. */
export const NETIF_RSP_NULL = 1;

/** Slots per packet a backend must accept. */
export const XEN_NETIF_NR_SLOTS_MIN = 18;
/** Largest packet, since the first tx fragment's u16 `size` carries the whole packet's size. */
export const XEN_NETIF_MAX_TX_SIZE = 0xffff;

export const NETIF_TX_REQUEST_SIZE = 12;
export const NETIF_TX_RESPONSE_SIZE = 4;
export const NETIF_RX_REQUEST_SIZE = 8;
export const NETIF_RX_RESPONSE_SIZE = 8;
export const NETIF_EXTRA_INFO_SIZE = 8;
/** Message sizes of the tx and rx rings (ringbuf's RingMessageSizes): N = 256 for both. */
export const NETIF_TX_RING = { reqSize: NETIF_TX_REQUEST_SIZE, rspSize: NETIF_TX_RESPONSE_SIZE } as const;
export const NETIF_RX_RING = { reqSize: NETIF_RX_REQUEST_SIZE, rspSize: NETIF_RX_RESPONSE_SIZE } as const;

/** Byte offsets of each message's fields. */
export const NETIF_TX_REQ_OFFSET = { gref: 0, offset: 4, flags: 6, id: 8, size: 10 } as const;
export const NETIF_TX_RSP_OFFSET = { id: 0, status: 2 } as const;
export const NETIF_RX_REQ_OFFSET = { id: 0, gref: 4 } as const; // bytes 2..3 are padding
export const NETIF_RX_RSP_OFFSET = { id: 0, offset: 2, flags: 4, status: 6 } as const;

export interface NetifTxRequest {
  gref: number;
  offset: number;
  flags: number;
  id: number;
  /** The whole packet's size in the first fragment, the fragment's own size after that. */
  size: number;
}
export interface NetifTxResponse {
  id: number;
  status: number;
}
export interface NetifRxRequest {
  id: number;
  gref: number;
}
export interface NetifRxResponse {
  id: number;
  offset: number;
  flags: number;
  status: number;
}

export function encodeNetifTxRequest(view: DataView, at: number, req: NetifTxRequest): void {
  view.setUint32(at + NETIF_TX_REQ_OFFSET.gref, req.gref, true);
  view.setUint16(at + NETIF_TX_REQ_OFFSET.offset, req.offset, true);
  view.setUint16(at + NETIF_TX_REQ_OFFSET.flags, req.flags, true);
  view.setUint16(at + NETIF_TX_REQ_OFFSET.id, req.id, true);
  view.setUint16(at + NETIF_TX_REQ_OFFSET.size, req.size, true);
}

export function decodeNetifTxRequest(view: DataView, at: number): NetifTxRequest {
  return {
    gref: view.getUint32(at + NETIF_TX_REQ_OFFSET.gref, true),
    offset: view.getUint16(at + NETIF_TX_REQ_OFFSET.offset, true),
    flags: view.getUint16(at + NETIF_TX_REQ_OFFSET.flags, true),
    id: view.getUint16(at + NETIF_TX_REQ_OFFSET.id, true),
    size: view.getUint16(at + NETIF_TX_REQ_OFFSET.size, true),
  };
}

export function encodeNetifTxResponse(view: DataView, at: number, rsp: NetifTxResponse): void {
  view.setUint16(at + NETIF_TX_RSP_OFFSET.id, rsp.id, true);
  view.setInt16(at + NETIF_TX_RSP_OFFSET.status, rsp.status, true);
}

export function decodeNetifTxResponse(view: DataView, at: number): NetifTxResponse {
  return {
    id: view.getUint16(at + NETIF_TX_RSP_OFFSET.id, true),
    status: view.getInt16(at + NETIF_TX_RSP_OFFSET.status, true),
  };
}

/** Writes all 8 bytes, the padding zeroed. */
export function encodeNetifRxRequest(view: DataView, at: number, req: NetifRxRequest): void {
  view.setUint16(at + NETIF_RX_REQ_OFFSET.id, req.id, true);
  view.setUint16(at + 2, 0, true);
  view.setUint32(at + NETIF_RX_REQ_OFFSET.gref, req.gref, true);
}

export function decodeNetifRxRequest(view: DataView, at: number): NetifRxRequest {
  return {
    id: view.getUint16(at + NETIF_RX_REQ_OFFSET.id, true),
    gref: view.getUint32(at + NETIF_RX_REQ_OFFSET.gref, true),
  };
}

export function encodeNetifRxResponse(view: DataView, at: number, rsp: NetifRxResponse): void {
  view.setUint16(at + NETIF_RX_RSP_OFFSET.id, rsp.id, true);
  view.setUint16(at + NETIF_RX_RSP_OFFSET.offset, rsp.offset, true);
  view.setUint16(at + NETIF_RX_RSP_OFFSET.flags, rsp.flags, true);
  view.setInt16(at + NETIF_RX_RSP_OFFSET.status, rsp.status, true);
}

export function decodeNetifRxResponse(view: DataView, at: number): NetifRxResponse {
  return {
    id: view.getUint16(at + NETIF_RX_RSP_OFFSET.id, true),
    offset: view.getUint16(at + NETIF_RX_RSP_OFFSET.offset, true),
    flags: view.getUint16(at + NETIF_RX_RSP_OFFSET.flags, true),
    status: view.getInt16(at + NETIF_RX_RSP_OFFSET.status, true),
  };
}
