/**
 * Checkout branding over plain HTTP on both databases: a template saved in
 * the dashboard (with its logo) shapes the payment page without touching its
 * CSP; per-method templates fall back to the default; every bad upload or
 * colour pair is refused with its reason and stores nothing; staff cannot
 * change it; operators can, for any merchant; each change is audited.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createChopCharge } from '../support/browser.js';
import { DB_KINDS } from '../support/databases.js';
import { type DashUser, HttpSession, csrfOf, useDashboardApp } from '../support/dashboard.js';
import { png } from '../support/images.js';

const GOOD = {
  display_name: 'Lotus Tea House',
  brand_color: '#0f766e',
  button_text_color: '#ffffff',
  accent_color: '#0f766e',
  background_color: '#ecfdf5',
  background_text_color: '#064e3b',
  corners: 'pill',
  header_line: 'Fresh tea, <b>since</b> 1999',
  footer_links: 'Terms|https://lotus.example/terms\nPrivacy|https://lotus.example/privacy',
  support_email: 'help@lotus.example',
  support_phone: '+1 (555) 010-0199',
  default_lang: '',
};

/** The checkout page's CSP as it was before templates existed. */
const CHECKOUT_CSP_FOR = (callbackOrigin: string | null) =>
  `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'${callbackOrigin ? ` ${callbackOrigin}` : ''}; frame-ancestors 'none'; base-uri 'none'`;

