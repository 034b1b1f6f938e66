import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EACCES, EAGAIN, ENOENT, EPERM, ERANGE } from '../../../hypervisor/public/errno';
import {
  decodeMessage, encodeMessage, joinStrings, latin1, latin1Bytes, parseWatchEvent, parseXenbusState, replyErrno,
  splitStrings, XENSTORE_PAYLOAD_MAX, XenbusState, xenbusStateName, XS, xsErrorName, xsErrorNumber, xsErrorReply,
  xsMessage, xsRequest, xsTypeName, XSD_SOCKMSG_SIZE,
} from '../../../hypervisor/public/io/xs_wire';

describe('the xenstore wire format', () => {
  it('lays out the header as four little-endian u32s before the payload', () => {
    const bytes = encodeMessage(xsRequest.read('/a', { reqId: 0x01020304, txId: 7 }));
    expect([...bytes.subarray(0, XSD_SOCKMSG_SIZE)]).toEqual([2, 0, 0, 0, 4, 3, 2, 1, 7, 0, 0, 0, 3, 0, 0, 0]);
    expect(latin1(bytes.subarray(XSD_SOCKMSG_SIZE))).toBe('/a\0');
  });

  it('decodes what it encodes, copying the payload', () => {
    const msg = xsRequest.write('/k', 'v', { reqId: 5, txId: 6 });
    const bytes = encodeMessage(msg);
    const decoded = decodeMessage(bytes);
    expect(decoded).toEqual({ kind: 'message', msg, size: bytes.length });
    bytes.fill(0xee);
    if (decoded.kind === 'message') expect(latin1(decoded.msg.payload)).toBe('/k\0v');
  });

  it('says how many bytes it needs when a message is incomplete', () => {
    const bytes = encodeMessage(xsRequest.read('/abc'));
    expect(decodeMessage(bytes.subarray(0, 10))).toEqual({ kind: 'incomplete', need: XSD_SOCKMSG_SIZE });
    expect(decodeMessage(bytes.subarray(0, 18))).toEqual({ kind: 'incomplete', need: bytes.length });
  });

  it('rejects a header announcing more than 4096 payload bytes', () => {
    const huge = encodeMessage(xsMessage(XS.WRITE, new Uint8Array(XENSTORE_PAYLOAD_MAX + 1)));
    expect(decodeMessage(huge)).toEqual({ kind: 'rejected', reason: 'payload-too-long', len: XENSTORE_PAYLOAD_MAX + 1 });
    const max = encodeMessage(xsMessage(XS.WRITE, new Uint8Array(XENSTORE_PAYLOAD_MAX)));
    expect(decodeMessage(max).kind).toBe('message');
  });

  it('decodes two messages back to back in a stream', () => {
    const a = encodeMessage(xsRequest.read('/a'));
    const b = encodeMessage(xsRequest.rm('/b'));
    const stream = new Uint8Array([...a, ...b]);
    const first = decodeMessage(stream);
    expect(first.kind).toBe('message');
    if (first.kind !== 'message') return;
    const second = decodeMessage(stream.subarray(first.size));
    expect(second.kind === 'message' && second.msg.type).toBe(XS.RM);
  });

  it('never throws on arbitrary bytes, and whatever it accepts re-encodes to the same bytes', () => {
    const roundTrips = (input: Uint8Array) => {
      const d = decodeMessage(input);
      if (d.kind === 'message') expect(encodeMessage(d.msg)).toEqual(input.subarray(0, d.size));
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), roundTrips));
    // Headers that look right, with lengths that lie in both directions, and truncations.
    const header = fc.record({
      type: fc.nat(0xffffffff),
      reqId: fc.nat(0xffffffff),
      txId: fc.nat(0xffffffff),
      payload: fc.uint8Array({ maxLength: 64 }),
      claimed: fc.oneof(fc.nat(80), fc.nat(0xffffffff)),
      cut: fc.nat(100),
    });
    fc.assert(
      fc.property(header, (h) => {
        const bytes = new Uint8Array(XSD_SOCKMSG_SIZE + h.payload.length);
        const view = new DataView(bytes.buffer);
        [h.type, h.reqId, h.txId, h.claimed].forEach((v, i) => view.setUint32(4 * i, v, true));
        bytes.set(h.payload, XSD_SOCKMSG_SIZE);
        roundTrips(bytes);
        roundTrips(bytes.subarray(0, Math.max(0, bytes.length - h.cut)));
      }),
    );
  });

  it('numbers the message types as xs_wire.h does', () => {
    expect([XS.CONTROL, XS.WATCH, XS.TRANSACTION_END, XS.WRITE, XS.WATCH_EVENT, XS.ERROR]).toEqual([0, 4, 7, 11, 15, 16]);
    expect([XS.SET_TARGET, XS.RESET_WATCHES, XS.DIRECTORY_PART]).toEqual([19, 21, 22]);
    expect(xsTypeName(20)).toBeUndefined();
    expect(xsTypeName(2)).toBe('READ');
  });

  it('sends errors by name, NUL-terminated, echoing req_id and tx_id', () => {
    const reply = xsErrorReply(xsRequest.read('/x', { reqId: 3, txId: 4 }), ENOENT);
    expect(reply).toMatchObject({ type: XS.ERROR, reqId: 3, txId: 4 });
    expect(latin1(reply.payload)).toBe('ENOENT\0');
    expect(replyErrno(reply)).toBe(ENOENT);
  });

  it('maps errno names both ways, with EINVAL for anything outside xsd_errors', () => {
    expect([EACCES, EAGAIN, EPERM].map(xsErrorName)).toEqual(['EACCES', 'EAGAIN', 'EPERM']);
    expect(xsErrorName(ERANGE)).toBe('EINVAL');
    expect(xsErrorNumber('EAGAIN')).toBe(EAGAIN);
    expect(xsErrorNumber('EWHATEVER')).toBe(xsErrorNumber('EINVAL'));
  });

  it('keeps a WRITE value as raw bytes after the path’s NUL', () => {
    const msg = xsRequest.write('/p', new Uint8Array([1, 0, 2]));
    expect([...msg.payload]).toEqual([...latin1Bytes('/p\0'), 1, 0, 2]);
  });

  it('splits NUL-terminated strings and ignores an unterminated tail', () => {
    expect(splitStrings(joinStrings(['a', '', 'b']))).toEqual(['a', '', 'b']);
    expect(splitStrings(latin1Bytes('x\0tail'))).toEqual(['x']);
  });

  it('reads a watch event’s path and token', () => {
    const ev = xsMessage(XS.WATCH_EVENT, joinStrings(['/a/b', 'tok']));
    expect(parseWatchEvent(ev)).toEqual({ path: '/a/b', token: 'tok' });
    expect(parseWatchEvent(xsMessage(XS.WATCH_EVENT, latin1Bytes('/a')))).toBeUndefined();
  });

  it('numbers the XenBus states 0 to 8 and parses them from xenstore text', () => {
    expect(XenbusState).toMatchObject({ Unknown: 0, Initialising: 1, InitWait: 2, Initialised: 3, Connected: 4 });
    expect(XenbusState).toMatchObject({ Closing: 5, Closed: 6, Reconfiguring: 7, Reconfigured: 8 });
    expect(xenbusStateName(4)).toBe('Connected');
    expect(parseXenbusState('6')).toBe(XenbusState.Closed);
    expect(parseXenbusState('9')).toBeUndefined();
    expect(parseXenbusState(' 4')).toBeUndefined();
  });
});
