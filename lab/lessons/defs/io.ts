// Lessons 1-4, the I/O path: PV against full virtualization, one VM exit taken apart, ring
// batching, grant map against grant copy. Each names the figures its text points at.
import type { Scenario } from '../../scenario/types';
import { dom, fig, ios, per, sum, withDomain, type LessonSpec, type Runs } from '../lesson';
import type { RunOutcome } from '../../run/runner';

const exits = (o: RunOutcome, name: string): number => sum(Object.values(dom(o, name).vmexits));
const hypercalls = (o: RunOutcome, name: string): number => sum(Object.values(dom(o, name).hypercalls));
const meanLatencyUs = (o: RunOutcome, name: string): number => (dom(o, name).devices[0]?.latencyNs.mean ?? 0) / 1000;

export const pvVsHvm: LessonSpec = {
  name: 'pv-vs-hvm',
  number: 1,
  figures: ({ base }) => {
    const pv = dom(base, 'pv');
    const hvm = dom(base, 'hvm');
    const dom0 = dom(base, 'Domain-0');
    const secs = base.report.simulatedNs / 1e9;
    return [
      fig('pv.iops', 'pv: reads per second', per(ios(pv), secs), 'IOPS'),
      fig('hvm.iops', 'hvm: reads per second', per(ios(hvm), secs), 'IOPS'),
      fig('pv.latency', 'pv: mean read latency', meanLatencyUs(base, 'pv'), 'us'),
      fig('hvm.latency', 'hvm: mean read latency', meanLatencyUs(base, 'hvm'), 'us'),
      fig('pv.exitsPerIo', 'pv: VM exits per read', per(exits(base, 'pv'), ios(pv)), 'exits'),
      fig('hvm.exitsPerIo', 'hvm: VM exits per read', per(exits(base, 'hvm'), ios(hvm)), 'exits'),
      fig('pv.hypercallsPerIo', 'pv: hypercalls per read', per(hypercalls(base, 'pv'), ios(pv)), 'calls'),
      fig('hvm.ioreqsPerIo', 'hvm: ioreqs to QEMU per read', per(hvm.ioreqs, ios(hvm)), 'ioreqs'),
      fig('hvm.hypervisorPct', 'hvm: hypervisor time, % of a pCPU', (100 * hvm.cpuNs.hypervisor) / base.report.simulatedNs, '%'),
      fig('pv.hypervisorPct', 'pv: hypervisor time, % of a pCPU', (100 * pv.cpuNs.hypervisor) / base.report.simulatedNs, '%'),
      fig('dom0.dmPct', 'dom0: device model (QEMU) time, % of a pCPU', (100 * dom0.cpuNs.user) / base.report.simulatedNs, '%'),
    ];
  },
};

export const vmexitAnatomy: LessonSpec = {
  name: 'vmexit-anatomy',
  number: 2,
  figures: ({ base }) => {
    const g = dom(base, 'guest');
    const tally = base.world.guests.find((x) => x.domain.name === 'guest')?.native?.driver?.dio.perOp;
    const per0 = (op: string): number => per(tally?.get(op)?.accesses ?? 0, tally?.get(op)?.ops ?? 0);
    return [
      fig('reads', 'reads completed', ios(g), 'reads'),
      fig('accessesPerRead', 'register accesses per read (each one a VM exit)', per0('read'), 'accesses'),
      fig('probeAccesses', 'register accesses of the boot-time probe', tally?.get('probe')?.accesses ?? 0, 'accesses'),
      fig('ioExits', 'IO_INSTRUCTION exits in the whole run', g.vmexits['IO_INSTRUCTION'] ?? 0, 'exits'),
      fig('ioreqs', 'ioreqs sent to QEMU in the whole run', g.ioreqs, 'ioreqs'),
      fig('hltExits', 'HLT exits (waiting for the disk interrupt)', g.vmexits['HLT'] ?? 0, 'exits'),
      fig('irqs', 'interrupts injected', g.interruptsInjected, 'irqs'),
      fig('latency', 'mean read latency', meanLatencyUs(base, 'guest'), 'us'),
    ];
  },
};

/** Guest event sends per request, and the backend's sends per response, for one guest. */
function ringFigures(o: RunOutcome, name: string): { front: number; back: number; batch: number } {
  const g = dom(o, name);
  const entry = o.world.guests.find((x) => x.domain.name === name)!;
  const bb = entry.backends[0]!.stats;
  return { front: per(g.notifications.sent, ios(g)), back: per(bb.notificationsSent, bb.responses), batch: g.ringBatchMean };
}

