// Lessons 11 and 12, ways of running one unmodified guest: hardware assistance, binary
// translation and pure emulation (and the fallback to emulation without VT-x), and PVHVM.
import type { Scenario } from '../../scenario/types';
import type { RunOutcome } from '../../run/runner';
import { dom, fig, ios, per, sum, type LessonSpec } from '../lesson';

const secs = (o: RunOutcome): number => o.report.simulatedNs / 1e9;
const iops = (o: RunOutcome, name: string): number => per(ios(dom(o, name)), secs(o));
const hvUsPerIo = (o: RunOutcome, name: string): number => per(dom(o, name).cpuNs.hypervisor, ios(dom(o, name))) / 1000;
/** cpu-burn's work: milliseconds of guest computation completed per second. */
const work = (o: RunOutcome, name: string): number => per(Number(dom(o, name).workload['ops'] ?? 0), secs(o));
const allBurn = (s: Scenario): Scenario => ({ ...s, domains: s.domains.map((d) => ({ ...d, workload: { kind: 'cpu-burn' } })) });

export const accelerators: LessonSpec = {
  name: 'accelerators',
  number: 11,
  variants: { cpu: { about: 'every guest running cpu-burn instead of fio', change: allBurn } },
  figures: (runs) => {
    const { base } = runs;
    const cpu = runs['cpu']!;
    const exits = sum(Object.values(dom(base, 'vtx').vmexits));
    return [
      fig('vtx.iops', 'vtx: reads per second', iops(base, 'vtx'), 'IOPS'),
      fig('bt.iops', 'bt: reads per second', iops(base, 'bt'), 'IOPS'),
      fig('tcg.iops', 'tcg: reads per second', iops(base, 'tcg'), 'IOPS'),
      fig('vtx.exitsPerIo', 'vtx: VM exits per read', per(exits, ios(dom(base, 'vtx'))), 'exits'),
      fig('vtx.hvPerIo', 'vtx: hypervisor time per read', hvUsPerIo(base, 'vtx'), 'us'),
      fig('bt.hvPerIo', 'bt: hypervisor (monitor) time per read', hvUsPerIo(base, 'bt'), 'us'),
      fig('tcg.ioreqs', 'tcg: ioreqs sent to dom0', dom(base, 'tcg').ioreqs, 'ioreqs'),
      fig('vtx.work', 'cpu-burn under vtx: guest work per second', work(cpu, 'vtx'), 'ms/s'),
      fig('bt.work', 'cpu-burn under bt: guest work per second', work(cpu, 'bt'), 'ms/s'),
      fig('tcg.work', 'cpu-burn under tcg: guest work per second', work(cpu, 'tcg'), 'ms/s'),
    ];
  },
};

export const tcgFallback: LessonSpec = {
  name: 'tcg-fallback',
  number: 11,
  variants: { modern: { about: 'the same guest on the modern platform, which has VT-x', change: (s) => ({ ...s, platform: 'modern' }) } },
  figures: (runs) => {
    const { base } = runs;
    const modern = runs['modern']!;
    const g = base.world.guests.find((x) => x.domain.name === 'guest')!;
    return [
      fig('fellBack', 'the guest fell back to TCG on xeon-2003', g.mode === 'tcg' ? 1 : 0, '(1 = yes)'),
      fig('notices', 'notices printed (QEMU\'s "Back to tcg accelerator")', base.world.notices.length, 'notices'),
      fig('xeon.work', 'xeon-2003 (tcg): guest work per second', work(base, 'guest'), 'ms/s'),
      fig('modern.work', 'modern (vtx): guest work per second', work(modern, 'guest'), 'ms/s'),
    ];
  },
};

export const pvhvm: LessonSpec = {
  name: 'pvhvm',
  number: 12,
  figures: ({ base }) => {
    const exitsPerIo = (name: string): number => per(sum(Object.values(dom(base, name).vmexits)), ios(dom(base, name)));
    return [
      fig('hvm.iops', 'hvm: reads per second', iops(base, 'hvm'), 'IOPS'),
      fig('pvhvm.iops', 'pvhvm: reads per second', iops(base, 'pvhvm'), 'IOPS'),
      fig('hvm.exitsPerIo', 'hvm: VM exits per read', exitsPerIo('hvm'), 'exits'),
      fig('pvhvm.exitsPerIo', 'pvhvm: VM exits per read', exitsPerIo('pvhvm'), 'exits'),
      fig('hvm.ioreqs', 'hvm: ioreqs sent to QEMU', dom(base, 'hvm').ioreqs, 'ioreqs'),
      fig('pvhvm.ioreqs', 'pvhvm: ioreqs sent to QEMU (the unplug write)', dom(base, 'pvhvm').ioreqs, 'ioreqs'),
      fig('pvhvm.vmcallsPerIo', 'pvhvm: VMCALL exits (hypercalls) per read', per(dom(base, 'pvhvm').vmexits['VMCALL'] ?? 0, ios(dom(base, 'pvhvm'))), 'exits'),
      fig('hvm.latency', 'hvm: mean read latency', (dom(base, 'hvm').devices[0]?.latencyNs.mean ?? 0) / 1000, 'us'),
      fig('pvhvm.latency', 'pvhvm: mean read latency', (dom(base, 'pvhvm').devices[0]?.latencyNs.mean ?? 0) / 1000, 'us'),
    ];
  },
};
