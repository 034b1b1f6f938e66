// The report pages in a real browser: Debian's Chromium, driven by playwright-core, opens the
// HTML that `pvlab run --html` and `pvlab compare --html` write, from a file:// URL with no
// network, and checks that every chart rendered (an ECharts instance with a non-empty canvas
// for each chart box), that the console shows no error and nothing was fetched, then saves a
// full-page screenshot in out/. Under CI (CI set) a missing Chromium fails the test; elsewhere
// the test is skipped.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, haveChromium, launch, type Browser } from './browser';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const OUT = join(ROOT, 'out');
const dir = mkdtempSync(join(tmpdir(), 'pvlab-html-'));
const required = Boolean(process.env.CI);

function pvlab(...args: string[]): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'pvlab.js'), ...args], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pvlab ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

interface Seen {
  boxes: string[];
  charts: { id: string; finished: boolean; width: number; height: number; canvases: { w: number; h: number }[] }[];
  problems: string[];
}

/** Runs in the page (as text: the tests compile without the DOM's types). */
const PROBE = `(() => ({
  boxes: [...document.querySelectorAll('div.chart')].map((el) => el.id),
  charts: window.pvlabCharts.map((c) => ({
    id: c.id,
    finished: c.finished && !c.chart.isDisposed(),
    width: c.chart.getWidth(),
    height: c.chart.getHeight(),
    canvases: [...document.getElementById(c.id).querySelectorAll('canvas')].map((cv) => ({ w: cv.width, h: cv.height })),
  })),
}))()`;

async function open(browser: Browser, file: string, screenshot: string): Promise<Seen> {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`console ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => !r.url().startsWith('file:') && problems.push(`fetched ${r.url()}`));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-charts-rendered]', { timeout: 30_000 });
  const seen = await page.evaluate<Omit<Seen, 'problems'>>(PROBE);
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, screenshot), fullPage: true });
  await page.close();
  return { ...seen, problems };
}

function expectAllRendered(seen: Seen, expected: string[]): void {
  expect(seen.problems).toEqual([]);
  expect(seen.boxes).toEqual(expected);
  expect(seen.charts.map((c) => c.id)).toEqual(expected);
  for (const c of seen.charts) {
    expect(c.finished, c.id).toBe(true);
    expect(c.width, c.id).toBeGreaterThan(0);
    expect(c.height, c.id).toBeGreaterThan(0);
    expect(c.canvases.length, c.id).toBeGreaterThan(0);
    expect(c.canvases.every((cv) => cv.w > 0 && cv.h > 0), c.id).toBe(true);
  }
}

describe.skipIf(!haveChromium() && !required)('report pages in Chromium', () => {
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (haveChromium()) browser = await launch();
  });

  it('has Chromium to drive', () => {
    expect(haveChromium(), `${CHROMIUM} is missing: run .ci/install-chromium.sh`).toBe(true);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('draws every chart of a run report, with no console error and no fetch', async () => {
    const file = join(dir, 'run.html');
    pvlab('run', 'credit-weights', '--duration', '2s', '--html', file);
    expect(browser, 'no browser').toBeDefined();
    const seen = await open(browser!, file, 'report-run.png');
    expectAllRendered(seen, ['runstates', 'pcpu-time', 'latency', 'timeline', 'vmexits', 'hypercalls']);
    expect(statSync(join(OUT, 'report-run.png')).size).toBeGreaterThan(10_000);
  });

  it('draws every chart of a comparison, one pCPU timeline per mode', async () => {
    const file = join(dir, 'compare.html');
    pvlab('compare', '--modes', 'native,pv,hvm,tcg', '--duration', '100ms', '--html', file);
    expect(browser, 'no browser').toBeDefined();
    const seen = await open(browser!, file, 'report-compare.png');
    const timelines = ['native', 'pv', 'hvm', 'tcg'].map((m) => `timeline-${m}`);
    expectAllRendered(seen, ['relative', 'where-time-went', 'latency', 'vmexits', 'hypercalls', ...timelines]);
    expect(statSync(join(OUT, 'report-compare.png')).size).toBeGreaterThan(10_000);
  });
});
