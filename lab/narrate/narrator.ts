// Narrated stepping (`pvlab run <scenario> --narrate [--from T] [--events N]`): the events of
// one window of a run, told in plain words with the state that explains them, e.g.
//
//   1.203 ms d1v0 pushes 3 requests on xvda's blkif ring (req_prod 1200 → 1203); req_event
//            was 1201, inside (1200, 1203], so it notifies port 5
//   2.000 ms pCPU0 picks d2v0: BOOST after wake (credit 120); d1v0 was preempted and is
//            OVER (credit -37)
//
// The narrator only watches the trace stream: the run is the same event for event with or
// without it. It listens from the start (events before the window are skipped unbuilt into
// words) and stops listening once it has told N events, so the rest of the run costs nothing.
import type { Subscription } from 'rxjs';
import type { TraceEvent } from '../../hypervisor/trace';
import type { World } from '../run/world';
import { tell, type TellContext } from './tell';

export interface NarrateOptions {
  /** ns: the first event told is the first at or after this time. */
  fromNs: number;
  /** How many events to tell. */
  events: number;
  /** Which kinds of event to tell; all of them when absent. */
  topics?: ReadonlySet<Topic>;
}

/** What a student can ask to hear about (`--narrate exits,rings`). */
export const TOPICS = ['sched', 'exits', 'hypercalls', 'rings', 'xenbus', 'evtchn', 'domains'] as const;
export type Topic = (typeof TOPICS)[number];

type Of<K extends TraceEvent['type']> = Extract<TraceEvent, { type: K }>;
const TOPIC_OF: { [K in TraceEvent['type']]: (e: Of<K>) => Topic } = {
  sched: () => 'sched', idle: () => 'sched', runstate: () => 'sched', 'credit-acct': () => 'sched', tickle: () => 'sched',
  vmexit: () => 'exits', hypercall: () => 'hypercalls', evtchn: () => 'evtchn', domain: () => 'domains', note: () => 'domains',
  guest: (e) => (e.note.kind === 'ring' ? 'rings' : e.note.kind),
};

export function topicOf(e: TraceEvent): Topic {
  return (TOPIC_OF[e.type] as (e: TraceEvent) => Topic)(e);
}

export const DEFAULT_NARRATED_EVENTS = 40;

export interface NarratedLine {
  readonly t: number;
  readonly text: string;
  readonly type: TraceEvent['type'];
}

export class Narrator {
  readonly lines: NarratedLine[] = [];
  private sub: Subscription | undefined;
  private readonly ctx: TellContext;

  private constructor(
    private readonly w: World,
    readonly opts: NarrateOptions,
  ) {
    this.ctx = { w, running: (p) => w.hv.core.current(p) };
  }

  /** Starts listening to a world that has not run yet (a RunHooks.onWorld). */
  static attach(w: World, opts: NarrateOptions): Narrator {
    const n = new Narrator(w, opts);
    if (opts.events > 0) n.sub = w.hv.trace.events.subscribe((e) => n.onEvent(e));
    return n;
  }

  /** True once N events have been told. */
  get done(): boolean {
    return this.lines.length >= this.opts.events;
  }

  private onEvent(e: TraceEvent): void {
    if (e.t < this.opts.fromNs || this.done) return;
    if (this.opts.topics && !this.opts.topics.has(topicOf(e))) return;
    const text = tell(e, this.ctx);
    if (text === undefined) return;
    this.lines.push({ t: e.t, text, type: e.type });
    if (this.done) this.stop();
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
  }

  /** Who is who, then one line per event: "  1.203 ms  d1v0 pushes ...". */
  render(width = 100): string {
    const about = this.opts.topics ? ` (${[...this.opts.topics].join(', ')})` : '';
    const out = [`Narrating ${this.w.scenario.name} from ${fmtMs(this.opts.fromNs)}, ${this.lines.length} event(s)${about}:`, ...this.legend(), ''];
    for (const l of this.lines) out.push(...wrapLine(`${fmtMs(l.t).padStart(10)}  `, l.text, width));
    if (this.lines.length === 0) out.push('  (nothing happened in this window; try an earlier --from)');
    return out.join('\n');
  }

  private legend(): string[] {
    return this.w.guests.map((g) => `  d${g.domain.id} = ${g.domain.name} (${g.mode}, ${g.domain.vcpus.length} vCPU${g.domain.vcpus.length === 1 ? '' : 's'})`);
  }
}

/** 1_203_000 ns → "1.203 ms". */
export function fmtMs(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}

/** One told event, wrapped at `width` with the continuation aligned under its text. */
function wrapLine(prefix: string, text: string, width: number): string[] {
  const room = Math.max(20, width - prefix.length);
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(' ')) {
    if (cur && cur.length + 1 + word.length > room) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  lines.push(cur);
  return lines.map((l, i) => (i === 0 ? prefix : ' '.repeat(prefix.length)) + l);
}
