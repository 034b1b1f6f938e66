// Small readers over the tree fast-xml-parser builds (attributes prefixed with '@', text as
// '#text', repeated elements as arrays), and libvirt's rules for scaled numbers (memory with
// a unit). A reader that meets a broken rule throws XmlProblem, which ./xml-parse catches at
// its one entry point and turns into a libvirt error: a parse stops at its first problem, and
// this keeps each reader to its own rule instead of threading results through all of them.
import { VIR_ERR, type VirErrorNumber } from './errors';

export type XmlNode = string | Record<string, unknown>;

export class XmlProblem extends Error {
  constructor(
    readonly code: VirErrorNumber,
    message: string,
  ) {
    super(message);
  }
}

/** The first child element `key` (a repeated element counts once, as XPath's [1]). */
export function sub(n: XmlNode | undefined, key: string): XmlNode | undefined {
  if (n === undefined || typeof n === 'string') return undefined;
  const v = n[key];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' || (first !== null && typeof first === 'object') ? (first as XmlNode) : undefined;
}

/** Every child element `key`. */
export function many(n: XmlNode | undefined, key: string): XmlNode[] {
  if (n === undefined || typeof n === 'string') return [];
  const v = n[key];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]) as XmlNode[];
}

export function attr(n: XmlNode | undefined, name: string): string | undefined {
  if (n === undefined || typeof n === 'string') return undefined;
  const v = n[`@${name}`];
  return v === undefined ? undefined : String(v);
}

export function text(n: XmlNode | undefined): string | undefined {
  if (n === undefined) return undefined;
  if (typeof n === 'string') return n;
  const t = n['#text'];
  return t === undefined ? '' : String(t);
}

/** libvirt's memory units (virScaleInteger): powers of 1024, or of 1000 for the SI spellings. */
const UNITS: Record<string, number> = {
  b: 1, bytes: 1,
  k: 1024, kib: 1024, kb: 1000,
  m: 1024 ** 2, mib: 1024 ** 2, mb: 1000 ** 2,
  g: 1024 ** 3, gib: 1024 ** 3, gb: 1000 ** 3,
  t: 1024 ** 4, tib: 1024 ** 4, tb: 1000 ** 4,
};

/** A `<memory unit='...'>N</memory>` element in KiB (rounded up), or undefined when absent. */
export function memoryKiB(n: XmlNode | undefined, xpath: string): number | undefined {
  if (n === undefined) return undefined;
  const value = text(n) ?? '';
  if (!/^[0-9]+$/.test(value)) throw new XmlProblem(VIR_ERR.XML_ERROR, `Invalid value '${value}' for element or attribute '${xpath}'`);
  const unit = attr(n, 'unit') ?? 'KiB';
  const scale = UNITS[unit.toLowerCase()];
  if (scale === undefined) throw new XmlProblem(VIR_ERR.XML_ERROR, `unknown suffix '${unit}'`);
  const bytes = BigInt(value) * BigInt(scale);
  const kib = (bytes + 1023n) / 1024n;
  if (kib > BigInt(Number.MAX_SAFE_INTEGER)) throw new XmlProblem(VIR_ERR.XML_ERROR, `value too large: ${value}${unit}`);
  return Number(kib);
}

/** cgroup v1 cpu.shares bounds, which libvirt checks. */
export const CPU_SHARES_MIN = 2;
export const CPU_SHARES_MAX = 262144;

export function cpuShares(n: XmlNode | undefined): number | undefined {
  if (n === undefined) return undefined;
  const v = text(n) ?? '';
  if (!/^[0-9]+$/.test(v)) throw new XmlProblem(VIR_ERR.XML_ERROR, `Invalid value '${v}' for element or attribute './cputune/shares[1]'`);
  const shares = Number(v);
  if (shares < CPU_SHARES_MIN || shares > CPU_SHARES_MAX) {
    throw new XmlProblem(VIR_ERR.XML_ERROR, `shares must be in range [${CPU_SHARES_MIN}, ${CPU_SHARES_MAX}] (got ${shares})`);
  }
  return shares;
}
