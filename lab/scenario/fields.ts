// Building blocks for the scenario schema: zod schemas whose checks are our own parsers, so
// every message reads the same ("must be at least 1 (got 0)") and names the value as written.
//
// - `field(parse)` is required, `field(parse, fallback)` has a default, `optional(parse)` may be
//   absent. They take the raw YAML value (unknown) and run a Parser on it.
// - `strict(shape)` is a mapping that rejects unknown keys, suggesting the closest known key.
// - Parsers for integers, choices, names, durations, sizes and memory with their ranges.
// Extending the schema (a new workload kind, a new key) means composing these pieces.

import { z } from 'zod';
import { closestMatch, describeValue, suggestion } from './errors';
import { fail, formatDuration, formatSize, ok, parseDuration, parseMemoryMiB, parseSize, type Parsed } from './units';

export type Parser<T> = (value: unknown) => Parsed<T>;

export const REQUIRED = 'is required';

function run<T>(parse: Parser<T>, value: unknown, ctx: z.RefinementCtx): T {
  const r = parse(value);
  if (r.ok) return r.value;
  ctx.addIssue({ code: 'custom', message: r.message });
  return z.NEVER;
}

/** A required key, or one that falls back to `fallback` when absent. */
export function field<T>(parse: Parser<T>, fallback?: T) {
  return z.unknown().optional().transform((v, ctx): T => {
    if (v !== undefined) return run(parse, v, ctx);
    if (fallback !== undefined) return fallback;
    ctx.addIssue({ code: 'custom', message: REQUIRED });
    return z.NEVER;
  });
}

/** A key that may be absent (then undefined). */
export function optional<T>(parse: Parser<T>) {
  return z.unknown().optional().transform((v, ctx): T | undefined => (v === undefined ? undefined : run(parse, v, ctx)));
}

/** A mapping whose unknown keys are errors, with a "did you mean" for likely typos. */
export function strict<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return `unknown key; ${suggestion(String(issue.keys[0]), known, 'expected one of')}`;
    },
  });
}

/** An integer in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (v) => {
    if (typeof v !== 'number') return fail(`must be a whole number (got ${describeValue(v)})`);
    if (!Number.isInteger(v)) return fail(`must be a whole number (got ${v})`);
    if (v < min) return fail(`must be at least ${min} (got ${v})`);
    if (v > max) return fail(`must be at most ${max} (got ${v})`);
    return ok(v);
  };
}

/** One of a fixed set of words. */
export function oneOf<const T extends string>(choices: readonly T[]): Parser<T> {
  return (v) => {
    if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return ok(v as T);
    const close = typeof v === 'string' ? closestMatch(v, choices) : undefined;
    const hint = close === undefined ? '' : `; did you mean '${close}'?`;
    return fail(`must be one of ${choices.join(', ')} (got ${describeValue(v)})${hint}`);
  };
}

/** A yes/no flag written the xl way (0 or 1) or as true/false. */
export const flag: Parser<boolean> = (v) => {
  if (v === 0 || v === false) return ok(false);
  if (v === 1 || v === true) return ok(true);
  return fail(`must be 0 or 1 (got ${describeValue(v)})`);
};

/** true or false. */
export const bool: Parser<boolean> = (v) => {
  if (typeof v === 'boolean') return ok(v);
  return fail(`must be true or false (got ${describeValue(v)})`);
};

/** A number in [min, max], fractions allowed. */
export function real(min: number, max: number): Parser<number> {
  return (v) => {
    if (typeof v !== 'number' || Number.isNaN(v)) return fail(`must be a number (got ${describeValue(v)})`);
    if (v < min || v > max) return fail(`must be between ${min} and ${max} (got ${v})`);
    return ok(v);
  };
}

/** Non-empty text matching `pattern`; `rule` explains the pattern in the error. */
export function text(pattern: RegExp, rule: string): Parser<string> {
  return (v) => {
    if (typeof v !== 'string' && typeof v !== 'number') return fail(`must be text (got ${describeValue(v)})`);
    const s = String(v);
    if (!pattern.test(s)) return fail(`${JSON.stringify(s)} is not valid: ${rule}`);
    return ok(s);
  };
}

export interface Range {
  min?: number;
  max?: number;
}

/** A duration in ns within [min, max]. */
export function duration(range: Range = {}): Parser<number> {
  return withRange(parseDuration, range, formatDuration);
}

/** A size in bytes within [min, max], optionally a multiple of `multipleOf` bytes. */
export function size(range: Range & { multipleOf?: number } = {}): Parser<number> {
  const inRange = withRange(parseSize, range, formatSize);
  return (v) => {
    const r = inRange(v);
    if (r.ok && range.multipleOf !== undefined && r.value % range.multipleOf !== 0) {
      return fail(`must be a multiple of ${range.multipleOf} bytes (got ${String(v)})`);
    }
    return r;
  };
}

/** A memory amount in MiB (plain number = MiB, as in xl.cfg) within [min, max] MiB. */
export function memory(range: Range = {}): Parser<number> {
  return withRange(parseMemoryMiB, range, (mib) => `${mib}MiB`);
}

function withRange(parse: Parser<number>, range: Range, show: (n: number) => string): Parser<number> {
  return (v) => {
    const r = parse(v);
    if (!r.ok) return r;
    if (range.min !== undefined && r.value < range.min) return fail(`must be at least ${show(range.min)} (got ${String(v)})`);
    if (range.max !== undefined && r.value > range.max) return fail(`must be at most ${show(range.max)} (got ${String(v)})`);
    return r;
  };
}
