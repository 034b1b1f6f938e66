// One point of a sweep, the same in the main thread and in a worker thread: the scenario file
// read afresh, the point's `--set` values and the command line's overrides applied, the run,
// its report. A point is a pure function of this task, so where it runs changes nothing.
import { applyOverrides, loadScenario, parseSetting, type Scenario } from '../scenario/index';
import { runScenario } from '../run/runner';
import type { RunReport } from '../run/report';

export interface PointTask {
  /** The scenario file, as a path the worker can open. */
  file: string;
  /** `key=value`, one per axis. */
  settings: string[];
  seed?: string;
  duration?: string;
}

/** The point's scenario; throws ScenarioError naming the key of a bad value. */
export function loadPoint(task: PointTask): Scenario {
  const settings = task.settings.map((s) => parseSetting(s));
  const { scenario } = loadScenario(task.file, { settings });
  return applyOverrides(scenario, { seed: task.seed, duration: task.duration });
}

export function runPoint(task: PointTask): RunReport {
  return runScenario(loadPoint(task)).report;
}
