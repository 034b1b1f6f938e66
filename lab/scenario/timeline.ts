// A scenario's timeline (issue 7 item 8, issue 11 item 6): toolstack commands at simulated
// times, so a lesson can change the host while it runs:
//   events:
//     - {at: 2s, xl: "sched-credit -d web -w 512"}
//     - {at: 5s, xl: "pause web"}
//     - {at: 6s, virsh: "define configs/db.xml"}
// Each entry is checked when the scenario loads, and each problem is placed on its line: an
// unknown command (with a "did you mean"), a domain no one has named by then, a file that
// cannot be read, an xl.cfg or domain XML that is invalid. Files are read now, relative to the
// scenario, so a run never touches the disk. lab/run/timeline applies the commands as engine
// events at their times.
import { dirname, isAbsolute, join } from 'node:path';
import type { z } from 'zod';
import { readDomainConfig } from '../config/domain';
import { parseDomainXML } from '../libvirt/xml-parse';
import { VIRSH_VERBS, splitWords } from '../libvirt/virsh-args';
import { readTextFile } from './configs';
import { closestMatch, describeReadError, ScenarioError, type PathSegment } from './errors';
import { duration, field, optional, strict, text } from './fields';
import type { Report } from './storage';
import type { Domain, Scenario } from './types';
import { formatDuration } from './units';

/** The xl commands a timeline may run (lab/run/xl runs them). */
/** A timeline entry as written: one xl or virsh command at a simulated time. */
export const eventSchema = strict({
  at: field(duration()),
  xl: optional(text(/\S/, 'an xl command such as "pause web"')),
  virsh: optional(text(/\S/, 'a virsh command such as "suspend web"')),
});
export type EventSpec = z.output<typeof eventSchema>;

/** A toolstack command at a simulated time, checked. */
export interface TimelineEvent {
  /** ns of simulated time. */
  at: number;
  tool: 'xl' | 'virsh';
  /** The command line after the tool's name, words as the shell would split them. */
  command: string;
  /** The files it names (xl create's .cfg, virsh define's .xml) as written → their text, read at load. */
  files: Record<string, string>;
  /** For `xl create`: the domain its .cfg describes, checked like a scenario domain. */
  domain?: Domain;
}

/** A scenario's timeline (none when the scenario has no `events:`). */
export function eventsOf(s: Scenario): readonly TimelineEvent[] {
  return s.events ?? [];
}

export const XL_VERBS = ['create', 'destroy', 'shutdown', 'pause', 'unpause', 'sched-credit', 'vcpu-pin', 'vcpu-set', 'block-attach', 'block-detach', 'block-list', 'list', 'vcpu-list'] as const;

/** Checks an xl.cfg's domain as a scenario domain; a Domain, or the first problem. */
export type DomainCheck = (entry: Record<string, unknown>) => { ok: true; domain: Domain } | { ok: false; message: string };

export interface TimelineContext {
  /** The scenario file, for relative paths. */
  file: string;
  /** What the host runs: xl is Xen's toolstack, and a KVM host has only virsh. */
  hypervisor: 'xen' | 'kvm';
  duration: number;
  /** Names known at the start: Domain-0 (on Xen) and the scenario's domains. */
  names: readonly string[];
  /** The <domain type=...> values the host runs. */
  virtTypes: readonly string[];
  checkDomain: DomainCheck;
  readFile?: (path: string) => string;
}

/** Checks every event and reads the files they name; problems go to `report`. */
export function resolveTimeline(events: readonly EventSpec[], ctx: TimelineContext, report: Report): TimelineEvent[] {
  const known = new Set(ctx.names);
  const order = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i);
  const out: (TimelineEvent | undefined)[] = [];
  for (const { e, i } of order) out[i] = resolveEvent(e, ['events', i], ctx, known, report);
  return out.filter((e): e is TimelineEvent => e !== undefined);
}

function resolveEvent(e: EventSpec, at: PathSegment[], ctx: TimelineContext, known: Set<string>, report: Report): TimelineEvent | undefined {
  if ((e.xl === undefined) === (e.virsh === undefined)) {
    report(at, 'give one command: xl: "..." or virsh: "..."');
    return undefined;
  }
  if (e.at >= ctx.duration) report([...at, 'at'], `${formatDuration(e.at)} is not before the end of the run (duration: ${formatDuration(ctx.duration)})`);
  const tool = e.xl !== undefined ? 'xl' : 'virsh';
  const where = [...at, tool];
  const words = splitWords(e.xl ?? e.virsh!);
  if (typeof words === 'string') return void report(where, words);
  const event: TimelineEvent = { at: e.at, tool, command: words.join(' '), files: {} };
  const problem = tool === 'xl' ? checkXl(words, event, ctx, known) : checkVirsh(words, event, ctx, known);
  if (problem !== undefined) return void report(where, problem);
  return event;
}

