// A KVM host's world (`host: {hypervisor: kvm}`): the same engine, storage, guest kernel and
// device register models as a Xen host, but no dom0 — the host kernel is the hypervisor, and
// CFS schedules every thread. Each guest is a QEMU process: its vCPU threads (the VM), QEMU's
// I/O thread, and a vhost worker per virtio device the kernel serves (spec.vhostBlk for the
// disk, spec.vhostNet for the NIC: ./kvm-net.ts), all host threads in the VM's cgroup. Its disk
// is emulated (IDE or AHCI, whose register accesses return to QEMU in user space), or virtio-blk
// (vd* disks) served by the I/O thread or by vhost-blk, with an ioeventfd for the kick and an
// irqfd for the interrupt. Without VT-x QEMU falls back to TCG, as on a Xen host's `tcg` mode.
import { IoSpace, type DmaMemory, type IrqLine } from '../../hw/devices/bus';
import { pagedMemory } from '../../hw/devices/paged';
import { IdeChannel } from '../../hw/devices/ide/index';
import { AhciHba } from '../../hw/devices/ahci/index';
import { Uart16550 } from '../../hw/devices/uart16550/index';
import { VIRTIO_MSIX_FIRST_LINE, VIRTIO_MSIX_VECTORS, VIRTIO_PCI_BAR, VirtioPciTransport } from '../../hw/devices/virtio/index';
import type { Domain } from '../../hypervisor/domain';
import type { GuestKernel } from '../../hypervisor/public/guest';
import { KVM_EXIT_NAME } from '../../hypervisor/public/kvm';
import type { Vcpu } from '../../hypervisor/vcpu';
import { KvmHost } from '../../hypervisor/kvm/host';
import type { CfsScheduler } from '../../hypervisor/sched/cfs';
import { HostThread } from '../../host/thread';
import { QemuAio } from '../../host/qemu/aio';
import { VirtioBlkDevice } from '../../host/virtio/blk';
import type { VirtioNetDevice } from '../../host/virtio/net';
import { NativeKernel } from '../../guests/kernel/native';
import { AHCI_DEFAULT } from '../../guests/drivers/ahci';
import { IDE_PRIMARY } from '../../guests/drivers/ide';
import { idle } from '../../guests/workloads/cpu';
import type { BlockTarget } from '../../dom0/volumes';
import type { Domain as DomainSpec } from '../scenario/types';
import { guestPage } from './guest-ram';
import { emulatedPlatform } from './hvm';
import type { GuestEntry, ModeChoice, World } from './world';
import { TCG_FALLBACK } from './qemu-notice';

const UART_IRQ = 4;

/** A QEMU process's host side: its threads and devices. */
export interface QemuProcess {
  ioThread: HostThread;
  /** The host thread (a vCPU of the host domain) the I/O thread runs on. */
  ioVcpu: Vcpu;
  /** The vhost-blk worker serving the virtio disk, for spec.vhostBlk. */
  vhostBlk?: HostThread;
  io: IoSpace;
  aio: QemuAio;
  virtio?: { device: VirtioBlkDevice; transport: VirtioPciTransport };
  disk?: IdeChannel | AhciHba;
  /** The virtio-net NIC (./kvm-net.ts), and the vhost-net worker serving it for spec.vhostNet. */
  net?: { device: VirtioNetDevice; transport: VirtioPciTransport };
  vhostNet?: HostThread;
}

/** The World of a KVM host: the host domain (id 0) stands where dom0 would. */
export function kvmWorld(base: Omit<World, 'dom0' | 'kvm'>, cfs: CfsScheduler): World {
  const host = new KvmHost(base.hv, cfs, base.scenario.dom0.memory);
  const w = { ...base, kvm: host } as World;
  Object.defineProperty(w, 'dom0', {
    get: () => {
      throw new Error('a KVM host has no dom0: the host kernel is the hypervisor (use world.kvm)');
    },
  });
  w.guests.push({ spec: undefined, mode: 'host', domain: host.host, workload: idle(), backends: [] });
  return w;
}

/** How a guest runs on a KVM host: kvm-vhost when a vhost worker serves one of its virtio
 *  devices (with `vhost: 1` it serves all of them; under libvirt, the NIC alone). */
