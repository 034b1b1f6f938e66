// The scenario module's public face: load a scenario file into a typed Scenario, apply
// command-line overrides, and the pieces others reuse (units, xl spec parsers, schema parts).

export { loadScenarioFile, parseScenario, type ParseResult } from './load';
export { applyOverrides, COMMAND_LINE, type Overrides } from './overrides';
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
