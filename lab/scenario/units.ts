// Units of scenario files: durations, sizes and memory amounts, parsed exactly into integers.
//
// Durations need a unit (a bare number is an error, because "10" could mean anything):
//   ns, us (or µs), ms, s, m (minutes), h; decimals are fine when the result is a whole number
//   of nanoseconds: `1.5ms` = 1_500_000 ns.
// Sizes follow the coreutils `dd`/`numfmt` convention, so every spelling has one meaning:
//   k K KiB = 2^10, M MiB = 2^20, G GiB = 2^30, T TiB = 2^40 (binary; lower-case k m g t too);
//   kB KB = 10^3, MB = 10^6, GB = 10^9, TB = 10^12 (decimal, as disk vendors count);
//   B or no unit = bytes. A bare number is a byte count.
// Memory follows xl.cfg: a plain number is MiB (Xen's "MB"), a size string is converted and must
// come to a whole number of MiB.
// Parsers never throw: they answer a Parsed value whose message completes "<key>: …".

import { describeValue } from './errors';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const fail = <T = never>(message: string): Parsed<T> => ({ ok: false, message });

export const NS = 1;
export const US = 1_000;
export const MS = 1_000_000;
export const SECOND = 1_000_000_000;
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n, us: 1_000n, µs: 1_000n, ms: 1_000_000n, s: 1_000_000_000n,
  m: 60_000_000_000n, h: 3_600_000_000_000n,
};
const SIZE_UNITS: Record<string, bigint> = {
  '': 1n, B: 1n,
  k: 1n << 10n, K: 1n << 10n, KiB: 1n << 10n, m: 1n << 20n, M: 1n << 20n, MiB: 1n << 20n,
  g: 1n << 30n, G: 1n << 30n, GiB: 1n << 30n, t: 1n << 40n, T: 1n << 40n, TiB: 1n << 40n,
  kB: 1000n, KB: 1000n, MB: 1000n ** 2n, GB: 1000n ** 3n, TB: 1000n ** 4n,
};
const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-zµ]*)$/;
const BARE_NUMBER = /^[+-]?[0-9]+(?:\.[0-9]+)?$/;

/** `30ms` → 30_000_000 (ns). */
export function parseDuration(value: unknown): Parsed<number> {
  if ((typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && BARE_NUMBER.test(value.trim()))) {
    return fail(`a duration needs a unit (got ${String(value).trim()}); write e.g. ${String(value).trim()}ms or ${String(value).trim()}s`);
  }
  if (typeof value !== 'string') return fail(`must be a duration such as 30ms (got ${describeValue(value)})`);
  const text = value.trim();
  if (text.startsWith('-')) return fail(`a duration cannot be negative (got ${text})`);
  const m = QUANTITY.exec(text);
  if (!m) return fail(`is not a duration (got ${JSON.stringify(value)}); write a number and a unit: ns, us, ms, s, m or h`);
  const unit = DURATION_UNITS[m[2]!];
  if (unit === undefined) return fail(`unknown duration unit '${m[2]}' in ${text} (use ns, us, ms, s, m or h)`);
  const ns = exactProduct(m[1]!, unit);
  if (ns === undefined) return fail(`${text} is not a whole number of nanoseconds`);
  if (ns > BigInt(Number.MAX_SAFE_INTEGER)) return fail(`${text} is too long (the simulated clock ends after about 104 days)`);
  return ok(Number(ns));
}

/** `4k` → 4096, `1MB` → 1_000_000, `512` → 512 (bytes). */
export function parseSize(value: unknown): Parsed<number> {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (value < 0) return fail(`a size cannot be negative (got ${value})`);
    return wholeBytes(String(value), Number.isInteger(value) ? BigInt(value) : undefined);
  }
  if (typeof value !== 'string') return fail(`must be a size such as 4k or 8GiB (got ${describeValue(value)})`);
  const text = value.trim();
  if (text.startsWith('-')) return fail(`a size cannot be negative (got ${text})`);
  const m = QUANTITY.exec(text);
  if (!m) return fail(`is not a size (got ${JSON.stringify(value)}); write e.g. 4k, 64MiB or 8GiB`);
  const unit = SIZE_UNITS[m[2]!];
  if (unit === undefined) {
    return fail(`unknown size unit '${m[2]}' in ${text} (use k/KiB, M/MiB, G/GiB, T/TiB for powers of 1024, or kB/MB/GB/TB for powers of 1000)`);
  }
  return wholeBytes(text, exactProduct(m[1]!, unit));
}

function wholeBytes(text: string, bytes: bigint | undefined): Parsed<number> {
  if (bytes === undefined) return fail(`${text} is not a whole number of bytes`);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) return fail(`${text} is too large`);
  return ok(Number(bytes));
}

/** Memory in MiB: `512` → 512, `2GiB` → 2048, `512M` → 512. */
export function parseMemoryMiB(value: unknown): Parsed<number> {
  if (typeof value === 'number') {
    if (value < 0) return fail(`memory cannot be negative (got ${value})`);
    if (!Number.isInteger(value)) return fail(`must be a whole number of MiB (got ${value})`);
    if (!Number.isSafeInteger(value)) return fail(`${value}MiB is too large`);
    return ok(value);
  }
  if (typeof value === 'string' && BARE_NUMBER.test(value.trim())) return parseMemoryMiB(Number(value));
  const bytes = parseSize(value);
  if (!bytes.ok) {
    return fail(typeof value === 'string' ? bytes.message : `must be a number of MiB or a size such as 2GiB (got ${describeValue(value)})`);
  }
  if (bytes.value % MiB !== 0) return fail(`must be a whole number of MiB (got ${String(value)})`);
  return ok(bytes.value / MiB);
}

/** 30_000_000 → `30ms`, 1_500_000 → `1.5ms`. */
export function formatDuration(ns: number): string {
  const units: [string, number][] = [['h', 3600 * SECOND], ['m', 60 * SECOND], ['s', SECOND], ['ms', MS], ['us', US]];
  for (const [name, size] of units) {
    if (ns >= size) return `${trimNumber(ns / size)}${name}`;
  }
  return `${ns}ns`;
}

/** 268435456 → `256MiB` (binary units, as the size parser reads them back). */
export function formatSize(bytes: number): string {
  const units: [string, number][] = [['TiB', 1024 * GiB], ['GiB', GiB], ['MiB', MiB], ['KiB', KiB]];
  for (const [name, size] of units) {
    if (bytes >= size) return `${trimNumber(bytes / size)}${name}`;
  }
  return `${bytes}B`;
}

function trimNumber(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/** digits × unit exactly, or undefined if the decimal part leaves a fraction. */
function exactProduct(digits: string, unit: bigint): bigint | undefined {
  const [whole, frac = ''] = digits.split('.');
  const scaled = BigInt(whole! + frac) * unit;
  const divisor = 10n ** BigInt(frac.length);
  return scaled % divisor === 0n ? scaled / divisor : undefined;
}
