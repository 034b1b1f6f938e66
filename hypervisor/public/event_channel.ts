// Event channels, as every kernel sees them (public/event_channel.h and the 2-level layout of
// shared_info in public/arch-x86/xen.h, x86-64). Ports are bits in a page both sides share:
// Xen SETS pending and selector bits and the upcall flag; the guest CLEARS them while it
// handles events, and owns the mask bits and the upcall mask. The helpers below are the only
// code that touches those bits, so the hypervisor and the guest agree on every offset.
// A port p lives in word p/64, bit p%64; a 64-bit word is 8 little-endian bytes.

/** EVTCHNOP_* sub-operations of event_channel_op (hypercall 32). 11-13 are the FIFO ABI. */
export const EVTCHNOP = {
  bind_interdomain: 0, bind_virq: 1, bind_pirq: 2, close: 3, send: 4, status: 5,
  alloc_unbound: 6, bind_ipi: 7, bind_vcpu: 8, unmask: 9, reset: 10,
  init_control: 11, expand_array: 12, set_priority: 13,
} as const;
export type EvtchnOpName = keyof typeof EVTCHNOP;

/** What EVTCHNOP_status reports for a port. A free or reserved port reads as closed. */
export const EVTCHNSTAT = { closed: 0, unbound: 1, interdomain: 2, pirq: 3, virq: 4, ipi: 5 } as const;
export type EvtchnStatName = keyof typeof EVTCHNSTAT;

/** Bits in one xen_ulong_t word of the pending/mask arrays and of a selector (x86-64). */
export const EVTCHN_BITS_PER_WORD = 64;
const BYTES_PER_WORD = 8;
/** The 2-level port limit: one selector word of 64 bits, each selecting a word of 64 ports. */
export const EVTCHN_2L_NR_CHANNELS = EVTCHN_BITS_PER_WORD * EVTCHN_BITS_PER_WORD;
/** vcpu_info slots embedded in shared_info; more vCPUs must register their own vcpu_info. */
export const XEN_LEGACY_MAX_VCPUS = 32;
/** Size of one vcpu_info (upcall flags, selector, arch info, vcpu_time_info). */
export const VCPU_INFO_SIZE = 64;

/** Offsets inside vcpu_info. Xen writes pending flag and selector; the guest writes the mask. */
export const VCPU_INFO_UPCALL_PENDING = 0; // u8
export const VCPU_INFO_UPCALL_MASK = 1; // u8, x86 PV's virtual interrupt flag
export const VCPU_INFO_PENDING_SEL = 8; // u64, one bit per word of evtchn_pending

/** Offsets inside shared_info: vcpu_info[32] first, then the two port bitmaps. */
export const SHARED_INFO_VCPU_INFO = 0;
export const SHARED_INFO_EVTCHN_PENDING = XEN_LEGACY_MAX_VCPUS * VCPU_INFO_SIZE; // 2048
export const SHARED_INFO_EVTCHN_MASK =
  SHARED_INFO_EVTCHN_PENDING + (EVTCHN_2L_NR_CHANNELS / EVTCHN_BITS_PER_WORD) * BYTES_PER_WORD; // 2560
/** sizeof(struct shared_info) on x86-64 (the wallclock and arch fields follow the mask). */
export const SHARED_INFO_SIZE = 3136;

// ---- bit primitives ----------------------------------------------------------------------

function testAndSetBit(page: Uint8Array, base: number, bit: number): boolean {
  const at = base + (bit >>> 3);
  const m = 1 << (bit & 7);
  const was = (page[at]! & m) !== 0;
  page[at] = page[at]! | m;
  return was;
}

function clearBit(page: Uint8Array, base: number, bit: number): void {
  const at = base + (bit >>> 3);
  page[at] = page[at]! & ~(1 << (bit & 7));
}

function testBit(page: Uint8Array, base: number, bit: number): boolean {
  return (page[base + (bit >>> 3)]! & (1 << (bit & 7))) !== 0;
}

function vcpuInfo(vcpu: number): number {
  if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= XEN_LEGACY_MAX_VCPUS) {
    throw new RangeError(`vcpu ${vcpu} has no vcpu_info in shared_info`);
  }
  return SHARED_INFO_VCPU_INFO + vcpu * VCPU_INFO_SIZE;
}