export function kvmModeOf(spec: DomainSpec, hardwareVirt: boolean): ModeChoice {
  if (spec.type === 'native') return { mode: 'native', accel: 'bare' };
  if (spec.accel === 'tcg') return { mode: 'tcg', accel: 'tcg' };
  if (!hardwareVirt) return { mode: 'tcg', accel: 'tcg', notice: `${spec.name}: ${TCG_FALLBACK}` };
  const virtioDisk = spec.disk[0]?.vdev.startsWith('vd') ?? false;
  const virtioNic = spec.vif[0]?.model === 'virtio';
  if (!virtioDisk && !virtioNic) return { mode: 'kvm', accel: 'vtx' };
  const vhost = (virtioDisk && spec.vhostBlk === true) || (virtioNic && spec.vhostNet === true);
  return { mode: vhost ? 'kvm-vhost' : 'kvm-virtio', accel: 'vtx' };
}

/** QEMU starts a guest: the VM (paused), its threads and devices, and its kernel. The caller
 *  supplies the kernel trampoline, attaches its network (./kvm-net.ts), sets the workload and
 *  unpauses it. */
export function createKvmGuest(w: World, spec: DomainSpec, kernel: GuestKernel): GuestEntry | string {
  const kvm = w.kvm!;
  const choice = kvmModeOf(spec, w.profile.hardwareVirt);
  if (choice.notice) w.notices.push(choice.notice);
  const cfg = { name: spec.name, type: 'hvm' as const, vcpus: spec.vcpus, memoryMiB: spec.memory, maxmemMiB: spec.maxmem, weight: spec.cpu_weight, cap: 0, affinity: spec.cpus };
  const d = choice.mode === 'native' ? w.hv.createDomain(cfg, kernel, { accel: 'bare' }) : kvm.createVm(cfg, kernel, choice.accel === 'tcg' ? 'tcg' : 'vtx');
  if (typeof d === 'string') return d;
  const first = spec.disk[0];
  const target = first ? w.storage.resolve(first.target) : undefined;
  const hdtype = spec.hdtype ?? 'ide';
  const entry: GuestEntry = { spec, mode: choice.mode, domain: d, workload: idle(), backends: [] };
  if (choice.accel !== 'vtx') {
    // Native hardware, or QEMU alone under TCG: the devices are called directly (an IDE or AHCI
    // disk whatever the bus asked for: pvlab's TCG has neither ioeventfd nor vhost).
    entry.platform = emulatedPlatform(w, d, choice.accel!, hdtype, target);
    entry.native = new NativeKernel(w.profile.kernel, hdtype);
    return entry;
  }
  const qemu = startQemu(w, d, first?.vdev.startsWith('vd') ? (spec.vhostBlk ? 'vhost' : 'virtio') : hdtype, target);
  entry.qemu = qemu;
  entry.native = new NativeKernel(w.profile.kernel, qemu.virtio ? 'virtio' : hdtype);
  return entry;
}

/** QEMU's threads and devices for a VM under KVM. */
function startQemu(w: World, d: Domain, bus: 'ide' | 'ahci' | 'virtio' | 'vhost', target: BlockTarget | undefined): QemuProcess {
  const kvm = w.kvm!;
  const costs = { kernel: w.profile.kernel, devices: w.profile.devices };
  const ioThread = new HostThread(`qemu-${d.name}/io`, 'user', costs.kernel.syscallNs);
  const ioVcpu = kvm.spawnThread(d, (env) => ioThread.main(env));
  const qemu: QemuProcess = { ioThread, ioVcpu, io: new IoSpace(), aio: new QemuAio(ioThread, kvm.eventfd(ioVcpu), costs) };
  const ram = guestPage(w, d);
  const guest: QemuGuest = { w, d, ram, mem: pagedMemory(ram), irq: (line) => ({ raise: () => kvm.irqLine(d, line), lower: () => {} }) };
  if (target && (bus === 'ide' || bus === 'ahci')) attachEmulatedDisk(qemu, guest, bus, target);
  else if (target) attachVirtioDisk(qemu, guest, ioVcpu, bus === 'vhost', target);
  qemu.io.attach(new Uart16550(w.engine, guest.irq(UART_IRQ), { tx: 'instant' }));
  kvm.vm(d)!.userspace = qemu.io;
  return qemu;
}

/** What QEMU's devices see of their guest: its RAM (QEMU's own memory) and its IRQ lines. */
interface QemuGuest {
  w: World;
  d: Domain;
  ram: (gfn: number) => Uint8Array | undefined;
  mem: DmaMemory;
  /** KVM_IRQ_LINE on the in-kernel irqchip. */
  irq: (line: number) => IrqLine;
}

