/**
 * Headless Chromium from Debian's package (/usr/bin/chromium; `.ci/run` installs it), driven by
 * playwright-core: no browser download. A fresh profile per launch; every request the pages
 * make and every console error are recorded, so a test can assert the GUI stays on 127.0.0.1
 * and trips no CSP. `screenshots` writes PNGs of the GUI's main pages when a test failed.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from './turnpike.ts';

export const CHROMIUM = process.env.TURNPIKE_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** What this machine's closed network needs: no background connections, no first-run work. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser extends AsyncDisposable {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every URL requested by any page. */
  readonly requests: string[];
  /** Console errors and uncaught page errors. */
  readonly errors: string[];
}

export async function launchBrowser(viewport = { width: 1280, height: 860 }): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'turnpike-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport,
    timeout: 60_000,
  });
  context.setDefaultTimeout(15_000);
  const requests: string[] = [];
  const errors: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
  };
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  return {
    context,
    page,
    requests,
    errors,
    async [Symbol.asyncDispose]() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Where failure screenshots go: `TURNPIKE_SCREENSHOTS`, else test-results/admin-gui under the repo. */
export const SCREENSHOT_DIR = process.env.TURNPIKE_SCREENSHOTS ?? join(REPO_ROOT, 'test-results/admin-gui');

/** Screenshots of the page as it is, then of each path given, into SCREENSHOT_DIR. */
export async function screenshots(page: Page, base: string, paths: readonly string[]): Promise<string[]> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const written: string[] = [];
  const shoot = async (name: string) => {
    const file = join(SCREENSHOT_DIR, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true }).then(
      () => written.push(file),
      () => undefined,
    );
  };
  await shoot('at-failure');
  for (const path of paths) {
    await page.goto(`${base}${path}`).catch(() => undefined);
    await page.waitForSelector('main h1', { timeout: 5_000 }).catch(() => undefined);
    await shoot(path.replace(/^\//, '').replaceAll('/', '-') || 'home');
  }
  return written;
}