for (const kind of DB_KINDS) {
  describe(`checkout branding in the dashboard (${kind})`, () => {
    const fx = useDashboardApp(kind);
    const db = () => fx().app.app.deps.store.db;

    async function signedIn(user: DashUser, path = '/dashboard/branding'): Promise<{ session: HttpSession; csrf: string; page: string; status: number }> {
      const session = new HttpSession(fx().url);
      assert.equal(await session.signIn(user), 303);
      const page = await session.get(path);
      return { session, csrf: page.status === 200 ? csrfOf(page.text) : '', page: page.text, status: page.status };
    }

    async function upload(session: HttpSession, path: string, fields: Record<string, string>, logo?: { name: string; type: string; bytes: Buffer }) {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      if (logo) form.append('logo', new Blob([new Uint8Array(logo.bytes)], { type: logo.type }), logo.name);
      const response = await fetch(`${fx().url}${path}`, { method: 'POST', body: form, redirect: 'manual', headers: { cookie: session.cookieHeader() } });
      return { status: response.status, text: await response.text(), location: response.headers.get('location') };
    }

    const stored = async (merchantId: string) => ({
      templates: (await db().selectFrom('checkout_brandings').select('method').where('merchant_id', '=', merchantId).execute()).length,
      logos: (await db().selectFrom('checkout_logos').select('id').where('merchant_id', '=', merchantId).execute()).length,
      audits: (await db().selectFrom('audit_log').select('id').where('merchant_id', '=', merchantId).where('action', 'like', 'checkout_branding.%').execute())
        .length,
    });

    test('every bad choice is refused with its reason, and nothing is stored', async () => {
      const { session, csrf } = await signedIn(fx().otherOwner);
      const base = { _csrf: csrf, method: '', ...GOOD };
      const cases: { logo?: { name: string; type: string; bytes: Buffer }; fields?: Record<string, string>; reason: RegExp }[] = [
        {
          logo: { name: 'big.png', type: 'image/png', bytes: Buffer.concat([png(64, 64), Buffer.alloc(300 * 1024)]) },
          reason: /Logo: the logo is \d+ bytes; at most 262144 bytes are allowed/,
        },
        { logo: { name: 'logo.png', type: 'image/png', bytes: Buffer.from('%PDF-1.4 not an image') }, reason: /Logo: the logo is not a PNG or JPEG image/ },
        {
          logo: {
            name: 'logo.svg',
            type: 'image/svg+xml',
            bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="10" height="10"/></svg>'),
          },
          reason: /Logo: SVG logos are refused \(they may carry script\); upload a PNG or JPEG/,
        },
        { logo: { name: 'huge.png', type: 'image/png', bytes: png(5000, 200) }, reason: /Logo: the logo is 5000×200 pixels; at most 1024×1024 are allowed/ },
        {
          fields: { brand_color: '#ffeb3b', button_text_color: '#ffffff' },
          reason: /Button text colour #ffffff on #ffeb3b has a contrast of 1\.\d\d:1, below the 4\.5:1 WCAG AA minimum; try #[0-9a-f]{6}/,
        },
        {
          fields: { background_color: '#ffffff', background_text_color: '#cccccc' },
          reason: /Text on the page background #cccccc on #ffffff has a contrast of 1\.\d\d:1, below the 4\.5:1 WCAG AA minimum; try #[0-9a-f]{6}/,
        },
        {
          fields: { accent_color: 'red;background:url(https://evil.example/x)' },
          reason: /Accent colour \(amount and links, on white\) must be a colour written #rrggbb/,
        },
      ];
      for (const c of cases) {
        // A good logo beside a bad colour: the logo must not be kept either.
        const logo = c.logo ?? { name: 'ok.png', type: 'image/png', bytes: png(120, 40) };
        const answer = await upload(session, '/dashboard/branding', { ...base, ...(c.fields ?? {}) }, logo);
        assert.equal(answer.status, 422, c.reason.source);
        assert.match(
          answer.text
            .replace(/&amp;/g, '&')
            .replace(/&#39;/g, "'")
            .replace(/&quot;/g, '"'),
          c.reason,
        );
        assert.match(answer.text, /Nothing was saved: 1 problem\(s\) below\./);
        assert.deepEqual(await stored(fx().other.id), { templates: 0, logos: 0, audits: 0 });
      }
      // A body that is not well-formed multipart never reaches the page.
      const malformed = await fetch(`${fx().url}/dashboard/branding`, {
        method: 'POST',
        body: `_csrf=${csrf}`,
        redirect: 'manual',
        headers: { cookie: session.cookieHeader(), 'content-type': 'multipart/form-data; boundary=nothere' },
      });
      assert.equal(malformed.status, 400);
      assert.deepEqual(await stored(fx().other.id), { templates: 0, logos: 0, audits: 0 });
    });

    test('a saved template with its logo shapes the payment page; the CSP stays as it was', async () => {
      const { session, csrf, page } = await signedIn(fx().owner);
      assert.match(page, /<a href="\/dashboard\/branding" aria-current="page">Checkout branding<\/a>/);
      const logo = png(240, 80);
      const saved = await upload(session, '/dashboard/branding', { _csrf: csrf, method: '', ...GOOD }, { name: 'lotus.png', type: 'image/png', bytes: logo });
      assert.equal(saved.status, 303, saved.text);
      assert.equal(saved.location, '/dashboard/branding?method=&done=saved');
      assert.deepEqual(await stored(fx().merchant.id), { templates: 1, logos: 1, audits: 1 });
      const entry = await db()
        .selectFrom('audit_log')
        .selectAll()
        .where('merchant_id', '=', fx().merchant.id)
        .where('action', '=', 'checkout_branding.updated')
        .executeTakeFirstOrThrow();
      assert.equal(JSON.parse(entry.detail).method, 'default');
      assert.ok((JSON.parse(entry.detail).changed as string[]).includes('logoId'));

      const charge = await createChopCharge(fx().url, fx().merchant.apiKey, {
        payment_method: 'alipay',
        amount: '2500',
        currency: 'USD',
        reference: `brand-${Date.now()}`,
      });
      const landing = await fetch(charge.url);
      const html = await landing.text();
      assert.equal(landing.status, 200);
      assert.equal(landing.headers.get('content-security-policy'), CHECKOUT_CSP_FOR(null));
      const logoId = /<img class="logo" src="\/chop\/assets\/logo\/([0-9a-f]{64})" alt="Lotus Tea House" width="240" height="80" data-brand-logo>/.exec(
        html,
      )?.[1];
      assert.ok(logoId, 'the logo is on the page, served by CanCan');
      assert.match(html, /<link rel="stylesheet" href="\/chop\/assets\/brand\/0f766e-ffffff-0f766e-ecfdf5-064e3b-pill\.css">/);
      assert.match(html, /<p class="brand-line" data-brand-line>Fresh tea, &lt;b&gt;since&lt;\/b&gt; 1999<\/p>/);
      assert.match(html, /<a href="https:\/\/lotus\.example\/terms" rel="noopener noreferrer">Terms<\/a>/);
      assert.match(html, /<a href="mailto:help@lotus\.example">help@lotus\.example<\/a> · <a href="tel:\+15550100199">\+1 \(555\) 010-0199<\/a>/);
      assert.match(html, /<p class="cancan">Secured by CanCan<\/p>/);
      assert.match(html, /<section class="card sandbox"/, 'the sandbox buttons are still there');

      const image = await fetch(`${fx().url}/chop/assets/logo/${logoId}`);
      assert.equal(image.headers.get('content-type'), 'image/png');
      assert.equal(image.headers.get('x-content-type-options'), 'nosniff');
      assert.ok(Buffer.from(await image.arrayBuffer()).equals(logo));
      const css = await fetch(`${fx().url}/chop/assets/brand/0f766e-ffffff-0f766e-ecfdf5-064e3b-pill.css`);
      assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
      assert.match(await css.text(), /body\{background:#ecfdf5\}/);
      assert.equal((await fetch(`${fx().url}/chop/assets/brand/url(x)-ffffff-0f766e-ecfdf5-064e3b-pill.css`)).status, 404);
    });

    test('a per-method template wins for that method only; removing it falls back to the default', async () => {
      const { session, csrf } = await signedIn(fx().owner, '/dashboard/branding?method=cc');
      const saved = await upload(session, '/dashboard/branding', { _csrf: csrf, method: 'cc', ...GOOD, display_name: 'Lotus Cards', brand_color: '#7c2d12' });
      assert.equal(saved.status, 303, saved.text);
      const page = async (method: string) =>
        (
          await fetch(
            (
              await createChopCharge(fx().url, fx().merchant.apiKey, {
                payment_method: method,
                amount: '1000',
                currency: 'USD',
                reference: `m-${method}-${Date.now()}`,
              })
            ).url,
          )
        ).text();
      const card = await page('cc');
      assert.match(card, /<h1>Pay · Lotus Cards<\/h1>/);
      assert.match(card, /href="\/chop\/assets\/brand\/7c2d12-/);
      assert.match(await page('upop'), /<h1>Pay · Lotus Tea House<\/h1>/);
      const removed = await session.post('/dashboard/branding/remove', { _csrf: csrf, method: 'cc' });
      assert.equal(removed.status, 303);
      assert.match(await page('cc'), /<h1>Pay · Lotus Tea House<\/h1>/);
      const actions = (
        await db()
          .selectFrom('audit_log')
          .select('action')
          .where('merchant_id', '=', fx().merchant.id)
          .where('action', 'like', 'checkout_branding.%')
          .orderBy('id')
          .execute()
      ).map((r) => r.action);
      assert.deepEqual(actions.slice(-2), ['checkout_branding.updated', 'checkout_branding.removed']);
    });

    test("staff read but cannot change; operators change any merchant's template", async () => {
      const staff = await signedIn(fx().staff);
      assert.equal(staff.status, 200);
      assert.match(staff.page, /Only owners can change the template\./);
      const before = await stored(fx().merchant.id);
      const refused = await upload(staff.session, '/dashboard/branding', { _csrf: staff.csrf, method: '', ...GOOD, display_name: 'Staff was here' });
      assert.equal(refused.status, 403);
      assert.deepEqual(await stored(fx().merchant.id), before);

      const path = `/dashboard/merchants/${fx().other.id}/branding`;
      const operator = await signedIn(fx().operator, path);
      assert.equal(operator.status, 200);
      const saved = await upload(operator.session, path, { _csrf: operator.csrf, method: '', ...GOOD, display_name: 'Other Shop by operator' });
      assert.equal(saved.status, 303, saved.text);
      assert.equal((await stored(fx().other.id)).templates, 1);
      // A merchant user cannot reach the operator's path.
      const owner = await signedIn(fx().owner, path);
      assert.equal(owner.status, 404);
    });

    test('the preview frames are sample pages of the template, framable by the dashboard only, their forms inert', async () => {
      const { session, page } = await signedIn(fx().owner);
      assert.equal((page.match(/<iframe /g) ?? []).length, 12, 'six states at two widths');
      const frame = await session.get('/dashboard/branding/preview?method=&state=card&page_lang=zh');
      assert.equal(frame.status, 200);
      assert.equal(frame.headers.get('x-frame-options'), 'SAMEORIGIN');
      assert.match(frame.headers.get('content-security-policy') ?? '', /form-action 'none'; frame-ancestors 'self'/);
      assert.match(frame.text, /<h1>支付 · Lotus Tea House<\/h1>/);
      assert.match(frame.text, /data-pay-card>支付 US\$128\.00<\/button>/);
      // A draft in the query is previewed without being saved.
      const draft = await session.get(
        `/dashboard/branding/preview?method=&state=success&page_lang=en&${new URLSearchParams({ ...GOOD, brand_color: '#1e3a8a' })}`,
      );
      assert.match(draft.text, /href="\/chop\/assets\/brand\/1e3a8a-/);
      assert.doesNotMatch(
        (
          await db()
            .selectFrom('checkout_brandings')
            .select('template')
            .where('merchant_id', '=', fx().merchant.id)
            .where('method', '=', '')
            .executeTakeFirstOrThrow()
        ).template,
        /1e3a8a/,
      );
    });
  });
}
