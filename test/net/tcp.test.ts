// The TCP protocol machine (hw/net/tcp.ts) between two ends over a test channel that can lose,
// duplicate and reorder segments: whatever the channel does, the receiver gets every byte
// once and in order.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TcpConnection, TCP_DELACK_NS, TCP_RTO_MIN_NS, type TcpOut } from '../../hw/net/tcp';
import { TCP_ACK, TCP_FIN, TCP_SYN } from '../../hw/net/frame';
import { checkStream, fillStream } from '../../hw/net/stream';

interface End {
  tcp: TcpConnection;
  received: number;
  bad: number;
}

type Fault = 'deliver' | 'drop' | 'dup' | 'swap';

/** Runs a transfer of `bytes` from a to b, then a FIN; `fault` decides each segment's fate. */
function transfer(bytes: number, fault: (i: number) => Fault, opts: { mss?: number; buf?: number } = {}) {
  const mss = opts.mss ?? 1000;
  const buf = opts.buf ?? 16_000;
  const a: End = { tcp: new TcpConnection({ mss, rcvBuf: buf, sndBuf: buf, iss: 0xfffff000 }), received: 0, bad: 0 };
  const b: End = { tcp: new TcpConnection({ mss, rcvBuf: buf, sndBuf: buf, iss: 77 }), received: 0, bad: 0 };
  b.tcp.listen();
  let now = 0;
  a.tcp.connect(now);
  let written = 0;
  let n = 0;
  const inFlight: { to: End; seg: TcpOut }[] = [];
  for (let step = 0; step < 200_000 && !(b.received === bytes && a.tcp.drained); step++) {
    if (a.tcp.established && written < bytes) {
      const k = Math.min(a.tcp.sendSpace(), bytes - written);
      a.tcp.write(k);
      written += k;
      if (written === bytes) a.tcp.close();
    }
    for (const [from, to] of [[a, b], [b, a]] as const) {
      for (const seg of from.tcp.output(now)) {
        const f = fault(n++);
        if (f === 'drop') continue;
        if (f === 'swap' && inFlight.length > 0) inFlight.splice(inFlight.length - 1, 0, { to, seg });
        else inFlight.push({ to, seg });
        if (f === 'dup') inFlight.push({ to, seg });
      }
    }
    const next = inFlight.shift();
    if (next) deliver(next.to, next.seg, now);
    else now = Math.max(now + 1, Math.min(a.tcp.nextDeadline(), b.tcp.nextDeadline()));
    a.tcp.onTimer(now);
    b.tcp.onTimer(now);
    if (b.tcp.readable > 0) {
      b.received += b.tcp.readable;
      b.tcp.consume(b.tcp.readable);
    }
  }
  return { a, b };
}

/** Hands `seg` to `to`, checking the bytes it accepts against the sender's stream (seed 1). */
function deliver(to: End, seg: TcpOut, now: number): void {
  const payload = new Uint8Array(seg.len);
  fillStream(payload, 1, seg.offset);
  const got = to.tcp.input({ ...seg.fields, srcPort: 1, dstPort: 2 }, seg.len, now);
  if (got) to.bad += checkStream(payload.subarray(got.from, got.from + got.len), 1, got.offset);
}

/** Two connected ends and a function handing one's output to the other at time `t`. */
function pair(bufA: number, bufB: number) {
  const a = new TcpConnection({ mss: 1024, rcvBuf: bufA, sndBuf: bufA, iss: 1 });
  const b = new TcpConnection({ mss: 1024, rcvBuf: bufB, sndBuf: bufB, iss: 2 });
  const hand = (from: TcpConnection, to: TcpConnection, t = 0): TcpOut[] => {
    const out = from.output(t);
    out.forEach((s) => to.input({ ...s.fields, srcPort: 1, dstPort: 2 }, s.len, t));
    return out;
  };
  b.listen();
  a.connect(0);
  hand(a, b);
  hand(b, a);
  hand(a, b);
  return { a, b, hand };
}

