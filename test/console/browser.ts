/**
 * Real-browser helpers for the web-console tests: Debian's chromium driven by puppeteer-core
 * (which never downloads a browser). A missing chromium fails the test with what to install; it
 * never skips. Screenshots go to test-results/console/<name>.png at the repository root.
 *
 * One browser per test file (launch in before(), close in after()); every wait is bounded.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/test/console -> repository root */
export const ROOT = path.resolve(here, '../../..');
export const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'console');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

export function chromiumPath(): string {
  const fromEnv = process.env.SAMSA_CHROMIUM;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`SAMSA_CHROMIUM=${fromEnv} does not exist`);
    return fromEnv;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`no chromium found (looked at ${CANDIDATES.join(', ')}): install it with \`apt-get install -y chromium\` (or scripts/install-test-deps.sh), or point SAMSA_CHROMIUM at a Chromium binary`);
  }
  return found;
}

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // --no-sandbox: the tests run as root in CI, where Chromium's sandbox refuses to start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
    timeout: 30_000,
  });
}

export interface ConsolePage {
  page: Page;
  /** Uncaught page errors and console.error messages seen so far (an XSS payload would show up here). */
  problems: string[];
  dialogs: string[];
}

/** A page on `url` (refresh 400 ms), collecting page errors and failed requests. */
export async function openConsole(browser: Browser, url: string): Promise<ConsolePage> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.location().url ?? '')) problems.push(`console.error: ${m.text()} (${m.location().url ?? ''})`);
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(`${url}?refresh=400#/brokers`, { waitUntil: 'domcontentloaded' });
  return { page, problems, dialogs };
}

/** Navigates the single-page console to `hash` (e.g. #/topics/orders) and waits for `selector`. */
export async function show(page: Page, hash: string, selector: string): Promise<void> {
  await page.evaluate((h) => {
    // Same hash: no hashchange would fire, so announce one (the view is rebuilt from scratch).
    if (location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = h;
  }, hash);
  await page.waitForSelector(selector, { timeout: 20_000 });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Fills an input/textarea (clearing it first). */
export async function type(page: Page, selector: string, text: string): Promise<void> {
  await page.$eval(selector, (el) => {
    (el as HTMLInputElement).value = '';
  });
  await page.type(selector, text);
}

/** Waits until `fn` evaluated in the page returns a truthy value; returns it. */
export async function waitInPage<T>(page: Page, fn: () => T, what: string, timeoutMs = 20_000): Promise<T> {
  try {
    const handle = await page.waitForFunction(fn, { timeout: timeoutMs, polling: 100 });
    return (await handle.jsonValue()) as T;
  } catch (err) {
    throw new Error(`timed out after ${timeoutMs} ms waiting in the page for ${what}: ${String(err)}`);
  }
}
