// The xl device-spec grammar: disk specs (xl-disk-configuration(5)) and vif specs
// (xl-network-configuration(5)), both comma-separated lists of parameters.
//
// Disk: positional `target, format, vdev, access`, or keywords `format=raw, vdev=xvda,
// access=rw, target=/dev/vg/guest`; a positional value fills the next slot a keyword has not
// filled. `target=` swallows the rest of the string, commas included, so it must come last.
// Flags and keys: `cdrom` / `devtype=cdrom`, `backend=`, `backendtype=phy|qdisk|standalone|tap`.
// Deprecated forms are read too: a `phy:`/`file:`/`tap:`/`raw:` prefix on the target (after
// which the positional order is target, vdev, access) and a `:cdrom` suffix on the vdev.
// A vdev in the format's place (`/iso/x.iso,hdc:cdrom,r`, the old form without its prefix,
// which xl refuses too) gets a message showing both right spellings.
// Only raw images are modelled: other formats are rejected with a clear message.
//
// Vif: `key=value` pairs only: mac, bridge, model, type, script, vifname, ip, rate, mtu,
// backend, devid.

import { suggestion } from './errors';
import { fail, ok, type Parsed } from './units';

export type DiskAccess = 'rw' | 'ro';
export type DiskFormat = 'raw';
export type BackendType = 'phy' | 'qdisk' | 'standalone' | 'tap';

export interface DiskSpec {
  /** Guest device name: xvd*, hd* or sd*. */
  vdev: string;
  /** A dom0 volume or host disk (`/dev/...`), an image file path, or '' for an empty cdrom. */
  target: string;
  access: DiskAccess;
  format: DiskFormat;
  devtype?: 'cdrom';
  backendtype?: BackendType;
  /** The backend domain's name; dom0 when absent. */
  backend?: string;
}

const DISK_KEYS = ['target', 'format', 'vdev', 'access', 'devtype', 'backend', 'backendtype'] as const;
type DiskKey = (typeof DISK_KEYS)[number];
const POSITIONAL: readonly DiskKey[] = ['target', 'format', 'vdev', 'access'];
const FORMATS = ['raw', 'qcow', 'qcow2', 'vhd', 'qed'];
const BACKEND_TYPES: readonly BackendType[] = ['phy', 'qdisk', 'standalone', 'tap'];
const DEPRECATED_PREFIX = /^(phy|file|tap2?|tapdisk|aio|raw|qcow2?|vhd|qed):/;
const VDEV = /^(xvd[a-z]+|hd[a-z]|sd[a-z]+)[0-9]*$/;
/** A scenario's disks may also be QEMU's vd* (virtio), which only a KVM host offers (./kvm checks). */
const SCENARIO_VDEV = /^(xvd[a-z]+|hd[a-z]|sd[a-z]+|vd[a-z]+)[0-9]*$/;
const KEYWORD = /^([a-z][a-z0-9_-]*)=(.*)$/s;

interface DiskDraft {
  values: Partial<Record<DiskKey, string>>;
  /** A deprecated prefix was seen: the positional format slot no longer exists. */
  legacy: boolean;
}

/** Parses one disk spec string into a DiskSpec with defaults applied. */
/** xl's disk spec; `qemuNames` also admits vd* device names (a scenario's guest on a KVM host). */
export function parseDiskSpec(spec: string, opts: { qemuNames?: boolean } = {}): Parsed<DiskSpec> {
  if (spec.trim() === '') return fail('a disk spec cannot be empty (e.g. "format=raw, vdev=xvda, target=/dev/vg0/web")');
  const draft: DiskDraft = { values: {}, legacy: false };
  let rest: string | undefined = spec;
  while (rest !== undefined) {
    const text = rest.trimStart();
    if (text.startsWith('target=')) {
      const set = setValue(draft, 'target', text.slice('target='.length).trim());
      if (!set.ok) return set;
      break;
    }
    const comma = text.indexOf(',');
    const token = (comma < 0 ? text : text.slice(0, comma)).trim();
    rest = comma < 0 || text.slice(comma + 1).trim() === '' ? undefined : text.slice(comma + 1);
    const applied = applyToken(draft, token);
    if (!applied.ok) return applied;
  }
  return finishDisk(draft, spec, opts.qemuNames ? SCENARIO_VDEV : VDEV);
}

