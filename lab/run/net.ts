// The host's network, as the lab wires it (REFERENCE §8.4): the physical NIC and the wire to
// the remote peer outside the machine, dom0's bridge xenbr0 with the NIC's driver as peth0,
// and per guest its interfaces: for PV drivers a vif (xenstore nodes and a netback on the
// bridge), for an emulated NIC an e1000 or rtl8139 (vif `model=`, rtl8139 by default as in
// Xen) in the device model with a tap on the bridge — or, for the native baseline, an e1000
// that IS the machine's NIC, on the wire itself. Addresses: a vif's `mac=` or 00:16:3e plus
// the domain and device ids; IPv4 10.x.<domid>.<devid+2>; the peer 10.0.0.1. Every guest
// knows every other's address (static ARP).
// A scenario runs either a native guest or virtualized ones on the network, not both: the
// native guest's NIC takes the machine's only cable.
import { E1000 } from '../../hw/devices/e1000/index';
import { Rtl8139 } from '../../hw/devices/rtl8139/index';
import type { DmaMemory, IrqLine } from '../../hw/devices/bus';
import { ETH_HLEN, parseMac, type Ip4, type Mac } from '../../hw/net/frame';
import { EthernetPort, type LinkTiming } from '../../hw/net/link';
import { PhysicalNic } from '../../hw/net/nic';
import { RemotePeer } from '../../hw/net/peer';
import { Bridge } from '../../dom0/net/bridge';
import { PhysNicDriver } from '../../dom0/net/physdev';
import { TapBackend } from '../../dom0/qemu/nic';
import type { Netback } from '../../dom0/netback';
import type { NetStack } from '../../guests/net/stack';
import type { NetJob } from '../../guests/workloads/net';
import { HostThread } from '../../host/thread';
import { HostSoftirq } from '../../host/net/softirq';
import type { QemuTap } from '../../host/qemu/tap';
import type { VirtioNetDevice } from '../../host/virtio/net';
import type { VifSpec } from '../scenario/types';
import { guestRam } from './guest-ram';
import type { EmulatedPlatform } from './hvm';
import { addVif } from './toolstack';
import type { GuestEntry, World } from './world';

export const PEER_IP: Ip4 = 0x0a00_0001;
export const PEER_MAC: Mac = 0x001b_2100_0001;
/** The emulated NIC's legacy interrupt line (both models). */
export const NIC_IRQ = 10;
/** Frames the physical NIC queues for the wire (Linux txqueuelen 1000). */
const PHYS_TX_QUEUE = 1000;
const PHYS_RX_RING = 512;
/** Frames a native e1000 holds in its transmit FIFO before it stops taking descriptors. */
const NATIVE_TX_FIFO = 8;
const PEER_SOCKBUF = 4 * 1024 * 1024;

export interface HostNetwork {
  bridge: Bridge;
  peer: RemotePeer;
  nic: PhysicalNic;
  physdev: PhysNicDriver;
  timing: LinkTiming;
  /** Every interface's address, for every guest's neighbour table and `peer: <name>`. */
  neighbours: Map<Ip4, Mac>;
  byName: Map<string, Ip4>;
  /** Kicks dom0 to run queued work (an event on an IPI port of its vCPU 0). */
  wake: () => void;
  /** On a KVM host: the host kernel's network processing, which stands where dom0's is. */
  softirq?: HostSoftirq;
}

export type NicModelName = 'e1000' | 'rtl8139' | 'virtio';

/** A guest's network side, for its workload and the reports. */
export interface GuestNet {
  ip: Ip4;
  mac: Mac;
  vifs: Netback[];
  model?: NicModelName;
  device?: E1000 | Rtl8139;
  tap?: TapBackend;
  /** On a KVM host: QEMU's tap under an emulated NIC, or the virtio-net device. */
  qemuTap?: QemuTap;
  virtio?: VirtioNetDevice;
  /** The emulated NIC's register window as attached (to unplug it). */
  attached?: Parameters<EmulatedPlatform['io']['attach']>[0];
  stack?: NetStack;
  job?: NetJob;
}

