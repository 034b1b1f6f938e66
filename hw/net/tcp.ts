// A TCP connection as a pure protocol machine (RFC 793, 1122, 7323 in part), with no clock,
// no buffers and no I/O of its own: the caller feeds it segments and the time, and asks it what
// to send. It tracks sequence numbers only; the bytes live with the caller (a guest kernel's
// socket buffer in guest pages, the remote peer's generated stream), addressed by their offset
// in the stream. Used by the guest kernels' socket layer (guests/net) and by the remote peer
// (./peer.ts), so both ends of every connection run the same protocol.
//
// What it does: the three-way handshake with MSS and window-scale options; a sender bounded by
// the peer's advertised window, with Nagle's rule (RFC 896) unless `nodelay`; a receiver that
// accepts in-order bytes only, up to its buffer, and acknowledges every second segment or after
// the delayed-ACK timer (RFC 1122), at once for anything out of order; window updates when the
// application frees enough buffer; FIN to end a stream; retransmission on timeout by going back
// to the first unacknowledged byte, and zero-window probes.
// Simplifications, documented: no congestion control (slow start, cwnd) — the window is the
// receiver's; no RTT estimation (the RTO starts at Linux's 200 ms minimum and doubles); no fast
// retransmit, SACK or out-of-order queue; no TIME_WAIT or RST; sequence arithmetic is mod 2^32.
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, type TcpFields } from './frame';

export const TCP_WSCALE = 7;
/** Linux TCP_RTO_MIN: the retransmission timeout with no RTT estimate below it. */
export const TCP_RTO_MIN_NS = 200_000_000;
/** Linux TCP_RTO_MAX. */
export const TCP_RTO_MAX_NS = 120_000_000_000;
/** Linux TCP_TIMEOUT_INIT: the SYN's first retransmission. */
export const TCP_SYN_RTO_NS = 1_000_000_000;
/** Linux TCP_DELACK_MIN: how long a lone segment's ACK may wait for company. */
export const TCP_DELACK_NS = 40_000_000;

export type TcpState = 'closed' | 'listen' | 'syn-sent' | 'syn-received' | 'established';

export interface TcpOptions {
  /** Our MSS: the MTU minus the IPv4 and TCP headers. */
  mss: number;
  /** Receive buffer, bytes: the most we advertise. */
  rcvBuf: number;
  /** Send buffer, bytes: the most unacknowledged plus unsent data the application may queue. */
  sndBuf: number;
  /** Initial send sequence number. */
  iss: number;
  /** TCP_NODELAY: no Nagle delay for a short segment while data is in flight. */
  nodelay?: boolean;
}

/** One segment to transmit: its header fields and the send-stream bytes it carries. */
export interface TcpOut {
  fields: Omit<TcpFields, 'srcPort' | 'dstPort'>;
  /** Stream offset of the first payload byte, and the payload length (0: no data). */
  offset: number;
  len: number;
}

/** Bytes `input` accepted: copy payload[from .. from+len) to receive-stream offset `offset`. */
export interface TcpAccepted {
  offset: number;
  from: number;
  len: number;
}

export class TcpStats {
  segmentsIn = 0;
  segmentsOut = 0;
  dataSegmentsOut = 0;
  pureAcksOut = 0;
  retransmitTimeouts = 0;
  windowProbes = 0;
  /** Segments dropped because they were out of order or past the window. */
  outOfOrder = 0;
  duplicates = 0;
}

const u32 = (x: number): number => x >>> 0;
/** a - b as a signed 32-bit difference (mod 2^32 sequence arithmetic). */
const seqDiff = (a: number, b: number): number => (a - b) | 0;

export class TcpConnection {
  state: TcpState = 'closed';
  readonly stats = new TcpStats();
  private peerMss: number;
  private sndScale = 0;
  private rcvScale = 0;
  private peerScaleOffered = false;
  // send side, as stream offsets
  private sndUna = 0;
  private sndNxt = 0;
  private sndEnd = 0;
  private sndWnd = 0;
  private synSent = false;
  private finQueued = false;
  private finSent = false;
  private finAcked = false;
  private probe = false;
  // receive side
  private irs = 0;
  private rcvNxt = 0;
  private rcvQueued = 0;
  private rcvFin = false;
  private lastRightEdge = 0;
  private ackPending = 0;
  private ackNow = false;
  private delackAt = Infinity;
  // retransmission
  private rto = TCP_RTO_MIN_NS;
  private rtoAt = Infinity;

