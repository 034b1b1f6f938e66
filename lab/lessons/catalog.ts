// The catalogue of scenarios a student can pick from: every scenarios/<name>.yaml, with the
// lesson text next to it (scenarios/<name>.md) when there is one. The one-line description is
// the lesson's first heading, or else the first comment line of the YAML file. Lessons come
// first, in course order; other example scenarios follow by name.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lessonSpec } from './registry';

export const SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');

export interface CatalogEntry {
  readonly name: string;
  readonly yaml: string;
  /** The lesson text's path, when the scenario has one. */
  readonly lesson: string | undefined;
  /** The course number, for lessons with figures. */
  readonly number: number | undefined;
  readonly title: string;
}

export function catalog(dir = SCENARIOS_DIR): CatalogEntry[] {
  const names = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length));
  const entries = names.map((name) => entry(dir, name));
  const key = (e: CatalogEntry): number => e.number ?? Number.MAX_SAFE_INTEGER;
  return entries.sort((a, b) => key(a) - key(b) || a.name.localeCompare(b.name));
}

export function findEntry(name: string, dir = SCENARIOS_DIR): CatalogEntry | undefined {
  const bare = name.replace(/\.(yaml|md)$/, '');
  return existsSync(join(dir, `${bare}.yaml`)) ? entry(dir, bare) : undefined;
}

function entry(dir: string, name: string): CatalogEntry {
  const yaml = join(dir, `${name}.yaml`);
  const md = join(dir, `${name}.md`);
  const lesson = existsSync(md) ? md : undefined;
  const title = (lesson && headingOf(readFileSync(lesson, 'utf8'))) ?? commentOf(readFileSync(yaml, 'utf8')) ?? name;
  return { name, yaml, lesson, number: lessonSpec(name)?.number, title };
}

/** The text of the first `# ` heading. */
function headingOf(md: string): string | undefined {
  return /^#\s+(.+)$/m.exec(md)?.[1]?.trim();
}

/** The first sentence of the YAML file's leading comment. */
function commentOf(yaml: string): string | undefined {
  const first = /^#\s*(.+)$/m.exec(yaml)?.[1];
  return first?.split(/(?<=[.:])\s/)[0]?.replace(/[.:]$/, '').trim();
}
