import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { startBrowserMode } from '../../src/service/studio-runtime.js';

export const SCREENSHOT_DIR = path.resolve('test-results', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Small, slow simulated cameras leave the two test cores to the servo buses and the control loop.
const SIM_CAMERAS = { width: 160, height: 120, fps: 10 };
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Waits for `selector`; if the UI shows an error notice first, fails with the notice's text, so
 * a failed service call explains the test failure.
 */
export async function waitForUi(page: Page, selector: string, timeout = 30_000): Promise<void> {
  const shown = page.waitForSelector(selector, { timeout }).then(() => null);
  const failed = page
    .waitForSelector('.notice.error', { timeout })
    .then(async (notice) => (await notice?.textContent()) ?? 'error notice');
  const error = await Promise.race([shown, failed.catch(() => new Promise<never>(() => undefined))]);
  if (error !== null) throw new Error(`the UI reported an error while waiting for ${selector}: ${error}`);
}

export interface StudioHarness {
  page: Page;
  /** Console errors and uncaught page errors seen so far; any one fails the test. */
  consoleErrors: string[];
  url: string;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts browser mode with the real service on the simulated rig and a temporary episode
 * database, then opens the UI in Debian's Chromium (headless) and waits for its ready signal.
 */
export async function startStudioHarness(): Promise<StudioHarness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rdvla-e2e-'));
  const studio = await startBrowserMode({ dbPath: path.join(dir, 'episodes.db'), rig: { sim: true }, host: '127.0.0.1', port: 0, exportDir: path.join(dir, 'exports'), simOptions: { cameras: SIM_CAMERAS } });
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));

    await page.goto(studio.server.url);
    await page.waitForSelector('body[data-ready="true"]');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });

    const opened = browser;
    return {
      page,
      consoleErrors,
      url: studio.server.url,
      screenshot: async (name) => {
        await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
      },
      async close() {
        await opened.close();
        await studio.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close();
    await studio.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
