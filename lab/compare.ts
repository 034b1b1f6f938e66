// `pvlab compare`: one workload, one seed, run under each mode in turn — native, PV, HVM
// (VT-x, with IDE or AHCI), binary translation, pure emulation, PVHVM, PVH, and on a KVM host
// emulated devices, virtio and vhost (./compare-kvm) — on the same disk and volume, and one row per mode: the score, how it compares with native, and
// the counts and CPU time that explain the difference.
import { applyOverrides, parseScenario, parseValue, ScenarioError, type Scenario, type Setting } from './scenario/index';
import type { Domain as DomainSpec } from './scenario/types';
import { runScenario, type RunHooks, type RunOutcome } from './run/runner';
import type { RunReport, DomainReport } from './run/report';
import type { World } from './run/world';
import { isNetKind } from './run/net-workload';
import { onHostFor, vcpuThreadHandlerNs } from './compare-kvm';

export const MODES = ['native', 'pv', 'hvm', 'hvm-ahci', 'hvm-rtl8139', 'bt', 'tcg', 'pvhvm', 'pvh', 'kvm', 'kvm-virtio', 'kvm-vhost'] as const;
export type CompareMode = (typeof MODES)[number];
export const DEFAULT_MODES: CompareMode[] = ['native', 'pv', 'hvm', 'hvm-ahci', 'bt', 'tcg', 'pvhvm', 'pvh', 'kvm', 'kvm-virtio'];
/** For network workloads: the HVM rows are e1000 (the native kernel's driver) and rtl8139 (Xen's default model). */
export const NET_DEFAULT_MODES: CompareMode[] = ['native', 'pv', 'hvm', 'hvm-rtl8139', 'bt', 'tcg', 'pvhvm', 'pvh', 'kvm', 'kvm-virtio', 'kvm-vhost'];

export interface CompareRow {
  mode: CompareMode;
  score: number;
  unit: string;
  relativeToNative: number | null;
  exitsPerOp: number;
  hypercallsPerOp: number;
  notificationsPerOp: number;
  dom0CpuPct: number;
  timeNs: { guest: number; hypervisor: number; backend: number; deviceModel: number; idle: number };
  /** Notices a toolstack printed for this mode (the TCG fallback). */
  notices: string[];
}

export interface CompareResult {
  workload: string;
  platform: string;
  seed: number;
  rows: CompareRow[];
}

export interface CompareInput {
  /** A built-in workload kind with its options as typed (`bs: '4k'`, `iodepth: '32'`), or a
   *  scenario whose first guest is varied. */
  workload?: { kind: string; options: Record<string, string> };
  scenario?: Scenario;
  modes?: CompareMode[];
  platform?: string;
  /** A whole number, or one as typed on the command line. */
  seed?: number | string;
  duration?: string;
}

/** fio's job when none is given, and what `pvlab compare fio` starts from: a 4 KiB random read,
 *  one request at a time. */
const DEFAULT_FIO = { rw: 'randread', bs: '4k', iodepth: 1 };

/** The default stage: 2 pCPUs, dom0 with one vCPU, one guest with one disk on a volume (and,
 *  for a network workload, one vif on xenbr0). No text the caller gave is pasted into the YAML:
 *  the workload and each of its options are settings on the parsed document, checked by the
 *  scenario file's rules, so a bad option is reported as typed (`command line: bs=abc: is not a
 *  size`) and none can add keys of its own. Seed, duration and platform are checked likewise. */
