// Running a lesson the way `pvlab run <name>` does: the scenario file from scenarios/, every
// variant, and the figures; and narrating a window of one run.
import { join } from 'node:path';
import { loadScenarioFile } from '../../lab/scenario/index';
import { runScenario } from '../../lab/run/runner';
import { figure, runLesson, type LessonResult } from '../../lab/lessons/lesson';
import { lessonSpec } from '../../lab/lessons/registry';
import { SCENARIOS_DIR } from '../../lab/lessons/catalog';
import { Narrator, type NarrateOptions } from '../../lab/narrate/narrator';

export function scenarioOf(name: string) {
  return loadScenarioFile(join(SCENARIOS_DIR, `${name}.yaml`));
}

export interface RanLesson extends LessonResult {
  /** The value of one figure by id. */
  f(id: string): number;
}

export function lesson(name: string): RanLesson {
  const spec = lessonSpec(name);
  if (!spec) throw new Error(`no lesson ${name}`);
  const r = runLesson(spec, scenarioOf(name));
  console.log(`${name}: ${r.figures.map((x) => `${x.id}=${x.value}`).join(', ')}`);
  return { ...r, f: (id) => figure(r.figures, id) };
}

/** The told lines of a window of the scenario's run. */
export function narrate(name: string, opts: Partial<NarrateOptions> & { fromNs: number }): string[] {
  let n: Narrator | undefined;
  runScenario(scenarioOf(name), { onWorld: (w) => (n = Narrator.attach(w, { events: 40, ...opts })) });
  return n!.lines.map((l) => l.text);
}