function applyToken(draft: DiskDraft, token: string): Parsed<null> {
  if (token === 'cdrom') return setValue(draft, 'devtype', 'cdrom');
  const kw = KEYWORD.exec(token);
  if (kw) {
    const key = kw[1]!;
    if (!(DISK_KEYS as readonly string[]).includes(key)) {
      return fail(`unknown disk parameter '${key}' (${suggestion(key, DISK_KEYS, 'known parameters')})`);
    }
    return setValue(draft, key as DiskKey, kw[2]!.trim());
  }
  let value = token;
  if (draft.values.target === undefined) {
    for (let m = DEPRECATED_PREFIX.exec(value); m; m = DEPRECATED_PREFIX.exec(value)) {
      draft.legacy = true;
      if (m[1] === 'phy') draft.values.backendtype ??= 'phy';
      else if (FORMATS.includes(m[1]!)) draft.values.format ??= m[1]!;
      value = value.slice(m[0].length);
    }
  }
  const slot = POSITIONAL.find((k) => draft.values[k] === undefined && !(draft.legacy && k === 'format'));
  if (slot === undefined) return fail(`too many positional parameters (at '${token}')`);
  return setValue(draft, slot, value);
}

function setValue(draft: DiskDraft, key: DiskKey, value: string): Parsed<null> {
  if (draft.values[key] !== undefined) return fail(`${key} is given twice`);
  if (key === 'vdev' && value.includes(':')) {
    const [vdev, kind] = value.split(':', 2);
    if (kind !== 'cdrom' && kind !== 'disk') return fail(`unknown device type '${kind}' after vdev ${vdev} (cdrom or disk)`);
    if (kind === 'cdrom') draft.values.devtype ??= 'cdrom';
    value = vdev!;
  }
  draft.values[key] = value;
  return ok(null);
}

function finishDisk(draft: DiskDraft, written: string, names: RegExp): Parsed<DiskSpec> {
  const v = draft.values;
  const cdrom = v.devtype === 'cdrom';
  if (v.devtype !== undefined && v.devtype !== 'cdrom' && v.devtype !== 'disk') {
    return fail(`unknown devtype '${v.devtype}' (the only device type is cdrom)`);
  }
  const format = checkFormat(v.format);
  if (!format.ok) return misplacedVdev(v.format, written) ?? format;
  if (v.vdev === undefined || v.vdev === '') return fail('vdev is missing: every disk needs a guest device name (e.g. vdev=xvda)');
  if (!names.test(v.vdev)) return fail(`vdev '${v.vdev}' is not a device name xl accepts (xvd*, hd* or sd*, e.g. xvda${names === SCENARIO_VDEV ? '; vd* on a KVM host' : ''})`);
  const access = checkAccess(v.access, cdrom);
  if (!access.ok) return access;
  const target = v.target ?? '';
  if (target === '' && !cdrom) return fail(`target is missing: say what backs ${v.vdev} (a volume such as /dev/vg0/web, or an image file)`);
  const spec: DiskSpec = { vdev: v.vdev, target, access: access.value, format: format.value };
  if (cdrom) spec.devtype = 'cdrom';
  if (v.backendtype !== undefined) {
    if (!(BACKEND_TYPES as readonly string[]).includes(v.backendtype)) {
      return fail(`unknown backendtype '${v.backendtype}' (${suggestion(v.backendtype, BACKEND_TYPES, 'one of')})`);
    }
    spec.backendtype = v.backendtype as BackendType;
  }
  if (v.backend !== undefined) {
    if (v.backend === '') return fail('backend= needs a domain name');
    spec.backend = v.backend;
  }
  return ok(spec);
}

function checkFormat(format: string | undefined): Parsed<DiskFormat> {
  if (format === undefined || format === '' || format === 'raw') return ok('raw');
  if (FORMATS.includes(format)) return fail(`format ${format} is not supported by pvlab (only raw disks are modelled)`);
  return fail(`unknown format '${format}' (raw, qcow, qcow2, vhd or qed; pvlab models raw)`);
}

/** `/iso/x.iso,hdc:cdrom,r`: a vdev where the positional order wants the format. */
function misplacedVdev(format: string | undefined, spec: string): Parsed<never> | undefined {
  const comma = spec.indexOf(',');
  if (format === undefined || !VDEV.test(format.split(':')[0]!) || comma < 0 || spec.includes('=')) return undefined;
  const target = spec.slice(0, comma).trim();
  return fail(`'${format}' stands where the format goes (the order is target, format, vdev, access): ` +
    `write '${target},raw,${spec.slice(comma + 1).trim()}', or the old form with a prefix, 'file:${spec.trim()}'`);
}

