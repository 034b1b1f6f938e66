// The rules of a scenario whose host runs KVM (`host: {hypervisor: kvm}`) rather than Xen, and
// the keys that only one of the two understands. On a KVM host:
//   - guests are hvm (full virtualization: guests never see a Xen ring here) or native; their
//     disks are named as QEMU names them: vd* for virtio-blk, hd* for IDE, sd* for AHCI;
//   - `vhost: 1` has vhost workers serve the virtio devices (vhost-blk for vd* disks, vhost-net
//     for a virtio NIC); it needs one of them;
//   - a vif's `model=` is e1000 (QEMU's default), rtl8139 or virtio; `type=vif` (Xen's PV-only
//     interface) is refused, and so is a vif on a guest QEMU runs under TCG;
//   - `cpu_shares` is the VM cgroup's cpu.shares (1024 when absent) and becomes the domain's
//     scheduler weight (cpu_weight, Xen's credit weight, means nothing there);
//   - the scheduler is the host kernel's CFS, whatever `scheduler:` says (rr is refused);
//   - there is no dom0: `dom0:`'s volumes are the host's logical volumes, its memory the
//     host's own; its vCPU, weight and cap keys are not used;
// On a Xen host `cpu_shares`, `vhost`, vd* disks, `model=virtio` vifs and `scheduler: {name: cfs}`
// are refused.
import { CFS_DEFAULT_SHARES, CFS_SCHED_LATENCY_NS } from '../../hypervisor/sched/cfs';
import type { ScenarioSpec } from './schema';
import type { Report } from './storage';
import type { Scenario } from './types';

const VIRTIO = /^vd[a-z]+[0-9]*$/;
/** The NIC models QEMU gives a guest on a KVM host in pvlab (lab/run/kvm-net.ts). */
const KVM_NIC_MODELS = ['e1000', 'rtl8139', 'virtio'];
const XEN_PV_DISK = /^xvd/;

/** Applies the host's rules to a resolved scenario (problems go to `report`). */
export function resolveHypervisor(spec: ScenarioSpec, s: Scenario, report: Report): void {
  if (spec.host.hypervisor === 'kvm') resolveKvm(spec, s, report);
  else refuseKvmKeys(spec, report);
}

function resolveKvm(spec: ScenarioSpec, s: Scenario, report: Report): void {
  if (spec.scheduler.name === 'rr') report(['scheduler', 'name'], "a KVM host is scheduled by its Linux kernel's CFS (name: cfs)");
  s.scheduler = { name: 'cfs', tslice: CFS_SCHED_LATENCY_NS, ratelimit: 0 };
  spec.domains.forEach((d, i) => {
    const at = ['domains', i] as const;
    if (d.type === 'pv' || d.type === 'pvh') report([...at, 'type'], `a KVM host runs no ${d.type} guests: guests never see a Xen ring there (use hvm, with vd* disks for virtio)`);
    if (d.xen_platform_pci !== undefined) report([...at, 'xen_platform_pci'], "applies only on a Xen host: QEMU under KVM has no Xen platform device");
    if (d.accel === 'bt') report([...at, 'accel'], 'KVM needs VT-x, or QEMU falls back to tcg; binary translation is not one of its accelerators (use vtx or tcg)');
    d.disk.forEach((disk, j) => {
      if (XEN_PV_DISK.test(disk.vdev)) report([...at, 'disk', j], `vdev ${disk.vdev} is a Xen PV disk; on a KVM host name it vd* (virtio), hd* (IDE) or sd* (AHCI)`);
    });
    const virtioNic = d.vif.some((v) => v.model === 'virtio');
    if (d.vhost && !virtioNic && !d.disk.some((x) => VIRTIO.test(x.vdev))) report([...at, 'vhost'], 'vhost serves virtio devices, and this domain has none (name a disk vd*, e.g. vdev=vda, or give a vif model=virtio)');
    d.vif.forEach((v, j) => {
      if (v.type === 'vif') report([...at, 'vif', j], 'type=vif is a Xen PV interface; on a KVM host use model=virtio (or e1000, rtl8139)');
      else if (v.model !== undefined && !KVM_NIC_MODELS.includes(v.model)) report([...at, 'vif', j], `model ${v.model} is not emulated by pvlab on a KVM host (${KVM_NIC_MODELS.join(', ')})`);
    });
    if (d.vif.length > 0 && d.accel === 'tcg') report([...at, 'vif'], 'networking for a guest QEMU runs under TCG on a KVM host is not modelled (use accel vtx)');
    const resolved = s.domains[i];
    if (resolved) resolved.cpu_weight = d.cpu_shares ?? CFS_DEFAULT_SHARES;
  });
}

function refuseKvmKeys(spec: ScenarioSpec, report: Report): void {
  if (spec.scheduler.name === 'cfs') report(['scheduler', 'name'], 'cfs schedules a KVM host (host: {hypervisor: kvm}); Xen has credit and rr');
  spec.domains.forEach((d, i) => {
    if (d.cpu_shares !== undefined) report(['domains', i, 'cpu_shares'], 'is a KVM host\'s cgroup cpu.shares (host: {hypervisor: kvm}); on Xen use cpu_weight');
    if (d.vhost !== undefined) report(['domains', i, 'vhost'], 'applies only on a KVM host (host: {hypervisor: kvm})');
    d.vif.forEach((v, j) => {
      if (v.model === 'virtio') report(['domains', i, 'vif', j], 'model=virtio is virtio-net, which only a KVM host offers; Xen HVM guests have e1000 or rtl8139 (PV guests netfront)');
    });
    d.disk.forEach((disk, j) => {
      if (VIRTIO.test(disk.vdev)) report(['domains', i, 'disk', j], `vdev ${disk.vdev} is a virtio disk, which only a KVM host offers; xl names disks xvd*, hd* or sd*`);
    });
  });
}
