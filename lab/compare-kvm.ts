// The KVM half of `pvlab compare`: the modes that run the guest on a KVM host instead of Xen —
// `kvm` (emulated IDE or AHCI, every register access a return to QEMU in user space),
// `kvm-virtio` (virtio-blk served by QEMU's I/O thread, ioeventfd and irqfd) and `kvm-vhost`
// (the same disk served by a vhost worker in the host kernel) — and how a row's time is split
// on such a host: QEMU's handlers run in the vCPU threads, so their time moves from the
// hypervisor column to the device model's; the host's QEMU threads count as dom0 does on Xen
// (user time: the device model; kernel time: the backend, e.g. vhost).
import { CFS_DEFAULT_SHARES, CFS_SCHED_LATENCY_NS } from '../hypervisor/sched/cfs';
import { CSCHED_DEFAULT_RATELIMIT_US, CSCHED_DEFAULT_TSLICE_MS } from '../hypervisor/sched/credit';
import type { Domain as DomainSpec, Scenario } from './scenario/types';
import type { World } from './run/world';

export const KVM_MODES = ['kvm', 'kvm-virtio', 'kvm-vhost'] as const;
export type KvmMode = (typeof KVM_MODES)[number];

export function isKvmMode(mode: string): mode is KvmMode {
  return (KVM_MODES as readonly string[]).includes(mode);
}

/** The scenario on the host `mode` needs, with its first guest `g` made ready for it. */
export function onHostFor(s: Scenario, mode: string, g: DomainSpec): Scenario {
  if (!isKvmMode(mode)) return s.host.hypervisor === 'kvm' ? onXen(s) : s;
  asKvmGuest(g, mode);
  return onKvm(s);
}

/** The scenario's host turned into a KVM host (its guests unchanged). */
export function onKvm(s: Scenario): Scenario {
  return { ...s, host: { ...s.host, hypervisor: 'kvm' }, scheduler: { name: 'cfs', tslice: CFS_SCHED_LATENCY_NS, ratelimit: 0 } };
}

/** Makes `g` (changed in place) the guest a KVM host runs in `mode`: an hvm guest whose disks
 *  are IDE (hd*, for kvm) or virtio (vd*), served by vhost for kvm-vhost, at the default shares. */
export function asKvmGuest(g: DomainSpec, mode: KvmMode): DomainSpec {
  g.type = 'hvm';
  g.accel = undefined;
  g.xen_platform_pci = undefined;
  g.cpu_weight = CFS_DEFAULT_SHARES;
  const bus = mode === 'kvm' ? 'hd' : 'vd';
  const rename = (v: string): string => v.replace(/^(xvd|hd|sd|vd)/, bus);
  g.disk = g.disk.map((d) => ({ ...d, vdev: rename(d.vdev) }));
  if (g.workload.kind === 'fio') g.workload = { ...g.workload, vdev: rename(g.workload.vdev) };
  if (mode === 'kvm') g.hdtype = g.hdtype ?? 'ide';
  else g.hdtype = undefined;
  g.vhostNet = g.vhostBlk = mode === 'kvm-vhost' ? true : undefined;
  return g;
}

/** A KVM scenario moved to a Xen host (its other guests keep their keys). */
function onXen(s: Scenario): Scenario {
  const { hypervisor: _, ...host } = s.host;
  const scheduler = s.scheduler.name === 'cfs' ? { name: 'credit' as const, tslice: CSCHED_DEFAULT_TSLICE_MS * 1e6, ratelimit: CSCHED_DEFAULT_RATELIMIT_US * 1e3 } : s.scheduler;
  return { ...s, host, scheduler };
}

/** ns QEMU's vCPU threads spent in device handlers (inside the hypervisor column until moved). */
export function vcpuThreadHandlerNs(w: World): number {
  if (!w.kvm) return 0;
  let n = 0;
  for (const g of w.guests) n += w.kvm.vm(g.domain)?.counters.handlerNs ?? 0;
  return n;
}
