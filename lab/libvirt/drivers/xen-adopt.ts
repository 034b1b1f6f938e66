// A definition for a Xen domain libvirt did not start — Domain-0, a scenario's domains that
// `xl create` made at boot, or one a timeline created with xl — read back from the hypervisor
// and the scenario entry it was built from, the way the libxl driver builds a definition for
// a domain it finds running.
import type { Domain } from '../../../hypervisor/domain';
import type { Domain as DomainSpec } from '../../scenario/types';
import type { DiskDef, DomainDef, InterfaceDef } from '../def';
import { uuidFor } from '../xml-parse';

/** Xen's hardware domain has the nil uuid. */
const DOM0_UUID = '00000000-0000-0000-0000-000000000000';

export function adoptXenDomain(d: Domain, spec: DomainSpec | undefined): DomainDef {
  const cfg = d.config;
  return {
    virtType: 'xen',
    name: d.name,
    uuid: d.id === 0 ? DOM0_UUID : uuidFor(d.name),
    memoryKiB: (cfg.maxmemMiB ?? cfg.memoryMiB) * 1024,
    currentMemoryKiB: cfg.memoryMiB * 1024,
    maxVcpus: d.vcpus.length,
    vcpus: d.vcpus.filter((v) => !v.unplugged).length,
    // PVH boots like a PV guest (no firmware, no emulated devices); libvirt's subset here has
    // no separate word for it.
    osType: cfg.type === 'hvm' ? 'hvm' : 'xen',
    disks: (spec?.disk ?? []).map(diskDef),
    interfaces: (spec?.vif ?? []).map((v): InterfaceDef => ({ type: 'bridge', source: v.bridge, ...(v.mac ? { mac: v.mac } : {}), ...(v.model ? { model: v.model } : {}) })),
    onPoweroff: 'destroy',
    onReboot: 'restart',
    onCrash: 'destroy',
    ...(spec ? { workload: { spec: spec.workload, written: writtenWorkload(spec.workload) } } : {}),
  };
}

/** The workload's attributes as XML would write them (durations with their unit). */
export function writtenWorkload(w: DomainSpec['workload']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(w)) {
    if (v === undefined) continue;
    out[k] = DURATION_KEYS.has(k) ? `${String(v)}ns` : String(v);
  }
  return out;
}

const DURATION_KEYS = new Set(['burst', 'period']);

function diskDef(disk: DomainSpec['disk'][number]): DiskDef {
  const bus = disk.vdev.startsWith('xvd') ? 'xen' : disk.vdev.startsWith('sd') ? 'scsi' : 'ide';
  return {
    type: disk.target.startsWith('/dev/') ? 'block' : 'file',
    device: disk.devtype === 'cdrom' ? 'cdrom' : 'disk',
    ...(disk.target === '' ? {} : { source: disk.target }),
    target: disk.vdev,
    bus,
    readonly: disk.access === 'ro',
  };
}
