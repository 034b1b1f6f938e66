// Lesson 14, the other half of the story: the same two guests — one with an emulated IDE disk,
// one with a paravirtual disk — on a Xen host (the scenario as written), on a KVM host (where the
// paravirtual disk is virtio-blk, served by QEMU's I/O thread, then by vhost), and on a CPU
// without VT-x, where QEMU falls back to TCG (REFERENCE §10, §12 point 10).
import type { Scenario } from '../../scenario/types';
import type { RunOutcome } from '../../run/runner';
import { asKvmGuest, onKvm, type KvmMode } from '../../compare-kvm';
import { dom, fig, ios, per, sum, type Figure, type LessonSpec } from '../lesson';

/** The scenario's guests on a KVM host: `paravirt`'s disk becomes virtio (served by `pv`). */
function onKvmHost(s: Scenario, pv: KvmMode, platform: Scenario['platform'] = s.platform): Scenario {
  const mode = (name: string): KvmMode => (name === 'paravirt' ? pv : 'kvm');
  return { ...onKvm(s), platform, domains: s.domains.map((d) => asKvmGuest({ ...d }, mode(d.name))) };
}

const exitsPerIo = (o: RunOutcome, name: string): number => per(sum(Object.values(dom(o, name).vmexits)), ios(dom(o, name)));
const iops = (o: RunOutcome, name: string): number => per(ios(dom(o, name)), o.report.simulatedNs / 1e9);
const toUser = (o: RunOutcome, name: string): number => sum(Object.values(dom(o, name).kvm?.userExits ?? {}));
/** % of one pCPU: dom0 on Xen, the host's QEMU and vhost threads on KVM. */
const helperPct = (o: RunOutcome): number => {
  const d = o.report.domains.find((x) => x.id === 0)!;
  return (100 * (d.cpuNs.user + d.cpuNs.kernel + d.cpuNs.hypervisor)) / o.report.simulatedNs;
};

function hostFigures(o: RunOutcome, host: string): Figure[] {
  return [
    fig(`${host}.emulated.iops`, `${host}: emulated IDE, reads per second`, iops(o, 'emulated'), 'IOPS'),
    fig(`${host}.paravirt.iops`, `${host}: paravirtual disk, reads per second`, iops(o, 'paravirt'), 'IOPS'),
    fig(`${host}.emulated.exitsPerIo`, `${host}: emulated IDE, VM exits per read`, exitsPerIo(o, 'emulated'), 'exits'),
    fig(`${host}.paravirt.exitsPerIo`, `${host}: paravirtual disk, VM exits per read`, exitsPerIo(o, 'paravirt'), 'exits'),
    fig(`${host}.helperPct`, host === 'xen' ? 'xen: dom0 CPU (backends, QEMU), % of a pCPU' : `${host}: host's QEMU/vhost threads, % of a pCPU`, helperPct(o), '%'),
  ];
}

export const xenVsKvm: LessonSpec = {
  name: 'xen-vs-kvm',
  number: 14,
  variants: {
    kvm: { about: 'the same guests on a KVM host: IDE through QEMU, and virtio-blk through QEMU\'s I/O thread', change: (s) => onKvmHost(s, 'kvm-virtio') },
    vhost: { about: 'on the KVM host, the virtio disk served by vhost in the host kernel', change: (s) => onKvmHost(s, 'kvm-vhost') },
    tcg: { about: 'the KVM host on a 2003 CPU without VT-x: QEMU falls back to TCG', change: (s) => onKvmHost(s, 'kvm-virtio', 'xeon-2003') },
  },
  figures: (runs) => {
    const { base } = runs;
    const kvm = runs['kvm']!;
    const vhost = runs['vhost']!;
    const tcg = runs['tcg']!;
    const em = dom(base, 'emulated');
    return [
      ...hostFigures(base, 'xen'),
      fig('xen.emulated.ioreqsPerIo', 'xen: emulated IDE, ioreqs to QEMU in dom0 per read', per(em.ioreqs, ios(em)), 'ioreqs'),
      fig('xen.paravirt.hypercallsPerIo', 'xen: blkfront, hypercalls per read', per(sum(Object.values(dom(base, 'paravirt').hypercalls)), ios(dom(base, 'paravirt'))), 'calls'),
      ...hostFigures(kvm, 'kvm'),
      fig('kvm.emulated.toUserPerIo', 'kvm: emulated IDE, exits to QEMU in user space per read', per(toUser(kvm, 'emulated'), ios(dom(kvm, 'emulated'))), 'exits'),
      fig('kvm.paravirt.kicksPerIo', 'kvm: virtio-blk, ioeventfd kicks per read', per(dom(kvm, 'paravirt').kvm?.ioeventfdKicks ?? 0, ios(dom(kvm, 'paravirt'))), 'kicks'),
      fig('kvm.paravirt.toUserPerIo', 'kvm: virtio-blk, exits to QEMU in user space per read', per(toUser(kvm, 'paravirt'), ios(dom(kvm, 'paravirt'))), 'exits'),
      fig('vhost.paravirt.iops', 'vhost: virtio-blk served in the kernel, reads per second', iops(vhost, 'paravirt'), 'IOPS'),
      fig('tcg.guestsOnTcg', 'xeon-2003: guests QEMU ran under TCG', tcg.world.guests.filter((g) => g.mode === 'tcg').length, 'guests'),
      fig('tcg.notices', 'xeon-2003: QEMU\'s "Could not access KVM kernel module" notices', tcg.world.notices.length, 'notices'),
      fig('tcg.exitsPerIo', 'xeon-2003 (tcg): VM exits per read', exitsPerIo(tcg, 'emulated'), 'exits'),
    ];
  },
};
