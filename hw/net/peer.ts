// The remote peer: a host outside the simulated machine, at the far end of the wire, that the
// guests' network workloads talk to. It has a NIC of the same era on the same link, and a TCP
// and UDP stack (the same protocol machine as the guests', ./tcp.ts) running the services of
// ./peer-services.ts on the ports the lab gives it.
//
// It is an ideal host, by design: every frame is handled `turnaroundNs` after it arrives,
// however many arrive (a many-core server with its own interrupt coalescing is never the
// bottleneck of one guest's traffic), in arrival order. Only its NIC's queue and the wire limit
// it. It learns each sender's MAC from the frames it receives and answers to it; frames for
// other MACs (a bridge flooding before it has learned) are ignored.
import { Timer, type Engine } from '../engine';
import {
  BROADCAST_MAC, parseFrame, tcpFrame, udpFrame, type Ip4, type Mac, type ParsedFrame, type TcpFields,
} from './frame';
import { EthernetPort, type FrameSink, type LinkTiming } from './link';
import { tcpService, udpSeq, UdpServiceStats, type ServiceSpec, type TcpService } from './peer-services';
import { TcpConnection } from './tcp';

export interface PeerOptions {
  readonly mac: Mac;
  readonly ip: Ip4;
  /** MSS it offers: its MTU minus 40. */
  readonly mss: number;
  /** Socket buffers of its connections. */
  readonly sockBuf: number;
  /** Time from a frame's arrival to the peer's answer. */
  readonly turnaroundNs: number;
  /** Frames its NIC queues. */
  readonly txQueueFrames: number;
}

interface Conn {
  readonly tcp: TcpConnection;
  readonly svc: TcpService;
  readonly mac: Mac;
  readonly ip: Ip4;
  readonly port: number;
  readonly localPort: number;
  readonly timer: Timer;
  ipId: number;
}

export class PeerStats {
  framesIn = 0;
  framesIgnored = 0;
  badFrames = 0;
  /** Segments its NIC queue refused (TCP sends them again). */
  txRefused = 0;
  /** Segments for a port nobody listens on. */
  noListener = 0;
}

export class RemotePeer implements FrameSink {
  readonly port: EthernetPort;
  readonly stats = new PeerStats();
  private readonly tcpServices = new Map<number, ServiceSpec>();
  private readonly udpServices = new Map<number, { spec: ServiceSpec; stats: UdpServiceStats }>();
  private readonly conns = new Map<string, Conn>();
  private nextIss = 0x1000_0000;

  constructor(
    private readonly engine: Engine,
    timing: LinkTiming,
    readonly opts: PeerOptions,
  ) {
    this.port = new EthernetPort(engine, timing, opts.txQueueFrames);
    this.port.receiver = this;
    this.port.onSpace = () => this.flushAll();
  }

  listenTcp(port: number, spec: ServiceSpec): void {
    this.tcpServices.set(port, spec);
  }

  listenUdp(port: number, spec: ServiceSpec): UdpServiceStats {
    const stats = new UdpServiceStats();
    this.udpServices.set(port, { spec, stats });
    return stats;
  }

  /** Every TCP connection's service counters, keyed "ip:port>localPort". */
  connections(): { key: string; localPort: number; stats: TcpService['stats']; tcp: TcpConnection }[] {
    return [...this.conns.entries()].map(([key, c]) => ({ key, localPort: c.localPort, stats: c.svc.stats, tcp: c.tcp }));
  }

  udpStats(port: number): UdpServiceStats | undefined {
    return this.udpServices.get(port)?.stats;
  }

  receive(frame: Uint8Array): void {
    this.engine.at(this.engine.now + this.opts.turnaroundNs, { fire: () => this.handle(frame) });
  }

