// Network workloads, as the classic tools run them, over the guest kernel's sockets:
//   ttcp        bulk TCP: `transmit` writes `bytes` to a sink in `buflen` writes (ttcp -t),
//               `receive` reads `bytes` from a source (ttcp -r against chargen), `sink`
//               listens and reads whatever one sender sends (ttcp -r), checking every byte
//   netperf-rr  request/response (TCP_RR, UDP_RR): one `request`-byte message out, wait for
//               the `response`-byte answer, again; the latency of each transaction
//   udp-flood   small datagrams as fast as the stack takes them (or at `rate` per second)
// Bytes sent are the sender's stream (hw/net/stream.ts), so receivers check each one against
// where it belongs: nothing lost, nothing duplicated, nothing out of order.
import { Histogram } from '../../hw/histogram';
import { checkStream, fillStream, streamSeedOf } from '../../hw/net/stream';
import type { Ip4 } from '../../hw/net/frame';
import type { NetStack } from '../net/stack';
import type { TcpSocket } from '../net/socket';
import type { KGen } from '../kernel/types';
import type { WorkloadStats } from './workload';

/** The well-known ports: ttcp's, chargen-style source, discard and netperf's data port. */
export const PORT_TTCP = 5001;
export const PORT_SOURCE = 5002;
export const PORT_DISCARD = 9;
export const PORT_NETPERF = 12866;
const CONNECT_TIMEOUT_NS = 5_000_000_000;
/** UDP_RR: how long to wait for an answer before sending the request again. */
const UDP_RR_TIMEOUT_NS = 100_000_000;

/** What every network job reports; `score` is what `pvlab compare` ranks. */
export abstract class NetJob {
  startedAt = -1;
  finishedAt = -1;
  errors = 0;
  error: string | undefined;
  stack: NetStack | undefined;

  abstract readonly kind: string;
  abstract score(now: number): { score: number; unit: string };
  abstract run(stack: NetStack): KGen;

  /** Packets through the guest's interface (in and out): the "op" of per-packet counts. */
  get packets(): number {
    return this.stack ? this.stack.stats.framesIn + this.stack.stats.framesOut : 0;
  }

  protected elapsedS(now: number): number {
    const end = this.finishedAt >= 0 ? this.finishedAt : now;
    return Math.max(1, end - Math.max(0, this.startedAt)) / 1e9;
  }

  protected fail(why: string): void {
    this.errors++;
    this.error ??= why;
  }

  stats(now: number): WorkloadStats {
    const s = this.score(now);
    return { kind: this.kind, ops: this.packets, unit: 'packets', score: s.score, scoreUnit: s.unit, errors: this.errors, finished: this.finishedAt >= 0, ...(this.error ? { error: this.error } : {}) };
  }
}

export interface TtcpOptions {
  mode: 'transmit' | 'receive' | 'sink';
  bytes: number;
  buflen: number;
  sockbuf: number;
  /** The other end's address (the remote peer, or another guest). */
  to: Ip4;
}

export class TtcpJob extends NetJob {
  readonly kind = 'ttcp';
  verifyErrors = 0;
  private moved = 0;
  private sending: TcpSocket | undefined;

  constructor(readonly opts: TtcpOptions) {
    super();
  }

  /** Bytes moved so far: acknowledged by the receiver (transmit), or read (receive, sink). */
  get bytes(): number {
    return this.sending ? this.sending.tcp.acked : this.moved;
  }

  score(now: number): { score: number; unit: string } {
    return { score: (this.bytes * 8) / 1e6 / this.elapsedS(now), unit: 'Mb/s' };
  }

  override stats(now: number): WorkloadStats {
    return { ...super.stats(now), bytes: this.bytes, verifyErrors: this.verifyErrors };
  }

  *run(stack: NetStack): KGen {
    this.stack = stack;
    if (this.opts.mode === 'sink') return yield* this.sink(stack);
    const to = stack.remote(this.opts.to, this.opts.mode === 'transmit' ? PORT_TTCP : PORT_SOURCE);
    if (!to) return this.fail('no neighbour entry for the peer');
    const s = stack.tcpSocket(to, this.opts.sockbuf);
    this.startedAt = stack.now();
    if (!(yield* s.connect(CONNECT_TIMEOUT_NS))) return this.fail('connect timed out');
    if (this.opts.mode === 'transmit') this.sending = s;
    if (this.opts.mode === 'transmit') yield* this.transmit(s, stack);
    else yield* this.receive(s, this.opts.to);
    this.finishedAt = stack.now();
  }

  private *transmit(s: TcpSocket, stack: NetStack): KGen {
    const seed = streamSeedOf(stack.ip);
    for (let sent = 0; sent < this.opts.bytes; ) {
      const n = yield* s.write(Math.min(this.opts.buflen, this.opts.bytes - sent), (dst, off) => fillStream(dst, seed, off));
      if (n === 0) return this.fail('connection lost');
      sent += n;
    }
    s.close();
    yield* s.drain();
  }

  private *receive(s: TcpSocket, from: Ip4): KGen {
    const seed = streamSeedOf(from);
    while (this.moved < this.opts.bytes) {
      const offset = s.tcp.readOffset;
      const b = yield* s.read(Math.min(this.opts.buflen, this.opts.bytes - this.moved));
      if (b.length === 0) return this.fail('end of stream before every byte came');
      this.verifyErrors += checkStream(b, seed, offset);
      this.moved += b.length;
    }
  }

