// Command-line overrides of a loaded Scenario (`--seed N`, `--duration D`, `--platform P`), checked
// by the same rules as the scenario file's `seed:`, `duration:` and `platform:` keys. A bad value
// throws a ScenarioError whose file is "command line" and whose key path is the option, e.g.
//   command line: --duration: a duration needs a unit (got 10); write e.g. 10ms or 10s

import type { z } from 'zod';
import { ScenarioError } from './errors';
import { durationField, platformField, seedField } from './schema';
import type { Scenario } from './types';

export interface Overrides {
  /** As typed on the command line ("42"), or already a number. */
  seed?: string | number;
  /** With a unit, e.g. "10s". */
  duration?: string;
  /** A platform profile's name (`--platform`). */
  platform?: string;
}

export const COMMAND_LINE = 'command line';

/** A copy of `scenario` with the given overrides applied. */
export function applyOverrides(scenario: Scenario, overrides: Overrides): Scenario {
  const out = { ...scenario };
  if (overrides.seed !== undefined) out.seed = check(seedField, numeric(overrides.seed), '--seed');
  if (overrides.duration !== undefined) out.duration = check(durationField, overrides.duration, '--duration');
  if (overrides.platform !== undefined) out.platform = check(platformField, overrides.platform, '--platform');
  return out;
}

/** "42" → 42, so the integer rule sees a number; anything else is checked as typed. */
function numeric(value: string | number): unknown {
  if (typeof value === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(value.trim())) return Number(value);
  return value;
}

function check<T>(schema: z.ZodType<T>, value: unknown, option: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ScenarioError({ file: COMMAND_LINE, keyPath: option, problem: r.error.issues[0]!.message });
}