function checkAccess(access: string | undefined, cdrom: boolean): Parsed<DiskAccess> {
  if (access === undefined || access === '') return ok(cdrom ? 'ro' : 'rw');
  if (access === 'rw' || access === 'w') {
    return cdrom ? fail(`a cdrom is read-only (got access=${access})`) : ok('rw');
  }
  if (access === 'ro' || access === 'r') return ok('ro');
  return fail(`access '${access}' must be rw, w, ro or r`);
}

// ---------------------------------------------------------------------------------------------

export interface VifSpec {
  /** Unicast MAC, lower case; absent means "derive one in OUI 00:16:3e" (the runner's job). */
  mac?: string;
  /** Bridge in dom0; default xenbr0. */
  bridge: string;
  /** Emulated NIC model (HVM only), e.g. rtl8139 or e1000. */
  model?: string;
  /** HVM only: ioemu = emulated NIC and PV, vif = PV only. */
  type?: 'ioemu' | 'vif';
  script?: string;
  vifname?: string;
  ip?: string;
  /** Rate limit as written, e.g. `10Mb/s` or `1MB/s@20ms`. */
  rate?: string;
  mtu?: number;
  backend?: string;
  devid?: number;
}

const VIF_KEYS = ['mac', 'bridge', 'model', 'type', 'script', 'vifname', 'ip', 'rate', 'mtu', 'backend', 'devid'] as const;
type VifKey = (typeof VIF_KEYS)[number];
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const RATE = /^[0-9]+(\.[0-9]+)?[kKMGT]?[bB]\/s(@[0-9]+(us|ms|s))?$/;
const IPV4 = /^([0-9]{1,3}\.){3}[0-9]{1,3}$/;

/** Parses one vif spec string into a VifSpec with defaults applied. */
export function parseVifSpec(spec: string): Parsed<VifSpec> {
  const values: Partial<Record<VifKey, string>> = {};
  for (const raw of spec.split(',')) {
    const token = raw.trim();
    if (token === '') continue;
    const kw = KEYWORD.exec(token);
    if (!kw) return fail(`'${token}' is not a key=value pair (e.g. bridge=xenbr0)`);
    const key = kw[1]!;
    if (!(VIF_KEYS as readonly string[]).includes(key)) {
      return fail(`unknown vif parameter '${key}' (${suggestion(key, VIF_KEYS, 'known parameters')})`);
    }
    if (values[key as VifKey] !== undefined) return fail(`${key} is given twice`);
    const value = kw[2]!.trim();
    if (value === '') return fail(`${key}= needs a value`);
    values[key as VifKey] = value;
  }
  return finishVif(values);
}

function finishVif(v: Partial<Record<VifKey, string>>): Parsed<VifSpec> {
  const out: VifSpec = { bridge: v.bridge ?? 'xenbr0' };
  if (v.mac !== undefined) {
    if (!MAC.test(v.mac)) return fail(`mac '${v.mac}' is not six hex pairs such as 00:16:3e:12:34:56`);
    if (parseInt(v.mac.slice(0, 2), 16) & 1) return fail(`mac '${v.mac}' is a multicast address (the first byte must be even)`);
    out.mac = v.mac.toLowerCase();
  }
  if (v.type !== undefined) {
    if (v.type !== 'ioemu' && v.type !== 'vif') return fail(`type '${v.type}' must be ioemu or vif`);
    out.type = v.type;
  }
  if (v.rate !== undefined && !RATE.test(v.rate)) return fail(`rate '${v.rate}' is not a rate such as 10Mb/s or 1MB/s@20ms`);
  if (v.ip !== undefined && !v.ip.split(/\s+/).every((a) => IPV4.test(a))) {
    return fail(`ip '${v.ip}' is not a list of IPv4 addresses`);
  }
  const mtu = integerParam('mtu', v.mtu, 68, 65535);
  if (!mtu.ok) return mtu;
  const devid = integerParam('devid', v.devid, 0, 65535);
  if (!devid.ok) return devid;
  for (const key of ['model', 'script', 'vifname', 'ip', 'rate', 'backend'] as const) {
    if (v[key] !== undefined) out[key] = v[key];
  }
  if (mtu.value !== undefined) out.mtu = mtu.value;
  if (devid.value !== undefined) out.devid = devid.value;
  return ok(out);
}

function integerParam(key: string, text: string | undefined, min: number, max: number): Parsed<number | undefined> {
  if (text === undefined) return ok(undefined);
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) return fail(`${key} must be a whole number from ${min} to ${max} (got ${text})`);
  return ok(n);
}