  private handle(frame: Uint8Array): void {
    this.stats.framesIn++;
    const p = parseFrame(frame);
    if (p.kind === 'bad') return void this.stats.badFrames++;
    if ((p.dstMac !== this.opts.mac && p.dstMac !== BROADCAST_MAC) || p.kind === 'other' || p.dstIp !== this.opts.ip) {
      this.stats.framesIgnored++;
      return;
    }
    if (p.kind === 'tcp') this.handleTcp(p);
    else this.handleUdp(p);
  }

  private handleTcp(p: Extract<ParsedFrame, { kind: 'tcp' }>): void {
    const key = `${p.srcIp}:${p.tcp.srcPort}>${p.tcp.dstPort}`;
    let c = this.conns.get(key);
    if (!c) {
      const spec = this.tcpServices.get(p.tcp.dstPort);
      if (!spec) return void this.stats.noListener++;
      c = this.open(key, p, spec);
    }
    const got = c.tcp.input(p.tcp, p.payload.length, this.engine.now);
    if (got) c.svc.onData(p.payload.subarray(got.from, got.from + got.len), got.offset);
    this.flush(c);
  }

  private open(key: string, p: Extract<ParsedFrame, { kind: 'tcp' }>, spec: ServiceSpec): Conn {
    const tcp = new TcpConnection({ mss: this.opts.mss, rcvBuf: this.opts.sockBuf, sndBuf: this.opts.sockBuf, iss: this.nextIss, nodelay: true });
    this.nextIss = (this.nextIss + 0x0100_0000) >>> 0;
    tcp.listen();
    const c: Conn = {
      tcp, svc: tcpService(spec, tcp, p.srcIp, this.opts.ip), mac: p.srcMac, ip: p.srcIp, port: p.tcp.srcPort, localPort: p.tcp.dstPort,
      timer: new Timer(this.engine, () => this.onTimer(c)), ipId: 0,
    };
    this.conns.set(key, c);
    return c;
  }

  private onTimer(c: Conn): void {
    c.tcp.onTimer(this.engine.now);
    this.flush(c);
  }

  /** Lets the service queue data, sends what TCP allows and the NIC has room for, re-arms. */
  private flush(c: Conn): void {
    const now = this.engine.now;
    c.svc.pump();
    const room = this.opts.txQueueFrames - this.port.backlog;
    for (const seg of c.tcp.output(now, room)) {
      const fields: TcpFields = { ...seg.fields, srcPort: c.localPort, dstPort: c.port };
      const payload = seg.len > 0 ? c.svc.payload(seg.offset, seg.len) : EMPTY;
      if (!this.port.send(tcpFrame(this.addrs(c.mac, c.ip), fields, payload, c.ipId++))) this.stats.txRefused++;
    }
    const at = c.tcp.nextDeadline();
    if (at === Infinity) c.timer.cancel();
    else if (!c.timer.armed || c.timer.deadline !== at) c.timer.set(Math.max(at, now));
  }

  private flushAll(): void {
    for (const c of this.conns.values()) if (c.tcp.wantsOutput(this.engine.now)) this.flush(c);
  }

  private handleUdp(p: Extract<ParsedFrame, { kind: 'udp' }>): void {
    const svc = this.udpServices.get(p.udp.dstPort);
    if (!svc) return void this.stats.noListener++;
    svc.stats.note(p.srcIp * 65536 + p.udp.srcPort, udpSeq(p.payload), p.payload.length);
    if (svc.spec.kind !== 'rr') return;
    const reply = new Uint8Array(Math.max(4, svc.spec.response));
    reply.set(p.payload.subarray(0, 4));
    svc.stats.replies++;
    const f = udpFrame(this.addrs(p.srcMac, p.srcIp), { srcPort: p.udp.dstPort, dstPort: p.udp.srcPort }, reply);
    if (!this.port.send(f)) this.stats.txRefused++;
  }

  private addrs(mac: Mac, ip: Ip4) {
    return { dstMac: mac, srcMac: this.opts.mac, srcIp: this.opts.ip, dstIp: ip };
  }
}

const EMPTY = new Uint8Array(0);
