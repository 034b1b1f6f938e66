// A KVM guest's network interface, as QEMU and the host kernel give it one (the Xen host's is
// ./net.ts). The host kernel plays dom0's part: its bridge br0 joins the guests' taps and the
// physical NIC (./net.ts kvmHostNetwork). Per guest, the vif's `model=`:
//   e1000 (QEMU's default), rtl8139  the same register models as a Xen HVM guest's, in QEMU:
//            every register access returns from KVM_RUN to QEMU's vCPU thread, which also writes
//            transmitted frames into the tap; received frames are read by QEMU's I/O thread;
//            the interrupt is KVM_IRQ_LINE (host/qemu/tap.ts).
//   virtio   virtio-net on virtio-pci (host/virtio/net.ts): its queues' notify writes are
//            ioeventfds, its interrupts irqfds; served by QEMU's I/O thread, or for spec.vhostNet
//            (the file's `vhost: 1`; libvirt's default for a virtio interface) by a vhost-net
//            worker in the host kernel, which QEMU never hears from per packet.
// Addresses are chosen as on a Xen host (guestIp, guestMac). A native guest on a KVM host's
// machine drives the NIC itself, as on Xen.
import { E1000 } from '../../hw/devices/e1000/index';
import { Rtl8139 } from '../../hw/devices/rtl8139/index';
import { VIRTIO_MSIX_FIRST_LINE, VIRTIO_MSIX_VECTORS, VIRTIO_PCI_BAR_NET, VirtioPciTransport } from '../../hw/devices/virtio/index';
import type { BridgePort } from '../../dom0/net/bridge';
import { HostThread } from '../../host/thread';
import { QemuTap } from '../../host/qemu/tap';
import { VirtioNetDevice } from '../../host/virtio/net';
import { VIRTIO_NET_RX_QUEUE, VIRTIO_NET_TX_QUEUE } from '../../hypervisor/public/io/virtio_net';
import type { VifSpec } from '../scenario/types';
import { guestPage, guestRam } from './guest-ram';
import { attachNetwork, guestIp, guestMac, kvmHostNetwork, NIC_IRQ, type GuestNet, type HostNetwork } from './net';
import type { GuestEntry, World } from './world';

/** The NIC models a KVM guest can have, the first QEMU's default on a PC machine. */
export const KVM_NIC_MODELS = ['e1000', 'rtl8139', 'virtio'] as const;

/** A KVM guest's interfaces (its first vif's, or a default one if its workload needs a network). */
export function attachKvmNetwork(w: World, g: GuestEntry, vifs: readonly VifSpec[], wantsNet: boolean): string | undefined {
  const specs = vifs.length > 0 ? vifs : wantsNet ? [{ bridge: 'br0' } as VifSpec] : [];
  if (specs.length === 0) return undefined;
  const net = kvmHostNetwork(w);
  if (g.mode === 'native') return attachNetwork(w, g, specs, wantsNet);
  const qemu = g.qemu;
  if (!qemu) return `${g.domain.name}: networking for a guest QEMU runs under TCG on a KVM host is not modelled (it needs VT-x)`;
  const first = specs[0]!;
  const d = g.domain;
  const gn: GuestNet = { ip: guestIp(d.id, first.devid ?? 0), mac: guestMac(d.id, first.devid ?? 0, first), vifs: [] };
  g.net = gn;
  net.neighbours.set(gn.ip, gn.mac);
  net.byName.set(d.name, gn.ip);
  const model = first.model ?? 'e1000';
  if (model === 'virtio') return attachVirtioNet(w, g, gn, net, g.spec?.vhostNet === true);
  if (model === 'e1000' || model === 'rtl8139') return attachEmulatedNic(w, g, gn, net, model);
  return `vif model ${model} is not emulated by pvlab on a KVM host (${KVM_NIC_MODELS.join(', ')})`;
}

