// From a key-by-key valid ScenarioSpec to a Scenario: the rules that relate keys, and the
// resolution of values that depend on others (affinities need the host's pCPUs, ratelimit's
// default needs the tslice, fio's disk needs the domain's disks). Every broken rule is
// reported with the key path it concerns; the caller picks the first in document order.
//
// Rules here (storage rules are in ./storage):
// - scheduler.ratelimit is 0 (off) or below the tslice;
// - cap ≤ 100 × host.pcpus; every pCPU in `cpus` exists;
// - maxvcpus ≥ vcpus, maxmem ≥ memory; domain names are distinct;
// - dom0 plus every domain's memory fits in host.memory (the domain that overflows is named);
// - HVM-only keys appear only on domains that have the hardware they describe, and the
//   platform has it (xeon-2003 has no VT-x, core2-2006 has VT-x but no EPT/NPT).

import { selectCpus, type CpuTerm } from './cpulist';
import type { PathSegment } from './errors';
import type { DomainSpec, ScenarioSpec } from './schema';
import { checkGuestDisks, checkHostStorage, resolveWorkload, type Backing, type Report } from './storage';
import type { Domain, Dom0, Platform, Scenario, Scheduler } from './types';
import { formatDuration, MS } from './units';
import { domainSchema } from './schema';
import { formatKeyPath } from './errors';
import { issueFromZod } from './issues';
import { resolveTimeline, type TimelineContext } from './timeline';
import { resolveHypervisor } from './kvm';
import { parseCmdline } from '../../guests/kernel/cmdline';

/** Builds the Scenario; problems go to `report` (the result is then not to be used). */
export function resolveScenario(spec: ScenarioSpec, file: string, report: Report): Scenario {
  const pcpus = spec.host.pcpus;
  const backing = checkHostStorage(spec, report);
  checkGuestDisks(spec.domains, backing, report);
  checkMemory(spec, report);
  checkNames(spec.domains, report);
  const scenario: Scenario = {
    file,
    name: spec.name,
    seed: spec.seed,
    duration: spec.duration,
    platform: spec.platform,
    host: { ...(spec.host.hypervisor === 'kvm' ? { hypervisor: 'kvm' as const } : {}), pcpus, memory: spec.host.memory, disks: spec.host.disks.map((d) => dropUndefined({ ...d }, ['image'])) },
    scheduler: resolveScheduler(spec.scheduler, report),
    dom0: resolveDom0(spec.dom0, pcpus, report),
    domains: spec.domains.map((d, i) => resolveDomain(d, ['domains', i], { pcpus, platform: spec.platform, backing }, report)),
    ...timeline(spec, file, { pcpus, platform: spec.platform, backing }, report),
  };
  resolveHypervisor(spec, scenario, report);
  return scenario;
}

/** `events:` resolved, or nothing when the scenario has no timeline (Scenario.events is optional). */
function timeline(spec: ScenarioSpec, file: string, host: HostFacts, report: Report): Pick<Scenario, 'events'> {
  return spec.events.length === 0 ? {} : { events: resolveTimeline(spec.events, timelineContext(spec, file, host), report) };
}

/** What the timeline checks need: the names known at the start, and the rules an `xl create`'s domain must pass. */
function timelineContext(spec: ScenarioSpec, file: string, host: HostFacts): TimelineContext {
  const checkDomain: TimelineContext['checkDomain'] = (entry) => {
    const parsed = domainSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = issueFromZod(parsed.error.issues[0]!, entry);
      return { ok: false, message: `${formatKeyPath(issue.path)}: ${issue.message}` };
    }
    const problems: string[] = [];
    const domain = resolveDomain(parsed.data, [], host, (path, message) => problems.push(`${formatKeyPath(path)}: ${message}`));
    return problems.length > 0 ? { ok: false, message: problems[0]! } : { ok: true, domain };
  };
  const kvm = spec.host.hypervisor === 'kvm';
  const names = [...(kvm ? [] : ['Domain-0']), ...spec.domains.map((d) => d.name)];
  return { file, hypervisor: kvm ? 'kvm' : 'xen', duration: spec.duration, names, virtTypes: kvm ? ['kvm', 'qemu'] : ['xen'], checkDomain };
}