/** IDE or AHCI in QEMU: register handlers in the vCPU thread, completions on the I/O thread. */
function attachEmulatedDisk(qemu: QemuProcess, g: QemuGuest, hdtype: 'ide' | 'ahci', target: BlockTarget): void {
  const block = qemu.aio.backend(target);
  qemu.disk = hdtype === 'ahci'
    ? new AhciHba(block, g.irq(AHCI_DEFAULT.irq), g.mem, { abar: AHCI_DEFAULT.abar })
    : new IdeChannel(block, g.irq(IDE_PRIMARY.irq), g.mem, { bmBase: IDE_PRIMARY.bmBase });
  qemu.io.attach(qemu.disk);
}

/** virtio-blk on virtio-pci: the kick an ioeventfd, the interrupt an irqfd, the queue served by
 *  QEMU's I/O thread (woken from ppoll through user space) or by a vhost-blk worker (in the kernel). */
function attachVirtioDisk(qemu: QemuProcess, g: QemuGuest, ioVcpu: Vcpu, vhost: boolean, target: BlockTarget): void {
  const kvm = g.w.kvm!;
  const worker = vhost ? new HostThread(`vhost-${g.d.name}`, 'kernel', 0) : qemu.ioThread;
  const workerVcpu = vhost ? kvm.spawnThread(g.d, (env) => worker.main(env)) : ioVcpu;
  if (vhost) qemu.vhostBlk = worker;
  const kick = kvm.eventfd(workerVcpu, vhost ? 0 : g.w.profile.virt.ioeventfdWakeNs);
  const irqfds = Array.from({ length: VIRTIO_MSIX_VECTORS }, (_, v) => kvm.irqfd(g.d, VIRTIO_MSIX_FIRST_LINE + v));
  const device = new VirtioBlkDevice({
    thread: worker, page: g.ram, memory: g.mem, target, kick, done: kvm.eventfd(workerVcpu),
    costs: { kernel: g.w.profile.kernel, devices: g.w.profile.devices }, irqfd: (vector) => irqfds[vector],
  });
  const transport = new VirtioPciTransport(device, VIRTIO_PCI_BAR);
  kvm.ioeventfd(g.d, 'mmio', transport.notifyAddress(0), kick);
  qemu.io.attach(transport);
  qemu.virtio = { device, transport };
}

/** What a KVM guest's report adds: the exits that reached QEMU, and its notifications. */
export interface KvmDomainReport {
  /** Exits that returned to user space, by kvm_run.exit_reason name. */
  userExits: Record<string, number>;
  inKernelExits: number;
  ioeventfdKicks: number;
  irqfdInjections: number;
  /** Time QEMU's vCPU threads spent in device handlers (ns), inside the vCPUs' non-guest time. */
  handlerNs: number;
}

/** Notifications as the report counts them: a guest's kicks (ioeventfd) and kicks spared; the
 *  host's interrupts (irqfd) and interrupts spared; with the ring batches behind them. */
export function kvmNotifications(w: World, g: GuestEntry): { sent: number; suppressed: number; batches: number; items: number } {
  const out = { sent: 0, suppressed: 0, batches: 0, items: 0 };
  if (!w.kvm) return out;
  if (g.domain === w.kvm.host) {
    for (const x of w.guests) {
      const k = w.kvm.vm(x.domain);
      const dev = x.qemu?.virtio?.device.stats;
      out.sent += k?.counters.irqfdInjections ?? 0;
      out.suppressed += (dev?.interruptsSuppressed ?? 0) + (x.qemu?.net?.device.stats.interruptsSuppressed ?? 0);
    }
    return out;
  }
  const v = g.native?.virtio?.stats;
  out.sent = w.kvm.vm(g.domain)?.counters.ioeventfdKicks ?? 0;
  out.suppressed = (v?.notificationsSuppressed ?? 0) + (g.net?.virtio ? g.net.stack?.dev.stats.suppressed ?? 0 : 0);
  out.batches = v?.batches ?? 0;
  out.items = v?.requests ?? 0;
  return out;
}

export function kvmDomainReport(w: World, g: GuestEntry): KvmDomainReport | undefined {
  const k = w.kvm?.vm(g.domain);
  if (!k) return undefined;
  const c = k.counters;
  return {
    userExits: Object.fromEntries([...c.userExits.entries()].sort(([a], [b]) => a - b).map(([r, n]) => [KVM_EXIT_NAME[r] ?? `KVM_EXIT_${r}`, n])),
    inKernelExits: c.inKernel, ioeventfdKicks: c.ioeventfdKicks, irqfdInjections: c.irqfdInjections, handlerNs: c.handlerNs,
  };
}
