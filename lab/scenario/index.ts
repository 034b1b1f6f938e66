// The scenario module's public face: load a scenario file into a typed Scenario, apply
// command-line overrides, and the pieces others reuse (units, xl spec parsers, schema parts).
// Domains may be read from xl.cfg files (`config:`); see lab/config for running a .cfg alone.

export {
  loadScenario, loadScenarioFile, parseScenario, validateScenario,
  type LoadedScenario, type ParseOptions, type ParseResult, type Validated,
} from './load';
export type { ReadFile } from './configs';
export { firstError, type Issue, type Placement, type Placer } from './issues';
export { applyOverrides, COMMAND_LINE, type Overrides } from './overrides';
export { applySettings, parseKeyPath, parseSetting, parseValue, settingsRedirect, type Setting } from './settings';
export { ScenarioError, formatKeyPath, type ScenarioErrorInit, type PathSegment } from './errors';
export * from './types';
export { parseDiskSpec, parseVifSpec } from './xlspec';
export { parseCpuList, selectCpus, type CpuTerm } from './cpulist';
export {
  formatDuration, formatSize, parseDuration, parseMemoryMiB, parseSize,
  NS, US, MS, SECOND, KiB, MiB, GiB, type Parsed,
} from './units';
export {
  cpuBurnWorkload, cpuPeriodicWorkload, fioWorkload, idleWorkload, FIO_MODES,
  workloadSchema, workloadVariants, type WorkloadKind, type WorkloadSpec,
} from './workload';
