// Sockets of the guest kernel's network stack: a TCP socket over one TcpConnection (the
// protocol machine of hw/net/tcp.ts) with its send buffer in guest pages and its receive queue
// of arrived payloads, and a UDP socket. Their generator methods are the system calls a
// workload makes (connect, write, read, sendto, recvfrom): each charges the call's entry and
// the copy between user and kernel memory, and blocks in the stack when it has to wait.
import { writeTcpHeaders, writeUdpHeaders, UDP_HLEN, IPV4_HLEN, ETH_HLEN, type Ip4, type Mac } from '../../hw/net/frame';
import { TcpConnection, type TcpOut } from '../../hw/net/tcp';
import { StreamPages, type BufferPool } from './buffers';
import type { TxFrame } from './netdev';
import type { KGen } from '../kernel/types';
import { freshBytes } from '../../hw/bytes';

/** What a socket needs from its stack. */
export interface SocketHost {
  readonly ip: Ip4;
  readonly mac: Mac;
  readonly pool: BufferPool;
  readonly mem: { allocPage(): number; page(gfn: number): Uint8Array | undefined };
  now(): number;
  /** Charges a system call's entry and a copy of `bytes` between user and kernel memory. */
  syscall(bytes: number): void;
  /** Blocks until something happens (or `until`), then runs the stack's bottom half. */
  wait(until?: number): KGen;
  /** Queues a frame on the device (false when it has no room). */
  queue(f: TxFrame): boolean;
  /** Sends whatever the sockets want to send now, and kicks the device. */
  transmit(): KGen;
  /** The bottom half: interrupts or events that came while the kernel ran, handled now. */
  softirq(): KGen;
}

export interface Remote {
  readonly ip: Ip4;
  readonly port: number;
  readonly mac: Mac;
}

export class TcpSocket {
  readonly tcp: TcpConnection;
  private readonly snd: StreamPages;
  private rcv: { offset: number; bytes: Uint8Array }[] = [];
  private ipId = 0;

  constructor(
    private readonly host: SocketHost,
    readonly localPort: number,
    readonly remote: Remote,
    opts: { mss: number; sockBuf: number; iss: number; nodelay?: boolean },
  ) {
    this.snd = new StreamPages(host.mem, opts.sockBuf);
    this.tcp = new TcpConnection({ mss: opts.mss, rcvBuf: opts.sockBuf, sndBuf: this.snd.capacity, iss: opts.iss, nodelay: opts.nodelay });
  }

  get key(): string {
    return `${this.remote.ip}:${this.remote.port}>${this.localPort}`;
  }

  /** connect(): sends the SYN and waits for the handshake (false if it never completes). */
  *connect(timeoutNs: number): KGen<boolean> {
    this.host.syscall(0);
    this.tcp.connect(this.host.now());
    yield* this.host.transmit();
    const give = this.host.now() + timeoutNs;
    while (!this.tcp.established && this.host.now() < give) yield* this.host.wait();
    return this.tcp.established;
  }

  /** write() of `n` bytes that `produce` fills in (the user buffer's contents, by stream
   *  offset); blocks while the send buffer is full. Returns the bytes written. */
  *write(n: number, produce: (dst: Uint8Array, offset: number) => void): KGen<number> {
    let done = 0;
    while (done < n && this.tcp.state === 'established') {
      yield* this.host.softirq(); // interrupts are taken on the way into the kernel
      const k = Math.min(n - done, this.tcp.sendSpace());
      if (k === 0) {
        yield* this.host.wait();
        continue;
      }
      this.host.syscall(k);
      this.snd.fill(this.tcp.write(k), k, produce);
      done += k;
      yield* this.host.transmit();
    }
    return done;
  }

  /** read() of up to `max` bytes; blocks until some arrive. Empty at end of stream. */
  *read(max: number): KGen<Uint8Array> {
    yield* this.host.softirq();
    while (this.tcp.readable === 0 && !this.tcp.eof && this.tcp.state === 'established') yield* this.host.wait();
    const out = this.take(Math.min(max, this.tcp.readable));
    this.host.syscall(out.length);
    this.tcp.consume(out.length);
    if (this.tcp.wantsOutput(this.host.now())) yield* this.host.transmit(); // a window update
    return out;
  }