export function linkTiming(w: World): LinkTiming {
  const n = w.profile.net;
  return { bytesPerNs: n.nicBytesPerNs, frameOverheadBytes: n.frameOverheadBytes - ETH_HLEN, perPacketNs: n.nicPerPacketNs, latencyNs: n.wireLatencyNs };
}

/** The host's network, built the first time a guest needs it. */
export function hostNetwork(w: World): HostNetwork {
  if (w.net) return w.net;
  const hv = w.hv;
  const k = w.dom0.kernel;
  const timing = linkTiming(w);
  const n = w.profile.net;
  const bridge = new Bridge('xenbr0', k, n.bridgePerPacketNs);
  const irqPort = hv.evtchn.bindIpi(0, 0);
  const wakePort = hv.evtchn.bindIpi(0, 0);
  const nic = new PhysicalNic(w.engine, timing, { txQueueFrames: PHYS_TX_QUEUE, rxRingFrames: PHYS_RX_RING, rxCoalesceNs: n.nicRxCoalesceNs }, () => void hv.evtchn.send(0, irqPort));
  const physdev = new PhysNicDriver(k, nic, bridge, n.driverPerPacketNs);
  k.dispatch[0]!.bind(irqPort, () => physdev.onIrq());
  k.dispatch[0]!.bind(wakePort, () => {});
  bridge.add(physdev);
  const peer = remotePeer(w, timing, nic);
  w.net = { bridge, peer, nic, physdev, timing, neighbours: new Map([[PEER_IP, PEER_MAC]]), byName: new Map(), wake: () => void hv.evtchn.send(0, wakePort) };
  return w.net;
}

/** A KVM host's network: the same NIC, wire, peer, bridge (br0) and NIC driver, run by the host
 *  kernel itself — its softirq thread, scheduled by CFS — since there is no dom0. */
export function kvmHostNetwork(w: World): HostNetwork {
  if (w.net) return w.net;
  const kvm = w.kvm!;
  const n = w.profile.net;
  const timing = linkTiming(w);
  const thread = new HostThread('ksoftirqd', 'kernel', 0);
  const softirq = new HostSoftirq(thread, kvm.eventfd(kvm.spawnThread(kvm.host, (env) => thread.main(env))), w.profile.kernel.irqEntryNs);
  const bridge = new Bridge('br0', softirq, n.bridgePerPacketNs);
  const nic: PhysicalNic = new PhysicalNic(w.engine, timing, { txQueueFrames: PHYS_TX_QUEUE, rxRingFrames: PHYS_RX_RING, rxCoalesceNs: n.nicRxCoalesceNs }, () => softirq.irq(() => physdev.onIrq()));
  const physdev = new PhysNicDriver(softirq, nic, bridge, n.driverPerPacketNs);
  bridge.add(physdev);
  const peer = remotePeer(w, timing, nic);
  w.net = { bridge, peer, nic, physdev, timing, neighbours: new Map([[PEER_IP, PEER_MAC]]), byName: new Map(), wake: () => {}, softirq };
  return w.net;
}

/** The remote peer on the other end of the machine's cable, with its services. */
function remotePeer(w: World, timing: LinkTiming, nic: PhysicalNic): RemotePeer {
  const n = w.profile.net;
  const peer = new RemotePeer(w.engine, timing, { mac: PEER_MAC, ip: PEER_IP, mss: n.mtuBytes - 40, sockBuf: PEER_SOCKBUF, turnaroundNs: n.stackPerPacketNs + n.driverPerPacketNs, txQueueFrames: PHYS_TX_QUEUE });
  EthernetPort.connect(nic.port, peer.port);
  peer.listenTcp(5001, { kind: 'sink' });
  peer.listenTcp(5002, { kind: 'source' });
  peer.listenUdp(9, { kind: 'sink' });
  return peer;
}

export function guestIp(domid: number, devid: number): Ip4 {
  return (0x0a00_0000 + ((1 + (domid >>> 8)) << 16) + ((domid & 0xff) << 8) + devid + 2) >>> 0;
}

export function guestMac(domid: number, devid: number, spec: VifSpec | undefined): Mac {
  return parseMac(spec?.mac ?? '') ?? 0x0016_3e00_0000 + domid * 256 + devid;
}