export function baseScenario(input: CompareInput): Scenario {
  const overrides = { seed: input.seed, duration: input.duration, platform: input.platform };
  if (input.scenario) return applyOverrides(input.scenario, overrides);
  const w = input.workload ?? { kind: 'fio', options: {} };
  const yaml = `name: compare
seed: 1
duration: 1s
platform: modern
host: {pcpus: 2}
dom0: {vcpus: 1, memory: 1024, volumes: [{name: /dev/vg0/guest, disk: sda, size: 4GiB}]}
domains:
  - name: guest
    type: pv
    vcpus: 1
    memory: 512
    disk: ['format=raw, vdev=xvda, access=rw, target=/dev/vg0/guest']
${isNetKind(w.kind) ? "    vif: ['bridge=xenbr0']\n" : ''}`;
  const at = (...rest: string[]) => ['domains', 0, 'workload', ...rest];
  const settings: Setting[] = [
    { key: 'workload', path: at(), text: w.kind, label: w.kind, value: { kind: w.kind, ...(w.kind === 'fio' ? DEFAULT_FIO : {}) } },
    ...Object.entries(w.options).map(([key, text]): Setting => {
      const label = `${key}=${text}`;
      return { key, path: at(key), text, label, value: parseValue(text, label, '') };
    }),
  ];
  const r = parseScenario(yaml, 'compare', { settings });
  if (!r.ok) throw r.error;
  return applyOverrides({ ...r.scenario, name: `compare-${w.kind}` }, overrides);
}

/** The scenario with its first guest switched to `mode`. */
export function withMode(s: Scenario, mode: CompareMode, platform: string | undefined): Scenario {
  const [first, ...rest] = s.domains;
  if (!first) throw new ScenarioError({ file: s.file, problem: 'compare needs a scenario with at least one guest domain' });
  const g: DomainSpec = { ...first, accel: undefined, xen_platform_pci: undefined, hdtype: undefined, hap: undefined, vhostNet: undefined, vhostBlk: undefined };
  const vdev = (v: string): string => (mode === 'pv' || mode === 'pvh' || mode === 'pvhvm' ? v.replace(/^(hd|sd|vd)/, 'xvd') : v.replace(/^(xvd|vd)/, 'hd'));
  g.disk = first.disk.map((d) => ({ ...d, vdev: vdev(d.vdev) }));
  if (g.workload.kind === 'fio') g.workload = { ...g.workload, vdev: vdev(g.workload.vdev) };
  switch (mode) {
    case 'native': g.type = 'native'; g.hdtype = first.hdtype ?? 'ahci'; break;
    case 'pv': g.type = 'pv'; break;
    case 'pvh': g.type = 'pvh'; break;
    case 'hvm': g.type = 'hvm'; g.accel = 'vtx'; g.hdtype = first.hdtype ?? 'ide'; break;
    case 'hvm-ahci': g.type = 'hvm'; g.accel = 'vtx'; g.hdtype = 'ahci'; break;
    case 'hvm-rtl8139': g.type = 'hvm'; g.accel = 'vtx'; g.hdtype = first.hdtype ?? 'ide'; break;
    case 'bt': g.type = 'hvm'; g.accel = 'bt'; g.hdtype = first.hdtype ?? 'ide'; break;
    case 'tcg': g.type = 'hvm'; g.accel = 'tcg'; g.hdtype = first.hdtype ?? 'ide'; break;
    case 'pvhvm': g.type = 'hvm'; g.xen_platform_pci = true; break;
  }
  g.vif = first.vif.map((v) => nicFor(v, mode));
  const host = onHostFor(s, mode, g); // kvm, kvm-virtio, kvm-vhost run on a KVM host (./compare-kvm)
  return { ...host, platform: (platform as Scenario['platform']) ?? s.platform, domains: [g, ...rest] };
}

/** A vif under `mode`: PV modes have no emulated model; the HVM rows get e1000 (rtl8139 for
 *  hvm-rtl8139) unless the scenario named one; kvm-virtio and kvm-vhost get virtio-net. */
function nicFor(v: DomainSpec['vif'][number], mode: CompareMode): DomainSpec['vif'][number] {
  if (mode === 'pv' || mode === 'pvh') return { ...v, model: undefined, type: undefined };
  if (mode === 'hvm-rtl8139') return { ...v, model: 'rtl8139' };
  if (mode === 'kvm-virtio' || mode === 'kvm-vhost') return { ...v, model: 'virtio', type: undefined };
  if (mode === 'kvm') return { ...v, model: v.model === 'virtio' || v.model === undefined ? 'e1000' : v.model, type: undefined };
  return { ...v, model: v.model ?? 'e1000' };
}

