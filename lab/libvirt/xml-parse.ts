// Reading domain XML into a DomainDef, with libvirt's errors: text that is not well-formed XML
// is VIR_ERR_XML_DETAIL with its line ("(domain_definition):3: ..."), as libvirt reports
// libxml2's complaint; a well-formed document that breaks the schema is VIR_ERR_XML_ERROR
// ("XML error: an os <type> must be specified"); a valid one pvlab cannot run is
// VIR_ERR_CONFIG_UNSUPPORTED. Elements outside the subset are ignored, as libvirt ignores what
// it does not know. The XML itself is read by fast-xml-parser.
import { createHash } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { issueFromZod } from '../scenario/issues';
import { workloadSchema } from '../scenario/workload';
import { LIFECYCLE_ACTIONS, NET_DRIVERS, PVLAB_XMLNS, VIRT_TYPES, type DiskDef, type DomainDef, type InterfaceDef, type LifecycleAction, type NetDriver, type OsType, type VirtType } from './def';
import { ok, virErr, VIR_ERR, VIR_FROM, type VirResult } from './errors';
import { cpuShares, memoryKiB, sub, attr, text, many, type XmlNode, XmlProblem } from './xml-node';

/** pvlab's smallest domain (the scenario schema's rule). */
export const MIN_MEMORY_MIB = 16;
export const MAX_VCPUS = 128;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

/** Parses domain XML; every problem is a libvirt error, never a throw. */
export function parseDomainXML(xml: string): VirResult<DomainDef> {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return virErr(VIR_ERR.XML_DETAIL, VIR_FROM.XML, `(domain_definition):${valid.err.line}: ${valid.err.msg}`);
  const doc = parser.parse(xml) as Record<string, unknown>;
  const root = Object.keys(doc).find((k) => !k.startsWith('?') && !k.startsWith('#'));
  if (root !== 'domain') return virErr(VIR_ERR.XML_ERROR, VIR_FROM.DOMAIN, `unexpected root element <${root ?? ''}>, expecting <domain>`);
  try {
    return readDomain(doc.domain as XmlNode);
  } catch (e) {
    if (e instanceof XmlProblem) return virErr(e.code, VIR_FROM.DOMAIN, e.message);
    throw e;
  }
}

function readDomain(d: XmlNode): VirResult<DomainDef> {
  const virtType = readVirtType(d);
  const name = text(sub(d, 'name'));
  if (name === undefined || name === '') throw new XmlProblem(VIR_ERR.NO_NAME, '');
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new XmlProblem(VIR_ERR.XML_ERROR, `domain name '${name}' may hold only letters, digits, _ . and -`);
  const memory = memoryKiB(sub(d, 'memory'), './memory[1]');
  if (memory === undefined) throw new XmlProblem(VIR_ERR.XML_ERROR, 'missing memory element');
  if (memory < MIN_MEMORY_MIB * 1024) throw new XmlProblem(VIR_ERR.CONFIG_UNSUPPORTED, `memory must be at least ${MIN_MEMORY_MIB} MiB (got ${memory} KiB)`);
  const current = Math.min(memory, memoryKiB(sub(d, 'currentMemory'), './currentMemory[1]') ?? memory);
  const { max, current: vcpus } = readVcpus(d);
  const shares = cpuShares(sub(sub(d, 'cputune'), 'shares'));
  return ok({
    virtType, name, uuid: readUuid(d, name), memoryKiB: memory, currentMemoryKiB: current, maxVcpus: max, vcpus,
    osType: readOsType(d), disks: many(sub(d, 'devices'), 'disk').map(readDisk), interfaces: many(sub(d, 'devices'), 'interface').map(readInterface),
    onPoweroff: lifecycle(d, 'on_poweroff', 'destroy'), onReboot: lifecycle(d, 'on_reboot', 'restart'), onCrash: lifecycle(d, 'on_crash', 'destroy'),
    ...(shares === undefined ? {} : { cpuShares: shares }),
    ...workloadOf(sub(d, 'metadata')),
  });
}

function readVirtType(d: XmlNode): VirtType {
  const t = attr(d, 'type');
  if (t === undefined) throw new XmlProblem(VIR_ERR.XML_ERROR, 'missing domain type attribute');
  if (!(VIRT_TYPES as readonly string[]).includes(t)) throw new XmlProblem(VIR_ERR.XML_ERROR, `invalid domain type '${t}' (pvlab knows ${VIRT_TYPES.join(', ')})`);
  return t as VirtType;
}

/** A uuid as written, or one derived from the name (libvirt draws a random one; pvlab stays deterministic). */
function readUuid(d: XmlNode, name: string): string {
  const given = text(sub(d, 'uuid'));
  if (given === undefined) return uuidFor(name);
  const hex = given.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new XmlProblem(VIR_ERR.XML_ERROR, `malformed uuid element '${given}'`);
  return formatUuid(hex);
}

export function uuidFor(name: string): string {
  const hex = createHash('sha256').update(`pvlab-domain:${name}`).digest('hex').slice(0, 32);
  // Version 4 and variant bits, so the uuid looks like the random ones libvirt makes.
  return formatUuid(hex.slice(0, 12) + '4' + hex.slice(13, 16) + '8' + hex.slice(17));
}

function formatUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function readVcpus(d: XmlNode): { max: number; current: number } {
  const node = sub(d, 'vcpu');
  if (node === undefined) return { max: 1, current: 1 };
  const max = wholeNumber(text(node), 'maximum vcpus count must be an integer');
  const cur = attr(node, 'current');
  const current = cur === undefined ? max : wholeNumber(cur, 'current vcpus count must be an integer');
  if (max < 1 || current < 1) throw new XmlProblem(VIR_ERR.XML_ERROR, 'Invalid number of vCPUs: a domain needs at least one');
  if (max > MAX_VCPUS) throw new XmlProblem(VIR_ERR.CONFIG_UNSUPPORTED, `more than ${MAX_VCPUS} vCPUs (got ${max})`);
  if (current > max) throw new XmlProblem(VIR_ERR.XML_ERROR, `maxvcpus must not be less than current vcpus (${max} < ${current})`);
  return { max, current };
}

