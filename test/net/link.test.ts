// The wire (hw/net/link.ts), the host's physical NIC (hw/net/nic.ts) and the remote peer
// (hw/net/peer.ts), without any simulated machine around them.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../hw/engine';
import { EthernetPort, type LinkTiming } from '../../hw/net/link';
import { PhysicalNic } from '../../hw/net/nic';
import { RemotePeer } from '../../hw/net/peer';
import { parseFrame, tcpFrame, udpFrame } from '../../hw/net/frame';
import { TcpConnection } from '../../hw/net/tcp';
import { fillStream, streamSeedOf } from '../../hw/net/stream';

const GIGABIT: LinkTiming = { bytesPerNs: 0.125, frameOverheadBytes: 24, perPacketNs: 800, latencyNs: 3000 };
const ME = { mac: 0x00163e000001, ip: 0x0a010101 };
const PEER = { mac: 0x001b21000001, ip: 0x0a000001 };

function wire(queue = 4) {
  const engine = new Engine();
  const a = new EthernetPort(engine, GIGABIT, queue);
  const b = new EthernetPort(engine, GIGABIT, queue);
  EthernetPort.connect(a, b);
  const got: [number, number][] = [];
  b.receiver = { receive: (f) => got.push([engine.now, f.length]) };
  return { engine, a, b, got };
}

describe('the wire', () => {
  it('a frame arrives after its fetch, its serialization (with preamble, FCS and gap) and the switch', () => {
    const w = wire();
    w.a.send(new Uint8Array(1514));
    w.engine.run();
    expect(w.got).toEqual([[800 + (1514 + 24) * 8 + 3000, 1514]]);
  });

  it('back-to-back frames leave at the link rate (fetching overlaps sending)', () => {
    const w = wire(8);
    for (let i = 0; i < 4; i++) w.a.send(new Uint8Array(1514));
    w.engine.run();
    const gaps = w.got.slice(1).map(([t], i) => t - w.got[i]![0]);
    expect(gaps).toEqual([12304, 12304, 12304]);
  });

  it('a full queue refuses frames and says when it has room again', () => {
    const w = wire(2);
    let room = 0;
    w.a.onSpace = () => room++;
    expect([w.a.send(new Uint8Array(100)), w.a.send(new Uint8Array(100)), w.a.send(new Uint8Array(100))]).toEqual([true, true, false]);
    w.engine.run();
    expect([room, w.got.length, w.a.stats.txRefused]).toEqual([2, 2, 1]);
  });
});

describe('the physical NIC', () => {
  it('interrupts at once for a lone frame, and no more often than its moderation allows under load', () => {
    const engine = new Engine();
    const irqs: number[] = [];
    const nic = new PhysicalNic(engine, GIGABIT, { txQueueFrames: 10, rxRingFrames: 100, rxCoalesceNs: 20_000 }, () => irqs.push(engine.now));
    const drain = () => {
      nic.take(100);
      nic.enableIrq();
    };
    nic.receive(new Uint8Array(60));
    engine.run();
    expect(irqs).toEqual([0]);
    drain();
    engine.at(1000, { fire: () => [1, 2, 3, 4].forEach(() => nic.receive(new Uint8Array(60))) });
    engine.run();
    expect(irqs).toEqual([0, 1000]);
    drain();
    engine.at(2000, { fire: () => nic.receive(new Uint8Array(60)) });
    engine.run();
    expect(irqs).toEqual([0, 1000, 21_000]);
  });
});

describe('the remote peer', () => {
  it('accepts a TCP connection on its sink port and checks every byte it is sent', () => {
    const engine = new Engine();
    const peer = new RemotePeer(engine, GIGABIT, { ...PEER, mss: 1460, sockBuf: 1 << 20, turnaroundNs: 2000, txQueueFrames: 100 });
    peer.listenTcp(5001, { kind: 'sink' });
    const me = new EthernetPort(engine, GIGABIT, 100);
    EthernetPort.connect(me, peer.port);
    const tcp = new TcpConnection({ mss: 1460, rcvBuf: 65536, sndBuf: 65536, iss: 1000 });
    const addrs = { dstMac: PEER.mac, srcMac: ME.mac, srcIp: ME.ip, dstIp: PEER.ip };
    const seed = streamSeedOf(ME.ip);
    let written = 0;
    const pump = () => {
      for (const s of tcp.output(engine.now)) {
        const payload = new Uint8Array(s.len);
        fillStream(payload, seed, s.offset);
        me.send(tcpFrame(addrs, { ...s.fields, srcPort: 40000, dstPort: 5001 }, payload));
      }
    };
    me.receiver = {
      receive: (f) => {
        const p = parseFrame(f);
        if (p.kind === 'tcp') tcp.input(p.tcp, p.payload.length, engine.now);
        const k = tcp.established ? Math.min(tcp.sendSpace(), 100_000 - written) : 0;
        tcp.write(k);
        written += k;
        pump();
      },
    };
    tcp.connect(0);
    pump();
    engine.run(1e9);
    const [c] = peer.connections();
    expect(c?.stats).toMatchObject({ bytesIn: 100_000, verifyErrors: 0 });
    expect(peer.stats.framesIgnored).toBe(0);
  });

  it('counts UDP datagrams by their sequence numbers, and ignores frames for other MACs', () => {
    const engine = new Engine();
    const peer = new RemotePeer(engine, GIGABIT, { ...PEER, mss: 1460, sockBuf: 1 << 20, turnaroundNs: 0, txQueueFrames: 100 });
    const stats = peer.listenUdp(9, { kind: 'sink' });
    const seqd = (n: number) => Uint8Array.of(0, 0, 0, n, 9, 9);
    for (const n of [0, 1, 3, 2]) peer.receive(udpFrame({ dstMac: PEER.mac, srcMac: ME.mac, srcIp: ME.ip, dstIp: PEER.ip }, { srcPort: 7, dstPort: 9 }, seqd(n)));
    peer.receive(udpFrame({ dstMac: 0x1234, srcMac: ME.mac, srcIp: ME.ip, dstIp: PEER.ip }, { srcPort: 7, dstPort: 9 }, seqd(4)));
    engine.run();
    expect([stats.datagrams, stats.lost, stats.outOfOrder, peer.stats.framesIgnored]).toEqual([4, 1, 1, 1]);
  });
});
