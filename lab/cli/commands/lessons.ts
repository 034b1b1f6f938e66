// The teaching commands: `pvlab scenarios` lists the scenarios a student can run, one line
// each (lessons first, in course order); `pvlab explain <name>` prints a lesson's text,
// rendered for the terminal. `pvlab run <name>` (./run) runs one and, for a lesson, prints the
// figures its text points at (./lesson-run).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { catalog, findEntry } from '../../lessons/catalog';
import { ANSI, PLAIN, renderMarkdown } from '../../lessons/markdown';
import { COMMAND_LINE, ScenarioError } from '../../scenario/index';
import { colorEnabled, painter } from '../color';

function cmdScenarios(): void {
  const entries = catalog();
  const width = Math.max(...entries.map((e) => e.name.length));
  const bold = painter(process.stdout).bold;
  const lines = entries.map((e) => `${e.number === undefined ? '   ' : String(e.number).padStart(3)}  ${bold(e.name.padEnd(width))}  ${e.title}`);
  process.stdout.write(`${lines.join('\n')}\n\npvlab explain <name> prints a lesson; pvlab run <name> runs it.\n`);
}

function cmdExplain(name: string): void {
  const e = findEntry(name);
  if (!e) throw new ScenarioError({ file: COMMAND_LINE, keyPath: name, problem: 'no such scenario in scenarios/ (pvlab scenarios lists them)' });
  if (!e.lesson) throw new ScenarioError({ file: COMMAND_LINE, keyPath: name, problem: `scenarios/${e.name}.yaml has no lesson text (${e.title})` });
  const width = Math.min(100, process.stdout.columns ?? 80);
  const style = colorEnabled(process.stdout) ? ANSI : PLAIN;
  process.stdout.write(renderMarkdown(readFileSync(e.lesson, 'utf8'), width, style) + '\n');
}

export function registerLessons(program: Command): void {
  program.command('scenarios').description('list the teaching scenarios, one line each').action(cmdScenarios);
  program
    .command('explain')
    .description('print the lesson of a teaching scenario: what it shows, what to look at, why')
    .argument('<name>', 'a scenario name, as pvlab scenarios lists them')
    .action(cmdExplain);
}
