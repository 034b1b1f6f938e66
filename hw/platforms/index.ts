// The catalogue of platform profiles, by name.
import { modern } from './modern';
import type { PlatformProfile } from './profile';

export const PLATFORMS: Readonly<Record<string, PlatformProfile>> = { modern };

export function platform(name: string): PlatformProfile | undefined {
  return PLATFORMS[name];
}
export type { PlatformProfile } from './profile';
