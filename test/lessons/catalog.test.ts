// The lesson library itself: every scenario loads and has a lesson text with the parts a lesson
// needs, every lesson with figures names a scenario that exists, and the texts render for a
// terminal.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalog, findEntry } from '../../lab/lessons/catalog';
import { LESSONS } from '../../lab/lessons/registry';
import { renderMarkdown, ANSI, PLAIN } from '../../lab/lessons/markdown';
import { loadScenarioFile } from '../../lab/scenario/index';

const SECTIONS = ['What it demonstrates', 'Run it', 'What to look at', 'What you should see, and why', 'Questions', 'Try this'];

describe('the lesson library', () => {
  it('has at least 12 lessons with figures, covering the course from PV versus HVM to the hostile guest', () => {
    expect(LESSONS.length).toBeGreaterThanOrEqual(12);
    const numbers = new Set(LESSONS.map((l) => l.number));
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]) expect(numbers.has(n), `lesson ${n}`).toBe(true);
    for (const l of LESSONS) expect(findEntry(l.name)?.lesson, l.name).toBeDefined();
  });

  it('gives every scenario in scenarios/ a loadable file and a lesson text with every section and two or more questions', () => {
    const entries = catalog();
    expect(entries.length).toBeGreaterThanOrEqual(12);
    for (const e of entries) {
      const s = loadScenarioFile(e.yaml);
      expect(s.name, e.yaml).toBe(e.name);
      expect(e.lesson, `${e.name} has no lesson`).toBeDefined();
      const md = readFileSync(e.lesson!, 'utf8');
      expect(md, e.name).toMatch(/^# \S/);
      for (const section of SECTIONS) expect(md, `${e.name}: ${section}`).toContain(`## ${section}`);
      const questions = md.split('## Questions')[1]!.split('## ')[0]!;
      expect(questions.match(/^\d+\. /gm)?.length ?? 0, `${e.name}: questions`).toBeGreaterThanOrEqual(2);
      expect(md, `${e.name}: the run command`).toContain(`pvlab run ${e.name}`);
    }
  });

  it('lists lessons first in course order, each with its heading as its one line', () => {
    const entries = catalog();
    const numbered = entries.filter((e) => e.number !== undefined).map((e) => e.number!);
    expect(numbered).toEqual([...numbered].sort((a, b) => a - b));
    expect(entries.findIndex((e) => e.number === undefined)).toBeGreaterThanOrEqual(numbered.length);
    expect(entries[0]).toMatchObject({ name: 'pv-vs-hvm', number: 1, title: 'PV versus full virtualization on one disk workload' });
  });
});

describe('rendering Markdown for a terminal', () => {
  const md = `# Title here

Some *text* with \`code in it\` and **bold** words, long enough to be wrapped at the width we ask for.

- a bullet that is also long enough that it has to continue on a second line
  - a nested bullet
1. a numbered item

\`\`\`
pvlab run x --narrate
\`\`\`
`;

  it('wraps paragraphs and list items with hanging indents, underlines headings and keeps code verbatim', () => {
    const out = renderMarkdown(md, 40, PLAIN);
    console.log(out);
    const lines = out.split('\n');
    expect(lines.slice(0, 2)).toEqual(['Title here', '==========']);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(40);
    expect(out).toContain('Some text with code in it and bold');
    expect(out).toMatch(/\n {2}• a bullet that is also long enough\n {4}that/);
    expect(out).toMatch(/\n {5}• a nested bullet/);
    expect(out).toContain('  1. a numbered item');
    expect(out).toContain('    pvlab run x --narrate');
  });

  it('styles with ANSI only when asked, and wraps by visible width', () => {
    const out = renderMarkdown(md, 40, ANSI);
    expect(out).toContain('\u001b[36mcode\u001b[39m');
    // eslint-disable-next-line no-control-regex
    for (const l of out.split('\n')) expect(l.replace(/\u001b\[[0-9;]*m/g, '').length).toBeLessThanOrEqual(40);
    expect(renderMarkdown(md, 40, PLAIN)).not.toContain('\u001b');
  });
});
