// A small `xl` for the lab: the toolstack commands a scenario or a test can issue against a
// running host (list, pause, unpause, destroy, shutdown, sched-credit), with xl's output and
// its wording for errors. The toolstack is dom0's business in Xen; in pvlab the lab drives
// the hypervisor's domctl paths directly on dom0's behalf.
import { errnoName } from '../../hypervisor/public/errno';
import type { Domain } from '../../hypervisor/domain';
import type { World } from './world';

export type XlResult = { ok: true; output: string } | { ok: false; error: string };

export function xl(w: World, command: string): XlResult {
  const argv = command.trim().split(/\s+/);
  const [verb, ...args] = argv;
  switch (verb) {
    case 'list':
      return { ok: true, output: xlList(w) };
    case 'pause':
    case 'unpause':
    case 'destroy':
    case 'shutdown':
      return lifecycle(w, verb, args[0]);
    case 'sched-credit':
      return schedCredit(w, args);
    default:
      return { ok: false, error: `xl: command not implemented: ${verb ?? ''}` };
  }
}

/** Resolves a domain name or id the way xl does. */
export function findDomain(w: World, ident: string | undefined): Domain | string {
  if (ident === undefined) return 'xl: a domain name or id is required';
  const byName = w.hv.domainByName(ident);
  if (byName) return byName;
  if (/^\d+$/.test(ident)) {
    const d = w.hv.domain(Number(ident));
    if (d) return d;
  }
  return `${ident} is an invalid domain identifier (rc=-6)`;
}

function lifecycle(w: World, verb: 'pause' | 'unpause' | 'destroy' | 'shutdown', ident: string | undefined): XlResult {
  const d = findDomain(w, ident);
  if (typeof d === 'string') return { ok: false, error: d };
  const hv = w.hv;
  const rc = verb === 'pause' ? hv.pause(d.id) : verb === 'unpause' ? hv.unpause(d.id) : verb === 'destroy' ? hv.destroy(d.id) : hv.shutdown(d.id, 'poweroff');
  if (rc < 0) return { ok: false, error: `xl ${verb} ${ident}: failed (${errnoName(rc)})` };
  return { ok: true, output: verb === 'shutdown' ? `Shutting down domain ${d.id}` : '' };
}

function schedCredit(w: World, args: string[]): XlResult {
  const get = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const ident = get('-d');
  if (ident === undefined) return { ok: true, output: creditTable(w) };
  const d = findDomain(w, ident);
  if (typeof d === 'string') return { ok: false, error: d };
  const weight = get('-w');
  const cap = get('-c');
  const rc = w.hv.scheduler.adjust(d, { weight: weight === undefined ? undefined : Number(weight), cap: cap === undefined ? undefined : Number(cap) });
  if (rc < 0) return { ok: false, error: `xl sched-credit: setting parameters failed (${errnoName(rc)})` };
  return { ok: true, output: '' };
}

function creditTable(w: World): string {
  const s = w.scenario.scheduler;
  const lines = [`Cpupool Pool-0: tslice=${s.tslice / 1e6}ms ratelimit=${s.ratelimit / 1e3}us migration-delay=0us`, pad('Name', 36) + pad('ID', 3, true) + pad('Weight', 7, true) + pad('Cap', 5, true)];
  for (const d of w.hv.list()) lines.push(pad(d.name, 36) + pad(String(d.id), 3, true) + pad(String(d.weight), 7, true) + pad(String(d.cap), 5, true));
  return lines.join('\n');
}

/** `xl list`: Name ID Mem VCPUs State Time(s). */
export function xlList(w: World): string {
  w.hv.core.settleAll();
  const head = pad('Name', 40) + pad('ID', 5, true) + pad('Mem', 6, true) + pad('VCPUs', 6, true) + pad('State', 11, true) + pad('Time(s)', 10, true);
  const rows = w.hv.list().map((d) => {
    const cpu = (d.cpu.user + d.cpu.kernel + d.cpu.hypervisor) / 1e9;
    return pad(d.name, 40) + pad(String(d.id), 5, true) + pad(String(d.config.memoryMiB), 6, true) + pad(String(d.vcpus.length), 6, true) + pad(d.stateLetters(), 11, true) + pad(cpu.toFixed(1), 10, true);
  });
  return [head, ...rows].join('\n');
}

export function pad(s: string, n: number, right = false): string {
  if (s.length >= n) return right ? ' ' + s : s + ' ';
  return right ? s.padStart(n) : s.padEnd(n);
}
