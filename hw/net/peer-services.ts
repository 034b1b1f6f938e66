// What the remote peer runs on its ports, in the manner of the classic test servers:
//   sink   — ttcp -r / discard: reads everything, checks every byte against the sender's stream
//   source — ttcp -t toward whoever connects / chargen: writes its own stream for ever
//   rr     — netserver for TCP_RR / UDP_RR: answers each request of `request` bytes with
//            `response` bytes (an echo when the two are equal)
// Each service is per connection (TCP) or per port (UDP) and knows nothing of timing: the peer
// (./peer.ts) calls it when bytes arrive and asks it what to send.
import { checkStream, fillStream, streamSeedOf } from './stream';
import type { TcpConnection } from './tcp';
import { freshBytes } from '../bytes';

export type ServiceSpec =
  | { readonly kind: 'sink' }
  | { readonly kind: 'source' }
  | { readonly kind: 'rr'; readonly request: number; readonly response: number };

/** What a TCP service did over one connection (the tests' and reports' view). */
export class TcpServiceStats {
  bytesIn = 0;
  bytesOut = 0;
  /** Bytes that were not the sender's stream at their offset (must stay 0). */
  verifyErrors = 0;
  transactions = 0;
  eof = false;
}

export interface TcpService {
  readonly stats: TcpServiceStats;
  /** In-order bytes arrived at receive-stream `offset`. */
  onData(bytes: Uint8Array, offset: number): void;
  /** Queues whatever the service wants to send now. */
  pump(): void;
  /** The send stream's bytes [offset, offset+len). */
  payload(offset: number, len: number): Uint8Array;
}

export function tcpService(spec: ServiceSpec, tcp: TcpConnection, remoteIp: number, localIp: number): TcpService {
  switch (spec.kind) {
    case 'sink':
      return new Sink(tcp, streamSeedOf(remoteIp));
    case 'source':
      return new Source(tcp, streamSeedOf(localIp));
    case 'rr':
      return new RequestResponse(tcp, spec.request, spec.response, streamSeedOf(localIp), streamSeedOf(remoteIp));
  }
}

class Sink implements TcpService {
  readonly stats = new TcpServiceStats();

  constructor(private readonly tcp: TcpConnection, private readonly seed: number) {}

  onData(bytes: Uint8Array, offset: number): void {
    this.stats.bytesIn += bytes.length;
    this.stats.verifyErrors += checkStream(bytes, this.seed, offset);
    this.tcp.consume(bytes.length);
    this.stats.eof = this.tcp.eof;
  }

  pump(): void {
    this.stats.eof = this.tcp.eof;
  }

  payload(_offset: number, len: number): Uint8Array {
    return new Uint8Array(len);
  }
}

class Source implements TcpService {
  readonly stats = new TcpServiceStats();

  constructor(private readonly tcp: TcpConnection, private readonly seed: number) {}

  onData(bytes: Uint8Array): void {
    this.tcp.consume(bytes.length); // a source ignores what it is sent
  }

  pump(): void {
    if (!this.tcp.established) return;
    const n = this.tcp.sendSpace();
    this.tcp.write(n);
    this.stats.bytesOut += n;
  }

  payload(offset: number, len: number): Uint8Array {
    const b = freshBytes(len);
    fillStream(b, this.seed, offset);
    return b;
  }
}

class RequestResponse implements TcpService {
  readonly stats = new TcpServiceStats();
  private owed = 0;
  private partial = 0;

  constructor(
    private readonly tcp: TcpConnection,
    private readonly request: number,
    private readonly response: number,
    private readonly seed: number,
    private readonly clientSeed: number,
  ) {}

  onData(bytes: Uint8Array, offset: number): void {
    this.stats.bytesIn += bytes.length;
    this.stats.verifyErrors += checkStream(bytes, this.clientSeed, offset);
    this.tcp.consume(bytes.length);
    this.partial += bytes.length;
    while (this.partial >= this.request) {
      this.partial -= this.request;
      this.owed++;
    }
  }

  pump(): void {
    while (this.owed > 0 && this.tcp.sendSpace() >= this.response) {
      this.tcp.write(this.response);
      this.stats.bytesOut += this.response;
      this.stats.transactions++;
      this.owed--;
    }
  }

  payload(offset: number, len: number): Uint8Array {
    const b = freshBytes(len);
    fillStream(b, this.seed, offset);
    return b;
  }
}

/** A UDP port's counters: datagrams carry a big-endian u32 sequence number first. */
export class UdpServiceStats {
  datagrams = 0;
  bytes = 0;
  /** Datagrams whose number skipped ahead: the ones in between were lost. */
  lost = 0;
  /** Datagrams numbered below one already seen: duplicated or reordered. */
  outOfOrder = 0;
  replies = 0;
  private next = new Map<number, number>();

  /** Counts one datagram from `from` (an address key) numbered `seq`. */
  note(from: number, seq: number, bytes: number): void {
    this.datagrams++;
    this.bytes += bytes;
    const expect = this.next.get(from) ?? 0;
    if (seq < expect) this.outOfOrder++;
    else {
      this.lost += seq - expect;
      this.next.set(from, seq + 1);
    }
  }
}

export function udpSeq(payload: Uint8Array): number {
  return payload.length < 4 ? -1 : ((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0;
}
