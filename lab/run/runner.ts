// Runs a scenario to its end and returns the report. Timeline events (xl commands at
// simulated times) are applied as engine events, so they interleave deterministically.
import type { Scenario } from '../scenario/types';
import { buildReport, type RunReport } from './report';
import { scheduleTimeline } from './timeline';
import { buildWorld, type World } from './world';

export interface RunOutcome {
  world: World;
  report: RunReport;
}

export interface RunHooks {
  /** Called after the world is built and before time starts: subscribe to traces here. */
  onWorld?: (w: World) => void;
  /** Called between slices of simulated time, when no event is running: the place for a
   *  progress bar to look at the wall clock, which the model never reads. It must not touch
   *  the model; the run is the same, event for event, with or without it. */
  onSlice?: (w: World) => void;
  /** How many slices the run is cut into when onSlice is given. */
  slices?: number;
}

/** Slices per run when a run is watched: often enough for a progress bar to move smoothly. */
export const DEFAULT_SLICES = 1000;

export function runScenario(scenario: Scenario, hooks: RunHooks = {}): RunOutcome {
  const world = buildWorld(scenario);
  scheduleTimeline(world);
  hooks.onWorld?.(world);
  const end = scenario.duration;
  if (!hooks.onSlice) world.engine.run(end);
  const slices = Math.max(1, Math.floor(hooks.slices ?? DEFAULT_SLICES));
  // engine.run(t) runs every event at or before t and leaves the clock at t; nothing runs
  // between two calls, so cutting the run into slices changes nothing the model sees.
  for (let k = 1; hooks.onSlice && k <= slices; k++) {
    world.engine.run(k === slices ? end : Math.floor((end * k) / slices));
    hooks.onSlice(world);
  }
  return { world, report: buildReport(world) };
}