  constructor(readonly opts: TcpOptions) {
    this.peerMss = opts.mss;
  }

  /** Active open: the SYN goes out at the next `output`. */
  connect(now: number): void {
    this.state = 'syn-sent';
    this.rto = TCP_SYN_RTO_NS;
    this.rtoAt = now + this.rto;
  }

  /** Passive open: the next SYN that arrives is accepted. */
  listen(): void {
    this.state = 'listen';
  }

  get established(): boolean {
    return this.state === 'established';
  }

  /** The MSS in force: the smaller of ours and the peer's. */
  get mss(): number {
    return Math.min(this.opts.mss, this.peerMss);
  }

  // ---- the application's side ----

  /** Bytes the application may still queue for sending. */
  sendSpace(): number {
    return this.finQueued ? 0 : Math.max(0, this.opts.sndBuf - (this.sndEnd - this.sndUna));
  }

  /** Queues `n` more bytes (at most sendSpace()); returns the stream offset of the first. */
  write(n: number): number {
    const at = this.sndEnd;
    this.sndEnd += Math.max(0, Math.min(n, this.sendSpace()));
    return at;
  }

  /** Send-stream bytes below this offset are acknowledged: their buffer may be reused. */
  get acked(): number {
    return this.sndUna;
  }

  /** Everything written has been sent and acknowledged. */
  get drained(): boolean {
    return this.sndUna === this.sndEnd && (!this.finQueued || this.finAcked);
  }

  /** Ends the stream after the queued bytes (FIN). */
  close(): void {
    this.finQueued = true;
  }

  /** In-order bytes received and not yet consumed, from stream offset `rcvNxt - rcvQueued`. */
  get readable(): number {
    return this.rcvQueued;
  }

  /** Receive-stream offset of the first byte not yet consumed. */
  get readOffset(): number {
    return this.rcvNxt - this.rcvQueued;
  }

  /** The peer ended its stream and every byte of it has been consumed. */
  get eof(): boolean {
    return this.rcvFin && this.rcvQueued === 0;
  }

  /** The application consumed `n` bytes; a window grown enough is announced at once. */
  consume(n: number): void {
    this.rcvQueued -= Math.max(0, Math.min(n, this.rcvQueued));
    const right = this.rcvNxt + this.windowBytes();
    if (right - this.lastRightEdge >= Math.min(this.opts.rcvBuf / 2, 2 * this.opts.mss)) this.ackNow = true;
  }

  // ---- the network's side ----

  /** The earliest time `onTimer` has something to do (Infinity: none). */
  nextDeadline(): number {
    return Math.min(this.rtoAt, this.delackAt);
  }

  /** Does the connection want to send something now (data, FIN or an ACK)? */
  wantsOutput(now: number): boolean {
    if (this.state === 'syn-sent' || this.state === 'syn-received') return !this.synSent;
    if (this.state !== 'established') return false;
    return this.ackNow || now >= this.delackAt || this.probe || this.dataSendable() > 0 || (this.finQueued && !this.finSent && this.sndNxt === this.sndEnd);
  }

  onTimer(now: number): void {
    if (now >= this.delackAt) {
      this.delackAt = Infinity;
      this.ackNow = true;
    }
    if (now < this.rtoAt) return;
    this.rtoAt = Infinity;
    if (this.state === 'syn-sent' || this.state === 'syn-received') this.synSent = false;
    else if (this.sndNxt > this.sndUna || (this.finSent && !this.finAcked)) {
      this.stats.retransmitTimeouts++;
      this.sndNxt = this.sndUna; // go back N
      this.finSent = false;
    } else if (this.sndEnd > this.sndNxt) {
      this.stats.windowProbes++;
      this.probe = true;
    } else return;
    this.rto = Math.min(2 * this.rto, TCP_RTO_MAX_NS);
    this.rtoAt = now + this.rto;
  }

