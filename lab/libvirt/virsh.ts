// virsh, the libvirt shell: one command line in, what virsh prints out (stdout) and what it
// complains (stderr, "error: ..." lines), against a connection chosen by `-c URI` or the
// session's default. Commands: list, start, shutdown, destroy, reboot, suspend, resume, define,
// undefine, create, dominfo, domstate, vcpuinfo, vcpupin, setvcpus, schedinfo, dumpxml.
// Messages follow virsh's ("Domain 'web' started", "error: failed to get domain 'db'").
import type { Connection } from './connection';
import type { VirDomain } from './domain';
import type { VirResult } from './errors';
import { reasonWord, stateWord } from './state';
import { parseArgs, splitWords, type Parsed, type VirshVerb } from './virsh-args';
import { dominfo, listDomains, schedinfo, vcpuinfo } from './virsh-format';

export interface VirshSession {
  /** The connection for `uri` (`-c URI`), or the default one when it is undefined. */
  connect(uri: string | undefined): VirResult<Connection>;
  /** The text of a file given to define or create; throws when it cannot be read. */
  readFile?(path: string): string;
}

/** stdout and stderr of one virsh command; ok is its exit status being 0. */
export interface VirshOutput {
  ok: boolean;
  stdout: string;
  stderr: string;
}

type Out = { out: string } | { err: string };
type Run = (conn: Connection, a: Parsed, s: VirshSession) => Out;

interface Command {
  /** Options that take a value. */
  valued?: readonly string[];
  /** Positional arguments it requires, by virsh's names. */
  needs?: readonly string[];
  run: Run;
}

export const VIRSH_COMMANDS: Record<VirshVerb, Command> = {
  list: { run: (c, a) => ({ out: listDomains(c, { all: a.flags.has('all'), inactive: a.flags.has('inactive'), name: a.flags.has('name') }) }) },
  start: { needs: ['domain'], run: (c, a) => withDomain(c, a, start) },
  shutdown: { needs: ['domain'], run: (c, a) => act(c, a, (d) => d.shutdown(), 'shutdown', 'is being shutdown') },
  reboot: { needs: ['domain'], run: (c, a) => act(c, a, (d) => d.reboot(), 'reboot', 'is being rebooted') },
  destroy: { needs: ['domain'], run: (c, a) => act(c, a, (d) => d.destroy(), 'destroy', 'destroyed') },
  suspend: { needs: ['domain'], run: (c, a) => act(c, a, (d) => d.suspend(), 'suspend', 'suspended') },
  resume: { needs: ['domain'], run: (c, a) => act(c, a, (d) => d.resume(), 'resume', 'resumed') },
  undefine: { needs: ['domain'], run: (c, a) => act(c, a, (d) => d.undefine(), 'undefine', 'has been undefined') },
  define: { needs: ['file'], run: (c, a, s) => fromFile(c, a, s, 'define') },
  create: { needs: ['file'], run: (c, a, s) => fromFile(c, a, s, 'create') },
  dominfo: { needs: ['domain'], run: (c, a) => withDomain(c, a, (d) => result(dominfo(d))) },
  domstate: { needs: ['domain'], run: (c, a) => withDomain(c, a, (d) => domstate(d, a.flags.has('reason'))) },
  vcpuinfo: { needs: ['domain'], run: (c, a) => withDomain(c, a, (d) => result(vcpuinfo(d, c.getNodeInfo().cpus))) },
  vcpupin: { needs: ['domain', 'vcpu', 'cpulist'], run: (c, a) => withDomain(c, a, (d) => vcpupin(d, a, c.getNodeInfo().cpus)) },
  setvcpus: { needs: ['domain', 'count'], run: (c, a) => withDomain(c, a, (d) => setvcpus(d, a.positional[1]!)) },
  schedinfo: { valued: ['weight', 'cap', 'set'], needs: ['domain'], run: (c, a) => withDomain(c, a, (d) => sched(d, a)) },
  dumpxml: { needs: ['domain'], run: (c, a) => withDomain(c, a, (d) => result(d.getXMLDesc())) },
};

/** Runs one virsh command line. */
export function virsh(session: VirshSession, line: string): VirshOutput {
  const words = splitWords(line);
  if (typeof words === 'string') return failed(words);
  let uri: string | undefined;
  while (words[0] === '-c' || words[0] === '--connect') {
    words.shift();
    uri = words.shift();
    if (uri === undefined) return failed("option '--connect' requires an argument");
  }
  const name = words.shift();
  if (name === undefined) return failed('no command given');
  const cmd = Object.hasOwn(VIRSH_COMMANDS, name) ? VIRSH_COMMANDS[name as VirshVerb] : undefined;
  if (!cmd) return failed(`unknown command: '${name}'`);
  const args = parseArgs(words, ['domain', ...(cmd.valued ?? [])]);
  if (typeof args === 'string') return failed(args);
  const dom = args.options.get('domain');
  if (dom !== undefined) args.positional.unshift(dom);
  const missing = (cmd.needs ?? []).find((_, i) => args.positional[i] === undefined);
  if (missing) return failed(`command '${name}' requires <${missing}> option`);
  const conn = session.connect(uri);
  if (!conn.ok) return failed(`failed to connect to the hypervisor\nerror: ${conn.error.message}`);
  const r = cmd.run(conn.value, args, session);
  return 'out' in r ? { ok: true, stdout: r.out, stderr: '' } : failed(r.err);
}

