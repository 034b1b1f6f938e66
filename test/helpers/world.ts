// Worlds for integration tests: a scenario from a YAML string, run to its end.
import { parseScenario } from '../../lab/scenario/index';
import { runScenario, type RunOutcome } from '../../lab/run/runner';
import type { Scenario } from '../../lab/scenario/types';

export function scenarioFrom(yaml: string, file = 'test.yaml'): Scenario {
  const r = parseScenario(yaml, file);
  if (!r.ok) throw new Error(r.error.message);
  return r.scenario;
}

export function run(yaml: string): RunOutcome {
  return runScenario(scenarioFrom(yaml));
}

export function domainReport(o: RunOutcome, name: string) {
  const d = o.report.domains.find((x) => x.name === name);
  if (!d) throw new Error(`no domain ${name} in the report`);
  return d;
}
