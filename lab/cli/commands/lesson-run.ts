// What `pvlab run` adds for teaching: `--narrate [topics] [--from T] [--events N]` tells the
// events of a window in plain words (lab/narrate), and a lesson's figures table follows the
// report when the scenario is a lesson run by name or from scenarios/.
import type { Command } from 'commander';
import { basename, dirname, resolve } from 'node:path';
import { DEFAULT_NARRATED_EVENTS, Narrator, TOPICS, type Topic } from '../../narrate/narrator';
import { SCENARIOS_DIR } from '../../lessons/catalog';
import { runLesson } from '../../lessons/lesson';
import { lessonSpec } from '../../lessons/registry';
import { renderFigures } from '../../lessons/render';
import type { RunOutcome } from '../../run/runner';
import type { World } from '../../run/world';
import { COMMAND_LINE, parseDuration, ScenarioError, type Scenario } from '../../scenario/index';
import { painter } from '../color';
import { positiveInt } from './common';

export interface NarrateOptions {
  narrate?: boolean | string;
  from?: string;
  events?: string;
}

export function addNarrateOptions(cmd: Command): Command {
  return cmd
    .option('--narrate [topics]', `tell the events of a window in plain words; topics: ${TOPICS.join(',')} (all by default)`)
    .option('--from <t>', 'with --narrate: where the window starts, a time such as 20ms (default 0)')
    .option('--events <n>', `with --narrate: how many events to tell (default ${DEFAULT_NARRATED_EVENTS})`);
}

/** A narrator to attach when the run's world is built, or undefined without --narrate. */
export function narration(opts: NarrateOptions): { attach(w: World): void; text(): string } | undefined {
  if (!opts.narrate) {
    if (opts.from !== undefined || opts.events !== undefined) throw new ScenarioError({ file: COMMAND_LINE, keyPath: opts.from !== undefined ? '--from' : '--events', problem: 'works with --narrate' });
    return undefined;
  }
  const from = opts.from === undefined ? { ok: true as const, value: 0 } : parseDuration(opts.from);
  if (!from.ok) throw new ScenarioError({ file: COMMAND_LINE, keyPath: '--from', problem: from.message });
  const events = opts.events === undefined ? DEFAULT_NARRATED_EVENTS : positiveInt('--events', opts.events);
  const topics = typeof opts.narrate === 'string' ? parseTopics(opts.narrate) : undefined;
  let n: Narrator | undefined;
  return {
    attach: (w) => (n = Narrator.attach(w, { fromNs: from.value, events, topics })),
    text: () => n?.render(Math.min(110, process.stdout.columns ?? 100)) ?? '',
  };
}

function parseTopics(list: string): Set<Topic> {
  const topics = list.split(',').map((t) => t.trim()).filter(Boolean);
  const bad = topics.find((t) => !(TOPICS as readonly string[]).includes(t));
  if (bad !== undefined) throw new ScenarioError({ file: COMMAND_LINE, keyPath: '--narrate', problem: `unknown topic ${bad}; topics are ${TOPICS.join(', ')}` });
  return new Set(topics as Topic[]);
}

/** The lesson's figures table, when `path` is a lesson's scenario in scenarios/. */
export function lessonFigures(path: string, scenario: Scenario, outcome: RunOutcome): string | undefined {
  if (resolve(dirname(path)) !== resolve(SCENARIOS_DIR)) return undefined;
  const spec = lessonSpec(basename(path).replace(/\.yaml$/, ''));
  if (!spec) return undefined;
  return renderFigures(spec, runLesson(spec, scenario, outcome), painter(process.stdout).bold);
}
