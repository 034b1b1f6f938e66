// The figures table printed after `pvlab run <lesson>`: the numbers the lesson text points at,
// and which variants of the scenario were run to get them.
import type { Figure, LessonResult, LessonSpec } from './lesson';

export function renderFigures(spec: LessonSpec, result: LessonResult, bold: (s: string) => string = (s) => s): string {
  const width = Math.max(...result.figures.map((f) => f.label.length));
  const out = [bold(`Lesson ${spec.number}: the figures to look at (pvlab explain ${spec.name} says why)`)];
  for (const f of result.figures) out.push(`  ${f.label.padEnd(width)}  ${formatValue(f)}`);
  const variants = Object.entries(spec.variants ?? {});
  if (variants.length > 0) {
    out.push('', '  besides the scenario as written, these variants of it were run:');
    for (const [name, v] of variants) out.push(`    ${name}: ${v.about}`);
  }
  return out.join('\n');
}

function formatValue(f: Figure): string {
  const v = Math.abs(f.value) >= 1000 ? Math.round(f.value).toLocaleString('en-US') : String(f.value);
  return `${v.padStart(10)} ${f.unit}`;
}
