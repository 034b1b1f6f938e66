// The guest kernel's network stack: one interface (a NetDevice), IPv4 with a static neighbour
// table, TCP and UDP sockets. It is the same code in every kind of guest; what differs is the
// driver below it and how the kernel sleeps and takes interrupts (NetHost).
//
// The bottom half runs NAPI-style: when the device has signalled, acknowledge it once, poll it
// until it is drained — each frame through IP into its socket — then re-arm it. Transmission
// is batched: after the frames of a poll (or an application's write) every socket hands over
// the segments its window allows, and the device is kicked once for all of them. Events and
// interrupts that arrive while the kernel runs are taken at the next system call or when it
// sleeps (pvlab's guests are not preempted by interrupts mid-computation).
//
// Costs (platform profile): stackPerPacketNs and driverPerPacketNs for each packet, in either
// direction; a system call's entry and the copy of its bytes between user and kernel; what is
// particular to one driver (an interrupt's entry, a bounce-buffer copy) the driver charges. Simplifications: no ARP (neighbours are configured), no routing,
// no IP fragmentation (a datagram fits the MTU), no IP options; a frame for another MAC or IP
// is dropped.
import type { KernelCosts, NetCosts } from '../../hw/platforms/profile';
import { BROADCAST_MAC, parseFrame, type Ip4, type Mac, type ParsedFrame } from '../../hw/net/frame';
import { block, compute, type VcpuEnv } from '../../hypervisor/public/guest';
import { BufferPool } from './buffers';
import type { NetDevice, TxFrame } from './netdev';
import { TcpSocket, UdpSocket, type Remote, type SocketHost } from './socket';
import type { KGen } from '../kernel/types';

/** How the kernel under the stack sleeps and takes its events or interrupts. */
export interface NetHost {
  readonly env: VcpuEnv;
  readonly kernel: KernelCosts;
  readonly net: NetCosts;
  allocPage(): number;
  /** Sleeps until an event or interrupt arrives (or `until`), and takes it. */
  sleep(until: number): KGen;
  /** Takes events or interrupts that arrived while the kernel ran, without sleeping. */
  takePending(): KGen;
  /** `count` system calls' entry and return, as the kernel's mode makes them cost (a PV
   *  kernel's bounce through Xen, binary translation's callout, emulation's slowdown). */
  syscalls(count: number): KGen;
}

export interface NetConfig {
  readonly ip: Ip4;
  readonly mtu: number;
  /** IPv4 → MAC of every host the guest talks to (static ARP). */
  readonly neighbours: ReadonlyMap<Ip4, Mac>;
}

export class NetStackStats {
  framesIn = 0;
  framesOut = 0;
  /** Frames not for this host, malformed, or for a port nobody listens on. */
  dropped = 0;
  softirqs = 0;
}

/** NAPI's per-poll budget (Linux's default weight). */
const NAPI_BUDGET = 64;
/** Header buffers in flight per interface. */
const POOL_BUFFERS = 1024;
const FIRST_EPHEMERAL_PORT = 32768;

export class NetStack implements SocketHost {
  readonly stats = new NetStackStats();
  readonly pool: BufferPool;
  readonly mem: SocketHost['mem'];
  private readonly tcp = new Map<string, TcpSocket>();
  private readonly listeners = new Map<number, (from: Remote) => TcpSocket | undefined>();
  private readonly udp = new Map<number, UdpSocket>();
  private owedNs = 0;
  /** System calls made since the last settle, their entries not yet paid. */
  private owedSyscalls = 0;
  private queued = 0;
  private nextPort = FIRST_EPHEMERAL_PORT;
  private nextIss = 0x0100_0000;

  constructor(
    private readonly host: NetHost,
    readonly dev: NetDevice,
    readonly cfg: NetConfig,
  ) {
    this.mem = { allocPage: () => host.allocPage(), page: (gfn) => host.env.page(gfn) };
    this.pool = new BufferPool(this.mem, POOL_BUFFERS);
  }

  get ip(): Ip4 {
    return this.cfg.ip;
  }

  get mac(): Mac {
    return this.dev.mac;
  }

  /** The interface's MTU: the configured one, if the device can carry it. */
  get mtu(): number {
    return Math.min(this.cfg.mtu, this.dev.maxMtu ?? Infinity);
  }

  /** The MSS of this interface's MTU. */
  get mss(): number {
    return this.mtu - 40;
  }

  /** Fragments a TCP segment can need: the headers, and a payload crossing page boundaries. */
  private get fragsPerSegment(): number {
    return 2 + Math.ceil(this.mss / 4096);
  }

  now(): number {
    return this.host.env.now();
  }

  charge(ns: number): void {
    this.owedNs += ns;
  }

  syscall(bytes: number): void {
    this.owedSyscalls++;
    this.charge(bytes / this.host.kernel.memcpyBytesPerNs);
  }

  /** Who is at `ip`, as the neighbour table says. */
  remote(ip: Ip4, port: number): Remote | undefined {
    const mac = this.cfg.neighbours.get(ip);
    return mac === undefined ? undefined : { ip, port, mac };
  }