/** An e1000 or rtl8139 in QEMU, its frames through a tap on the host's bridge. */
function attachEmulatedNic(w: World, g: GuestEntry, gn: GuestNet, net: HostNetwork, model: 'e1000' | 'rtl8139'): undefined {
  const kvm = w.kvm!;
  const d = g.domain;
  const qemu = g.qemu!;
  const softirq = net.softirq!;
  const port: BridgePort = { name: `tap${d.id}`, deliver: (f) => tap.deliver(f) };
  const tap: QemuTap = new QemuTap(port.name, {
    ioThread: qemu.ioThread,
    readable: kvm.eventfd(qemu.ioVcpu), // no kick latency: see attachVirtioNet
    intoKernel: (f, payer) => softirq.within(payer, () => net.bridge.input(port, f)),
    vcpuCharge: (user, kernel) => kvm.vm(d)?.chargeHandler(user, kernel),
    costs: { kernel: w.profile.kernel, net: w.profile.net },
  });
  const irq = { raise: () => { tap.stats.irqsRaised++; kvm.irqLine(d, NIC_IRQ); }, lower: () => {} };
  const mem = guestRam(w, d);
  const device = model === 'e1000' ? new E1000(w.engine, irq, mem, tap, { mac: gn.mac }) : new Rtl8139(irq, mem, tap, { mac: gn.mac });
  tap.attach(device);
  net.bridge.add(port);
  qemu.io.attach(device);
  Object.assign(gn, { model, device, qemuTap: tap, attached: device });
  return undefined;
}

/** virtio-net: ioeventfd kicks and irqfd interrupts, served by the I/O thread or vhost-net. */
function attachVirtioNet(w: World, g: GuestEntry, gn: GuestNet, net: HostNetwork, vhost: boolean): undefined {
  const kvm = w.kvm!;
  const d = g.domain;
  const qemu = g.qemu!;
  const softirq = net.softirq!;
  const worker = vhost ? new HostThread(`vhost-net-${d.name}`, 'kernel', 0) : qemu.ioThread;
  const workerVcpu = vhost ? kvm.spawnThread(d, (env) => worker.main(env)) : qemu.ioVcpu;
  if (vhost) qemu.vhostNet = worker;
  // A kick (an ioeventfd: the guest's notify write) wakes QEMU's I/O thread from ppoll after
  // virt.ioeventfdWakeNs, the measured guest->host notification latency; a vhost worker is woken
  // in the kernel. The tap turning readable is no guest notification: like virtio-blk's
  // completion eventfd it wakes the thread with no kick latency (charging it would make every
  // received frame pay a second kick, as if the response were a guest->host notification).
  const kick = () => kvm.eventfd(workerVcpu, vhost ? 0 : w.profile.virt.ioeventfdWakeNs);
  const irqfds = Array.from({ length: VIRTIO_MSIX_VECTORS }, (_, v) => kvm.irqfd(d, VIRTIO_MSIX_FIRST_LINE + v));
  const port: BridgePort = { name: `vnet${d.id}`, deliver: (f) => device.deliver(f) };
  const [kickRx, kickTx] = [kick(), kick()];
  const device: VirtioNetDevice = new VirtioNetDevice({
    thread: worker, page: guestPage(w, d), memory: guestRam(w, d), mac: gn.mac, kickRx, kickTx, tapReadable: kvm.eventfd(workerVcpu),
    tapSend: (f) => softirq.within((ns) => worker.charge(ns, 'kernel'), () => net.bridge.input(port, f)),
    irqfd: (vector) => irqfds[vector],
    costs: { kernel: w.profile.kernel, devices: w.profile.devices, net: w.profile.net },
  });
  const transport = new VirtioPciTransport(device, VIRTIO_PCI_BAR_NET);
  kvm.ioeventfd(d, 'mmio', transport.notifyAddress(VIRTIO_NET_RX_QUEUE), kickRx);
  kvm.ioeventfd(d, 'mmio', transport.notifyAddress(VIRTIO_NET_TX_QUEUE), kickTx);
  qemu.io.attach(transport);
  net.bridge.add(port);
  qemu.net = { device, transport };
  Object.assign(gn, { model: 'virtio', virtio: device });
  return undefined;
}
