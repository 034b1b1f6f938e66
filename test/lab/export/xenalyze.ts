// Finding and running Xen's xenalyze for the xentrace tests, and reading its --summary.
// xenalyze is looked for in $XENALYZE, then where .ci/install-xen-tools.sh puts it
// ($PVLAB_XEN_TOOLS or /opt/pvlab/xen-tools, then usr/bin/xenalyze), then on PATH.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function findXenalyze(): string | undefined {
  const candidates = [
    process.env.XENALYZE,
    join(process.env.PVLAB_XEN_TOOLS ?? '/opt/pvlab/xen-tools', 'usr/bin/xenalyze'),
    ...(process.env.PATH ?? '').split(':').filter(Boolean).map((d) => join(d, 'xenalyze')),
  ];
  return candidates.find((p): p is string => p !== undefined && existsSync(p));
}

export interface XenalyzeRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function xenalyze(bin: string, args: string[]): XenalyzeRun {
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Running cycles per domain from `xenalyze --summary`: each vCPU's "running:" line gives
 *  a count, seconds (2 decimals) and the average in cycles; count * average is the total to
 *  within `count` cycles. */
export function runningCyclesByDomain(summary: string): Map<number, number> {
  const out = new Map<number, number>();
  let dom: number | undefined;
  let inVcpu = false;
  for (const line of summary.split('\n')) {
    const d = /^\|-- Domain (\d+) --\|/.exec(line);
    if (d) {
      dom = Number(d[1]);
      inVcpu = false;
      continue;
    }
    if (/^-- v\d+ --/.test(line)) inVcpu = true;
    const r = /^\s+running:\s+(\d+)\s+[\d.]+s\s+(\d+)/.exec(line);
    if (r && dom !== undefined && inVcpu) out.set(dom, (out.get(dom) ?? 0) + Number(r[1]) * Number(r[2]));
  }
  return out;
}
