// The rest of the lab's `xl` (./xl has list, pause, unpause, destroy, shutdown, sched-credit):
// create (from a domain a scenario's timeline checked at load), vcpu-pin, vcpu-set,
// vcpu-list, block-attach, block-detach and block-list, each printing what xl prints and failing with
// xl's words. block-attach is the toolstack's half of hotplug (REFERENCE §5.2–5.3): the
// frontend and backend directories at state 1 and a blkback, exactly as `xl create` adds a
// disk; block-detach writes the backend's online=0 and state 5 (Closing) and, once the
// frontend has walked to Closed (6), removes both directories and the backend. The PV kernel's
// half (guests/kernel/pv.ts) connects and closes its blkfronts when it takes the watch's
// event. block-list shows where each disk's handshake stands, from the frontend's keys.
import { XenbusState } from '../../hypervisor/public/io/xs_wire';
import { setVcpuAffinity, setVcpuOnline } from '../../hypervisor/sched/hotplug';
import type { Domain } from '../../hypervisor/domain';
import { vdevToDevid } from '../../dom0/xenstore/paths';
import { parseCpuList, selectCpus } from '../scenario/cpulist';
import type { Domain as DomainSpec } from '../scenario/types';
import { parseDiskSpec } from '../scenario/xlspec';
import { addDisk } from './toolstack';
import { createGuest, type World } from './world';
import { findDomain, pad, type XlResult } from './xl-common';

const fail = (error: string): XlResult => ({ ok: false, error });
const done = (output = ''): XlResult => ({ ok: true, output });

/** `xl create web.cfg`: the domain the timeline read from the file (lab/scenario/timeline). */
export function xlCreate(w: World, args: string[], spec: DomainSpec | undefined): XlResult {
  const file = args.find((a) => !a.startsWith('-'));
  if (file === undefined || spec === undefined) return fail('xl create: a config file is required (pvlab reads it when the scenario loads)');
  if (w.hv.list().some((d) => d.name === spec.name && d.life === 'alive')) return fail(`Parsing config from ${file}\nlibxl: error: Domain with name "${spec.name}" already exists.`);
  const d = createGuest(w, spec);
  if (typeof d === 'string') return fail(`Parsing config from ${file}\nlibxl: error: cannot create domain ${spec.name}: ${d}`);
  if (args.includes('-p')) w.hv.pause(d.id);
  return done(`Parsing config from ${file}`);
}

/** `xl vcpu-pin <domain> <vcpu|all> <hard|-|all> [soft]`. */
export function xlVcpuPin(w: World, args: string[]): XlResult {
  const [ident, which, hard] = args;
  if (hard === undefined) return fail("'xl vcpu-pin' requires 3 or 4 arguments.");
  const d = findDomain(w, ident);
  if (typeof d === 'string') return fail(d);
  const vcpus = which === 'all' ? d.vcpus : d.vcpus.filter((v) => String(v.id) === which);
  if (vcpus.length === 0) return fail(`libxl: error: Requested vcpu ${which} does not exist`);
  if (hard === '-') return done();
  const cpus = cpuList(hard, w.hv.pcpus);
  if (typeof cpus === 'string') return fail(cpus);
  for (const v of vcpus) setVcpuAffinity(w.hv.core, v, cpus);
  return done();
}

/** `xl vcpu-set <domain> <count>`: the first <count> vCPUs online, the rest offline. */
export function xlVcpuSet(w: World, args: string[]): XlResult {
  const d = findDomain(w, args[0]);
  if (typeof d === 'string') return fail(d);
  const n = Number(args[1]);
  if (!Number.isInteger(n) || n < 1) return fail(`Invalid vcpus limit: ${args[1] ?? ''}`);
  if (n > d.vcpus.length) return fail(`libxl: error: Requested ${n} VCPUs, however maxcpus is ${d.vcpus.length}!`);
  for (const v of d.vcpus) setVcpuOnline(w.hv.core, v, v.id < n);
  return done();
}

/** `xl vcpu-list [domain]`: Name ID VCPU CPU State Time(s) Affinity (Hard / Soft). */
export function xlVcpuList(w: World, args: string[]): XlResult {
  const one = args[0] === undefined ? undefined : findDomain(w, args[0]);
  if (typeof one === 'string') return fail(one);
  w.hv.core.settleAll();
  const lines = [pad('Name', 33) + pad('ID', 5, true) + pad('VCPU', 6, true) + pad('CPU', 5, true) + pad('State', 7, true) + pad('Time(s)', 10, true) + ' Affinity (Hard / Soft)'];
  for (const d of one ? [one] : w.hv.list()) {
    for (const v of d.vcpus) {
      const offline = v.unplugged || v.down;
      const state = offline ? '--p' : v.runstate === 'running' ? 'r--' : v.runstate === 'blocked' ? '-b-' : '---';
      const secs = (v.ran.user + v.ran.kernel + v.ran.hypervisor) / 1e9;
      lines.push(pad(d.name, 33) + pad(String(d.id), 5, true) + pad(String(v.id), 6, true) + pad(offline ? '-' : String(v.processor), 5, true) + pad(state, 7, true) + pad(secs.toFixed(1), 10, true) + ` ${affinityText(v.affinity, w.hv.pcpus)} / all`);
    }
  }
  return done(lines.join('\n'));
}

