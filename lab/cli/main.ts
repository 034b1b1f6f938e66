// The `pvlab` command line. Each command lives in ./commands (run, compare, sweep); this file
// builds the program and turns outcomes into exit statuses, as DESIGN.md says: 0 success, 1 a
// failed run (pvlab itself failed: a bug, a worker that died, a file that could not be
// written), 2 bad input (a bad scenario or config file, option or value; usage errors).
// Reports go to stdout; wall-clock figures (time taken, events per second), warnings and the
// progress bar go to stderr, so stdout is a pure function of the input. Colour only on a
// terminal, never with NO_COLOR (./color).
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ScenarioError } from '../scenario/index';
import { colorEnabled, painter } from './color';
import { registerCompare } from './commands/compare';
import { registerLessons } from './commands/lessons';
import { registerRun } from './commands/run';
import { registerSweep } from './commands/sweep';
import { registerVirsh } from './commands/virsh';

export { resolveScenarioPath, SCENARIO_DIR } from './commands/common';

/** The version in package.json. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('pvlab')
    .description('A laboratory for virtualization: a deterministic Xen-style hypervisor simulator')
    .version(version(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for pvlab or a command')
    .showHelpAfterError('(pvlab --help lists the commands; pvlab <command> --help their options)')
    .configureOutput({
      getOutHasColors: () => colorEnabled(process.stdout),
      getErrHasColors: () => colorEnabled(process.stderr),
    })
    .configureHelp({
      styleTitle: (s) => painter(process.stdout).bold(s),
      styleCommandText: (s) => painter(process.stdout).cyan(s),
      styleSubcommandText: (s) => painter(process.stdout).cyan(s),
    })
    .exitOverride();
  registerRun(program);
  registerCompare(program);
  registerSweep(program);
  registerVirsh(program);
  registerLessons(program);
  return program;
}

/** Runs the command line; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    buildProgram().outputHelp({ error: true });
    return 2;
  }
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    // A command that failed without throwing (virsh's error) has set the status itself.
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    return exitStatus(e);
  }
}

function exitStatus(e: unknown): number {
  const p = painter(process.stderr);
  if (e instanceof ScenarioError) {
    process.stderr.write(`${p.red('pvlab:')} ${e.message}\n`);
    return 2;
  }
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
  // A system error (a full disk, a file that cannot be written) says enough; a bug needs its stack.
  const system = e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
  const what = e instanceof Error ? (system ? e.message : (e.stack ?? e.message)) : String(e);
  process.stderr.write(`${p.red('pvlab: failed:')} ${what}\n`);
  return 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
