// `pvlab virsh [--connect URI] [--at TIME] <scenario> <command...>`: runs the scenario (its
// timeline included) up to TIME — its end by default — and then one virsh command against the
// host as it stands, printing what virsh prints. The URI defaults to the host's own driver
// (xen:///system or qemu:///system); test:///default needs no scenario host. Like virsh, the
// exit status is 1 when the command fails; a bad scenario or option is 2, as everywhere.
import type { Command } from 'commander';
import { hostConnection } from '../../libvirt/connect';
import { virsh } from '../../libvirt/virsh';
import { buildWorld } from '../../run/world';
import { scheduleTimeline } from '../../run/timeline';
import { COMMAND_LINE, parseDuration, ScenarioError } from '../../scenario/index';
import { readFileSync } from 'node:fs';
import { loadInput } from './common';

interface VirshOptions {
  connect?: string;
  at?: string;
  seed?: string;
}

/** Exit status of a virsh command that failed. */
export const VIRSH_FAILED = 1;

function cmdVirsh(scenarioArg: string, words: string[], opts: VirshOptions): void {
  const scenario = loadInput(scenarioArg, { seed: opts.seed });
  const at = opts.at === undefined ? scenario.duration : atTime(opts.at);
  const world = buildWorld(scenario);
  scheduleTimeline(world);
  world.engine.run(at);
  const line = [...(opts.connect ? ['--connect', opts.connect] : []), ...words].map(quote).join(' ');
  const r = virsh({ connect: (uri) => hostConnection(world, uri), readFile: (p) => readFileSync(p, 'utf8') }, line);
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (!r.ok) process.exitCode = VIRSH_FAILED;
}

function atTime(text: string): number {
  const r = parseDuration(text);
  if (!r.ok) throw new ScenarioError({ file: COMMAND_LINE, keyPath: '--at', problem: r.message });
  return r.value;
}

/** Words back into one command line, quoted where the shell had quoted them. */
function quote(word: string): string {
  return /^[A-Za-z0-9_./:=,^@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function registerVirsh(program: Command): void {
  program
    .command('virsh')
    .description('run a scenario, then one virsh command against its host (list --all, dominfo web, schedinfo web, ...)')
    .argument('<scenario>', 'a scenario YAML file, the name of one in scenarios/, or an xl.cfg file')
    .argument('<command...>', 'the virsh command and its arguments')
    .option('-c, --connect <uri>', 'the libvirt URI (default: the host\'s own, xen:///system or qemu:///system)')
    .option('--at <time>', 'the simulated time to stop at before the command (default: the scenario\'s end)')
    .option('--seed <n>', 'override the scenario seed')
    .allowUnknownOption()
    .action(cmdVirsh);
}
