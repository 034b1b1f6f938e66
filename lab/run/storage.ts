// The host's storage as a scenario declares it: physical disks (the platform's SSD, or its
// era's spinning disk for `kind: hdd`), and dom0's logical volumes carved out of them.
import { Disk } from '../../hw/disk';
import { DISK_MODELS, diskModelForPlatform } from '../../hw/disk-models';
import type { Engine } from '../../hw/engine';
import { VolumeManager, type BlockTarget } from '../../dom0/volumes';
import type { Scenario } from '../scenario/types';
import { isAbsolute, dirname, resolve } from 'node:path';

/** The spinning disk of each era (a `kind: hdd` host disk). */
const HDD_FOR_PLATFORM: Record<string, string> = { modern: 'sata-7200-2006', 'core2-2006': 'sata-7200-2006', 'xeon-2003': 'scsi-10k-2003' };

export interface Storage {
  disks: Map<string, Disk>;
  volumes: VolumeManager;
  resolve(target: string): BlockTarget | undefined;
}

export function buildStorage(engine: Engine, s: Scenario): Storage {
  const disks = new Map<string, Disk>();
  for (const d of s.host.disks) {
    const model = d.kind === 'ssd' ? (s.platform === 'modern' ? DISK_MODELS['nvme-modern'] : diskModelForPlatform(s.platform)) : DISK_MODELS[HDD_FOR_PLATFORM[s.platform]!];
    const image = d.image === undefined ? undefined : isAbsolute(d.image) ? d.image : resolve(dirname(s.file), d.image);
    disks.set(d.name, new Disk(engine, model!, d.size, { imagePath: image }));
  }
  const volumes = new VolumeManager(engine, Object.fromEntries(disks));
  for (const v of s.dom0.volumes) {
    const r = volumes.createVolume(v.name, v.disk, v.size);
    if (r.kind !== 'ok') throw new Error(`volume ${v.name}: ${r.kind}`); // the scenario check rules this out
  }
  return { disks, volumes, resolve: (t) => volumes.resolveTarget(t) };
}
