// The shape of a scenario file, key by key: types, ranges, units and defaults of each value on
// its own. Rules that relate several values (a volume fits its disk, memory fits the host,
// ratelimit < tslice, cap ≤ 100 × pcpus) are checked afterwards, in ./resolve and ./storage.
// The pieces are exported so other files (CLI overrides, lab/config's xl.cfg reader) reuse the rules.

import { z } from 'zod';
import { parseCpuList } from './cpulist';
import { describeValue } from './errors';
import { duration, field, flag, integer, memory, oneOf, optional, size, strict, text, type Parser } from './fields';
import { DOMAIN_TYPES, HYPERVISORS, PLATFORMS, SCHEDULERS } from './types';
import { GiB, MS, SECOND, US, fail } from './units';
import { workloadSchema } from './workload';
import { parseDiskSpec, parseVifSpec } from './xlspec';
import { eventSchema } from './timeline';

/** xl's domain name rule, plus the name reserved for dom0. */
const domainName: Parser<string> = (v) => {
  const r = text(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, _ . and -')(v);
  if (r.ok && r.value === 'Domain-0') return fail('Domain-0 is the name of dom0; choose another');
  return r;
};

const specString = <T>(parse: (spec: string) => ReturnType<Parser<T>>): Parser<T> => (v) =>
  typeof v === 'string' ? parse(v) : fail(`must be a spec string in quotes (got ${describeValue(v)})`);

export const seedField = field(integer(0), 1);
export const durationField = field(duration({ min: 1 }), SECOND);
export const platformField = field(oneOf(PLATFORMS), 'modern');
export const scenarioNameField = field(text(/^\S.*$/, 'a name on one line, not starting with a space'));

export const hostDiskSchema = strict({
  name: field(text(/^[A-Za-z0-9_.-]+$/, 'a device name such as sda or nvme0n1')),
  kind: field(oneOf(['ssd', 'hdd'])),
  size: field(size({ min: 512, multipleOf: 512 })),
  image: optional(text(/./, 'a file path')),
});

/** The most host RAM a scenario may have, in MiB (4 TiB). */
export const MAX_HOST_MEMORY_MIB = 4 * 1024 * 1024;

export const DEFAULT_HOST_DISK = { name: 'sda', kind: 'ssd', size: 256 * GiB, image: undefined } as const;

export const hostSchema = strict({
  hypervisor: optional(oneOf(HYPERVISORS)),
  pcpus: field(integer(1, 4096), 4),
  // At most 4 TiB: the host's frame table keeps an entry per 4 KiB frame in one typed array,
  // and Node's largest is 4 GiB (2^30 four-byte entries).
  memory: field(memory({ min: 16, max: MAX_HOST_MEMORY_MIB }), 16 * 1024),
  disks: z.array(hostDiskSchema).default(() => [{ ...DEFAULT_HOST_DISK }]),
});

/** 0 (off) or 100us..500ms, as Xen's sched_ratelimit_us. */
const ratelimit: Parser<number> = (v) => {
  const r = duration()(v);
  if (!r.ok || r.value === 0) return r;
  if (r.value < 100 * US || r.value > 500 * MS) {
    return fail(`must be 0 (off) or from 100us to 500ms (got ${String(v)})`);
  }
  return r;
};

export const schedulerSchema = strict({
  name: field(oneOf(SCHEDULERS), 'credit'),
  tslice: field(duration({ min: MS, max: 1000 * MS }), 30 * MS),
  /** Absent = 1ms, or half the tslice when the tslice is 1ms (resolved later). */
  ratelimit: optional(ratelimit),
});

export const volumeSchema = strict({
  name: field(text(/^\/dev\/[^\s,]+$/, 'a device path such as /dev/vg0/web')),
  disk: field(text(/^[A-Za-z0-9_.-]+$/, 'the name of a host disk such as sda')),
  size: field(size({ min: 512, multipleOf: 512 })),
});

const cpus = optional(parseCpuList);
const weight = field(integer(1, 65535), 256);
/** The upper bound, 100 × pcpus, is checked once pcpus is known. */
const cap = field(integer(0), 0);

export const dom0Schema = strict({
  vcpus: field(integer(1, 128), 1),
  memory: field(memory({ min: 16 }), 1024),
  cpu_weight: weight,
  cap,
  cpus,
  volumes: z.array(volumeSchema).default([]),
});

export const domainSchema = strict({
  /** An xl.cfg file giving this domain's keys; the entry's other keys override it (./configs). */
  config: optional(text(/\S/, 'the path of an xl.cfg file')),
  name: field(domainName),
  type: field(oneOf(DOMAIN_TYPES), 'pv'),
  vcpus: field(integer(1, 128), 1),
  maxvcpus: optional(integer(1, 128)),
  memory: field(memory({ min: 16 })),
  maxmem: optional(memory({ min: 16 })),
  cpus,
  cpu_weight: weight,
  cap,
  disk: z.array(field(specString((s) => parseDiskSpec(s, { qemuNames: true })))).default([]),
  vif: z.array(field(specString(parseVifSpec))).default([]),
  hdtype: optional(oneOf(['ide', 'ahci'])),
  accel: optional(oneOf(['vtx', 'bt', 'tcg'])),
  hap: optional(flag),
  xen_platform_pci: optional(flag),
  /** KVM hosts: the VM's cgroup cpu.shares (2..262144; 1024 when absent). */
  cpu_shares: optional(integer(2, 262144)),
  /** KVM hosts: vhost workers serve the virtio disks (vhost-blk) and NIC (vhost-net). */
  vhost: optional(flag),
  /** The guest kernel's command line (xl's cmdline; extra is its older spelling). */
  cmdline: optional(text(/^[^\n]*$/, 'one line of kernel parameters')),
  extra: optional(text(/^[^\n]*$/, 'one line of kernel parameters')),
  workload: workloadSchema.prefault({ kind: 'idle' }),
});

export const scenarioFileSchema = strict({
  name: scenarioNameField,
  seed: seedField,
  duration: durationField,
  platform: platformField,
  host: hostSchema.prefault({}),
  scheduler: schedulerSchema.prefault({}),
  dom0: dom0Schema.prefault({}),
  domains: z.array(domainSchema).default([]),
  events: z.array(eventSchema).default([]),
});

/** A scenario file as validated key by key, before the cross-key rules and resolution. */
export type ScenarioSpec = z.output<typeof scenarioFileSchema>;
export type DomainSpec = ScenarioSpec['domains'][number];
