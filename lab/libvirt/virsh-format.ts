// What virsh prints for the informational commands, laid out as virsh lays it out: `list`
// through vshTable (each cell after one space, columns two spaces apart, a rule of dashes),
// `dominfo` and `vcpuinfo` as "%-15s %s" lines, `schedinfo` as "%-15s: %s" lines.
import type { Connection } from './connection';
import type { VirDomain } from './domain';
import type { SchedParam, VcpuInfo } from './driver';
import type { VirResult } from './errors';
import { stateWord, vcpuStateWord, VIR_DOMAIN } from './state';

/** vshTablePrint: a header, a rule of dashes, one line per row. */
export function vshTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => r.map((cell, c) => ` ${c < r.length - 1 ? cell.padEnd(widths[c]! + 2) : cell}`).join('');
  const rule = '-'.repeat(widths.reduce((s, w) => s + w + 3, 0));
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n') + '\n';
}

/** `virsh list [--all | --inactive]`, or its `--name` form. */
export function listDomains(conn: Connection, which: { all: boolean; inactive: boolean; name: boolean }): string {
  const doms = conn.listAllDomains(which.all ? {} : which.inactive ? { inactive: true } : { active: true });
  if (which.name) return doms.map((d) => `${d.name}\n`).join('') + '\n';
  const rows = doms.map((d) => {
    const id = d.getID();
    const s = d.getState();
    return [id < 0 ? '-' : String(id), d.name, stateWord(s.ok ? s.value.state : VIR_DOMAIN.NOSTATE)];
  });
  return vshTable([['Id', 'Name', 'State'], ...rows]) + '\n';
}

const kv = (key: string, value: string | number) => `${key.padEnd(15)} ${value}\n`;

/** `virsh dominfo`. */
export function dominfo(d: VirDomain): VirResult<string> {
  const info = d.getInfo();
  if (!info.ok) return info;
  const i = info.value;
  const id = d.getID();
  const os = d.getOSType();
  const persistent = d.isPersistent();
  let out = kv('Id:', id < 0 ? '-' : id) + kv('Name:', d.name) + kv('UUID:', d.uuid);
  if (os.ok) out += kv('OS Type:', os.value);
  out += kv('State:', stateWord(i.state)) + kv('CPU(s):', i.nrVirtCpu);
  if (i.cpuTime !== 0) out += kv('CPU time:', `${(i.cpuTime / 1e9).toFixed(1)}s`);
  out += kv('Max memory:', `${i.maxMem} KiB`) + kv('Used memory:', `${i.memory} KiB`);
  out += kv('Persistent:', persistent.ok ? (persistent.value ? 'yes' : 'no') : 'unknown');
  out += kv('Autostart:', 'disable') + kv('Managed save:', 'no') + kv('Security model:', 'none') + kv('Security DOI:', '0');
  return { ok: true, value: out + '\n' };
}

/** `virsh vcpuinfo`: one block per vCPU; a domain that is shut off has only its affinity. */
export function vcpuinfo(d: VirDomain, hostCpus: number): VirResult<string> {
  const info = d.getInfo();
  if (!info.ok) return info;
  const vcpus = d.getVcpus();
  const blocks: string[] = [];
  for (let n = 0; n < info.value.nrVirtCpu; n++) {
    const v: VcpuInfo | undefined = vcpus.ok ? vcpus.value[n] : undefined;
    const affinity = (v?.affinity ?? Array.from({ length: hostCpus }, () => true)).map((y) => (y ? 'y' : '-')).join('');
    let b = kv('VCPU:', n);
    if (v) {
      b += kv('CPU:', v.cpu < 0 ? 'N/A' : v.cpu) + kv('State:', vcpuStateWord(v.state));
      if (v.cpuTimeNs !== 0) b += kv('CPU time:', `${(v.cpuTimeNs / 1e9).toFixed(1)}s`);
    } else {
      b += kv('CPU:', 'N/A') + kv('State:', 'N/A') + kv('CPU time:', 'N/A');
    }
    blocks.push(b + kv('CPU Affinity:', affinity));
  }
  return { ok: true, value: blocks.join('\n') + '\n' };
}

/** `virsh schedinfo`. */
export function schedinfo(type: string, params: readonly SchedParam[]): string {
  const line = (k: string, v: string | number) => `${k.padEnd(15)}: ${v}\n`;
  return line('Scheduler', type) + params.map((p) => line(p.field, p.value)).join('') + '\n';
}
