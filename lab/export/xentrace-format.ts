// The binary format `xentrace` writes and `xenalyze` reads, as Xen defines it
// (xen/include/public/trace.h, tools/xentrace/xentrace.c); the ids and layouts are Xen's,
// the code is ours. All words are little-endian (x86).
//
// A record (struct t_rec): one 32-bit header word
//     bits 0-27  event id
//     bits 28-30 number of extra 32-bit data words (0..7)
//     bit  31    a 64-bit TSC follows (low word first)
// then the TSC if flagged, then the extra words. There is no padding.
//
// The file: a sequence of windows, each a TRC_TRACE_CPU_CHANGE record (no TSC, two words:
// the pCPU and the window's size in bytes) followed by that many bytes of the pCPU's records,
// in the order that pCPU wrote them. xentrace writes one window per pCPU buffer it drains.

/** Event ids (public/trace.h). */
export const TRC = {
  /** u32 lost; u16 dom, u16 vcpu (of the vCPU current when written); u64 TSC of the first loss. */
  LOST_RECORDS: 0x0001_f001,
  TRACE_WRAP_BUFFER: 0x0001_f002,
  /** int cpu; unsigned window_size. Never has a TSC. */
  TRACE_CPU_CHANGE: 0x0001_f003,
  /** TRC_SCHED_MIN + 1, OR'd with (old runstate << 8) | (new runstate << 4).
   *  One word: vcpu in bits 0-15, domain in bits 16-31. */
  SCHED_RUNSTATE_CHANGE: 0x0002_1001,
  /** TRC_SCHED_MIN + 2: schedule() kept the running vCPU. Same word as a runstate change. */
  SCHED_CONTINUE_RUNNING: 0x0002_1002,
  /** TRC_SCHED_VERBOSE + n: one word, the domain id. */
  SCHED_DOM_ADD: 0x0002_8001,
  SCHED_DOM_REM: 0x0002_8002,
  /** prev dom, prev vcpu, next dom, next vcpu. */
  SCHED_SWITCH: 0x0002_800a,
  /** prev dom, prev vcpu, ns it ran. */
  SCHED_SWITCH_INFPREV: 0x0002_800e,
  /** next dom, next vcpu, ns it was runnable (0 if it was not), next slice in ns. */
  SCHED_SWITCH_INFNEXT: 0x0002_800f,
  /** TRC_PV_ENTRY + 13: word 0 = hypercall number (bits 0-19) and which arguments follow
   *  (2 bits per argument from bit 20: 01 = 32-bit, 10 = 64-bit); then the arguments. */
  PV_HYPERCALL_V2: 0x0020_100d,
  /** HVM exits, for when pvlab traces them (TRC_HVM_ENTRYEXIT + n; 64 = TRC_64_FLAG form). */
  HVM_VMENTRY: 0x0008_1001,
  HVM_VMEXIT: 0x0008_1002,
  HVM_VMEXIT64: 0x0008_1102,
} as const;

export const TRACE_EXTRA_SHIFT = 28;
export const TRACE_EXTRA_MAX = 7;
export const TRC_HD_CYCLE_FLAG = 0x8000_0000;
/** Mask of the event id in a header. */
export const TRC_HD_EVENT_MASK = 0x0fff_ffff;

/** TRC_PV_HYPERCALL_V2: the bits saying argument `i` is present as a 32-bit word. */
export const pvHypercallArg32 = (i: number): number => (0x1 << (20 + 2 * i)) >>> 0;

/** One record before encoding; `tsc` undefined means no timestamp. */
export interface XenRecord {
  readonly event: number;
  readonly tsc: bigint | undefined;
  readonly words: readonly number[];
}

export function recordSize(r: XenRecord): number {
  return 4 + (r.tsc === undefined ? 0 : 8) + 4 * r.words.length;
}

/** Writes `r` at `off`; returns the offset after it. */
export function writeRecord(view: DataView, off: number, r: XenRecord): number {
  if (r.words.length > TRACE_EXTRA_MAX) throw new Error(`xentrace: record ${r.event.toString(16)} has ${r.words.length} words`);
  const header = ((r.event & TRC_HD_EVENT_MASK) | (r.words.length << TRACE_EXTRA_SHIFT) | (r.tsc === undefined ? 0 : TRC_HD_CYCLE_FLAG)) >>> 0;
  view.setUint32(off, header, true);
  off += 4;
  if (r.tsc !== undefined) {
    view.setBigUint64(off, r.tsc, true);
    off += 8;
  }
  for (const w of r.words) {
    view.setUint32(off, w >>> 0, true);
    off += 4;
  }
  return off;
}

/** A window: the records one pCPU wrote between two drains of its buffer. */
export interface XenWindow {
  readonly cpu: number;
  readonly records: readonly XenRecord[];
}

/** The file: every window headed by its TRC_TRACE_CPU_CHANGE record. */
export function encodeFile(windows: readonly XenWindow[]): Uint8Array {
  const sizes = windows.map((w) => w.records.reduce((n, r) => n + recordSize(r), 0));
  const total = sizes.reduce((n, s) => n + (s > 0 ? CPU_CHANGE_SIZE : 0) + s, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  let off = 0;
  windows.forEach((w, i) => {
    if (sizes[i] === 0) return;
    off = writeRecord(view, off, cpuChange(w.cpu, sizes[i]!));
    for (const r of w.records) off = writeRecord(view, off, r);
  });
  return bytes;
}

/** The record heading a window: which pCPU, and how many bytes of its records follow. */
function cpuChange(cpu: number, windowSize: number): XenRecord {
  return { event: TRC.TRACE_CPU_CHANGE, tsc: undefined, words: [cpu, windowSize] };
}
const CPU_CHANGE_SIZE = recordSize(cpuChange(0, 0));

/** A decoded record, with the window's pCPU. */
export interface DecodedRecord extends XenRecord {
  readonly cpu: number;
}

/** Reads a file back: for tests, and for anyone checking a file without xenalyze. */
export function decodeFile(bytes: Uint8Array): DecodedRecord[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: DecodedRecord[] = [];
  let off = 0;
  let cpu = -1;
  while (off + 4 <= bytes.byteLength) {
    const header = view.getUint32(off, true);
    const n = (header >>> TRACE_EXTRA_SHIFT) & TRACE_EXTRA_MAX;
    const hasTsc = (header & TRC_HD_CYCLE_FLAG) !== 0;
    off += 4;
    const tsc = hasTsc ? view.getBigUint64(off, true) : undefined;
    if (hasTsc) off += 8;
    const words: number[] = [];
    for (let i = 0; i < n; i++, off += 4) words.push(view.getUint32(off, true));
    const event = header & TRC_HD_EVENT_MASK;
    if (event === TRC.TRACE_CPU_CHANGE) cpu = words[0]!;
    out.push({ event, tsc, words, cpu });
  }
  return out;
}