// ---- per-port bits (pending: Xen sets, guest clears; mask: guest owns) -------------------

/** Sets the port's PENDING bit; true if it was already set (no new edge). */
export function testAndSetPending(sharedInfo: Uint8Array, port: number): boolean {
  return testAndSetBit(sharedInfo, SHARED_INFO_EVTCHN_PENDING, port);
}
export function isPending(sharedInfo: Uint8Array, port: number): boolean {
  return testBit(sharedInfo, SHARED_INFO_EVTCHN_PENDING, port);
}
/** The guest's acknowledgement of one event. */
export function clearPending(sharedInfo: Uint8Array, port: number): void {
  clearBit(sharedInfo, SHARED_INFO_EVTCHN_PENDING, port);
}
export function isMasked(sharedInfo: Uint8Array, port: number): boolean {
  return testBit(sharedInfo, SHARED_INFO_EVTCHN_MASK, port);
}
export function setMask(sharedInfo: Uint8Array, port: number): void {
  testAndSetBit(sharedInfo, SHARED_INFO_EVTCHN_MASK, port);
}
/** Clears the mask bit only. An edge lost while masked needs EVTCHNOP_unmask to come back. */
export function clearMask(sharedInfo: Uint8Array, port: number): void {
  clearBit(sharedInfo, SHARED_INFO_EVTCHN_MASK, port);
}

// ---- per-vCPU selector and upcall flags --------------------------------------------------

/** Sets selector bit `word` of the vCPU; true if it was already set. */
export function testAndSetSelector(sharedInfo: Uint8Array, vcpu: number, word: number): boolean {
  return testAndSetBit(sharedInfo, vcpuInfo(vcpu) + VCPU_INFO_PENDING_SEL, word);
}

/** Word indices whose selector bit is set, lowest first (read only). */
export function selectorWords(sharedInfo: Uint8Array, vcpu: number): number[] {
  const base = vcpuInfo(vcpu) + VCPU_INFO_PENDING_SEL;
  const words: number[] = [];
  for (let w = 0; w < EVTCHN_BITS_PER_WORD; w++) if (testBit(sharedInfo, base, w)) words.push(w);
  return words;
}

/** True when any selector bit is set: some word of evtchn_pending has news for `vcpu`. */
export function anySelected(sharedInfo: Uint8Array, vcpu: number): boolean {
  const sel = vcpuInfo(vcpu) + VCPU_INFO_PENDING_SEL;
  for (let i = 0; i < BYTES_PER_WORD; i++) if (sharedInfo[sel + i] !== 0) return true;
  return false;
}

export function isUpcallPending(sharedInfo: Uint8Array, vcpu: number): boolean {
  return sharedInfo[vcpuInfo(vcpu) + VCPU_INFO_UPCALL_PENDING] !== 0;
}
/** Xen sets it (true) when a selector bit becomes set; the guest clears it (false) on entry. */
export function setUpcallPending(sharedInfo: Uint8Array, vcpu: number, pending: boolean): void {
  sharedInfo[vcpuInfo(vcpu) + VCPU_INFO_UPCALL_PENDING] = pending ? 1 : 0;
}
/** Sets the upcall-pending flag; true if it was already set (the vCPU was already told). */
export function testAndSetUpcallPending(sharedInfo: Uint8Array, vcpu: number): boolean {
  const was = isUpcallPending(sharedInfo, vcpu);
  setUpcallPending(sharedInfo, vcpu, true);
  return was;
}
export function isUpcallMasked(sharedInfo: Uint8Array, vcpu: number): boolean {
  return sharedInfo[vcpuInfo(vcpu) + VCPU_INFO_UPCALL_MASK] !== 0;
}
/** The PV guest's "cli" (true) / "sti" (false). Xen reads it before upcalling. */
export function setUpcallMask(sharedInfo: Uint8Array, vcpu: number, masked: boolean): void {
  sharedInfo[vcpuInfo(vcpu) + VCPU_INFO_UPCALL_MASK] = masked ? 1 : 0;
}

// ---- the guest's upcall scan --------------------------------------------------------------

/** Bit `w` of a 64-bit selector held as two 32-bit halves. */
function selBit(lo: number, hi: number, w: number): boolean {
  return ((w < 32 ? lo >>> w : hi >>> (w - 32)) & 1) !== 0;
}