  tcpSocket(to: Remote, sockBuf: number, nodelay = false): TcpSocket {
    const s = new TcpSocket(this, this.nextPort++, to, { mss: this.mss, sockBuf, iss: this.iss(), nodelay });
    this.tcp.set(s.key, s);
    return s;
  }

  /** listen() on `port`; `accepted` gets each new connection's socket. */
  tcpListen(port: number, sockBuf: number, accepted: (s: TcpSocket) => void): void {
    this.listeners.set(port, (from) => {
      const s = new TcpSocket(this, port, from, { mss: this.mss, sockBuf, iss: this.iss() });
      s.tcp.listen();
      this.tcp.set(s.key, s);
      accepted(s);
      return s;
    });
  }

  udpSocket(port = this.nextPort++): UdpSocket {
    const s = new UdpSocket(this, port, this.mtu - 28);
    this.udp.set(port, s);
    return s;
  }

  /** Sleeps until something happens (or `until`, or a TCP timer), then runs the bottom half. */
  *wait(until = Infinity): KGen {
    yield* this.settle();
    yield* this.host.sleep(Math.min(until, this.nextTimer()));
    yield* this.softirq();
  }

  queue(f: TxFrame): boolean {
    if (this.dev.txRoom(f.frags.length) < 1 || !this.dev.queue(f)) return false;
    this.queued++;
    this.stats.framesOut++;
    this.charge(this.host.net.stackPerPacketNs + this.host.net.driverPerPacketNs);
    return true;
  }

  /** Sends every segment the sockets' windows allow and the device has room for; one kick. */
  *transmit(): KGen {
    const now = this.now();
    for (const s of this.tcp.values()) {
      if (!s.tcp.wantsOutput(now)) continue;
      const room = Math.min(this.dev.txRoom(this.fragsPerSegment), this.pool.available);
      for (const seg of s.tcp.output(now, room)) {
        const gpa = this.pool.alloc();
        this.queue(s.frame(seg, gpa, () => this.pool.release(gpa)));
      }
    }
    if (this.queued > 0) {
      this.queued = 0;
      yield* this.dev.kick();
    }
    yield* this.settle();
  }

  /** The bottom half: events taken, timers run, the device polled until drained, output sent. */
  *softirq(): KGen {
    yield* this.host.takePending();
    this.runTimers();
    for (let rounds = 0; rounds < 1000 && this.dev.signalled(); rounds++) {
      this.stats.softirqs++;
      yield* this.dev.ack();
      for (let polls = 0; polls < 1000; polls++) {
        const frames = yield* this.dev.poll(NAPI_BUDGET);
        for (const f of frames) this.input(f);
        yield* this.transmit();
        if (frames.length < NAPI_BUDGET) break;
      }
      yield* this.dev.rearm();
    }
    yield* this.transmit();
  }

  *settle(): KGen {
    if (this.owedSyscalls > 0) {
      const n = this.owedSyscalls;
      this.owedSyscalls = 0;
      yield* this.host.syscalls(n);
    }
    if (this.owedNs <= 0) return;
    const ns = Math.round(this.owedNs);
    this.owedNs = 0;
    if (ns > 0) yield compute(ns, 'kernel');
  }

  /** A blocking sleep with no stack work (a workload's think time). */
  *sleepUntil(t: number): KGen {
    while (this.now() < t) yield* this.wait(t);
  }

  private iss(): number {
    this.nextIss = (this.nextIss + 0x0101_0101) >>> 0;
    return this.nextIss;
  }

  private nextTimer(): number {
    let t = Infinity;
    for (const s of this.tcp.values()) t = Math.min(t, s.tcp.nextDeadline());
    return t;
  }

  private runTimers(): void {
    const now = this.now();
    for (const s of this.tcp.values()) if (s.tcp.nextDeadline() <= now) s.tcp.onTimer(now);
  }

  private input(frame: Uint8Array): void {
    this.stats.framesIn++;
    this.charge(this.host.net.stackPerPacketNs + this.host.net.driverPerPacketNs);
    const p = parseFrame(frame);
    if (p.kind !== 'tcp' && p.kind !== 'udp') return void this.stats.dropped++;
    if ((p.dstMac !== this.mac && p.dstMac !== BROADCAST_MAC) || p.dstIp !== this.ip) return void this.stats.dropped++;
    if (p.kind === 'tcp') this.inputTcp(p);
    else {
      const s = this.udp.get(p.udp.dstPort);
      if (s) s.deliver({ ip: p.srcIp, port: p.udp.srcPort, mac: p.srcMac }, p.payload);
      else this.stats.dropped++;
    }
  }

  private inputTcp(p: Extract<ParsedFrame, { kind: 'tcp' }>): void {
    let s = this.tcp.get(`${p.srcIp}:${p.tcp.srcPort}>${p.tcp.dstPort}`);
    if (!s) s = this.listeners.get(p.tcp.dstPort)?.({ ip: p.srcIp, port: p.tcp.srcPort, mac: p.srcMac });
    if (!s) return void this.stats.dropped++;
    s.input(p.tcp, p.payload);
  }
}

/** A kernel's idle sleep: SCHEDOP_block (PV) or HLT (HVM, native), with a timer if `until`. */
export function sleepOp(until: number) {
  return block(until === Infinity ? undefined : until);
}