function resolveScheduler(s: ScenarioSpec['scheduler'], report: Report): Scheduler {
  const ratelimit = s.ratelimit ?? (s.tslice > MS ? MS : s.tslice / 2);
  if (ratelimit !== 0 && ratelimit >= s.tslice) {
    report(['scheduler', 'ratelimit'],
      `must be shorter than the tslice (${formatDuration(s.tslice)}), or 0 to turn rate limiting off (got ${formatDuration(ratelimit)})`);
  }
  return { name: s.name, tslice: s.tslice, ratelimit };
}

function resolveDom0(d: ScenarioSpec['dom0'], pcpus: number, report: Report): Dom0 {
  checkCap(d.cap, pcpus, ['dom0', 'cap'], report);
  return {
    vcpus: d.vcpus,
    memory: d.memory,
    cpu_weight: d.cpu_weight,
    cap: d.cap,
    cpus: affinity(d.cpus, pcpus, ['dom0', 'cpus'], report),
    volumes: d.volumes,
  };
}

interface HostFacts {
  pcpus: number;
  platform: Platform;
  backing: Backing;
}

function resolveDomain(d: DomainSpec, at: PathSegment[], host: HostFacts, report: Report): Domain {
  checkCap(d.cap, host.pcpus, [...at, 'cap'], report);
  if (d.maxvcpus !== undefined && d.maxvcpus < d.vcpus) {
    report([...at, 'maxvcpus'], `must be at least vcpus (${d.vcpus}) (got ${d.maxvcpus})`);
  }
  if (d.maxmem !== undefined && d.maxmem < d.memory) {
    report([...at, 'maxmem'], `must be at least memory (${d.memory}MiB) (got ${d.maxmem}MiB)`);
  }
  checkHardwareKeys(d, at, host.platform, report);
  checkXenKernel(d, at, report);
  const domain: Domain = {
    name: d.name,
    type: d.type,
    vcpus: d.vcpus,
    maxvcpus: d.maxvcpus ?? d.vcpus,
    memory: d.memory,
    maxmem: d.maxmem ?? d.memory,
    cpus: affinity(d.cpus, host.pcpus, [...at, 'cpus'], report),
    cpu_weight: d.cpu_weight,
    cap: d.cap,
    disk: d.disk,
    vif: d.vif,
    hdtype: d.hdtype,
    accel: d.accel,
    hap: d.hap,
    xen_platform_pci: d.xen_platform_pci,
    vhostNet: d.vhost,
    vhostBlk: d.vhost,
    cmdline: kernelCmdline(d, at, report),
    workload: resolveWorkload(d, [...at, 'workload'], host.backing, report),
  };
  return dropUndefined(domain, ['hdtype', 'accel', 'hap', 'xen_platform_pci', 'vhostNet', 'vhostBlk', 'cmdline']);
}

function checkCap(cap: number, pcpus: number, at: PathSegment[], report: Report): void {
  if (cap > 100 * pcpus) {
    report(at, `must be at most ${100 * pcpus} (100 per pCPU, and the host has ${pcpus}) (got ${cap})`);
  }
}

function affinity(terms: CpuTerm[] | undefined, pcpus: number, at: PathSegment[], report: Report): number[] | undefined {
  if (terms === undefined) return undefined;
  const r = selectCpus(terms, pcpus);
  if (r.ok) return r.value;
  report(at, r.message);
  return undefined;
}

/** Which domain types each hardware key describes. */
const KEY_TYPES = {
  hdtype: ['hvm', 'native'],
  accel: ['hvm'],
  hap: ['hvm', 'pvh'],
  xen_platform_pci: ['hvm'],
} as const;

