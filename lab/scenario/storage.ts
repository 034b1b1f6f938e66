// The storage rules of a scenario, which relate keys across the file:
// - host disks have distinct names; dom0's volumes have distinct names, live on a host disk
//   that exists, and fit on it together;
// - a guest disk's `/dev/...` target is a dom0 volume or a whole host disk (image file paths
//   are fine), vdevs are distinct within a domain, and a target written by one attachment is
//   not attached anywhere else (Xen's hotplug script refuses that too);
// - a fio workload gets its disk resolved: it exists, has a medium, is writable if the job
//   writes, and is large enough for the job's region when its size is known.

import type { PathSegment } from './errors';
import type { DomainSpec, ScenarioSpec } from './schema';
import type { FioWorkload, Workload } from './types';
import { formatSize } from './units';
import type { WorkloadSpec } from './workload';
import type { DiskSpec } from './xlspec';

export type Report = (path: PathSegment[], message: string) => void;

/** What each `/dev/...` path a guest may name is, and how many bytes it holds. */
export type Backing = Map<string, { what: string; size: number }>;

/** Checks host disks and volumes; answers the block devices dom0 can hand to guests. */
export function checkHostStorage(spec: ScenarioSpec, report: Report): Backing {
  const backing: Backing = new Map();
  spec.host.disks.forEach((disk, i) => {
    const path = `/dev/${disk.name}`;
    if (backing.has(path)) report(['host', 'disks', i, 'name'], `duplicate disk name '${disk.name}'`);
    backing.set(path, { what: `host disk ${disk.name}`, size: disk.size });
  });
  const used = new Map<string, number>();
  spec.dom0.volumes.forEach((vol, i) => {
    const at = ['dom0', 'volumes', i];
    if (backing.has(vol.name)) report([...at, 'name'], `${vol.name} is already the name of a ${backing.get(vol.name)!.what}`);
    const disk = spec.host.disks.find((d) => d.name === vol.disk);
    if (!disk) {
      const names = spec.host.disks.map((d) => d.name).join(', ') || 'none';
      report([...at, 'disk'], `no host disk named '${vol.disk}' (host disks: ${names})`);
      return;
    }
    const before = used.get(disk.name) ?? 0;
    if (before + vol.size > disk.size) report([...at, 'size'], volumeOverflow(vol.size, disk, before));
    used.set(disk.name, before + vol.size);
    backing.set(vol.name, { what: `volume ${vol.name}`, size: vol.size });
  });
  return backing;
}

function volumeOverflow(size: number, disk: { name: string; size: number }, before: number): string {
  if (before === 0) return `${formatSize(size)} is larger than disk ${disk.name} (${formatSize(disk.size)})`;
  return `${formatSize(size)} does not fit on disk ${disk.name} (${formatSize(disk.size)}): the volumes before it already use ${formatSize(before)}`;
}

/** Checks every guest disk's vdev and target against the host's storage. */
export function checkGuestDisks(domains: readonly DomainSpec[], backing: Backing, report: Report): void {
  const writers = new Map<string, { domain: string; at: string; rw: boolean }>();
  domains.forEach((d, i) => {
    const vdevs = new Set<string>();
    d.disk.forEach((disk, j) => {
      const at: PathSegment[] = ['domains', i, 'disk', j];
      if (vdevs.has(disk.vdev)) report(at, `vdev ${disk.vdev} is used twice in this domain`);
      vdevs.add(disk.vdev);
      if (disk.target.startsWith('/dev/') && !backing.has(disk.target)) {
        report(at, `target ${disk.target} is neither a dom0 volume nor a host disk (${known(backing)})`);
      }
      if (disk.target === '') return;
      const first = writers.get(disk.target);
      const rw = disk.access === 'rw';
      if (first && (rw || first.rw)) {
        report(at, `target ${disk.target} is already attached to ${first.domain} (${first.at}); a disk one domain writes cannot be shared`);
      }
      if (!first || rw) writers.set(disk.target, { domain: d.name, at: `domains[${i}].disk[${j}]`, rw });
    });
  });
}

function known(backing: Backing): string {
  const names = [...backing.keys()];
  return names.length === 0 ? 'there are none' : `known: ${names.join(', ')}`;
}

/** The workload with fio's disk resolved and checked. */
export function resolveWorkload(d: DomainSpec, at: PathSegment[], backing: Backing, report: Report): Workload {
  const w: WorkloadSpec = d.workload;
  if (w.kind !== 'fio') return w;
  const disk = w.vdev === undefined ? d.disk[0] : d.disk.find((x) => x.vdev === w.vdev);
  const resolved: FioWorkload = { ...w, vdev: disk?.vdev ?? w.vdev ?? '' };
  if (!disk) {
    if (w.vdev === undefined) report(at, 'fio needs a disk, but this domain has none (add one under disk:)');
    else report([...at, 'vdev'], `this domain has no disk ${w.vdev} (its disks: ${d.disk.map((x) => x.vdev).join(', ') || 'none'})`);
    return resolved;
  }
  checkFioDisk(w, disk, at, backing, report);
  return resolved;
}

type FioSpec = Extract<WorkloadSpec, { kind: 'fio' }>;

function checkFioDisk(w: FioSpec, disk: DiskSpec, at: PathSegment[], backing: Backing, report: Report): void {
  if (disk.target === '') {
    report(at, `fio uses ${disk.vdev}, an empty cdrom drive`);
    return;
  }
  if (disk.access === 'ro' && w.rw !== 'read' && w.rw !== 'randread') {
    report([...at, 'rw'], `the job writes (rw: ${w.rw}), but ${disk.vdev} is read-only`);
  }
  const back = backing.get(disk.target);
  if (back && w.size > back.size) {
    report([...at, 'size'], `${formatSize(w.size)} is larger than ${disk.vdev} (${back.what}, ${formatSize(back.size)})`);
  }
}
