// The rules of the Chrome Trace Event Format that a viewer relies on, as one checker that
// lists every breach it finds (an empty list: the file is well formed). Times are compared
// in integer nanoseconds, rounded from the file's microseconds, as Perfetto reads them.

interface Ev {
  name?: unknown;
  ph?: unknown;
  ts?: unknown;
  pid?: unknown;
  tid?: unknown;
  dur?: unknown;
  s?: unknown;
  id?: unknown;
  cat?: unknown;
  args?: Record<string, unknown>;
}

const ns = (us: number): number => Math.round(us * 1000);
const track = (e: Ev): string => `${String(e.pid)}/${String(e.tid)}`;
const METADATA = new Set(['process_name', 'process_sort_index', 'thread_name', 'thread_sort_index']);
const PHASES = new Set(['X', 'i', 'C', 's', 'f', 'M']);

export function checkChromeTrace(file: { traceEvents?: unknown; displayTimeUnit?: unknown }): string[] {
  const bad: string[] = [];
  if (!Array.isArray(file.traceEvents)) return ['traceEvents is not an array'];
  if (file.displayTimeUnit !== 'ms' && file.displayTimeUnit !== 'ns') bad.push(`displayTimeUnit ${String(file.displayTimeUnit)}`);
  const events = file.traceEvents as Ev[];
  events.forEach((e, i) => bad.push(...checkEvent(e, i)));
  bad.push(...checkNesting(events), ...checkNames(events), ...checkFlows(events));
  return bad;
}

function checkEvent(e: Ev, i: number): string[] {
  const bad: string[] = [];
  const at = `event ${i} (${JSON.stringify(e).slice(0, 120)})`;
  if (typeof e.ph !== 'string' || !PHASES.has(e.ph)) bad.push(`${at}: unknown ph`);
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0) bad.push(`${at}: ts`);
  if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) bad.push(`${at}: pid/tid`);
  if (typeof e.name !== 'string' || e.name === '') bad.push(`${at}: name`);
  if (e.ph === 'X' && (typeof e.dur !== 'number' || !Number.isFinite(e.dur) || e.dur < 0)) bad.push(`${at}: dur`);
  if (e.ph === 'i' && e.s !== 't' && e.s !== 'p' && e.s !== 'g') bad.push(`${at}: instant scope`);
  if (e.ph === 'C' && !(e.args && Object.values(e.args).some((v) => typeof v === 'number'))) bad.push(`${at}: counter without numeric args`);
  if ((e.ph === 's' || e.ph === 'f') && e.id === undefined) bad.push(`${at}: flow without id`);
  if (e.ph === 'M') bad.push(...checkMetadata(e, at));
  return bad;
}

function checkMetadata(e: Ev, at: string): string[] {
  if (typeof e.name !== 'string' || !METADATA.has(e.name)) return [`${at}: unknown metadata`];
  if (e.name.endsWith('_name') && typeof e.args?.name !== 'string') return [`${at}: metadata without args.name`];
  if (e.name.endsWith('_sort_index') && !Number.isInteger(e.args?.sort_index)) return [`${at}: without args.sort_index`];
  return [];
}

/** Complete slices of one track: each starts after the enclosing ones start and ends before
 *  they end; two slices either nest or do not overlap at all. */
export function checkNesting(events: readonly Ev[]): string[] {
  const bad: string[] = [];
  for (const [key, slices] of slicesByTrack(events)) {
    const stack: { start: number; end: number }[] = [];
    for (const s of slices) {
      while (stack.length && stack[stack.length - 1]!.end <= s.start) stack.pop();
      const top = stack[stack.length - 1];
      if (top && s.end > top.end) bad.push(`track ${key}: [${s.start}, ${s.end}] overlaps [${top.start}, ${top.end}]`);
      stack.push(s);
    }
  }
  return bad;
}

export function slicesByTrack(events: readonly Ev[]): Map<string, { start: number; end: number; name: string }[]> {
  const by = new Map<string, { start: number; end: number; name: string }[]>();
  for (const e of events) {
    if (e.ph !== 'X') continue;
    const start = ns(e.ts as number);
    const list = by.get(track(e)) ?? [];
    list.push({ start, end: start + ns(e.dur as number), name: String(e.name) });
    by.set(track(e), list);
  }
  for (const list of by.values()) list.sort((a, b) => a.start - b.start || b.end - a.end);
  return by;
}

/** Every process and every track that carries an event has a name. */
function checkNames(events: readonly Ev[]): string[] {
  const procs = new Set<unknown>();
  const threads = new Set<string>();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'process_name') procs.add(e.pid);
    if (e.ph === 'M' && e.name === 'thread_name') threads.add(track(e));
  }
  const bad = new Set<string>();
  for (const e of events) {
    if (e.ph === 'M') continue;
    if (!procs.has(e.pid)) bad.add(`pid ${String(e.pid)} has no process_name`);
    if (!threads.has(track(e))) bad.add(`track ${track(e)} has no thread_name`);
  }
  return [...bad];
}

/** Flows pair one start with one finish by id, with the same name and category, the finish
 *  not before the start, and both inside a slice of their track (what they bind to). */
function checkFlows(events: readonly Ev[]): string[] {
  const bad: string[] = [];
  const starts = new Map<unknown, Ev>();
  const ends = new Map<unknown, Ev>();
  for (const e of events) {
    const into = e.ph === 's' ? starts : e.ph === 'f' ? ends : undefined;
    if (!into) continue;
    if (into.has(e.id)) bad.push(`flow id ${String(e.id)}: two '${String(e.ph)}' events`);
    into.set(e.id, e);
  }
  const slices = slicesByTrack(events);
  const bound = (e: Ev): boolean => (slices.get(track(e)) ?? []).some((s) => s.start <= ns(e.ts as number) && ns(e.ts as number) <= s.end);
  for (const [id, s] of starts) {
    const f = ends.get(id);
    if (!f) bad.push(`flow id ${String(id)}: start without finish`);
    else if (f.name !== s.name || f.cat !== s.cat || (f.ts as number) < (s.ts as number)) bad.push(`flow id ${String(id)}: finish does not match start`);
    else if (!bound(s) || !bound(f)) bad.push(`flow id ${String(id)}: not inside a slice`);
  }
  for (const id of ends.keys()) if (!starts.has(id)) bad.push(`flow id ${String(id)}: finish without start`);
  return bad;
}