  /** Up to `max` segments to send now, in order. */
  output(now: number, max = Infinity): TcpOut[] {
    const out: TcpOut[] = [];
    if (this.state === 'syn-sent' || this.state === 'syn-received') {
      if (!this.synSent && max > 0) out.push(this.synSegment());
      return this.sent(out, now);
    }
    if (this.state !== 'established') return out;
    if (this.probe && max > 0) {
      if (this.sndEnd > this.sndNxt) out.push(this.dataSegment(1));
      this.probe = false;
    }
    for (let len = this.dataSendable(); len > 0 && out.length < max; len = this.dataSendable()) out.push(this.dataSegment(len));
    if (this.finQueued && !this.finSent && this.sndNxt === this.sndEnd && out.length < max) {
      this.finSent = true;
      out.push({ fields: this.header(TCP_FIN | TCP_ACK, this.seqOf(this.sndEnd)), offset: this.sndEnd, len: 0 });
    }
    if (out.length === 0 && max > 0 && (this.ackNow || now >= this.delackAt)) {
      this.stats.pureAcksOut++;
      out.push({ fields: this.header(TCP_ACK, this.seqOf(this.sndNxt)), offset: this.sndNxt, len: 0 });
    }
    return this.sent(out, now);
  }

  /** Processes one arriving segment; returns the payload bytes accepted, if any. */
  input(t: TcpFields, payloadLen: number, now: number): TcpAccepted | undefined {
    this.stats.segmentsIn++;
    if (this.state === 'closed') return undefined;
    if (t.flags & TCP_SYN) return void this.inputSyn(t, now);
    if (this.state === 'listen' || this.state === 'syn-sent') return undefined;
    if (t.flags & TCP_ACK) this.inputAck(t, now);
    if (this.state !== 'established') return undefined;
    if (payloadLen === 0 && !(t.flags & TCP_FIN)) return undefined;
    return this.inputData(t, payloadLen, now);
  }

  // ---- internals ----

  private seqOf(offset: number): number {
    return u32(this.opts.iss + 1 + offset);
  }

  private ackValue(): number {
    return u32(this.irs + 1 + this.rcvNxt + (this.rcvFin ? 1 : 0));
  }

  private windowBytes(): number {
    return Math.max(0, this.opts.rcvBuf - this.rcvQueued);
  }

  private header(flags: number, seq: number): TcpOut['fields'] {
    const scale = this.state === 'established' ? this.rcvScale : 0;
    return { seq, ack: this.state === 'syn-sent' ? 0 : this.ackValue(), flags, window: Math.min(0xffff, this.windowBytes() >>> scale) };
  }

  private synSegment(): TcpOut {
    this.synSent = true;
    const flags = this.state === 'syn-sent' ? TCP_SYN : TCP_SYN | TCP_ACK;
    return { fields: { ...this.header(flags, u32(this.opts.iss)), mss: this.opts.mss, wscale: TCP_WSCALE }, offset: 0, len: 0 };
  }

  /** How many bytes the next data segment may carry (0: nothing may go now). */
  private dataSendable(): number {
    const avail = this.sndEnd - this.sndNxt;
    const room = this.sndUna + this.sndWnd - this.sndNxt;
    const len = Math.min(this.mss, avail, room);
    if (len <= 0) return 0;
    if (len === this.mss) return len;
    const idle = this.sndNxt === this.sndUna;
    if (len < avail) return idle ? len : 0; // window-limited: a runt only to avoid a stall
    return this.opts.nodelay || idle || this.finQueued ? len : 0; // Nagle; a closing stream pushes its tail
  }

  private dataSegment(len: number): TcpOut {
    const offset = this.sndNxt;
    this.sndNxt += len;
    const push = this.sndNxt === this.sndEnd ? TCP_PSH : 0;
    this.stats.dataSegmentsOut++;
    return { fields: this.header(TCP_ACK | push, this.seqOf(offset)), offset, len };
  }