  private *sink(stack: NetStack): KGen {
    let conn: TcpSocket | undefined;
    stack.tcpListen(PORT_TTCP, this.opts.sockbuf, (s) => (conn ??= s));
    while (!conn?.tcp.established) yield* stack.wait();
    this.startedAt = stack.now();
    const seed = streamSeedOf(conn.remote.ip);
    for (;;) {
      const offset = conn.tcp.readOffset;
      const b = yield* conn.read(this.opts.buflen);
      if (b.length === 0) break;
      this.verifyErrors += checkStream(b, seed, offset);
      this.moved += b.length;
    }
    this.finishedAt = stack.now();
  }
}

export interface RrOptions {
  protocol: 'tcp' | 'udp';
  request: number;
  response: number;
  /** Stop after this many transactions; run until the end of the scenario when absent. */
  transactions?: number;
  to: Ip4;
  /** The port of the peer's netserver for this job. */
  port: number;
}

export class NetperfRrJob extends NetJob {
  readonly kind = 'netperf-rr';
  readonly latency = new Histogram();
  transactions = 0;
  verifyErrors = 0;
  retries = 0;

  constructor(readonly opts: RrOptions) {
    super();
  }

  score(now: number): { score: number; unit: string } {
    return { score: this.transactions / this.elapsedS(now), unit: 'trans/s' };
  }

  override stats(now: number): WorkloadStats {
    return { ...super.stats(now), transactions: this.transactions, latencyMeanNs: Math.round(this.latency.mean), latencyP99Ns: this.latency.quantile(0.99), verifyErrors: this.verifyErrors, retries: this.retries };
  }

  *run(stack: NetStack): KGen {
    this.stack = stack;
    const to = stack.remote(this.opts.to, this.opts.port);
    if (!to) return this.fail('no neighbour entry for the peer');
    if (this.opts.protocol === 'tcp') yield* this.tcp(stack, to);
    else yield* this.udp(stack, to);
    this.finishedAt = stack.now();
  }

  private done(): boolean {
    return this.opts.transactions !== undefined && this.transactions >= this.opts.transactions;
  }

  private *tcp(stack: NetStack, to: NonNullable<ReturnType<NetStack['remote']>>): KGen {
    const s = stack.tcpSocket(to, 128 * 1024, true);
    if (!(yield* s.connect(CONNECT_TIMEOUT_NS))) return this.fail('connect timed out');
    const mine = streamSeedOf(stack.ip);
    const theirs = streamSeedOf(to.ip);
    this.startedAt = stack.now();
    while (!this.done()) {
      const t0 = stack.now();
      if ((yield* s.write(this.opts.request, (dst, off) => fillStream(dst, mine, off))) < this.opts.request) return this.fail('connection lost');
      for (let got = 0; got < this.opts.response; ) {
        const offset = s.tcp.readOffset;
        const b = yield* s.read(this.opts.response - got);
        if (b.length === 0) return this.fail('end of stream');
        this.verifyErrors += checkStream(b, theirs, offset);
        got += b.length;
      }
      this.latency.record(stack.now() - t0);
      this.transactions++;
    }
  }

  private *udp(stack: NetStack, to: NonNullable<ReturnType<NetStack['remote']>>): KGen {
    const sock = stack.udpSocket();
    this.startedAt = stack.now();
    while (!this.done()) {
      const t0 = stack.now();
      const seq = this.transactions;
      for (;;) {
        if (!(yield* sock.sendTo(to, Math.max(4, this.opts.request), (d) => putSeq(d, seq)))) return this.fail('could not send');
        const r = yield* sock.recvFrom(stack.now() + UDP_RR_TIMEOUT_NS);
        if (r && seqOf(r.payload) === seq) break;
        this.retries++;
      }
      this.latency.record(stack.now() - t0);
      this.transactions++;
    }
  }
}

export interface FloodOptions {
  size: number;
  packets?: number;
  /** Datagrams per second; as fast as possible when absent. */
  rate?: number;
  to: Ip4;
}

export class UdpFloodJob extends NetJob {
  readonly kind = 'udp-flood';
  sent = 0;

  constructor(readonly opts: FloodOptions) {
    super();
  }

  score(now: number): { score: number; unit: string } {
    return { score: this.sent / this.elapsedS(now), unit: 'pkt/s' };
  }

  override stats(now: number): WorkloadStats {
    return { ...super.stats(now), sent: this.sent };
  }

  *run(stack: NetStack): KGen {
    this.stack = stack;
    const to = stack.remote(this.opts.to, PORT_DISCARD);
    if (!to) return this.fail('no neighbour entry for the peer');
    const sock = stack.udpSocket();
    this.startedAt = stack.now();
    const gap = this.opts.rate ? 1e9 / this.opts.rate : 0;
    while (this.opts.packets === undefined || this.sent < this.opts.packets) {
      const seq = this.sent;
      if (!(yield* sock.sendTo(to, this.opts.size, (d) => putSeq(d, seq)))) return this.fail('could not send');
      this.sent++;
      if (gap > 0) yield* stack.sleepUntil(this.startedAt + Math.round(this.sent * gap));
    }
    this.finishedAt = stack.now();
  }
}

function putSeq(d: Uint8Array, seq: number): void {
  d[0] = (seq >>> 24) & 0xff;
  d[1] = (seq >>> 16) & 0xff;
  d[2] = (seq >>> 8) & 0xff;
  d[3] = seq & 0xff;
}

function seqOf(p: Uint8Array): number {
  return p.length < 4 ? -1 : ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}
