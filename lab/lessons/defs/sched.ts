// Lessons 7-9, scheduling: credit weights and caps, BOOST and I/O latency under CPU contention
// (credit against round robin), and dom0 as the bottleneck of emulated I/O.
import type { Scenario } from '../../scenario/types';
import type { RunOutcome } from '../../run/runner';
import { MS } from '../../scenario/units';
import { dom, fig, ios, per, type LessonSpec } from '../lesson';

const cpuPct = (o: RunOutcome, name: string): number => dom(o, name).cpuPct;

export const creditCaps: LessonSpec = {
  name: 'credit-caps',
  number: 7,
  variants: {
    'no-cap': { about: 'the same three hogs with the cap removed', change: (s) => ({ ...s, domains: s.domains.map((d) => ({ ...d, cap: 0 })) }) },
    'cap-last': { about: 'the capped domain moved to the end of the domain list', change: (s) => ({ ...s, domains: [...s.domains.filter((d) => d.cap === 0), ...s.domains.filter((d) => d.cap > 0)] }) },
  },
  figures: (runs) => {
    const { base } = runs;
    const noCap = runs['no-cap']!;
    const last = runs['cap-last']!;
    return [
      fig('light', 'light (weight 256): share of the pCPU', cpuPct(base, 'light'), '%'),
      fig('heavy', 'heavy (weight 512): share of the pCPU', cpuPct(base, 'heavy'), '%'),
      fig('capped', 'capped (weight 256, cap 10): share of the pCPU', cpuPct(base, 'capped'), '%'),
      fig('noCap.light', 'without the cap: light', cpuPct(noCap, 'light'), '%'),
      fig('noCap.heavy', 'without the cap: heavy', cpuPct(noCap, 'heavy'), '%'),
      fig('noCap.capped', 'without the cap: capped', cpuPct(noCap, 'capped'), '%'),
      fig('last.light', 'capped listed last: light', cpuPct(last, 'light'), '%'),
      fig('last.heavy', 'capped listed last: heavy', cpuPct(last, 'heavy'), '%'),
      fig('last.capped', 'capped listed last: capped', cpuPct(last, 'capped'), '%'),
    ];
  },
};

const schedWith = (change: Partial<Scenario['scheduler']>) => (s: Scenario): Scenario => ({ ...s, scheduler: { ...s.scheduler, ...change } });

/** The reader's figures in one run: I/Os per second and mean latency. */
function reader(o: RunOutcome): { iops: number; latencyUs: number; wakeP50Us: number } {
  const d = dom(o, 'reader');
  return { iops: per(ios(d), o.report.simulatedNs / 1e9), latencyUs: (d.devices[0]?.latencyNs.mean ?? 0) / 1000, wakeP50Us: d.wakeLatencyNs.p50 / 1000 };
}

export const boostIo: LessonSpec = {
  name: 'boost-io',
  number: 8,
  variants: {
    // Every xenstore round trip of the reader's boot waits out both hogs' slices too: booting
    // alone takes about a second, so this run is longer.
    rr: { about: 'scheduler round robin (no priorities, no BOOST), for at least 3s', change: (s) => ({ ...schedWith({ name: 'rr' })(s), duration: Math.max(s.duration, 3000 * MS) }) },
    'no-ratelimit': { about: 'credit with ratelimit 0 (a BOOSTed vCPU preempts at once), for 300ms', change: (s) => ({ ...schedWith({ ratelimit: 0 })(s), duration: Math.min(s.duration, 300 * MS) }) },
  },
  figures: (runs) => {
    const credit = reader(runs.base);
    const rr = reader(runs['rr']!);
    const fast = reader(runs['no-ratelimit']!);
    return [
      fig('credit.iops', 'credit: reader I/Os per second', credit.iops, 'IOPS'),
      fig('credit.latency', 'credit: reader mean I/O latency', credit.latencyUs, 'us'),
      fig('credit.wake', 'credit: reader wake-to-run latency, median', credit.wakeP50Us, 'us'),
      fig('credit.hogs', 'credit: the two hogs\' share of pCPU 0', cpuPct(runs.base, 'hog1') + cpuPct(runs.base, 'hog2'), '%'),
      fig('rr.iops', 'round robin: reader I/Os per second', rr.iops, 'IOPS'),
      fig('rr.latency', 'round robin: reader mean I/O latency', rr.latencyUs, 'us'),
      fig('rr.wake', 'round robin: reader wake-to-run latency, median', rr.wakeP50Us, 'us'),
      fig('fast.iops', 'credit, ratelimit 0: reader I/Os per second', fast.iops, 'IOPS'),
      fig('fast.latency', 'credit, ratelimit 0: reader mean I/O latency', fast.latencyUs, 'us'),
    ];
  },
};

const guestNames = (o: RunOutcome): string[] => o.report.domains.filter((d) => d.id !== 0).map((d) => d.name);
const meanIops = (o: RunOutcome): number => {
  const names = guestNames(o);
  return per(names.reduce((a, n) => a + ios(dom(o, n)), 0), names.length) / (o.report.simulatedNs / 1e9);
};
const meanLatencyUs = (o: RunOutcome): number => {
  const names = guestNames(o);
  return per(names.reduce((a, n) => a + (dom(o, n).devices[0]?.latencyNs.mean ?? 0), 0), names.length) / 1000;
};

/** Every guest as a PV guest on the same volume: blkfront instead of the emulated disk. */
function allPv(s: Scenario): Scenario {
  const xvd = (v: string): string => v.replace(/^(hd|sd)/, 'xvd');
  return {
    ...s,
    domains: s.domains.map((d) => ({
      ...d, type: 'pv' as const, accel: undefined, hdtype: undefined, hap: undefined, xen_platform_pci: undefined,
      disk: d.disk.map((k) => ({ ...k, vdev: xvd(k.vdev) })),
      workload: d.workload.kind === 'fio' ? { ...d.workload, vdev: xvd(d.workload.vdev) } : d.workload,
    })),
  };
}

export const dom0Bottleneck: LessonSpec = {
  name: 'dom0-bottleneck',
  number: 9,
  variants: {
    alone: { about: 'hvm1 alone on the host', change: (s) => ({ ...s, domains: s.domains.slice(0, 1) }) },
    pv: { about: 'the eight guests as PV guests (blkfront, no device model)', change: allPv },
  },
  figures: (runs) => {
    const { base } = runs;
    const alone = runs['alone']!;
    const pv = runs['pv']!;
    const d0 = dom(base, 'Domain-0');
    return [
      fig('dom0Cpu', 'dom0 busy, % of its one vCPU', cpuPct(base, 'Domain-0'), '%'),
      fig('dmShare', 'of dom0\'s CPU time, the device model (QEMU)', per(100 * d0.cpuNs.user, d0.cpuNs.user + d0.cpuNs.kernel + d0.cpuNs.hypervisor), '%'),
      fig('iops', 'I/Os per second per guest, 8 guests', meanIops(base), 'IOPS'),
      fig('latency', 'mean read latency, 8 guests', meanLatencyUs(base), 'us'),
      fig('alone.iops', 'I/Os per second, one guest alone', meanIops(alone), 'IOPS'),
      fig('alone.latency', 'mean read latency, one guest alone', meanLatencyUs(alone), 'us'),
      fig('pv.iops', 'I/Os per second per guest, 8 PV guests', meanIops(pv), 'IOPS'),
      fig('pv.dom0Cpu', 'dom0 busy serving 8 PV guests', cpuPct(pv, 'Domain-0'), '%'),
    ];
  },
};