export const ringBatching: LessonSpec = {
  name: 'ring-batching',
  number: 3,
  figures: ({ base }) => {
    const one = ringFigures(base, 'qd1');
    const deep = ringFigures(base, 'qd32');
    const secs = base.report.simulatedNs / 1e9;
    return [
      fig('qd1.iops', 'qd1: reads per second', per(ios(dom(base, 'qd1')), secs), 'IOPS'),
      fig('qd32.iops', 'qd32: reads per second', per(ios(dom(base, 'qd32')), secs), 'IOPS'),
      fig('qd1.batch', 'qd1: requests per ring push', one.batch, 'requests'),
      fig('qd32.batch', 'qd32: requests per ring push', deep.batch, 'requests'),
      fig('qd1.frontNotify', 'qd1: notifications per request (guest → dom0)', one.front, 'sends'),
      fig('qd32.frontNotify', 'qd32: notifications per request (guest → dom0)', deep.front, 'sends'),
      fig('qd1.backNotify', 'qd1: notifications per response (dom0 → guest)', one.back, 'sends'),
      fig('qd32.backNotify', 'qd32: notifications per response (dom0 → guest)', deep.back, 'sends'),
    ];
  },
};

/** The scenario with only `keep` among the guests, at `iodepth`. */
function alone(keep: string, iodepth?: number): (s: Scenario) => Scenario {
  return (s) => {
    const only = { ...s, domains: s.domains.filter((d) => d.name === keep) };
    if (iodepth === undefined) return only;
    return withDomain(only, keep, (d) => (d.workload.kind === 'fio' ? { ...d, workload: { ...d.workload, iodepth } } : d));
  };
}

/** dom0's hypervisor time per request served: grant work is the part that differs. */
const dom0HvPerIo = (o: RunOutcome, guest: string): number => per(dom(o, 'Domain-0').cpuNs.hypervisor, ios(dom(o, guest)));

export const grantMapVsCopy: LessonSpec = {
  name: 'grant-map-vs-copy',
  number: 4,
  variants: {
    'map-qd1': { about: 'mapper alone', change: alone('mapper') },
    'keep-qd1': { about: 'keeper alone', change: alone('keeper') },
    'copy-qd1': { about: 'copier alone', change: alone('copier') },
    'map-qd32': { about: 'mapper alone at iodepth 32', change: alone('mapper', 32) },
    'keep-qd32': { about: 'keeper alone at iodepth 32', change: alone('keeper', 32) },
    'copy-qd32': { about: 'copier alone at iodepth 32', change: alone('copier', 32) },
  },
  figures: (runs: Runs) => {
    const { base } = runs;
    const guest = (name: string) => base.world.guests.find((g) => g.domain.name === name)!;
    const stats = (name: string) => guest(name).backends[0]!.stats;
    const m = stats('mapper');
    const k = stats('keeper');
    const c = stats('copier');
    const kFront = guest('keeper').kernel!.disks[0]!.stats;
    return [
      fig('mapper.mapsPerIo', 'mapper: pages grant-mapped per request', per(m.grantMaps, m.requests), 'pages'),
      fig('mapper.shootdownsPerIo', 'mapper: unmap batches (TLB shootdowns) per request', per(m.unmapBatches, m.responses), 'shootdowns'),
      fig('keeper.mapsPerIo', 'keeper: pages grant-mapped per request', per(k.grantMaps, k.requests), 'pages'),
      fig('keeper.keptGrants', 'keeper: grants dom0 keeps mapped (persistent)', guest('keeper').backends[0]!.persistentGrants, 'grants'),
      fig('keeper.copiedPerIo', 'keeper: bytes the guest copies per request', per(kFront.bounceBytes, kFront.responses), 'bytes'),
      fig('copier.copiesPerIo', 'copier: pages grant-copied per request', per(c.grantCopies, c.requests), 'pages'),
      fig('copier.mapsPerIo', 'copier: pages grant-mapped per request', per(c.grantMaps, c.requests), 'pages'),
      fig('map.qd1.hvNs', 'dom0 hypervisor time per request, map, iodepth 1 (alone)', dom0HvPerIo(runs['map-qd1']!, 'mapper'), 'ns'),
      fig('keep.qd1.hvNs', 'dom0 hypervisor time per request, persistent, iodepth 1 (alone)', dom0HvPerIo(runs['keep-qd1']!, 'keeper'), 'ns'),
      fig('copy.qd1.hvNs', 'dom0 hypervisor time per request, copy, iodepth 1 (alone)', dom0HvPerIo(runs['copy-qd1']!, 'copier'), 'ns'),
      fig('map.qd32.hvNs', 'dom0 hypervisor time per request, map, iodepth 32 (alone)', dom0HvPerIo(runs['map-qd32']!, 'mapper'), 'ns'),
      fig('keep.qd32.hvNs', 'dom0 hypervisor time per request, persistent, iodepth 32 (alone)', dom0HvPerIo(runs['keep-qd32']!, 'keeper'), 'ns'),
      fig('copy.qd32.hvNs', 'dom0 hypervisor time per request, copy, iodepth 32 (alone)', dom0HvPerIo(runs['copy-qd32']!, 'copier'), 'ns'),
    ];
  },
};