  close(): void {
    this.tcp.close();
  }

  /** Blocks until everything written (and the FIN, once closed) is acknowledged. */
  *drain(): KGen {
    while (!this.tcp.drained && this.tcp.state === 'established') yield* this.host.wait();
  }

  /** A segment from the wire (after the stack found this socket). */
  input(fields: Parameters<TcpConnection['input']>[0], payload: Uint8Array): void {
    const got = this.tcp.input(fields, payload.length, this.host.now());
    if (got) this.rcv.push({ offset: got.offset, bytes: payload.subarray(got.from, got.from + got.len) });
  }

  /** Builds the frame for one segment: headers in a pool buffer, data from the send buffer. */
  frame(seg: TcpOut, headerGpa: number, release: () => void): TxFrame {
    const addrs = { dstMac: this.remote.mac, srcMac: this.host.mac, srcIp: this.host.ip, dstIp: this.remote.ip };
    const hl = writeTcpHeaders(this.host.pool.view(headerGpa), addrs, { ...seg.fields, srcPort: this.localPort, dstPort: this.remote.port }, seg.len, this.ipId++);
    const frags = [{ gpa: headerGpa, len: hl }, ...(seg.len > 0 ? this.snd.frags(seg.offset, seg.len) : [])];
    return { frags, bytes: hl + seg.len, done: release };
  }

  private take(n: number): Uint8Array {
    const out = freshBytes(n);
    let at = 0;
    while (at < n) {
      const head = this.rcv[0]!;
      const k = Math.min(head.bytes.length, n - at);
      out.set(head.bytes.subarray(0, k), at);
      at += k;
      if (k === head.bytes.length) this.rcv.shift();
      else this.rcv[0] = { offset: head.offset + k, bytes: head.bytes.subarray(k) };
    }
    return out;
  }
}

/** Datagrams waiting to be read, at most this many (then they are dropped, as a full rcvbuf). */
const UDP_QUEUE = 256;

export class UdpSocket {
  private readonly queue: { from: Remote; payload: Uint8Array }[] = [];
  private ipId = 0;
  dropped = 0;

  constructor(private readonly host: SocketHost, readonly localPort: number, private readonly maxPayload: number) {}

  /** sendto(): one datagram of `len` bytes that `produce` fills; false if it could not be
   *  queued (too long, or no buffer and the device never freed one). */
  *sendTo(to: Remote, len: number, produce: (dst: Uint8Array) => void): KGen<boolean> {
    if (len > this.maxPayload) return false;
    yield* this.host.softirq();
    let gpa = this.host.pool.alloc();
    for (let tries = 0; gpa < 0 && tries < 1000; tries++) {
      yield* this.host.wait();
      gpa = this.host.pool.alloc();
    }
    if (gpa < 0) return false;
    this.host.syscall(len);
    const hl = ETH_HLEN + IPV4_HLEN + UDP_HLEN;
    const b = new Uint8Array(hl + len);
    writeUdpHeaders(b, { dstMac: to.mac, srcMac: this.host.mac, srcIp: this.host.ip, dstIp: to.ip }, { srcPort: this.localPort, dstPort: to.port }, len, this.ipId++);
    produce(b.subarray(hl));
    this.host.pool.write(gpa, b);
    const pool = this.host.pool;
    const f: TxFrame = { frags: [{ gpa, len: b.length }], bytes: b.length, done: () => pool.release(gpa) };
    for (let tries = 0; !this.host.queue(f); tries++) {
      if (tries >= 1000) {
        pool.release(gpa);
        return false;
      }
      yield* this.host.wait();
    }
    yield* this.host.transmit();
    return true;
  }

  /** recvfrom(): the next datagram, waiting at most until `until`; undefined on timeout. */
  *recvFrom(until: number): KGen<{ from: Remote; payload: Uint8Array } | undefined> {
    while (this.queue.length === 0 && this.host.now() < until) yield* this.host.wait(until);
    const d = this.queue.shift();
    if (d) this.host.syscall(d.payload.length);
    return d;
  }

  deliver(from: Remote, payload: Uint8Array): void {
    if (this.queue.length >= UDP_QUEUE) this.dropped++;
    else this.queue.push({ from, payload });
  }
}
