/**
 * Chromium for the browser e2e tests: where it is, whether the run may skip without it, and how
 * to launch it (Debian's `/usr/bin/chromium` driven by playwright-core, which downloads nothing).
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium, as `.ci/run` installs it (override with `WSE_CHROMIUM`). */
export const CHROMIUM_PATH = process.env.WSE_CHROMIUM ?? '/usr/bin/chromium';

/** Launch flags for a headless chromium in a container (TOOLCHAIN.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Whether the browser tests can run. Without chromium they are skipped with a clear line on
 * stdout — except under `CI=true`, where a missing browser must fail the run, so they run (and
 * fail at launch, naming the path).
 *
 * @example
 * ```ts
 * describe.skipIf(!browserAvailable())('playground', () => { ... });
 * ```
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === 'true') return true;
  console.log(`SKIPPED: chromium not found at ${CHROMIUM_PATH}`);
  return false;
}

/**
 * Launches headless chromium. Playwright gives each launch a fresh temporary `--user-data-dir`
 * and removes it on close; each `browser.newContext()` is a further isolated profile (own
 * IndexedDB, localStorage), which the tests use as separate users.
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * const page = await (await browser.newContext()).newPage();
 * ```
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `chromium not found at ${CHROMIUM_PATH} (CI=true: a missing browser is a failure; apt-get install -y chromium)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}
