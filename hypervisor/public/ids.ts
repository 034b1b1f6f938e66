// Branded ids: a port can't be passed where a grant reference is expected. Each is built by
// one checked constructor; the checks are the ABI's own ranges.
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type DomId = Brand<number, 'DomId'>;
export type Port = Brand<number, 'Port'>;
export type GrantRef = Brand<number, 'GrantRef'>;
export type GrantHandle = Brand<number, 'GrantHandle'>;
/** Guest frame number: an index into a domain's own pseudo-physical memory. */
export type Gfn = Brand<number, 'Gfn'>;
/** Machine frame number: an index into the host's physical frames. */
export type Mfn = Brand<number, 'Mfn'>;

function u32(kind: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${kind} out of range: ${n}`);
  return n;
}

export const domId = (n: number): DomId => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`domid out of range: ${n}`);
  return n as DomId;
};
export const port = (n: number): Port => u32('port', n) as Port;
export const grantRef = (n: number): GrantRef => u32('grant ref', n) as GrantRef;
export const grantHandle = (n: number): GrantHandle => u32('grant handle', n) as GrantHandle;
export const gfn = (n: number): Gfn => u32('gfn', n) as Gfn;
export const mfn = (n: number): Mfn => u32('mfn', n) as Mfn;