function checkHardwareKeys(d: DomainSpec, at: PathSegment[], platform: Platform, report: Report): void {
  for (const [key, types] of Object.entries(KEY_TYPES)) {
    if (d[key as keyof typeof KEY_TYPES] !== undefined && !(types as readonly string[]).includes(d.type)) {
      report([...at, key], `applies only to ${types.join(' and ')} domains (this one is ${d.type})`);
    }
  }
  d.vif.forEach((vif, j) => {
    if ((vif.model !== undefined || vif.type !== undefined) && d.type !== 'hvm') {
      report([...at, 'vif', j], `model= and type= apply only to hvm domains (this one is ${d.type})`);
    }
  });
  if (platform === 'xeon-2003' && d.type === 'pvh') {
    report([...at, 'type'], 'pvh needs VT-x, which the xeon-2003 platform does not have (use pv, or hvm with accel: bt)');
  }
  // accel: vtx on xeon-2003 is not an error: like QEMU without /dev/kvm, the run says so and
  // falls back to TCG (lab/run/world.ts modeOf).
  if (platform !== 'modern' && d.hap === true) {
    report([...at, 'hap'], `the ${platform} platform has no EPT/NPT (use hap: 0, shadow paging)`);
  }
}

/** Workloads written against Xen's interfaces need a kernel that has them. */
/** xl's kernel command line: `cmdline`, or else `extra`; the parameters pvlab's kernel reads
 *  from it must be well formed (guests/kernel/cmdline). */
function kernelCmdline(d: DomainSpec, at: PathSegment[], report: Report): string | undefined {
  if (d.cmdline !== undefined && d.extra !== undefined) {
    report([...at, 'extra'], 'is ignored when cmdline is set (xl uses cmdline alone): give one of the two');
    return undefined;
  }
  const key = d.cmdline !== undefined ? 'cmdline' : 'extra';
  const line = d.cmdline ?? d.extra;
  if (line === undefined) return undefined;
  const r = parseCmdline(line);
  if (!r.ok) report([...at, key], r.message);
  return line;
}

function checkXenKernel(d: DomainSpec, at: PathSegment[], report: Report): void {
  const xenAware = d.type === 'pv' || d.type === 'pvh' || (d.type === 'hvm' && d.xen_platform_pci === true);
  if (d.workload.kind === 'evtchn-demo' && !xenAware) {
    report([...at, 'workload', 'kind'], `evtchn-demo needs a kernel that uses event channels: type pv or pvh, or hvm with xen_platform_pci: 1 (this one is ${d.type})`);
  }
}

function checkMemory(spec: ScenarioSpec, report: Report): void {
  const total = spec.host.memory;
  if (spec.dom0.memory > total) {
    report(['dom0', 'memory'], `dom0's ${spec.dom0.memory}MiB do not fit in the host's ${total}MiB (host.memory)`);
    return;
  }
  let used = spec.dom0.memory;
  spec.domains.forEach((d, i) => {
    if (used + d.memory > total) {
      report(['domains', i, 'memory'],
        `${d.name} needs ${d.memory}MiB, but only ${total - used}MiB of the host's ${total}MiB are left after dom0 and the domains before it`);
    }
    used += d.memory;
  });
}

function checkNames(domains: readonly DomainSpec[], report: Report): void {
  const seen = new Map<string, number>();
  domains.forEach((d, i) => {
    const first = seen.get(d.name);
    if (first !== undefined) report(['domains', i, 'name'], `duplicate domain name '${d.name}' (domains[${first}] has it already)`);
    else seen.set(d.name, i);
  });
}

/** Optional keys that were not given are absent, rather than present and undefined. */
function dropUndefined<T extends object>(o: T, keys: readonly (keyof T)[]): T {
  for (const k of keys) if (o[k] === undefined) delete o[k];
  return o;
}
