// Runs a scenario to its end and returns the report. Timeline events (xl commands at
// simulated times) are applied as engine events, so they interleave deterministically.
import type { Scenario } from '../scenario/types';
import { buildReport, type RunReport } from './report';
import { buildWorld, type World } from './world';

export interface RunOutcome {
  world: World;
  report: RunReport;
}

export interface RunHooks {
  /** Called after the world is built and before time starts: subscribe to traces here. */
  onWorld?: (w: World) => void;
}

export function runScenario(scenario: Scenario, hooks: RunHooks = {}): RunOutcome {
  const world = buildWorld(scenario);
  hooks.onWorld?.(world);
  world.engine.run(scenario.duration);
  return { world, report: buildReport(world) };
}
