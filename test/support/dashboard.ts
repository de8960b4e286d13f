/**
 * The dashboard's test fixture: a server, two merchants with an owner each,
 * a read-only staff user and an operator; signing in through the real form
 * in Chromium, or over plain HTTP with a cookie jar for non-browser tests.
 */
import { after, before } from 'node:test';
import type { Page } from 'playwright-core';
import { createUser } from '../../src/dashboard/accounts.js';
import { paymentMethodCodes } from '../../src/chop/methods.js';
import { gatewayCodes } from '../../src/providers/registry.js';
import type { DbKind } from './databases.js';
import { type TestApp, type TestMerchant, startTestApp } from './harness.js';
import { call, saleBody, uniqueId, waitFinal } from './client.js';

export const PASSWORD = 'correct horse battery staple';

export interface DashUser {
  readonly email: string;
  readonly password: string;
}

export interface DashboardFixture {
  readonly app: TestApp;
  readonly url: string;
  /** Merchant A (every POS gateway and CHOP method) and its users. */
  readonly merchant: TestMerchant;
  readonly owner: DashUser;
  readonly staff: DashUser;
  /** Merchant B, to prove A's users cannot see its data. */
  readonly other: TestMerchant;
  readonly otherOwner: DashUser;
  readonly operator: DashUser;
}

/** Starts the fixture before the file's first test; call at the top level of a test file. */
export function useDashboardApp(kind: DbKind = 'sqlite', env: Record<string, string> = {}): () => DashboardFixture {
  let fixture: DashboardFixture | null = null;
  before(async () => {
    const app = await startTestApp(kind, env);
    const db = app.app.deps.store.db;
    const all = [...gatewayCodes(), ...paymentMethodCodes()];
    const merchant = await app.merchant(all);
    const other = await app.merchant(all);
    const tag = `${process.pid}-${Date.now().toString(36)}`;
    const user = async (role: 'owner' | 'staff' | 'operator', merchantId: string | null, name: string): Promise<DashUser> => {
      const email = `${name}-${tag}@example.test`;
      await createUser(db, { email, password: PASSWORD, role, merchantId, now: Date.now() });
      return { email, password: PASSWORD };
    };
    // Side by side: each password hash takes a fraction of a second of its own thread.
    const [owner, staff, otherOwner, operator] = await Promise.all([
      user('owner', merchant.id, 'owner'),
      user('staff', merchant.id, 'staff'),
      user('owner', other.id, 'other-owner'),
      user('operator', null, 'operator'),
    ]);
    fixture = { app, url: app.url, merchant, other, owner, staff, otherOwner, operator };
  });
  after(async () => {
    await fixture?.app.close();
  });
  return () => {
    if (!fixture) throw new Error('useDashboardApp() must be called at the top level of the test file');
    return fixture;
  };
}

/** Signs in through the form; lands on `next` (default the overview). */
export async function signIn(page: Page, baseUrl: string, user: DashUser, next?: string): Promise<void> {
  await page.goto(`${baseUrl}/dashboard/sign-in${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.getByLabel(/e-mail|电子邮箱/i).fill(user.email);
  await page.getByLabel(/^password|密码/i).fill(user.password);
  await Promise.all([page.waitForURL((url) => !url.pathname.endsWith('/sign-in')), page.getByRole('button', { name: /sign in|登录/i }).click()]);
}

/** A POS sale of merchant A through the API, waited until final; answers its client id, CanCan ref and state. */
export async function posSale(
  fx: DashboardFixture,
  amount = 1000,
  overrides: Record<string, unknown> = {},
  id = uniqueId('dash'),
): Promise<{ id: string; ref: string; state: string }> {
  const created = await call(fx.url, 'POST', '/api/v2/transactions', { key: fx.merchant.apiKey, body: saleBody(id, amount, overrides) });
  if (created.status !== 201) throw new Error(`sale answered ${created.status}: ${created.text}`);
  const final = await waitFinal(fx.url, fx.merchant.apiKey, id);
  const row = await fx.app.app.deps.store.db
    .selectFrom('transactions')
    .select('ref')
    .where('merchant_id', '=', fx.merchant.id)
    .where('client_id', '=', id)
    .executeTakeFirstOrThrow();
  return { id, ref: row.ref, state: String(final.body?.data?.attributes?.state) };
}

/** Plain-HTTP session for tests that need no browser: keeps the cookies, reads the CSRF token from pages. */
export class HttpSession {
  private readonly cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (!pair || at < 0) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (/Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(path: string): Promise<{ status: number; text: string; headers: Headers }> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: { cookie: this.cookieHeader() }, redirect: 'manual' });
    this.remember(response);
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  async post(path: string, fields: Record<string, string>): Promise<{ status: number; text: string; headers: Headers }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    this.remember(response);
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  /** Signs in over HTTP; answers the redirect's status (303 on success). */
  async signIn(user: DashUser, next = '/dashboard'): Promise<number> {
    const form = await this.get(`/dashboard/sign-in?next=${encodeURIComponent(next)}`);
    const response = await this.post('/dashboard/sign-in', { _csrf: csrfOf(form.text), next, email: user.email, password: user.password });
    return response.status;
  }
}

/** The CSRF token of the first form in a page. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no CSRF field in the page');
  return match[1];
}
