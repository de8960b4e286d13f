/**
 * Headless Chromium for the hosted payment page tests: one browser per test
 * file (the system's Debian Chromium, never a downloaded one), screenshots of
 * every page state, a stand-in merchant site for the callback URLs, and a
 * recorder of what the page requested and complained about.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { type Browser, type BrowserContext, type BrowserContextOptions, type Page, chromium } from 'playwright-core';
import { type TestApp, type TestMerchant, startTestApp } from './harness.js';
import { WAIT_LIMIT_MS } from './wait.js';

export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 900 } as const;

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Launches Chromium before the file's first test and closes it after the last; call at the top level of a test file. */
export function useBrowser(): { browser(): Browser; newPage(options?: BrowserContextOptions): Promise<{ context: BrowserContext; page: Page }> } {
  let instance: Browser | null = null;
  let launchError: Error | null = null;
  const contexts: BrowserContext[] = [];
  before(async () => {
    // A failed launch fails each test, not this hook: a failing hook would skip the file's other `after` hooks and leave its server running.
    try {
      instance = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    } catch (error) {
      launchError = error instanceof Error ? error : new Error(String(error));
    }
  });
  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await instance?.close();
  });
  const browser = (): Browser => {
    if (launchError) throw launchError;
    if (!instance) throw new Error('the browser is not running (useBrowser() must be called at the top level of the test file)');
    return instance;
  };
  return {
    browser,
    /** A fresh context (no shared cookies) at phone size unless told otherwise. */
    async newPage(options: BrowserContextOptions = {}) {
      const context = await browser().newContext({ viewport: PHONE, locale: 'en-US', ...options });
      contexts.push(context);
      // A guard against a hang, not a speed expectation (see wait.ts).
      context.setDefaultTimeout(WAIT_LIMIT_MS);
      return { context, page: await context.newPage() };
    },
  };
}

const SCREENSHOT_DIR = fileURLToPath(new URL('../../../test-artifacts/screenshots/', import.meta.url));

/**
 * Writes `test-artifacts/screenshots/<name>-phone.png` (or `-desktop`, by the
 * page's current width); with `desktop: true` also the desktop-width version,
 * then puts the viewport back.
 */
export async function screenshot(page: Page, name: string, options: { desktop?: boolean } = {}): Promise<string[]> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const safe = name.replace(/[^a-z0-9-]+/gi, '-');
  const current = page.viewportSize() ?? PHONE;
  const label = (width: number) => (width >= DESKTOP.width ? 'desktop' : width <= PHONE.width ? 'phone' : `${width}px`);
  const shoot = async (width: number) => {
    const path = `${SCREENSHOT_DIR}${safe}-${label(width)}.png`;
    await page.screenshot({ path, fullPage: true });
    return path;
  };
  const written = [await shoot(current.width)];
  if (options.desktop && current.width < DESKTOP.width) {
    await page.setViewportSize(DESKTOP);
    written.push(await shoot(DESKTOP.width));
    await page.setViewportSize(current);
  }
  return written;
}

export interface CallbackHit {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly url: string;
}

/** The merchant's site: answers the success / fail callbacks with a small page and records each hit. */
export interface CallbackServer {
  readonly url: string;
  readonly origin: string;
  readonly hits: CallbackHit[];
  close(): Promise<void>;
}