/** Watchers of each mode's run (a trace recorder, a progress bar, an HTML page); they change no result. */
export interface CompareHooks {
  run?: (mode: CompareMode, index: number) => RunHooks;
  done?: (mode: CompareMode, outcome: RunOutcome) => void;
}

export function compare(input: CompareInput, hooks: CompareHooks = {}): CompareResult {
  const base = baseScenario(input);
  const modes = input.modes ?? (isNetKind(base.domains[0]?.workload.kind ?? '') ? NET_DEFAULT_MODES : DEFAULT_MODES);
  const rows = modes.map((m, i) => {
    const outcome = runScenario(withMode(base, m, input.platform), hooks.run?.(m, i));
    hooks.done?.(m, outcome);
    const { world, report } = outcome;
    return row(m, world, report);
  });
  const native = rows.find((r) => r.mode === 'native');
  for (const r of rows) r.relativeToNative = native && native.score > 0 ? round(r.score / native.score, 3) : null;
  return { workload: describeWorkload(base), platform: input.platform ?? base.platform, seed: base.seed, rows };
}

function describeWorkload(s: Scenario): string {
  const w = s.domains[0]!.workload as unknown as Record<string, unknown>;
  return Object.entries(w).filter(([k, v]) => v !== undefined && k !== 'vdev').map(([k, v]) => (k === 'kind' ? String(v) : `${k}=${v}`)).join(' ');
}

function row(mode: CompareMode, w: World, r: RunReport): CompareRow {
  const g = r.domains.find((d) => d.name === w.scenario.domains[0]!.name)!;
  const dom0 = r.domains.find((d) => d.id === 0)!;
  const { score, unit, ops } = scoreOf(w, g);
  const per = (x: number): number => (ops > 0 ? round(x / ops, 3) : 0);
  const exits = sum(Object.values(g.vmexits));
  const hypercalls = sum(Object.values(g.hypercalls));
  return {
    mode, score: round(score, 1), unit, relativeToNative: null,
    exitsPerOp: per(exits), hypercallsPerOp: per(hypercalls), notificationsPerOp: per(g.notifications.sent + dom0.notifications.sent),
    dom0CpuPct: round((100 * cpu(dom0)) / r.simulatedNs, 2),
    timeNs: {
      guest: g.cpuNs.user + g.cpuNs.kernel,
      hypervisor: sum(r.pcpus.map((p) => p.hypervisorNs)) - vcpuThreadHandlerNs(w),
      backend: dom0.cpuNs.kernel,
      deviceModel: dom0.cpuNs.user + vcpuThreadHandlerNs(w),
      idle: sum(r.pcpus.map((p) => p.idleNs)),
    },
    notices: w.notices,
  };
}

function scoreOf(w: World, g: DomainReport): { score: number; unit: string; ops: number } {
  const entry = w.guests.find((x) => x.domain.id === g.id)!;
  const ops = Number(g.workload['ops'] ?? 0);
  const own = g.workload['score'];
  if (typeof own === 'number') return { score: own, unit: String(g.workload['scoreUnit']), ops }; // network jobs rank themselves
  if (entry.fio) {
    const job = entry.fio;
    const end = job.finishedAt >= 0 ? job.finishedAt : w.engine.now;
    const secs = Math.max(1, end - Math.max(0, job.startedAt)) / 1e9;
    return { score: ops / secs, unit: 'IOPS', ops };
  }
  return { score: ops / (w.engine.now / 1e9), unit: `${String(g.workload['unit'])}/s`, ops };
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const cpu = (d: DomainReport): number => d.cpuNs.user + d.cpuNs.kernel + d.cpuNs.hypervisor;
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
