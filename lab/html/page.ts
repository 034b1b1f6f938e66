// One report page as one self-contained HTML file: the styles, Apache ECharts' own minified
// build (read from node_modules and inlined, with its licence header), the page's data as JSON
// and the script that draws it (client.js). It fetches nothing, so it opens offline, from a
// mail attachment or a CI artefact. Tables are rendered here; charts are drawn in the browser.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PageChart, PageModel, PageSection, PageTable } from './model';

const require = createRequire(import.meta.url);

/** ECharts' full minified build (the custom series the timeline needs is not in the smaller ones). */
export function echartsSource(): string {
  return readFileSync(join(dirname(require.resolve('echarts')), 'echarts.min.js'), 'utf8');
}

function clientSource(): string {
  return readFileSync(new URL('./client.js', import.meta.url), 'utf8');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that can sit inside a <script> element: no `</script>`, no HTML comment openers. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Code inlined in a <script> element: a `</script` inside it would end the element. */
function scriptCode(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1');
}

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 16px 24px 48px; color: #1d2430; }
h1 { font-size: 22px; margin: 8px 0 2px; } h2 { font-size: 18px; margin: 28px 0 6px; border-bottom: 1px solid #dde2ea; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 2px; } .sub { color: #5a6577; margin: 0 0 12px; } .note { color: #5a6577; font-size: 12px; margin: 0 0 4px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e6e9ef; text-align: left; white-space: nowrap; } th { background: #f3f5f8; }
td.num { text-align: right; } .chart { width: 100%; min-height: 120px; } footer { margin-top: 32px; color: #5a6577; font-size: 12px; }
`;

function table(t: PageTable): string {
  const numeric = new Set(t.numeric ?? []);
  const head = t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.has(i) ? ' class="num"' : ''}>${escapeHtml(String(c))}</td>`).join('')}</tr>`);
  return `<h3>${escapeHtml(t.title)}</h3>\n<table><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function chartBox(c: PageChart): string {
  const note = c.note ? `<p class="note">${escapeHtml(c.note)}</p>` : '';
  return `<h3>${escapeHtml(c.title)}</h3>${note}\n<div class="chart" id="${escapeHtml(c.id)}" style="height:${c.height}px"></div>`;
}

function section(s: PageSection): string {
  const parts = [`<section><h2>${escapeHtml(s.title)}</h2>`];
  if (s.text) parts.push(`<p>${escapeHtml(s.text)}</p>`);
  for (const t of s.tables ?? []) parts.push(table(t));
  for (const c of s.charts ?? []) parts.push(chartBox(c));
  parts.push('</section>');
  return parts.join('\n');
}

/** Every chart of the page, in page order. */
export function pageCharts(m: PageModel): PageChart[] {
  return m.sections.flatMap((s) => s.charts ?? []);
}

export function renderPage(m: PageModel): string {
  const charts = pageCharts(m);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pvlab">
<title>${escapeHtml(m.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(m.title)}</h1><p class="sub">${escapeHtml(m.subtitle)}</p></header>
${m.sections.map(section).join('\n')}
<footer>${m.footer.map((f) => `<p>${escapeHtml(f)}</p>`).join('')}</footer>
<script>${scriptCode(echartsSource())}</script>
<script type="application/json" id="pvlab-data">${scriptJson({ charts })}</script>
<script>${scriptCode(clientSource())}</script>
</body>
</html>
`;
}

export function writePage(path: string, m: PageModel): void {
  writeFileSync(path, renderPage(m));
}
