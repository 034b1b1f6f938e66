// What the lab's xl commands share (./xl, ./xl-more): their result, xl's way of finding a
// domain by name or id with its error wording, and column padding for its tables.
import type { Domain } from '../../hypervisor/domain';
import type { World } from './world';

export type XlResult = { ok: true; output: string } | { ok: false; error: string };

/** Resolves a domain name or id the way xl does. */
export function findDomain(w: World, ident: string | undefined): Domain | string {
  if (ident === undefined) return 'xl: a domain name or id is required';
  const byName = w.hv.domainByName(ident);
  if (byName) return byName;
  if (/^\d+$/.test(ident)) {
    const d = w.hv.domain(Number(ident));
    if (d) return d;
  }
  return `${ident} is an invalid domain identifier (rc=-6)`;
}

export function pad(s: string, n: number, right = false): string {
  if (s.length >= n) return right ? ' ' + s : s + ' ';
  return right ? s.padStart(n) : s.padEnd(n);
}
