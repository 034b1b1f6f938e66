// Runs a scenario's timeline (lab/scenario/timeline checked it): each xl or virsh command is an
// engine event at its simulated time, so it interleaves with everything else deterministically
// (events at one instant run in file order). What the tool printed is kept for the report
// (`timeline: [{at, command, output, error?}]`) and, while someone traces, told as notes in
// the trace: "$ xl pause web" before the command acts, then each line it printed.
import { defaultUri, hostConnection } from '../libvirt/connect';
import { virsh } from '../libvirt/virsh';
import { eventsOf, type TimelineEvent } from '../scenario/timeline';
import type { World } from './world';
import { xl } from './xl';

export interface TimelineEntry {
  /** ns of simulated time. */
  at: number;
  /** As typed: "xl pause web". */
  command: string;
  /** What the command printed on stdout (trailing blank lines dropped). */
  output: string;
  /** What it printed on stderr when it failed. */
  error?: string;
}

const logs = new WeakMap<World, TimelineEntry[]>();

/** Schedules every event of the scenario's timeline; call before time starts. */
export function scheduleTimeline(w: World): void {
  const events = eventsOf(w.scenario);
  if (events.length === 0) return;
  const log: TimelineEntry[] = [];
  logs.set(w, log);
  for (const e of events) w.engine.at(e.at, { fire: () => log.push(runEvent(w, e)) });
}

/** The commands run so far, or undefined when the scenario has no timeline. */
export function timelineOf(w: World): TimelineEntry[] | undefined {
  return logs.get(w);
}

/** Runs one event now. */
export function runEvent(w: World, e: TimelineEvent): TimelineEntry {
  const command = `${e.tool} ${e.command}`;
  note(w, `$ ${command}`);
  let entry: TimelineEntry;
  if (e.tool === 'xl') {
    const r = xl(w, e.command, { create: e.domain });
    entry = r.ok ? { at: w.engine.now, command, output: r.output } : { at: w.engine.now, command, output: '', error: r.error };
  } else {
    const r = virsh({ connect: (uri) => hostConnection(w, uri ?? defaultUri(w)), readFile: (p) => fileOf(e, p) }, e.command);
    entry = { at: w.engine.now, command, output: trimEnd(r.stdout), ...(r.ok ? {} : { error: trimEnd(r.stderr) }) };
  }
  for (const line of [entry.output, entry.error ?? ''].join('\n').split('\n')) if (line.trim() !== '') note(w, line);
  return entry;
}

function fileOf(e: TimelineEvent, path: string): string {
  const text = e.files[path];
  if (text === undefined) throw new Error(`${path} was not read when the scenario loaded`);
  return text;
}

function trimEnd(s: string): string {
  return s.replace(/\s+$/, '');
}

/** A note in the trace, from dom0 (the toolstack's home), only while someone traces. */
function note(w: World, what: string): void {
  const trace = w.hv.trace;
  if (trace.on) trace.emit({ type: 'note', t: w.engine.now, dom: 0, what });
}
