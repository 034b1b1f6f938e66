// A small `xl` for the lab: the toolstack commands a scenario or a test can issue against a
// running host (list, pause, unpause, destroy, shutdown, sched-credit here; create, vcpu-pin,
// vcpu-set, vcpu-list, block-attach, block-detach and block-list in ./xl-more), with xl's output and
// its wording for errors. The toolstack is dom0's business in Xen; in pvlab the lab drives
// the hypervisor's domctl paths directly on dom0's behalf.
import { errnoName } from '../../hypervisor/public/errno';
import { splitWords } from '../libvirt/virsh-args';
import type { Domain as DomainSpec } from '../scenario/types';
import { destroyGuest } from './toolstack';
import type { World } from './world';
import { xlBlockAttach, xlBlockDetach, xlBlockList, xlCreate, xlVcpuList, xlVcpuPin, xlVcpuSet } from './xl-more';
import { findDomain, pad, type XlResult } from './xl-common';

export { findDomain, pad, type XlResult };

/** `create` is given the domain its config describes (a timeline reads and checks it at load). */
export interface XlOptions {
  create?: DomainSpec;
}

export function xl(w: World, command: string, opts: XlOptions = {}): XlResult {
  if (w.kvm !== undefined) return { ok: false, error: 'xl: this host runs KVM, which has no Xen toolstack (use virsh)' };
  const argv = splitWords(command);
  if (typeof argv === 'string') return { ok: false, error: `xl: ${argv}` };
  const [verb, ...args] = argv;
  switch (verb) {
    case 'list':
      return { ok: true, output: xlList(w) };
    case 'pause':
    case 'unpause':
    case 'destroy':
    case 'shutdown':
      return lifecycle(w, verb, args.find((a) => !a.startsWith('-')));
    case 'sched-credit':
      return schedCredit(w, args);
    case 'create':
      return xlCreate(w, args, opts.create);
    case 'vcpu-pin':
      return xlVcpuPin(w, args);
    case 'vcpu-set':
      return xlVcpuSet(w, args);
    case 'vcpu-list':
      return xlVcpuList(w, args);
    case 'block-attach':
      return xlBlockAttach(w, args);
    case 'block-detach':
      return xlBlockDetach(w, args);
    case 'block-list':
      return xlBlockList(w, args);
    default:
      return { ok: false, error: `xl: command not implemented: ${verb ?? ''}` };
  }
}

function lifecycle(w: World, verb: 'pause' | 'unpause' | 'destroy' | 'shutdown', ident: string | undefined): XlResult {
  const d = findDomain(w, ident);
  if (typeof d === 'string') return { ok: false, error: d };
  const hv = w.hv;
  if (verb === 'destroy' && d.id === 0) return { ok: false, error: 'Not destroying domain 0; use -f to force.' };
  const backends = w.guests.find((g) => g.domain === d)?.backends ?? [];
  const rc = verb === 'pause' ? hv.pause(d.id) : verb === 'unpause' ? hv.unpause(d.id) : verb === 'destroy' ? destroyGuest(hv, w.dom0, d, backends) : hv.shutdown(d.id, 'poweroff');
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
