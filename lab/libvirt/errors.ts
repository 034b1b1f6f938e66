// libvirt's errors (include/libvirt/virterror.h): every API call answers a typed result, and a
// failure carries a virError-like record — the error number, the part of libvirt that raised
// it, and the message built the way virErrorMsg() builds it ("Domain not found: no domain with
// matching name 'web'"). Nothing in lab/libvirt throws for a bad request; a throw is a bug.

/** virErrorNumber: the numbers this subset raises, with libvirt's values. */
export const VIR_ERR = {
  OK: 0,
  INTERNAL_ERROR: 1,
  NO_SUPPORT: 3,
  NO_CONNECT: 5,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  OS_TYPE: 16,
  NO_NAME: 21,
  XML_ERROR: 27,
  DOM_EXIST: 28,
  XML_DETAIL: 35,
  NO_DOMAIN: 42,
  OPERATION_INVALID: 55,
  CONFIG_UNSUPPORTED: 67,
  ARGUMENT_UNSUPPORTED: 74,
  OPERATION_UNSUPPORTED: 84,
} as const;
export type VirErrorNumber = (typeof VIR_ERR)[keyof typeof VIR_ERR];

/** virErrorDomain: which part of libvirt raised the error. */
export const VIR_FROM = {
  NONE: 0,
  XML: 5,
  QEMU: 10,
  TEST: 12,
  DOMAIN: 20,
  LIBXL: 41,
  URI: 45,
} as const;
export type VirErrorDomain = (typeof VIR_FROM)[keyof typeof VIR_FROM];

export interface VirError {
  code: VirErrorNumber;
  domain: VirErrorDomain;
  message: string;
}

export type VirResult<T> = { ok: true; value: T } | { ok: false; error: VirError };

export function ok<T>(value: T): VirResult<T> {
  return { ok: true, value };
}

/** virErrorMsg's prefixes: the message is the prefix with `info` filled in. */
const PREFIX: Record<VirErrorNumber, (info: string) => string> = {
  [VIR_ERR.OK]: (i) => i,
  [VIR_ERR.INTERNAL_ERROR]: (i) => `internal error: ${i}`,
  [VIR_ERR.NO_SUPPORT]: (i) => `this function is not supported by the connection driver: ${i}`,
  [VIR_ERR.NO_CONNECT]: (i) => `no connection driver available for ${i}`,
  [VIR_ERR.INVALID_ARG]: (i) => `invalid argument: ${i}`,
  [VIR_ERR.OPERATION_FAILED]: (i) => `operation failed: ${i}`,
  [VIR_ERR.OS_TYPE]: (i) => `unknown OS type ${i}`,
  [VIR_ERR.NO_NAME]: (i) => (i === '' ? 'missing name information' : `missing name information in ${i}`),
  [VIR_ERR.XML_ERROR]: (i) => `XML error: ${i}`,
  [VIR_ERR.DOM_EXIST]: (i) => `domain ${i} exists already`,
  [VIR_ERR.XML_DETAIL]: (i) => i,
  [VIR_ERR.NO_DOMAIN]: (i) => `Domain not found: ${i}`,
  [VIR_ERR.OPERATION_INVALID]: (i) => `Requested operation is not valid: ${i}`,
  [VIR_ERR.CONFIG_UNSUPPORTED]: (i) => `unsupported configuration: ${i}`,
  [VIR_ERR.ARGUMENT_UNSUPPORTED]: (i) => `argument unsupported: ${i}`,
  [VIR_ERR.OPERATION_UNSUPPORTED]: (i) => `Operation not supported: ${i}`,
};

/** A failed result whose message reads as libvirt's for `code` with `info`. */
export function virErr<T = never>(code: VirErrorNumber, domain: VirErrorDomain, info: string): VirResult<T> {
  return { ok: false, error: { code, domain, message: PREFIX[code](info) } };
}

/** The usual "no such domain" errors. */
export const noDomainNamed = <T>(from: VirErrorDomain, name: string): VirResult<T> =>
  virErr(VIR_ERR.NO_DOMAIN, from, `no domain with matching name '${name}'`);
export const noDomainWithId = <T>(from: VirErrorDomain, id: number): VirResult<T> =>
  virErr(VIR_ERR.NO_DOMAIN, from, `no domain with matching id ${id}`);
export const notRunning = <T>(from: VirErrorDomain): VirResult<T> => virErr(VIR_ERR.OPERATION_INVALID, from, 'domain is not running');