describe('TCP', () => {
  it('a clean transfer moves every byte once, in order, ACKing every second segment', () => {
    const a = new TcpConnection({ mss: 1000, rcvBuf: 64_000, sndBuf: 64_000, iss: 1 });
    const b = new TcpConnection({ mss: 1400, rcvBuf: 64_000, sndBuf: 64_000, iss: 2 });
    b.listen();
    a.connect(0);
    const [syn] = a.output(0);
    expect(syn!.fields.flags).toBe(TCP_SYN);
    b.input({ ...syn!.fields, srcPort: 1, dstPort: 2 }, 0, 0);
    const [synack] = b.output(0);
    expect(synack!.fields.flags).toBe(TCP_SYN | TCP_ACK);
    a.input({ ...synack!.fields, srcPort: 2, dstPort: 1 }, 0, 0);
    expect(a.established).toBe(true);
    expect(a.mss).toBe(1000);
    a.write(10_000);
    const segs = a.output(1);
    expect(segs.map((s) => s.len)).toEqual([1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000]);
    const acks: TcpOut[] = [];
    for (const s of segs) {
      b.input({ ...s.fields, srcPort: 1, dstPort: 2 }, s.len, 1);
      acks.push(...b.output(1));
    }
    expect(b.established).toBe(true);
    expect(acks.filter((s) => s.len === 0)).toHaveLength(5);
    expect(b.readable).toBe(10_000);
  });

  it('a lone segment waits for the delayed-ACK timer (40 ms); a FIN is acknowledged at once', () => {
    const { a, b, hand } = pair(8000, 8000);
    a.write(100);
    hand(a, b, 10);
    expect(b.output(10)).toHaveLength(0);
    expect(b.nextDeadline()).toBe(10 + TCP_DELACK_NS);
    b.onTimer(10 + TCP_DELACK_NS);
    expect(hand(b, a, 10 + TCP_DELACK_NS).map((s) => s.len)).toEqual([0]);
    a.close();
    expect(hand(a, b, 50_000_000).map((s) => s.fields.flags & TCP_FIN)).toEqual([TCP_FIN]);
    expect(hand(b, a, 50_000_000)).toHaveLength(1);
    expect(a.drained).toBe(true);
    b.consume(100);
    expect(b.eof).toBe(true);
  });

  it('whatever the channel loses, duplicates or reorders, every byte arrives once and in order', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom<Fault>('deliver', 'deliver', 'deliver', 'drop', 'dup', 'swap'), { minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 60_000 }), (faults, bytes) => {
      // The channel misbehaves for a while (however badly), then behaves.
      const { b } = transfer(bytes, (i) => (i < 8 * faults.length ? faults[i % faults.length]! : 'deliver'));
      expect(b.bad).toBe(0);
      expect(b.received).toBe(bytes);
    }), { numRuns: 60 });
  });

  it('a lost segment is sent again after the retransmission timeout (200 ms, then doubling)', () => {
    const { a, b } = transfer(5000, (i) => (i === 3 ? 'drop' : 'deliver'));
    expect(b.received).toBe(5000);
    expect(a.tcp.stats.retransmitTimeouts).toBeGreaterThanOrEqual(1);
    expect(TCP_RTO_MIN_NS).toBe(200_000_000);
  });

  it('the sender never has more in flight than the receiver advertised', () => {
    const { a, b, hand } = pair(100_000, 4096);
    a.write(50_000);
    expect(hand(a, b).reduce((n, s) => n + s.len, 0)).toBe(4096);
    expect(b.readable).toBe(4096);
    hand(b, a); // a zero window
    expect(a.output(0)).toHaveLength(0);
    b.consume(4096); // the window reopens: an update goes out at once
    hand(b, a);
    expect(a.output(0).reduce((n, s) => n + s.len, 0)).toBe(4096);
  });
});
