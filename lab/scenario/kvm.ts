// The rules of a scenario whose host runs KVM (`host: {hypervisor: kvm}`) rather than Xen, and
// the keys that only one of the two understands. On a KVM host:
//   - guests are hvm (full virtualization: guests never see a Xen ring here) or native; their
//     disks are named as QEMU names them: vd* for virtio-blk, hd* for IDE, sd* for AHCI;
//   - `vhost: 1` has a vhost worker serve the virtio disks; it needs a vd* disk;
//   - `cpu_shares` is the VM cgroup's cpu.shares (1024 when absent) and becomes the domain's
//     scheduler weight (cpu_weight, Xen's credit weight, means nothing there);
//   - the scheduler is the host kernel's CFS, whatever `scheduler:` says (rr is refused);
//   - there is no dom0: `dom0:`'s volumes are the host's logical volumes, its memory the
//     host's own; its vCPU, weight and cap keys are not used;
//   - guests have no network yet (virtio-net and vhost-net remain to be built).
// On a Xen host `cpu_shares`, `vhost`, vd* disks and `scheduler: {name: cfs}` are refused.
import { CFS_DEFAULT_SHARES, CFS_SCHED_LATENCY_NS } from '../../hypervisor/sched/cfs';
import type { ScenarioSpec } from './schema';
import type { Report } from './storage';
import type { Scenario } from './types';

const VIRTIO = /^vd[a-z]+[0-9]*$/;
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
    if (d.vhost && !d.disk.some((x) => VIRTIO.test(x.vdev))) report([...at, 'vhost'], 'vhost serves virtio disks, and this domain has none (name a disk vd*, e.g. vdev=vda)');
    if (d.vif.length > 0) report([...at, 'vif'], 'networking on a KVM host (virtio-net, vhost-net, QEMU\'s e1000) is not modelled yet; run network guests on a Xen host');
    const resolved = s.domains[i];
    if (resolved) resolved.cpu_weight = d.cpu_shares ?? CFS_DEFAULT_SHARES;
  });
}

function refuseKvmKeys(spec: ScenarioSpec, report: Report): void {
  if (spec.scheduler.name === 'cfs') report(['scheduler', 'name'], 'cfs schedules a KVM host (host: {hypervisor: kvm}); Xen has credit and rr');
  spec.domains.forEach((d, i) => {
    if (d.cpu_shares !== undefined) report(['domains', i, 'cpu_shares'], 'is a KVM host\'s cgroup cpu.shares (host: {hypervisor: kvm}); on Xen use cpu_weight');
    if (d.vhost !== undefined) report(['domains', i, 'vhost'], 'applies only on a KVM host (host: {hypervisor: kvm})');
    d.disk.forEach((disk, j) => {
      if (VIRTIO.test(disk.vdev)) report(['domains', i, 'disk', j], `vdev ${disk.vdev} is a virtio disk, which only a KVM host offers; xl names disks xvd*, hd* or sd*`);
    });
  });
}
