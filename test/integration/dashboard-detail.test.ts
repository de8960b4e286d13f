/**
 * The dashboard's transaction detail page and its actions over plain HTTP on
 * both databases: attributes and the event timeline of a POS sale, a partial
 * refund and a void through the confirmation forms (and the core), refusals
 * that keep the form, staff and other merchants kept out, a CHOP charge's IPN
 * deliveries and re-send, a CHOP refund, and the audit trail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uniqueId } from '../support/client.js';
import { type IpnReceiver, chop, idFromUrl, scan, startIpnReceiver, waitFor } from '../support/chop.js';
import { type DashUser, HttpSession, csrfOf, posSale, useDashboardApp } from '../support/dashboard.js';
import { DB_KINDS } from '../support/databases.js';

const hidden = (html: string, name: string): string => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
const count = (html: string, pattern: RegExp): number => html.match(new RegExp(pattern.source, 'g'))?.length ?? 0;

for (const kind of DB_KINDS) {
  describe(`dashboard transaction detail (${kind})`, () => {
    const fx = useDashboardApp(kind);
    let receiver: IpnReceiver;
    before(async () => {
      receiver = await startIpnReceiver();
    });
    after(() => receiver.close());

    const db = () => fx().app.app.deps.store.db;
    const sessions = new Map<string, HttpSession>();
    /** One signed-in session per user for the whole file (scrypt is slow on purpose). */
    const as = async (user: DashUser): Promise<HttpSession> => {
      let session = sessions.get(user.email);
      if (!session) {
        session = new HttpSession(fx().url);
        assert.equal(await session.signIn(user), 303);
        sessions.set(user.email, session);
      }
      return session;
    };
    const page = (ref: string, suffix = '') => `/dashboard/transactions/${ref}${suffix}`;
    const childrenOf = async (ref: string, type: 'refund' | 'void') => {
      const sale = await db().selectFrom('transactions').select('seq').where('ref', '=', ref).executeTakeFirstOrThrow();
      return db().selectFrom('transactions').selectAll().where('sale_seq', '=', sale.seq).where('type', '=', type).orderBy('seq').execute();
    };
    const finalState = (ref: string) =>
      waitFor(async () => {
        const row = await db().selectFrom('transactions').select('state').where('ref', '=', ref).executeTakeFirst();
        return row && row.state !== 'pending' ? row.state : undefined;
      }, 15_000);
    /** GET the action page, then POST its form with `fields` (the CSRF token from the page). */
    const submit = async (session: HttpSession, ref: string, action: string, fields: Record<string, string>) => {
      const form = await session.get(page(ref, `/${action}`));
      return session.post(page(ref, `/${action}`), { _csrf: csrfOf(form.text), ...fields });
    };

    test('a POS sale shows its attributes, escaped, and its events with a provider call and its latency', async () => {
      const sale = await posSale(fx(), 1000, { description: 'Tea <b>&</b> cake', mch_level_1: 'store-7' });
      assert.equal(sale.state, 'succeeded');
      const owner = await as(fx().owner);
      const { status, text } = await owner.get(page(sale.ref));
      assert.equal(status, 200);
      assert.match(text, /data-attr="amount">CN¥10\.00</);
      assert.match(text, /data-attr="left">CN¥10\.00</);
      assert.match(text, /data-attr="gateway">wechatpay_cn_domestic</);
      assert.match(text, /data-attr="state"><span class="badge badge-succeeded">Succeeded</);
      assert.ok(text.includes(sale.id) && text.includes(sale.ref) && text.includes('store-7') && text.includes('POS1'));
      assert.ok(text.includes('Tea &lt;b&gt;&amp;&lt;/b&gt; cake'), 'the description is escaped');
      assert.ok(!text.includes('<b>&</b>'));
      assert.match(text, /data-event="created"/);
      assert.match(text, /data-event="state_changed"/);
      assert.match(text, /wechatpay micropay<\/strong> · <span data-outcome>outcome paid · HTTP 200 · code SUCCESS · \d+ ms</);
      assert.match(text, /<details><summary>Request\/response summary \(redacted\)<\/summary><pre>[^<]*&quot;latencyMs&quot;: \d+/);
      assert.ok(text.indexOf('data-event="created"') < text.indexOf('data-event="provider_attempt"'), 'oldest event first');
      assert.equal(count(text, /data-action="(refund|void)"/), 2);
    });

    test('a partial refund goes through review and confirmation, succeeds, and is linked to its sale with who did it', async () => {
      const sale = await posSale(fx(), 1000);
      const owner = await as(fx().owner);
      const form = await owner.get(page(sale.ref, '/refund'));
      assert.equal(form.status, 200);
      assert.match(
        form.text,
        /<input id="amount" name="amount" type="number" inputmode="decimal" step="0\.01" min="0\.01" max="10\.00" required value="10\.00"/,
      );
      const review = await owner.post(page(sale.ref, '/refund'), { _csrf: csrfOf(form.text), amount: '2.50', reason: '' });
      assert.equal(review.status, 200);
      assert.match(review.text, /data-confirm-amount>CN¥2\.50</);
      assert.equal((await childrenOf(sale.ref, 'refund')).length, 0, 'reviewing changes nothing');
      const confirm = { _csrf: csrfOf(review.text), amount: hidden(review.text, 'amount'), reason: '', id: hidden(review.text, 'id'), confirm: 'yes' };
      assert.match(confirm.id, /^dash-refund-[0-9a-f]{32}$/);
      const done = await owner.post(page(sale.ref, '/refund'), confirm);
      assert.equal(done.status, 303);
      const [refund] = await childrenOf(sale.ref, 'refund');
      assert.ok(refund);
      assert.equal(refund.amount, 250);
      assert.equal(refund.client_id, confirm.id);
      assert.equal(done.headers.get('location'), `${page(refund.ref)}?done=refund`);
      assert.equal(await finalState(refund.ref), 'succeeded');
      // The same form posted twice is the same refund.
      assert.equal((await owner.post(page(sale.ref, '/refund'), confirm)).headers.get('location'), `${page(refund.ref)}?done=refund`);
      assert.equal((await childrenOf(sale.ref, 'refund')).length, 1);

      const refundPage = await owner.get(`${page(refund.ref)}?done=refund`);
      assert.match(refundPage.text, /Refund requested\./);
      assert.ok(refundPage.text.includes(`href="${page(sale.ref)}" data-parent`));
      assert.match(refundPage.text, new RegExp(`data-audit="refund\\.requested">[\\s\\S]*?${fx().owner.email.replace(/\./g, '\\.')}`));
      const salePage = await owner.get(page(sale.ref));
      assert.match(salePage.text, new RegExp(`data-related="${refund.ref}">[\\s\\S]*?badge-succeeded[\\s\\S]*?CN¥2\\.50`));
      assert.match(salePage.text, /data-attr="left">CN¥7\.50</);
      assert.match(salePage.text, /data-attr="refunded">CN¥2\.50</);
      assert.match(salePage.text, /data-attr="state"><span class="badge badge-partlyRefunded" data-state="partlyRefunded">Partly refunded</);
      assert.match(salePage.text, new RegExp(`Requested a refund</td><td data-label="Detail">CN¥2\\.50 · <a class="mono" href="${page(refund.ref)}"`));
      assert.ok(salePage.text.includes(fx().owner.email));
      assert.equal(count(salePage.text, /data-action="void"/), 0, 'no void once the sale has refunds');
    });

    test('a refund larger than what is left is refused with the amount left, keeps the typed value and creates nothing', async () => {
      const sale = await posSale(fx(), 1000);
      const owner = await as(fx().owner);
      assert.equal((await submit(owner, sale.ref, 'refund', { amount: '2.50', confirm: 'yes' })).status, 303);
      for (const confirm of ['', 'yes']) {
        const over = await submit(owner, sale.ref, 'refund', { amount: '8.00', confirm });
        assert.equal(over.status, 422);
        assert.match(over.text, /At most CN¥7\.50 is left to refund\./);
        assert.match(over.text, /value="8\.00"/);
        assert.match(over.text, /aria-invalid="true"/);
      }
      for (const [typed, message] of [
        ['0', /more than 0/],
        ['-1', /more than 0/],
        ['abc', /Type an amount like 12\.34/],
        ['1.234', /at most 2 decimals/],
      ] as const) {
        const bad = await submit(owner, sale.ref, 'refund', { amount: typed, confirm: 'yes' });
        assert.equal(bad.status, 422, typed);
        assert.match(bad.text, message);
      }
      assert.equal((await childrenOf(sale.ref, 'refund')).length, 1, 'only the first refund exists');
    });

    test('a fresh sale can be voided after confirming', async () => {
      const sale = await posSale(fx(), 1200);
      const owner = await as(fx().owner);
      const question = await owner.get(page(sale.ref, '/void'));
      assert.match(question.text, /You are about to void Sale CN¥12\.00/);
      const unconfirmed = await owner.post(page(sale.ref, '/void'), { _csrf: csrfOf(question.text) });
      assert.equal(unconfirmed.status, 200, 'without confirm=yes the question is asked again');
      assert.equal((await childrenOf(sale.ref, 'void')).length, 0);
      const done = await owner.post(page(sale.ref, '/void'), { _csrf: csrfOf(question.text), id: hidden(question.text, 'id'), confirm: 'yes' });
      assert.equal(done.status, 303);
      const [voidRow] = await childrenOf(sale.ref, 'void');
      assert.ok(voidRow);
      assert.equal(voidRow.description, `Voided from the dashboard by ${fx().owner.email}`);
      assert.equal(await finalState(voidRow.ref), 'succeeded');
      const salePage = await owner.get(page(sale.ref));
      assert.match(salePage.text, /data-attr="state"><span class="badge badge-succeeded">Succeeded<\/span> <span class="muted">Voided</);
      assert.equal(count(salePage.text, /data-action=/), 0, 'nothing left to do on a voided sale');
      const again = await submit(owner, sale.ref, 'void', { confirm: 'yes' });
      assert.equal(again.status, 409, 'the server checks too');
    });

    test('staff see the page without actions, and cannot refund', async () => {
      const sale = await posSale(fx(), 900);
      const staff = await as(fx().staff);
      const view = await staff.get(page(sale.ref));
      assert.equal(view.status, 200);
      assert.equal(count(view.text, /data-action=/), 0);
      assert.equal((await staff.get(page(sale.ref, '/refund'))).status, 403);
      const refused = await staff.post(page(sale.ref, '/refund'), { _csrf: csrfOf(view.text), amount: '1.00', confirm: 'yes' });
      assert.equal(refused.status, 403);
      assert.equal((await staff.post(page(sale.ref, '/void'), { _csrf: csrfOf(view.text), confirm: 'yes' })).status, 403);
      assert.equal((await childrenOf(sale.ref, 'refund')).length + (await childrenOf(sale.ref, 'void')).length, 0);
    });

    test("another merchant's owner gets 404 for the page and every action; an operator sees it", async () => {
      const sale = await posSale(fx(), 800);
      const other = await as(fx().otherOwner);
      const home = await other.get('/dashboard/transactions/0123456789abcdef0123456789abcdef');
      assert.equal(home.status, 404);
      assert.equal((await other.get(page(sale.ref))).status, 404);
      assert.equal((await other.get(page(sale.ref, '/refund'))).status, 404);
      assert.equal((await other.post(page(sale.ref, '/refund'), { _csrf: csrfOf(home.text), amount: '1.00', confirm: 'yes' })).status, 404);
      assert.equal((await other.post(page(sale.ref, '/void'), { _csrf: csrfOf(home.text), confirm: 'yes' })).status, 404);
      assert.equal((await childrenOf(sale.ref, 'refund')).length, 0);
      const operator = await as(fx().operator);
      const seen = await operator.get(page(sale.ref));
      assert.equal(seen.status, 200);
      assert.match(seen.text, /data-attr="merchant">Test Shop</);
    });

    /** A CHOP charge the simulated customer has approved; answers its ref. */
    const paidCharge = async (method: string, amount: number, extra: Record<string, string> = {}) => {
      const response = await chop(fx().url, '/chop/chop', fx().merchant.apiKey, {
        payment_method: method,
        amount,
        currency: 'USD',
        reference: uniqueId('dash'),
        ...extra,
      });
      assert.equal(response.status, 200, response.text);
      const ref = idFromUrl(response.body.url);
      const qr = await waitFor(
        async () => (await db().selectFrom('transactions').select('qr_code').where('ref', '=', ref).executeTakeFirst())?.qr_code ?? undefined,
      );
      assert.equal((await scan(fx().url, qr, 'approve')).status, 200);
      assert.equal(await finalState(ref), 'succeeded');
      return ref;
    };

    test('a paid CHOP charge lists its IPN attempts, re-sends on request, and refunds partially', async () => {
      const ref = await paidCharge('wechatpay', 3000, { ipn_url: receiver.url });
      const firstIpn = await waitFor(() => receiver.received.find((r) => r.fields.id === ref));
      const owner = await as(fx().owner);
      const withAttempt = await waitFor(async () => {
        const view = await owner.get(page(ref));
        return view.text.includes('data-attempt') ? view.text : undefined;
      });
      assert.ok(withAttempt.includes(`data-notification="${firstIpn.fields.notify_id}"`));
      assert.match(withAttempt, /data-status="delivered">Delivered/);
      assert.match(
        withAttempt,
        /<td data-label="Result">HTTP 200<\/td>\s*<td data-label="Latency" class="num">\d+ ms<\/td>\s*<td data-label="Response excerpt"><code>success<\/code>/,
      );
      assert.equal(count(withAttempt, /data-action="(refund|cancel|resend)"/), 3);

      const question = await owner.get(page(ref, '/resend-ipn'));
      assert.ok(question.text.includes(receiver.url));
      const resent = await owner.post(page(ref, '/resend-ipn'), { _csrf: csrfOf(question.text), confirm: 'yes' });
      assert.equal(resent.status, 303);
      assert.equal(resent.headers.get('location'), `${page(ref)}?done=ipn`);
      const second = await waitFor(() => receiver.received.find((r) => r.fields.id === ref && r.fields.notify_id !== firstIpn.fields.notify_id));
      const twice = await waitFor(async () => {
        const view = await owner.get(`${page(ref)}?done=ipn`);
        return count(view.text, /data-attempt/) === 2 ? view.text : undefined;
      });
      assert.match(twice, /A new IPN is on its way\./);
      assert.ok(twice.includes(`data-notification="${second.fields.notify_id}"`));
      assert.match(twice, /data-audit="ipn\.resent">[\s\S]*?Re-sent the IPN/);

      const over = await submit(owner, ref, 'refund', { amount: '30.01', confirm: 'yes' });
      assert.equal(over.status, 422);
      assert.match(over.text, /At most \$30\.00 is left to refund\./);
      // The review page's form, posted twice (a double click): one refund, whose id the form carried.
      const review = await submit(owner, ref, 'refund', { amount: '10.00', reason: 'damaged box' });
      const confirm = {
        _csrf: csrfOf(review.text),
        amount: '10.00',
        reason: 'damaged box',
        confirm: 'yes',
        id: /name="id" value="([^"]+)"/.exec(review.text)?.[1] ?? '',
      };
      const refunded = await owner.post(page(ref, '/refund'), confirm);
      assert.equal(refunded.status, 303);
      await finalState(/dash-refund-(\w+)/.exec(confirm.id)?.[1] ?? '');
      assert.equal((await owner.post(page(ref, '/refund'), confirm)).headers.get('location'), refunded.headers.get('location'));
      assert.equal((await childrenOf(ref, 'refund')).length, 1);
      const [refund] = await childrenOf(ref, 'refund');
      assert.equal(`dash-refund-${refund?.ref}`, confirm.id);
      assert.ok(refund);
      assert.equal(refund.amount, 1000);
      assert.equal(refund.description, 'damaged box');
      assert.equal(refunded.headers.get('location'), `${page(refund.ref)}?done=refund`);
      assert.equal(await finalState(refund.ref), 'succeeded');
      const chargePage = await owner.get(page(ref));
      assert.match(chargePage.text, /data-attr="left">\$20\.00</);
      assert.match(chargePage.text, new RegExp(`data-related="${refund.ref}"`));
      const refundPage = await owner.get(page(refund.ref));
      assert.match(refundPage.text, new RegExp(`data-audit="refund\\.requested">[\\s\\S]*?${fx().owner.email.replace(/\./g, '\\.')}`));
      assert.equal(count(refundPage.text, /data-action=/), 0, 'a refund itself has no actions');
    });

    test('a paid Alipay charge can be cancelled (refunded in full); a card charge offers no cancel', async () => {
      const ref = await paidCharge('alipay', 1500);
      const owner = await as(fx().owner);
      const question = await owner.get(page(ref, '/cancel'));
      assert.match(question.text, /You are about to cancel Charge \$15\.00/);
      const done = await owner.post(page(ref, '/cancel'), { _csrf: csrfOf(question.text), confirm: 'yes' });
      assert.equal(done.status, 303);
      const cancel = await db().selectFrom('transactions').selectAll().where('sale_client_id', '=', ref).where('type', '=', 'cancel').executeTakeFirstOrThrow();
      assert.equal(cancel.amount, 1500);
      assert.equal(done.headers.get('location'), `${page(cancel.ref)}?done=cancel`);
      assert.equal(await finalState(cancel.ref), 'succeeded');
      const chargePage = await owner.get(page(ref));
      // What happened is a full refund: the badge says so, not "Succeeded · Cancelled".
      assert.match(chargePage.text, /data-attr="state"><span class="badge badge-refunded" data-state="refunded">Refunded<\/span><\/dd>/);
      assert.doesNotMatch(chargePage.text, /<span class="muted">Cancelled</);
      assert.match(chargePage.text, /data-attr="refunded">\$15\.00</);
      assert.equal(count(chargePage.text, /data-action=/), 0);
      assert.match(chargePage.text, /data-audit="cancel\.requested"/);

      const cardRef = idFromUrl(
        (await chop(fx().url, '/chop/chop', fx().merchant.apiKey, { payment_method: 'cc', amount: 500, currency: 'USD', reference: uniqueId('card') })).body
          .url,
      );
      const refused = await owner.get(page(cardRef, '/cancel'));
      assert.equal(refused.status, 409);
      assert.match(refused.text, /Only Alipay and WeChat Pay charges can be cancelled\./);
    });
  });
}
