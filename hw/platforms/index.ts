// The catalogue of platform profiles, by name (COSTS.md, "Hardware eras").
import { core22006 } from './core2-2006';
import { modern } from './modern';
import type { PlatformProfile } from './profile';
import { xeon2003 } from './xeon-2003';

export const PLATFORMS: Readonly<Record<string, PlatformProfile>> = {
  modern,
  'core2-2006': core22006,
  'xeon-2003': xeon2003,
};

/** The profile called `name`, or undefined if there is none. */
export function platform(name: string): PlatformProfile | undefined {
  return Object.hasOwn(PLATFORMS, name) ? PLATFORMS[name] : undefined;
}
export type { PlatformProfile } from './profile';