export async function startCallbackServer(): Promise<CallbackServer> {
  const hits: CallbackHit[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/favicon.ico') hits.push({ path: url.pathname, query: url.searchParams, url: url.toString() });
    const title = url.pathname.startsWith('/ok') ? 'Thank you for your order' : 'Payment failed';
    response.writeHead(url.pathname === '/favicon.ico' ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(
      `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body><h1 data-merchant>${title}</h1><pre>${[
        ...url.searchParams,
      ]
        .map(([k, v]) => `${k}=${v}`)
        .join('\n')
        .replace(/[<>&]/g, '')}</pre></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    origin: base,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a page did: every request URL, console messages, uncaught errors. */
export interface PageWatch {
  readonly requests: string[];
  readonly console: { type: string; text: string; url: string }[];
  readonly errors: string[];
  /** Request URLs whose origin is none of the allowed ones (data: and about: URLs are not network requests). */
  foreignRequests(allowedOrigins: readonly string[]): string[];
  /** Console messages that report a Content-Security-Policy violation. */
  cspViolations(): string[];
}

export function watchPage(page: Page): PageWatch {
  const requests: string[] = [];
  const consoleMessages: { type: string; text: string; url: string }[] = [];
  const errors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => consoleMessages.push({ type: message.type(), text: message.text(), url: message.location().url }));
  page.on('pageerror', (error) => errors.push(String(error)));
  return {
    requests,
    console: consoleMessages,
    errors,
    foreignRequests: (allowed) => requests.filter((url) => !/^(data|about|blob):/.test(url) && !allowed.includes(new URL(url).origin)),
    cspViolations: () => consoleMessages.filter((m) => /content security policy|Content-Security-Policy|Refused to/i.test(m.text)).map((m) => m.text),
  };
}

/** The merchant API call that creates a hosted-page charge; answers the landing URL. */
export async function createChopCharge(baseUrl: string, apiKey: string, fields: Record<string, string>): Promise<{ url: string; id: string }> {
  const response = await fetch(`${baseUrl}/chop/chop`, {
    method: 'POST',
    headers: { authorization: apiKey, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST /chop/chop answered ${response.status}: ${text}`);
  const body = JSON.parse(text) as { result: string; url: string };
  if (body.result !== 'success') throw new Error(`POST /chop/chop failed: ${text}`);
  const id = new URL(body.url).searchParams.get('q');
  if (!id) throw new Error(`landing URL without q: ${body.url}`);
  return { url: body.url, id };
}

/** The server, a merchant with every CHOP method, and the merchant's callback site, for one test file. */
export interface CheckoutFixture {
  readonly app: TestApp;
  readonly callbacks: CallbackServer;
  readonly merchant: TestMerchant;
  /** Creates a charge with the callback URLs pointing at `callbacks` (unless `callbacks: false`). */
  charge(fields: Record<string, string>, options?: { callbacks?: boolean }): Promise<{ url: string; id: string }>;
}

export const CHOP_METHODS = ['alipay', 'wechatpay', 'cc', 'upop', 'alipay_hk', 'dana', 'gcash', 'jkopay', 'kakaopay'] as const;

export function useCheckoutApp(env: Record<string, string> = {}): () => CheckoutFixture {
  let fixture: CheckoutFixture | null = null;
  let counter = 0;
  before(async () => {
    const app = await startTestApp('sqlite', env);
    const callbacks = await startCallbackServer();
    const merchant = await app.merchant([...CHOP_METHODS]);
    fixture = {
      app,
      callbacks,
      merchant,
      charge(fields, options = {}) {
        counter += 1;
        return createChopCharge(app.url, counter % 2 === 0 ? `Bearer ${merchant.apiKey}` : merchant.apiKey, {
          reference: `web-${process.pid}-${Date.now().toString(36)}-${counter}`,
          ...(options.callbacks === false ? {} : { callback_url_success: `${callbacks.url}/ok`, callback_url_fail: `${callbacks.url}/fail` }),
          ...fields,
        });
      },
    };
  });
  after(async () => {
    await fixture?.callbacks.close();
    await fixture?.app.close();
  });
  return () => {
    if (!fixture) throw new Error('useCheckoutApp() must be called at the top level of the test file');
    return fixture;
  };
}

/** Waits until the browser shows the merchant's `/ok` or `/fail` page; answers the callback's query. */
export async function reachCallback(page: Page, callbacks: CallbackServer, outcome: 'ok' | 'fail', timeout = 15_000): Promise<URLSearchParams> {
  await page.waitForURL((url) => url.origin === callbacks.origin && (url.pathname === '/ok' || url.pathname === '/fail'), { timeout });
  const url = new URL(page.url());
  if (url.pathname !== `/${outcome}`) throw new Error(`expected the ${outcome} callback, the browser is at ${url.pathname}?${url.search}`);
  return url.searchParams;
}

/** Nothing from other origins (no CDN, fonts or analytics), no script errors, no CSP violations. */
export function assertOnlyOwnRequests(watch: PageWatch, allowedOrigins: readonly string[]): void {
  assert.deepEqual(watch.foreignRequests(allowedOrigins), [], 'nothing from other origins');
  assert.deepEqual(watch.errors, [], 'no uncaught script errors');
  assert.deepEqual(watch.cspViolations(), [], 'no Content-Security-Policy violations');
}

/** The page is no wider than the window at its current size. */
export async function assertNoHorizontalScroll(page: Page): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  assert.ok(scrollWidth <= innerWidth, `the page is ${scrollWidth}px wide in a ${innerWidth}px window`);
}