function wholeNumber(s: string | undefined, message: string): number {
  if (s === undefined || !/^[0-9]+$/.test(s)) throw new XmlProblem(VIR_ERR.XML_ERROR, message);
  return Number(s);
}

function readOsType(d: XmlNode): OsType {
  const t = text(sub(sub(d, 'os'), 'type'));
  if (t === undefined || t === '') throw new XmlProblem(VIR_ERR.XML_ERROR, 'an os <type> must be specified');
  if (t === 'hvm') return 'hvm';
  if (t === 'xen' || t === 'linux') return 'xen';
  throw new XmlProblem(VIR_ERR.OS_TYPE, `'${t}' (pvlab runs hvm and xen)`);
}

function readDisk(n: XmlNode): DiskDef {
  const type = attr(n, 'type') ?? 'file';
  if (type !== 'block' && type !== 'file') throw new XmlProblem(VIR_ERR.CONFIG_UNSUPPORTED, `disk type '${type}' (pvlab models block and file)`);
  const device = attr(n, 'device') ?? 'disk';
  if (device !== 'disk' && device !== 'cdrom') throw new XmlProblem(VIR_ERR.CONFIG_UNSUPPORTED, `disk device '${device}' (pvlab models disk and cdrom)`);
  const target = attr(sub(n, 'target'), 'dev');
  const source = attr(sub(n, 'source'), type === 'block' ? 'dev' : 'file');
  if (target === undefined) throw new XmlProblem(VIR_ERR.XML_ERROR, `missing target information for device ${source ?? ''}`.trim());
  if (source === undefined && device === 'disk') throw new XmlProblem(VIR_ERR.XML_ERROR, `missing source information for device ${target}`);
  const bus = attr(sub(n, 'target'), 'bus');
  const readonly = sub(n, 'readonly') !== undefined || device === 'cdrom';
  return { type, device, target, readonly, ...(source === undefined ? {} : { source }), ...(bus === undefined ? {} : { bus }) };
}

function readInterface(n: XmlNode): InterfaceDef {
  const type = attr(n, 'type') ?? '';
  if (type !== 'bridge' && type !== 'network') throw new XmlProblem(VIR_ERR.CONFIG_UNSUPPORTED, `interface type '${type}' (pvlab models bridge and network)`);
  const source = attr(sub(n, 'source'), type) ?? (type === 'bridge' ? 'xenbr0' : 'default');
  const mac = attr(sub(n, 'mac'), 'address');
  if (mac !== undefined && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) throw new XmlProblem(VIR_ERR.XML_ERROR, `unable to parse mac address '${mac}'`);
  const model = attr(sub(n, 'model'), 'type');
  const driver = netDriver(sub(n, 'driver'));
  return {
    type, source, ...(mac === undefined ? {} : { mac: mac.toLowerCase() }), ...(model === undefined ? {} : { model }), ...(driver === undefined ? {} : { driver }),
  };
}

/** `<driver name='qemu'|'vhost'/>`, read whatever the model: whether the model can have the
 *  backend it names is the hypervisor driver's question when the domain starts, as in libvirt. */
function netDriver(n: XmlNode | undefined): NetDriver | undefined {
  const name = attr(n, 'name');
  if (name === undefined) return undefined;
  if (!(NET_DRIVERS as readonly string[]).includes(name)) throw new XmlProblem(VIR_ERR.XML_ERROR, `Invalid value for attribute 'name' in element 'driver': '${name}'.`);
  return name as NetDriver;
}

function lifecycle(d: XmlNode, key: string, fallback: LifecycleAction): LifecycleAction {
  const v = text(sub(d, key));
  if (v === undefined) return fallback;
  if (!(LIFECYCLE_ACTIONS as readonly string[]).includes(v)) throw new XmlProblem(VIR_ERR.XML_ERROR, `unknown ${key} action: ${v}`);
  return v as LifecycleAction;
}

/** `<metadata><pvlab:workload xmlns:pvlab="..." kind="fio" rw="randread"/></metadata>`. */
function workloadOf(metadata: XmlNode | undefined): Pick<DomainDef, 'workload'> {
  const w = sub(metadata, 'pvlab:workload');
  if (w === undefined) return {};
  if (attr(w, 'xmlns:pvlab') !== PVLAB_XMLNS) throw new XmlProblem(VIR_ERR.XML_ERROR, `<pvlab:workload> needs xmlns:pvlab="${PVLAB_XMLNS}"`);
  const raw: Record<string, unknown> = {};
  const written: Record<string, string> = {};
  for (const [k, v] of Object.entries(w as Record<string, unknown>)) {
    if (!k.startsWith('@') || k === '@xmlns:pvlab') continue;
    written[k.slice(1)] = String(v);
    raw[k.slice(1)] = attributeValue(String(v));
  }
  const r = workloadSchema.safeParse(raw);
  if (!r.success) {
    const issue = issueFromZod(r.error.issues[0]!, raw);
    throw new XmlProblem(VIR_ERR.XML_ERROR, `<pvlab:workload> ${issue.path.join('.')}: ${issue.message}`);
  }
  return { workload: { spec: r.data, written } };
}

/** Attribute text as the scenario schema expects it: numbers and booleans typed, the rest as written. */
function attributeValue(s: string): unknown {
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(s)) return Number(s);
  if (s === 'true' || s === 'false') return s === 'true';
  return s;
}
