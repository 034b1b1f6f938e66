// `pvlab compare --suite lmbench|macro [--platform P] [--modes ...] [--json]`: a benchmark suite
// under each mode, one row per benchmark (lab/suite.ts). Benchmark options given as key=value
// (mmu_batch=64, writable_pagetables=true) apply to every benchmark of the suite.
import { COMMAND_LINE, ScenarioError } from '../../scenario/index';
import { runSuite, SUITE_MODES, SUITES, type SuiteMode, type SuiteName } from '../../suite';
import { renderSuite } from '../suite-format';
import { printWall } from './common';

export interface SuiteOptions {
  suite?: string;
  modes?: string;
  platform?: string;
  seed?: string;
  json?: boolean;
  csv?: boolean;
}

function problem(keyPath: string, text: string): ScenarioError {
  return new ScenarioError({ file: COMMAND_LINE, keyPath, problem: text });
}

export function cmdSuite(opts: SuiteOptions, options: Record<string, string>): void {
  const suite = opts.suite as SuiteName;
  if (!Object.hasOwn(SUITES, suite)) throw problem('--suite', `unknown suite ${opts.suite}; suites are ${Object.keys(SUITES).join(', ')}`);
  if (opts.csv) throw problem('--csv', 'is not available with --suite (use --json)');
  const modes = opts.modes?.split(',').map((m) => m.trim()) as SuiteMode[] | undefined;
  const bad = modes?.find((m) => !SUITE_MODES.includes(m));
  if (bad !== undefined) throw problem('--modes', `unknown mode ${bad}; a suite's modes are ${SUITE_MODES.join(', ')}`);
  const seed = opts.seed === undefined ? undefined : Number(opts.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw problem('--seed', `must be a whole number (got ${opts.seed})`);
  const t0 = performance.now();
  const r = runSuite({ suite, platform: opts.platform, modes, seed, options });
  process.stdout.write((opts.json ? JSON.stringify(r, null, 2) : renderSuite(r)) + '\n');
  printWall(`${r.rows.length * r.modes.length} runs in ${((performance.now() - t0) / 1000).toFixed(2)} s wall`);
}