/** A guest's interfaces (its first vif's, or a default one if its workload needs a network). */
export function attachNetwork(w: World, g: GuestEntry, vifs: readonly VifSpec[], wantsNet: boolean): string | undefined {
  const specs = vifs.length > 0 ? vifs : wantsNet ? [{ bridge: 'xenbr0' } as VifSpec] : [];
  if (specs.length === 0) return undefined;
  const net = hostNetwork(w);
  const d = g.domain;
  const first = specs[0]!;
  const gn: GuestNet = { ip: guestIp(d.id, first.devid ?? 0), mac: guestMac(d.id, first.devid ?? 0, first), vifs: [] };
  g.net = gn;
  net.neighbours.set(gn.ip, gn.mac);
  net.byName.set(d.name, gn.ip);
  if (g.mode === 'pv' || g.mode === 'pvh' || g.mode === 'pvhvm') {
    specs.forEach((v, i) => {
      const devid = v.devid ?? i;
      gn.vifs.push(addVif(w.dom0, net.bridge, d, v, devid, i === 0 ? gn.mac : guestMac(d.id, devid, v), w.profile.net.driverPerPacketNs));
    });
  }
  // The native kernel drives the machine's own e1000; an HVM guest gets the model it asked for.
  if (g.platform && first.type !== 'vif') return attachNic(w, g, gn, net, g.mode === 'native' ? 'e1000' : first.model ?? 'rtl8139');
  return undefined;
}

/** The emulated (or, natively, the real) NIC on the guest's platform. */
function attachNic(w: World, g: GuestEntry, gn: GuestNet, net: HostNetwork, model: string): string | undefined {
  if (model !== 'e1000' && model !== 'rtl8139') return `vif model ${model} is not emulated by pvlab (e1000 or rtl8139)`;
  const platform = g.platform!;
  const accel = g.domain.hvm?.accel;
  const d = g.domain;
  let mem: DmaMemory;
  let irq: IrqLine;
  let backend: { send(f: Uint8Array): boolean };
  let port: EthernetPort | undefined;
  if (accel === 'bare') {
    port = new EthernetPort(w.engine, net.timing, NATIVE_TX_FIFO);
    EthernetPort.connect(port, net.peer.port);
    const p = port;
    backend = { send: (f) => p.send(f) };
    mem = guestRam(w, d);
    irq = { raise: () => w.hv.injectIrq(d, NIC_IRQ), lower: () => {} };
  } else {
    const k = w.profile.kernel;
    const inDm = platform.dm !== undefined;
    gn.tap = new TapBackend(w.dom0.kernel, net.bridge, d.id, 0, { perPacketNs: w.profile.net.driverPerPacketNs, memcpyBytesPerNs: k.memcpyBytesPerNs }, inDm ? 'device-model' : 'in-process', net.wake);
    backend = gn.tap;
    mem = platform.dm ? platform.dm.dma() : guestRam(w, d);
    const direct: IrqLine = { raise: () => w.hv.injectIrq(d, NIC_IRQ), lower: () => {} };
    irq = platform.dm ? gn.tap.irq(NIC_IRQ, platform.dm.irq(NIC_IRQ)) : direct;
  }
  const device = model === 'e1000' ? new E1000(w.engine, irq, mem, backend, { mac: gn.mac }) : new Rtl8139(irq, mem, backend, { mac: gn.mac });
  if (port) {
    port.receiver = { receive: (f) => void device.receive(f) };
    port.onSpace = () => device.backendReady();
  }
  gn.tap?.attach(device);
  gn.model = model;
  gn.device = device;
  gn.attached = gn.tap ? gn.tap.guard(device) : device;
  platform.io.attach(gn.attached);
  return undefined;
}

/** PVHVM's unplug of the emulated NICs (the platform device's mask bit 1). */
export function unplugNics(g: GuestEntry): void {
  const gn = g.net;
  if (!gn?.attached || !g.platform) return;
  g.platform.io.detach(gn.attached);
  gn.tap?.detach();
  gn.attached = undefined;
}

