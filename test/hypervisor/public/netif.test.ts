// The netif wire format (hypervisor/public/io/netif.ts): tx and rx requests and responses.

import { describe, expect, test } from 'vitest';
import {
  decodeNetifRxRequest, decodeNetifRxResponse, decodeNetifTxRequest, decodeNetifTxResponse,
  encodeNetifRxRequest, encodeNetifRxResponse, encodeNetifTxRequest, encodeNetifTxResponse,
  NETIF_RSP_DROPPED, NETIF_RX_REQUEST_SIZE, NETIF_RX_RESPONSE_SIZE, NETIF_TX_REQUEST_SIZE,
  NETIF_TX_RESPONSE_SIZE, NETRXF_more_data, NETTXF_csum_blank, NETTXF_more_data,
} from '../../../hypervisor/public/io/netif';

const view = (n: number) => new DataView(new ArrayBuffer(n));

describe('netif messages', () => {
  test('a tx request is 12 bytes: gref, offset, flags, id, size', () => {
    const v = view(NETIF_TX_REQUEST_SIZE);
    const req = { gref: 0xdeadbeef, offset: 64, flags: NETTXF_more_data | NETTXF_csum_blank, id: 5, size: 1514 };
    encodeNetifTxRequest(v, 0, req);
    expect([v.getUint32(0, true), v.getUint16(4, true), v.getUint16(6, true), v.getUint16(8, true), v.getUint16(10, true)])
      .toEqual([0xdeadbeef, 64, 5, 5, 1514]);
    expect(decodeNetifTxRequest(v, 0)).toEqual(req);
  });

  test('a tx response is 4 bytes: id and a signed status', () => {
    const v = view(NETIF_TX_RESPONSE_SIZE);
    encodeNetifTxResponse(v, 0, { id: 5, status: NETIF_RSP_DROPPED });
    expect(v.getInt16(2, true)).toBe(-2);
    expect(decodeNetifTxResponse(v, 0)).toEqual({ id: 5, status: NETIF_RSP_DROPPED });
  });

  test('an rx request is 8 bytes: id, padding, gref', () => {
    const v = view(NETIF_RX_REQUEST_SIZE);
    new Uint8Array(v.buffer).fill(0xff);
    encodeNetifRxRequest(v, 0, { id: 3, gref: 77 });
    expect([v.getUint16(0, true), v.getUint16(2, true), v.getUint32(4, true)]).toEqual([3, 0, 77]);
    expect(decodeNetifRxRequest(v, 0)).toEqual({ id: 3, gref: 77 });
  });

  test('an rx response is 8 bytes whose status, when not negative, is the byte count', () => {
    const v = view(NETIF_RX_RESPONSE_SIZE);
    const rsp = { id: 3, offset: 0, flags: NETRXF_more_data, status: 1500 };
    encodeNetifRxResponse(v, 0, rsp);
    expect(v.getInt16(6, true)).toBe(1500);
    expect(decodeNetifRxResponse(v, 0)).toEqual(rsp);
  });
});