/** `xl block-attach <domain> <disk spec>`: hotplug, the toolstack's half. */
export function xlBlockAttach(w: World, args: string[]): XlResult {
  const d = findDomain(w, args[0]);
  if (typeof d === 'string') return fail(d);
  const text = args.slice(1).join(' ');
  const spec = parseDiskSpec(text);
  if (!spec.ok) return fail(`${spec.message}\nlibxl: error: Unable to parse disk spec '${text}'`);
  const devid = vdevToDevid(spec.value.vdev);
  if (devid !== undefined && w.dom0.xs.read(undefined, `/local/domain/0/backend/vbd/${d.id}/${devid}/state`) !== undefined) {
    return fail(`libxl: error: device ${spec.value.vdev} already exists for domain ${d.id}`);
  }
  const bb = addDisk(w.hv, w.dom0, w.storage, d, spec.value);
  if (typeof bb === 'string') return fail(`libxl: error: ${bb}`);
  guestEntry(w, d)?.backends.push(bb);
  return done();
}

/** `xl block-detach <domain> <vdev>`: online=0, Closing; the rest when the frontend is Closed. */
export function xlBlockDetach(w: World, args: string[]): XlResult {
  const d = findDomain(w, args[0]);
  if (typeof d === 'string') return fail(d);
  const devid = args[1] === undefined ? undefined : vdevToDevid(args[1]) ?? (/^[0-9]+$/.test(args[1]) ? Number(args[1]) : undefined);
  const be = `/local/domain/0/backend/vbd/${d.id}/${devid}`;
  const xs = w.dom0.xs;
  if (devid === undefined || xs.read(undefined, `${be}/state`) === undefined) return fail(`Error: Device ${args[1] ?? ''} not connected.`);
  const fe = `/local/domain/${d.id}/device/vbd/${devid}`;
  xs.write(undefined, `${be}/online`, '0');
  xs.write(undefined, `${be}/state`, String(XenbusState.Closing));
  const entry = guestEntry(w, d);
  const bb = entry?.backends.find((b) => b.devid === devid);
  let removed = false;
  const remove = (): boolean => {
    if (removed) return true;
    const s = Number(xs.read(undefined, `${fe}/state`) ?? String(XenbusState.Closed));
    if (s !== XenbusState.Closed) return false;
    removed = true; // the removals below fire this watch again
    xs.rm(undefined, be);
    xs.rm(undefined, fe);
    const i = bb && entry ? entry.backends.indexOf(bb) : -1;
    if (i >= 0) entry!.backends.splice(i, 1);
    return true;
  };
  if (!remove()) watchUntil(w, `${fe}/state`, `xl-block-detach-${d.id}-${devid}`, remove);
  return done();
}

/** `xl block-list <domain>...`: each disk's frontend state, event channel and ring reference as
 *  the frontend published them (-1 while it has not), and its backend's path. A name that is
 *  no domain is reported and skipped, as xl does. */
export function xlBlockList(w: World, args: string[]): XlResult {
  if (args.length === 0) return fail("'xl block-list' requires at least 1 argument.");
  const xs = w.dom0.xs;
  const num = (v: string | undefined): string => (v !== undefined && /^[0-9]+$/.test(v) ? v : '-1');
  // printf("%-5s %-3s %-6s %-5s %-6s %-8s %-30s\n"), the last column's padding left off
  const row = (...cols: string[]): string => cols.map((c, i) => c.padEnd([5, 3, 6, 5, 6, 8, 0][i]!)).join(' ');
  const lines = [row('Vdev', 'BE', 'handle', 'state', 'evt-ch', 'ring-ref', 'BE-path')];
  const errors: string[] = [];
  for (const ident of args) {
    const d = findDomain(w, ident);
    if (typeof d === 'string') {
      errors.push(`${ident} is an invalid domain identifier`);
      continue;
    }
    const dir = `/local/domain/${d.id}/device/vbd`;
    for (const devid of (xs.directory(undefined, dir) ?? []).map(Number).sort((a, b) => a - b)) {
      const fe = `${dir}/${devid}`;
      const be = xs.read(undefined, `${fe}/backend`);
      if (be === undefined) continue; // libxl_device_disk_getinfo fails: the disk is left out
      const beId = /^\/local\/domain\/([0-9]+)\//.exec(be)?.[1] ?? '-1';
      lines.push(row(String(devid), beId, String(d.id), num(xs.read(undefined, `${fe}/state`)), num(xs.read(undefined, `${fe}/event-channel`)), num(xs.read(undefined, `${fe}/ring-ref`)), be));
    }
  }
  const output = lines.join('\n');
  return errors.length > 0 ? { ok: true, output: `${output}\n${errors.join('\n')}` } : done(output);
}

function guestEntry(w: World, d: Domain) {
  return w.guests.find((g) => g.domain === d);
}

/** A dom0 watch that calls `fn` on each change until it answers true. */
function watchUntil(w: World, path: string, token: string, fn: () => boolean): void {
  const xs = w.dom0.xs;
  xs.watch(undefined, path, token, () => {
    if (fn()) xs.unwatch(undefined, path, token);
  });
}

function cpuList(text: string, pcpus: number): number[] | string {
  const terms = parseCpuList(text);
  if (!terms.ok) return `Invalid cpu list: ${text}`;
  const cpus = selectCpus(terms.value, pcpus);
  if (!cpus.ok || cpus.value.length === 0) return `Invalid cpu list: ${text}`;
  return cpus.value;
}

function affinityText(cpus: readonly number[], pcpus: number): string {
  if (cpus.length === pcpus) return 'all';
  return cpus.join(',');
}
