// Wire formats (hw/net/frame.ts) and the byte streams workloads send (hw/net/stream.ts).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ETH_ZLEN, ipChecksum, macToString, parseFrame, parseMac, TCP_ACK, TCP_SYN, tcpFrame, udpFrame,
} from '../../hw/net/frame';
import { checkStream, fillStream, streamByte } from '../../hw/net/stream';

const addrs = { dstMac: 0x00163e000102, srcMac: 0x001b21000001, srcIp: 0x0a000001, dstIp: 0x0a010102 };

describe('Ethernet, IPv4, TCP and UDP frames', () => {
  it('a TCP segment reads back with its addresses, header fields and payload', () => {
    const payload = Uint8Array.from({ length: 100 }, (_, i) => i);
    const f = tcpFrame(addrs, { srcPort: 5001, dstPort: 40000, seq: 0xfffffff0, ack: 7, flags: TCP_ACK, window: 1024 }, payload, 9);
    const p = parseFrame(f);
    expect(p.kind).toBe('tcp');
    if (p.kind !== 'tcp') return;
    expect([p.dstMac, p.srcMac, p.srcIp, p.dstIp]).toEqual([addrs.dstMac, addrs.srcMac, addrs.srcIp, addrs.dstIp]);
    expect(p.tcp).toMatchObject({ srcPort: 5001, dstPort: 40000, seq: 0xfffffff0, ack: 7, flags: TCP_ACK, window: 1024 });
    expect([...p.payload]).toEqual([...payload]);
    expect(ipChecksum(f, 14, 20)).toBe(0);
  });

  it('a SYN carries its MSS and window-scale options', () => {
    const f = tcpFrame(addrs, { srcPort: 1, dstPort: 2, seq: 1, ack: 0, flags: TCP_SYN, window: 65535, mss: 1460, wscale: 7 }, new Uint8Array(0));
    const p = parseFrame(f);
    expect(p.kind === 'tcp' && [p.tcp.mss, p.tcp.wscale, p.payload.length]).toEqual([1460, 7, 0]);
  });

  it('short frames are padded to the Ethernet minimum and still parse to their real payload', () => {
    const f = udpFrame(addrs, { srcPort: 9, dstPort: 9 }, Uint8Array.of(1, 2, 3));
    expect(f.length).toBe(ETH_ZLEN);
    const p = parseFrame(f);
    expect(p.kind === 'udp' && [...p.payload]).toEqual([1, 2, 3]);
  });

  it('a corrupted IPv4 header is rejected, not misread', () => {
    const f = udpFrame(addrs, { srcPort: 9, dstPort: 9 }, new Uint8Array(20));
    f[14 + 8] ^= 0xff; // the TTL, under the checksum
    expect(parseFrame(f)).toEqual({ kind: 'bad', reason: 'IPv4 header checksum' });
  });

  it('MACs print and parse as xl writes them', () => {
    expect(macToString(0x00163e0a0b0c)).toBe('00:16:3e:0a:0b:0c');
    expect(parseMac('00:16:3E:0a:0b:0c')).toBe(0x00163e0a0b0c);
    expect(parseMac('00:16:3e:0a:0b')).toBeUndefined();
  });

  it('parsing never throws, whatever the bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const p = parseFrame(bytes);
      expect(['tcp', 'udp', 'other', 'bad']).toContain(p.kind);
      if (p.kind === 'tcp' || p.kind === 'udp') expect(p.payload.byteOffset + p.payload.length).toBeLessThanOrEqual(bytes.byteOffset + bytes.length);
    }), { numRuns: 2000 });
  });
});

describe('byte streams', () => {
  it('any piece of a stream checks clean at its own offset and dirty anywhere else', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 7 }), (offset, len, shift) => {
      const b = new Uint8Array(len);
      fillStream(b, 42, offset);
      expect(checkStream(b, 42, offset)).toBe(0);
      expect(b[0]).toBe(streamByte(42, offset));
      if (len >= 16) expect(checkStream(b, 42, offset + shift)).toBeGreaterThan(0);
    }));
  });
});