/** Ports of the selected words from word `from` up to (not incl.) `to`, ascending: the set
 *  bits of the selector are visited one by one, not all 64 words tested. */
function selectedPorts(si: Uint8Array, lo: number, hi: number, from: number, to: number, out: number[]): void {
  for (let base = 0; base < EVTCHN_BITS_PER_WORD; base += 32) {
    const a = Math.max(0, from - base);
    const b = Math.min(32, to - base);
    if (a >= b) continue;
    const range = (b === 32 ? 0xffffffff : (1 << b) - 1) & ~((1 << a) - 1);
    let bits = (base === 0 ? lo : hi) & range;
    while (bits !== 0) {
      const low = bits & -bits;
      activePorts(si, base + 31 - Math.clz32(low), 0, EVTCHN_BITS_PER_WORD, out);
      bits ^= low;
    }
  }
}

/** Ports of `word` that are pending and not masked, from bit `fromBit` up to (not incl.) `toBit`.
 *  Works a byte (8 ports) at a time: pending & ~mask, skipping bytes with nothing to handle. */
function activePorts(si: Uint8Array, word: number, fromBit: number, toBit: number, out: number[]): void {
  for (let byte = fromBit >>> 3; byte * 8 < toBit; byte++) {
    const at = word * BYTES_PER_WORD + byte;
    const live = si[SHARED_INFO_EVTCHN_PENDING + at]! & ~si[SHARED_INFO_EVTCHN_MASK + at]!;
    if (live === 0) continue;
    for (let b = 0; b < 8; b++) {
      const bit = byte * 8 + b;
      if (bit >= fromBit && bit < toBit && (live & (1 << b)) !== 0) out.push(word * EVTCHN_BITS_PER_WORD + bit);
    }
  }
}

/**
 * One pass of the guest's 2-level upcall handler on `vcpu`: clears evtchn_upcall_pending,
 * exchanges the selector with 0, and returns the ports to handle (pending & ~mask in the
 * selected words), in the order the handler takes them. The walk starts at `startFrom` (the
 * port after the last one the previous scan handled) and wraps, so busy low ports cannot
 * starve high ones. Ports in words whose selector bit was not set are NOT returned: their
 * edge was lost while masked. `boundHere` narrows to ports bound to this vCPU (Linux's
 * per-cpu mask). The caller acknowledges each port with clearPending, and scans again while
 * isUpcallPending is set again.
 */
export function scanPending(
  sharedInfo: Uint8Array, vcpu: number, startFrom: number, boundHere?: (port: number) => boolean,
): number[] {
  setUpcallPending(sharedInfo, vcpu, false);
  // The selector is one 64-bit word: bit w set means word w of evtchn_pending has news.
  const sel = vcpuInfo(vcpu) + VCPU_INFO_PENDING_SEL;
  const lo = (sharedInfo[sel]! | (sharedInfo[sel + 1]! << 8) | (sharedInfo[sel + 2]! << 16) | (sharedInfo[sel + 3]! << 24)) >>> 0;
  const hi = (sharedInfo[sel + 4]! | (sharedInfo[sel + 5]! << 8) | (sharedInfo[sel + 6]! << 16) | (sharedInfo[sel + 7]! << 24)) >>> 0;
  for (let i = 0; i < BYTES_PER_WORD; i++) sharedInfo[sel + i] = 0; // the atomic exchange with 0
  const start = ((Math.trunc(startFrom) % EVTCHN_2L_NR_CHANNELS) + EVTCHN_2L_NR_CHANNELS) % EVTCHN_2L_NR_CHANNELS;
  const startWord = Math.floor(start / EVTCHN_BITS_PER_WORD);
  const startBit = start % EVTCHN_BITS_PER_WORD;
  const out: number[] = [];
  if (selBit(lo, hi, startWord)) activePorts(sharedInfo, startWord, startBit, EVTCHN_BITS_PER_WORD, out);
  selectedPorts(sharedInfo, lo, hi, startWord + 1, EVTCHN_BITS_PER_WORD, out); // then the words after it,
  selectedPorts(sharedInfo, lo, hi, 0, startWord, out); // wrapping round to the ones before it
  if (selBit(lo, hi, startWord)) activePorts(sharedInfo, startWord, 0, startBit, out);
  return boundHere === undefined ? out : out.filter(boundHere);
}