function failed(message: string): VirshOutput {
  return { ok: false, stdout: '', stderr: `error: ${message}\n` };
}

/** virshLookupDomainBy: an id, a uuid, or a name. */
export function lookupDomain(c: Connection, ident: string): VirResult<VirDomain> {
  if (/^[0-9]+$/.test(ident)) {
    const byId = c.lookupByID(Number(ident));
    if (byId.ok) return byId;
  }
  if (/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(ident)) {
    const byUuid = c.lookupByUUIDString(ident);
    if (byUuid.ok) return byUuid;
  }
  return c.lookupByName(ident);
}

function withDomain(c: Connection, a: Parsed, fn: (d: VirDomain) => Out): Out {
  const d = lookupDomain(c, a.positional[0]!);
  return d.ok ? fn(d.value) : { err: `failed to get domain '${a.positional[0]}'` };
}

function result(r: VirResult<string>): Out {
  return r.ok ? { out: r.value } : { err: r.error.message };
}

function start(d: VirDomain): Out {
  const active = d.isActive();
  if (active.ok && active.value) return { err: `Domain '${d.name}' is already active` };
  const r = d.create();
  return r.ok ? { out: `Domain '${d.name}' started\n\n` } : { err: `Failed to start domain '${d.name}'\nerror: ${r.error.message}` };
}

function act(c: Connection, a: Parsed, call: (d: VirDomain) => VirResult<void>, verb: string, done: string): Out {
  return withDomain(c, a, (d) => {
    const r = call(d);
    return r.ok ? { out: `Domain '${d.name}' ${done}\n\n` } : { err: `Failed to ${verb} domain '${d.name}'\nerror: ${r.error.message}` };
  });
}

function fromFile(c: Connection, a: Parsed, s: VirshSession, verb: 'define' | 'create'): Out {
  const file = a.positional[0]!;
  let xml: string;
  try {
    if (!s.readFile) throw new Error('no files here');
    xml = s.readFile(file);
  } catch {
    return { err: `Failed to open file '${file}': No such file or directory` };
  }
  const r = verb === 'define' ? c.defineXML(xml) : c.createXML(xml);
  if (!r.ok) return { err: `Failed to ${verb} domain from ${file}\nerror: ${r.error.message}` };
  return { out: `Domain '${r.value.name}' ${verb === 'define' ? 'defined' : 'created'} from ${file}\n\n` };
}

function domstate(d: VirDomain, withReason: boolean): Out {
  const s = d.getState();
  if (!s.ok) return { err: s.error.message };
  const word = stateWord(s.value.state);
  return { out: `${withReason ? `${word} (${reasonWord(s.value.state, s.value.reason)})` : word}\n\n` };
}

function setvcpus(d: VirDomain, count: string): Out {
  if (!/^[0-9]+$/.test(count)) return { err: `Numeric value '${count}' for <count> option is malformed or out of range` };
  const r = d.setVcpus(Number(count));
  return r.ok ? { out: '' } : { err: r.error.message };
}

function vcpupin(d: VirDomain, a: Parsed, hostCpus: number): Out {
  const [, vcpu, list] = a.positional;
  if (!/^[0-9]+$/.test(vcpu!)) return { err: `Numeric value '${vcpu}' for <vcpu> option is malformed or out of range` };
  const cpus = parseCpuList(list!, hostCpus);
  if (cpus === undefined) return { err: `Physical CPU ${list} doesn't exist.` };
  const r = d.pinVcpu(Number(vcpu), cpus);
  return r.ok ? { out: '' } : { err: r.error.message };
}

/** virBitmapParse's syntax: `0-3,^2`, `r` for all... just ranges, singles and exclusions. */
export function parseCpuList(text: string, hostCpus: number): number[] | undefined {
  const set = new Set<number>();
  for (const term of text.split(',')) {
    const m = /^(\^)?([0-9]+)(?:-([0-9]+))?$/.exec(term.trim());
    if (!m) return undefined;
    const lo = Number(m[2]);
    const hi = m[3] === undefined ? lo : Number(m[3]);
    if (hi < lo || hi >= hostCpus) return undefined;
    for (let c = lo; c <= hi; c++) (m[1] ? set.delete(c) : set.add(c));
  }
  return set.size > 0 ? [...set].sort((x, y) => x - y) : undefined;
}

/** `schedinfo web [--weight N] [--cap N] [--set field=value,...]`: sets, then shows. */
function sched(d: VirDomain, a: Parsed): Out {
  const params: Record<string, number> = {};
  const sets = [a.options.get('weight') && `weight=${a.options.get('weight')}`, a.options.get('cap') && `cap=${a.options.get('cap')}`, ...(a.options.get('set')?.split(',') ?? [])];
  for (const s of sets) {
    if (!s) continue;
    const m = /^([a-z_]+)=(-?[0-9]+)$/.exec(s);
    if (!m) return { err: `invalid scheduler option: ${s}` };
    params[m[1]!] = Number(m[2]);
  }
  if (Object.keys(params).length > 0) {
    const r = d.setSchedulerParameters(params);
    if (!r.ok) return { err: r.error.message };
  }
  const type = d.getSchedulerType();
  const got = d.getSchedulerParameters();
  if (!type.ok) return { err: type.error.message };
  if (!got.ok) return { err: got.error.message };
  return { out: schedinfo(type.value, got.value) };
}
