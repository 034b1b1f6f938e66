// Terminal rendering of a run report: `xl list` columns plus each domain's CPU share and
// wake latency (the delay column of `perf sched latency`), and the pCPU time breakdown.
import type { RunReport } from '../run/report';
import { pad } from '../run/xl';

export function fmtNs(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)}s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)}ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)}us`;
  return `${Math.round(ns)}ns`;
}

export function renderRun(r: RunReport): string {
  const out: string[] = [];
  out.push(`${r.scenario}: ${fmtNs(r.simulatedNs)} simulated on ${r.host.pcpus} pCPU(s), platform ${r.host.platform}, scheduler ${r.host.scheduler.name}, seed ${r.seed}`);
  out.push('');
  out.push(pad('Name', 24) + pad('ID', 4, true) + pad('Mem', 6, true) + pad('VCPUs', 6, true) + pad('State', 8, true) + pad('Time(s)', 9, true) + pad('CPU%', 8, true) + pad('Wake p50', 10, true) + pad('Wake p99', 10, true) + pad('Wake max', 10, true) + '  Workload');
  for (const d of r.domains) {
    const cpu = (d.cpuNs.user + d.cpuNs.kernel + d.cpuNs.hypervisor) / 1e9;
    const wl = d.wakeLatencyNs.count > 0;
    out.push(
      pad(d.name, 24) + pad(String(d.id), 4, true) + pad(String(d.memory), 6, true) + pad(String(d.vcpus), 6, true) + pad(d.state, 8, true) +
        pad(cpu.toFixed(1), 9, true) + pad(d.cpuPct.toFixed(1), 8, true) +
        pad(wl ? fmtNs(d.wakeLatencyNs.p50) : '-', 10, true) + pad(wl ? fmtNs(d.wakeLatencyNs.p99) : '-', 10, true) + pad(wl ? fmtNs(d.wakeLatencyNs.max) : '-', 10, true) +
        '  ' + `${d.workload['kind']} ${d.workload['ops']} ${d.workload['unit']}`,
    );
  }
  out.push('');
  out.push(pad('pCPU', 6) + pad('guest user', 12, true) + pad('guest kernel', 14, true) + pad('hypervisor', 12, true) + pad('idle', 10, true));
  for (const p of r.pcpus) {
    const total = p.guestUserNs + p.guestKernelNs + p.hypervisorNs + p.idleNs || 1;
    const pct = (x: number): string => `${((100 * x) / total).toFixed(1)}%`;
    out.push(pad(String(p.id), 6) + pad(pct(p.guestUserNs), 12, true) + pad(pct(p.guestKernelNs), 14, true) + pad(pct(p.hypervisorNs), 12, true) + pad(pct(p.idleNs), 10, true));
  }
  if (r.timeline) out.push('', ...renderTimeline(r.timeline));
  return out.join('\n');
}

/** The timeline's commands as a shell session, each at its simulated time. */
function renderTimeline(timeline: NonNullable<RunReport['timeline']>): string[] {
  const out = ['Timeline'];
  for (const e of timeline) {
    out.push(`${pad(fmtNs(e.at), 10, true)}  $ ${e.command}`);
    for (const line of [e.output, e.error ?? ''].join('\n').split('\n')) if (line.trim() !== '') out.push(`${' '.repeat(14)}${line}`);
  }
  return out;
}
