// Driving Debian's Chromium with playwright-core for the report-page tests. Playwright's own
// browser builds cannot be downloaded here, so the browser is /usr/bin/chromium (installed by
// .ci/install-chromium.sh), or $PVLAB_CHROMIUM. Each launch gets a fresh profile folder, runs
// headless with networking extras off, and is closed by the caller.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.PVLAB_CHROMIUM ?? '/usr/bin/chromium';

export const haveChromium = (): boolean => existsSync(CHROMIUM);

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh --user-data-dir, removed again on close. */
export async function launch(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'pvlab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
