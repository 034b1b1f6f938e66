// The shape every hostile case T1-T17 shares: an attack is a kernel-mode generator run on the
// hostile domain's vCPU 0 after bootBare, with the kernel, its vCPU environment, a log of
// outcomes, and options a test or a scenario may set. Also the helpers attacks share to put
// real bytes in granted pages.
import type { VcpuEnv } from '../../hypervisor/public/guest';
import type { PvKernel } from '../kernel/pv';
import type { KGen } from '../kernel/types';
import type { HostileLog } from './kernel';

export interface AttackOptions {
  /** Domains to aim at; by default every id from 0 to `scanDomains - 1` but its own. */
  targets?: readonly number[];
  scanDomains?: number;
  /** How long a storm or a flood lasts, in ns. */
  durationNs?: number;
  /** Which variant of a case to run, where a case has several (T14's handshake faults). */
  variant?: string;
  /** T15: stop after flooding and leave requests in flight, waiting to be destroyed. */
  holdInFlight?: boolean;
}

export interface AttackCtx {
  readonly k: PvKernel;
  readonly env: VcpuEnv;
  readonly log: HostileLog;
  readonly opts: AttackOptions;
}

export type Attack = (c: AttackCtx) => KGen;

/** The domains an attack aims at. */
export function targetsOf(c: AttackCtx): number[] {
  if (c.opts.targets) return [...c.opts.targets];
  return Array.from({ length: c.opts.scanDomains ?? 8 }, (_, i) => i).filter((d) => d !== c.env.domid);
}

export interface DataPage {
  gfn: number;
  page: Uint8Array;
  gref: number;
}

/** A fresh page of the attacker's memory, granted to `to` (-1 gref if out of grants/pages). */
export function grantedPage(c: AttackCtx, to: number, readonly: boolean, fill?: (p: Uint8Array) => void): DataPage | undefined {
  const gfn = c.k.pages.alloc();
  const page = gfn < 0 ? undefined : c.env.page(gfn);
  if (!page) return undefined;
  fill?.(page);
  return { gfn, page, gref: c.k.grants.grant(to, gfn, readonly) };
}

/** A recognisable pattern: byte i of the page is (seed + i * 7) & 0xff. */
export function pattern(seed: number): (p: Uint8Array) => void {
  return (p) => {
    for (let i = 0; i < p.length; i++) p[i] = (seed + i * 7) & 0xff;
  };
}

export function hasPattern(p: Uint8Array, seed: number): boolean {
  for (let i = 0; i < p.length; i++) if (p[i] !== ((seed + i * 7) & 0xff)) return false;
  return true;
}

export function isZero(p: Uint8Array): boolean {
  return p.every((b) => b === 0);
}
