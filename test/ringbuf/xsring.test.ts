// The xenstore byte-stream transport (ringbuf/xsring.ts): a guest's client end and
// xenstored's server end over one interface page.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { plainIndexAccess } from '../../ringbuf/index-access';
import {
  XENSTORE_RING_SIZE, XS_REQ_CONS, XS_REQ_PROD, XS_RSP_CONS, XS_RSP_PROD,
  XsClientEnd, XsServerEnd, xsRingInit,
} from '../../ringbuf/xsring';

const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => new TextEncoder().encode(s);

function ends(page = new Uint8Array(4096)) {
  xsRingInit(page);
  return { page, client: new XsClientEnd(page), server: new XsServerEnd(page) };
}

function readAll(end: XsClientEnd | XsServerEnd, max?: number): number[] {
  const r = end.read(max);
  if (r.kind !== 'ok') throw new Error(r.reason);
  return [...r.bytes];
}

describe('the xenstore ring', () => {
  test('bytes the guest writes are read by xenstored in order, and the answer comes back', () => {
    const { client, server } = ends();
    expect(client.write(text('READ /vm\0'))).toEqual({ kind: 'ok', written: 9 });
    expect(new TextDecoder().decode(Uint8Array.from(readAll(server)))).toBe('READ /vm\0');
    server.write(bytes(1, 2, 3));
    expect(readAll(client)).toEqual([1, 2, 3]);
    expect(readAll(client)).toEqual([]);
  });

  test('the request and response rings live at 0 and 1024 with indices at 2048..2063', () => {
    const { page, client, server } = ends();
    client.write(bytes(0xab));
    server.write(bytes(0xcd, 0xef));
    const idx = plainIndexAccess(page);
    expect([page[0], page[1024], page[1025]]).toEqual([0xab, 0xcd, 0xef]);
    expect([XS_REQ_CONS, XS_REQ_PROD, XS_RSP_CONS, XS_RSP_PROD].map((o) => idx.load(o))).toEqual([0, 1, 0, 2]);
  });

  test('a write takes only as many bytes as fit, and the rest after the reader makes room', () => {
    const { client, server } = ends();
    expect(client.write(new Uint8Array(1000))).toEqual({ kind: 'ok', written: 1000 });
    expect(client.write(new Uint8Array(100).fill(7))).toEqual({ kind: 'ok', written: 24 });
    expect(client.space()).toBe(0);
    expect(readAll(server, 1000)).toEqual(new Array(1000).fill(0));
    expect(client.write(new Uint8Array(76).fill(7))).toEqual({ kind: 'ok', written: 76 });
    expect(readAll(server)).toEqual(new Array(100).fill(7));
  });

  test('a read returns at most what is available, and at most what was asked for', () => {
    const { client, server } = ends();
    client.write(bytes(1, 2, 3, 4, 5));
    expect(server.available()).toBe(5);
    expect(readAll(server, 2)).toEqual([1, 2]);
    expect(readAll(server, 10)).toEqual([3, 4, 5]);
  });

  test('indices wrapping past 2^32-1 keep the byte stream intact across the 1024-byte boundary', () => {
    const { page, client, server } = ends();
    const idx = plainIndexAccess(page);
    for (const off of [XS_REQ_CONS, XS_REQ_PROD]) idx.store(off, 0xffffffff - 9);
    client.write(Uint8Array.from({ length: 30 }, (_, i) => i));
    expect(idx.load(XS_REQ_PROD)).toBe(20);
    expect(readAll(server)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  test('a peer whose indices are more than 1024 apart is bogus: reads and writes refuse', () => {
    const { page, client, server } = ends();
    plainIndexAccess(page).store(XS_REQ_PROD, XENSTORE_RING_SIZE + 1);
    expect(server.read()).toMatchObject({ kind: 'overflow', reason: 'xenstore-ring-indices-bogus', ring: 'req', prod: 1025, cons: 0 });
    expect(client.write(bytes(1))).toMatchObject({ kind: 'overflow', ring: 'req' });
    plainIndexAccess(page).store(XS_RSP_CONS, 5);
    expect(server.write(bytes(1))).toMatchObject({ kind: 'overflow', ring: 'rsp', prod: 0, cons: 5 });
  });

  test('a page too small for the interface is a pvlab bug and throws', () => {
    expect(() => new XsClientEnd(new Uint8Array(2048))).toThrow(RangeError);
  });

  test('any split of a message into writes and reads delivers the same bytes', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 5000 }), fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1 }),
      (message, chunks) => {
        const { client, server } = ends();
        const got: number[] = [];
        let sent = 0;
        for (let i = 0; got.length < message.length; i++) {
          const w = client.write(message.subarray(sent, sent + chunks[i % chunks.length]!));
          if (w.kind !== 'ok') throw new Error(w.reason);
          sent += w.written;
          got.push(...readAll(server, chunks[(i + 1) % chunks.length]));
        }
        expect(Uint8Array.from(got)).toEqual(message);
      },
    ));
  });
});