function checkXl(words: string[], event: TimelineEvent, ctx: TimelineContext, known: Set<string>): string | undefined {
  if (ctx.hypervisor === 'kvm') return "xl is Xen's toolstack, and this host runs KVM: use virsh";
  const [verb, ...args] = words;
  if (!(XL_VERBS as readonly string[]).includes(verb!)) return unknownVerb('xl', verb!, XL_VERBS);
  if (verb === 'create') return xlCreate(args, event, ctx, known);
  const ident = verb === 'sched-credit' ? args[args.indexOf('-d') + 1] : args.find((a) => !a.startsWith('-'));
  if (ident === undefined) return verb === 'list' || verb === 'vcpu-list' || verb === 'sched-credit' ? undefined : `xl ${verb} needs a domain name or id`;
  return unknownName(ident, event, known);
}

function xlCreate(args: string[], event: TimelineEvent, ctx: TimelineContext, known: Set<string>): string | undefined {
  const path = args.find((a) => !a.startsWith('-'));
  if (path === undefined) return 'xl create needs an xl.cfg file';
  const read = readRelative(path, event, ctx);
  if (typeof read !== 'string') return read.problem;
  let entry: Record<string, unknown>;
  try {
    entry = readDomainConfig(read, resolvePath(path, ctx)).entry;
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  const checked = ctx.checkDomain(entry);
  if (!checked.ok) return `${path}: ${checked.message}`;
  event.domain = checked.domain;
  known.add(checked.domain.name);
  return undefined;
}

function checkVirsh(words: string[], event: TimelineEvent, ctx: TimelineContext, known: Set<string>): string | undefined {
  const rest = words[0] === '-c' || words[0] === '--connect' ? words.slice(2) : words;
  const [verb, ...args] = rest;
  if (!(VIRSH_VERBS as readonly string[]).includes(verb ?? '')) return unknownVerb('virsh', verb ?? '', VIRSH_VERBS);
  const positional = args.filter((a) => !a.startsWith('--'));
  const dIdx = args.indexOf('--domain');
  const first = dIdx >= 0 ? args[dIdx + 1] : positional[0];
  if (verb === 'define' || verb === 'create') return virshFile(first, event, ctx, known);
  if (verb === 'list' || first === undefined) return undefined;
  return unknownName(first, event, known);
}

function virshFile(path: string | undefined, event: TimelineEvent, ctx: TimelineContext, known: Set<string>): string | undefined {
  if (path === undefined) return 'needs a domain XML file';
  const xml = readRelative(path, event, ctx);
  if (typeof xml !== 'string') return xml.problem;
  const def = parseDomainXML(xml);
  if (!def.ok) return `${path}: ${def.error.message}`;
  if (!ctx.virtTypes.includes(def.value.virtType)) return `${path}: this host runs domains of type ${ctx.virtTypes.map((t) => `'${t}'`).join(' or ')}, not '${def.value.virtType}'`;
  known.add(def.value.name);
  return undefined;
}

function unknownVerb(tool: string, verb: string, verbs: readonly string[]): string {
  const close = closestMatch(verb, verbs);
  return `unknown ${tool} command '${verb}'${close ? `; did you mean '${close}'?` : ''} (pvlab's ${tool} runs ${verbs.join(', ')})`;
}

function unknownName(ident: string, event: TimelineEvent, known: Set<string>): string | undefined {
  if (/^[0-9]+$/.test(ident) || known.has(ident)) return undefined;
  const close = closestMatch(ident, [...known]);
  return `no domain named '${ident}' at ${formatDuration(event.at)}${close ? `; did you mean '${close}'?` : ''} (known then: ${[...known].join(', ')})`;
}

function resolvePath(path: string, ctx: TimelineContext): string {
  return isAbsolute(path) ? path : join(dirname(ctx.file), path);
}

function readRelative(path: string, event: TimelineEvent, ctx: TimelineContext): string | { problem: string } {
  const full = resolvePath(path, ctx);
  try {
    const text = (ctx.readFile ?? readTextFile)(full);
    event.files[path] = text;
    return text;
  } catch (e) {
    return { problem: `cannot read ${full}: ${describeReadError(e)}` };
  }
}