  /** Book-keeping after segments are handed out: they all carry our latest ACK and window. */
  private sent(out: TcpOut[], now: number): TcpOut[] {
    if (out.length === 0) return out;
    this.stats.segmentsOut += out.length;
    this.ackNow = false;
    this.ackPending = 0;
    this.delackAt = Infinity;
    this.lastRightEdge = this.rcvNxt + this.windowBytes();
    const outstanding = this.sndNxt > this.sndUna || (this.finSent && !this.finAcked) || !this.established;
    const stalled = this.sndEnd > this.sndNxt && this.sndWnd < this.mss;
    if ((outstanding || stalled) && this.rtoAt === Infinity) this.rtoAt = now + this.rto;
    return out;
  }

  private inputSyn(t: TcpFields, now: number): void {
    const synAck = (t.flags & TCP_ACK) !== 0;
    if (this.state === 'listen' && !synAck) {
      this.state = 'syn-received';
      this.rtoAt = now + TCP_SYN_RTO_NS;
    } else if (this.state === 'syn-sent' && synAck && t.ack === u32(this.opts.iss + 1)) {
      this.state = 'established';
      this.ackNow = true;
      this.rto = TCP_RTO_MIN_NS;
      this.rtoAt = Infinity;
    } else {
      if (this.state === 'established' || this.state === 'syn-received') this.ackNow = true; // a retransmitted SYN
      return;
    }
    this.irs = t.seq;
    this.peerMss = t.mss ?? 536;
    this.peerScaleOffered = t.wscale !== undefined;
    this.sndScale = t.wscale ?? 0;
    this.rcvScale = this.peerScaleOffered ? TCP_WSCALE : 0;
    this.sndWnd = t.window; // a SYN's window is never scaled
  }

  private inputAck(t: TcpFields, now: number): void {
    if (this.state === 'syn-received') {
      if (t.ack !== u32(this.opts.iss + 1)) return;
      this.state = 'established';
      this.rto = TCP_RTO_MIN_NS;
      this.rtoAt = Infinity;
    }
    const acked = this.sndUna + seqDiff(t.ack, this.seqOf(this.sndUna));
    const finEdge = this.sndEnd + (this.finSent ? 1 : 0);
    if (acked > finEdge) {
      this.ackNow = true; // acknowledges what we never sent
      return;
    }
    if (acked < this.sndUna) return; // an old ACK: its window is stale too
    if (acked > this.sndUna) {
      this.sndUna = Math.min(acked, this.sndEnd);
      if (this.sndNxt < this.sndUna) this.sndNxt = this.sndUna;
      if (this.finSent && acked === this.sndEnd + 1) this.finAcked = true;
      this.rto = TCP_RTO_MIN_NS;
      this.rtoAt = this.sndNxt > this.sndUna || (this.finSent && !this.finAcked) ? now + this.rto : Infinity;
    }
    this.sndWnd = t.window * 2 ** this.sndScale;
  }

  private inputData(t: TcpFields, len: number, now: number): TcpAccepted | undefined {
    const segOff = this.rcvNxt + seqDiff(t.seq, u32(this.irs + 1 + this.rcvNxt));
    const fin = (t.flags & TCP_FIN) !== 0;
    if (segOff > this.rcvNxt || (segOff + len < this.rcvNxt) || (segOff + len === this.rcvNxt && !fin) || this.rcvFin) {
      if (segOff > this.rcvNxt) this.stats.outOfOrder++;
      else this.stats.duplicates++;
      this.ackNow = true;
      return undefined;
    }
    const from = this.rcvNxt - segOff;
    const take = Math.min(len - from, this.windowBytes());
    const accepted = take > 0 ? { offset: this.rcvNxt, from, len: take } : undefined;
    this.rcvNxt += take;
    this.rcvQueued += take;
    if (fin && from + take === len) this.rcvFin = true;
    this.ackPending++;
    if (this.ackPending >= 2 || this.rcvFin || from + take < len) this.ackNow = true;
    else if (this.delackAt === Infinity) this.delackAt = now + TCP_DELACK_NS;
    return accepted;
  }
}
