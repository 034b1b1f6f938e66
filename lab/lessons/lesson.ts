// A lesson: a scenario in scenarios/, the Markdown text that explains it, and the figures a
// student should look at after running it. Some lessons compare the scenario with a variant of
// itself (the same host under round robin, the same guest with its disk grant-copied): each
// variant is a named change of the loaded scenario, run like the scenario itself. The figures
// are computed from the real runs, so the lesson's tested claims (test/lessons) are claims
// about exactly what `pvlab run <lesson>` shows.
import type { Scenario } from '../scenario/types';
import { runScenario, type RunOutcome } from '../run/runner';
import type { DomainReport } from '../run/report';

/** One number a lesson points at. `id` is stable for tests; `label` is what a student reads. */
export interface Figure {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
}

/** The runs of a lesson: `base` is the scenario as written, the rest its variants by name. */
export type Runs = { readonly base: RunOutcome } & Readonly<Record<string, RunOutcome>>;

export interface LessonSpec {
  /** The scenario's file name in scenarios/, without .yaml. */
  readonly name: string;
  /** Its place in the course (REFERENCE §12 and issue 8's list). */
  readonly number: number;
  /** Variants run besides the scenario, each described in a few words for the table. */
  readonly variants?: Readonly<Record<string, { readonly about: string; readonly change: (s: Scenario) => Scenario }>>;
  readonly figures: (runs: Runs) => Figure[];
}

export interface LessonResult {
  readonly runs: Runs;
  readonly figures: Figure[];
}

/** Runs the scenario (already loaded, overrides applied) and every variant, then the figures. */
export function runLesson(spec: LessonSpec, scenario: Scenario, base?: RunOutcome): LessonResult {
  const runs: Record<string, RunOutcome> = { base: base ?? runScenario(scenario) };
  for (const [name, v] of Object.entries(spec.variants ?? {})) runs[name] = runScenario(v.change(scenario));
  const all = runs as Runs;
  return { runs: all, figures: spec.figures(all) };
}

/** The value of figure `id`; throws if the lesson has no such figure (a bug in a test or lesson). */
export function figure(figures: readonly Figure[], id: string): number {
  const f = figures.find((x) => x.id === id);
  if (!f) throw new Error(`no figure ${id}; figures are ${figures.map((x) => x.id).join(', ')}`);
  return f.value;
}

// ---- helpers the lesson definitions share ----

/** A domain of a run's report by name. */
export function dom(o: RunOutcome, name: string): DomainReport {
  const d = o.report.domains.find((x) => x.name === name);
  if (!d) throw new Error(`no domain ${name} in ${o.report.scenario}`);
  return d;
}

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** x / n, or 0 when nothing happened. */
export const per = (x: number, n: number): number => (n > 0 ? x / n : 0);

/** The I/Os a guest completed (its first disk as its frontend or workload saw it). */
export const ios = (d: DomainReport): number => d.devices[0]?.ops ?? 0;

/** A figure, rounded for reading: 3 significant digits. */
export function fig(id: string, label: string, value: number, unit: string): Figure {
  return { id, label, value: round3(value), unit };
}

function round3(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A copy of the scenario with one domain changed. */
export function withDomain(s: Scenario, name: string, change: (d: Scenario['domains'][number]) => Scenario['domains'][number]): Scenario {
  return { ...s, domains: s.domains.map((d) => (d.name === name ? change({ ...d }) : d)) };
}
