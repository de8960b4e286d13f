/** Sales through the POS API over real HTTP, against the WeChat Pay simulator, on both databases. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { call, ledger, saleBody, uniqueId, waitFinal } from '../support/client.js';

for (const kind of DB_KINDS) {
  describe(`POS sales (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind);
      m = await t.merchant();
    });
    after(() => t.close());

    const sale = async (amount: number, overrides: Record<string, unknown> = {}, wait = true) => {
      const id = uniqueId('sale');
      const created = await call(t.url, 'POST', '/api/v2/transactions', {
        key: m.apiKey,
        body: saleBody(id, amount, overrides),
        ...(wait ? { headers: { prefer: 'wait=10' } } : {}),
      });
      return { id, created };
    };

    test('a sale answers 201 pending at once, then succeeds', async () => {
      const { id, created } = await sale(1000, {}, false);
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('content-type'), 'application/json');
      assert.equal(created.body.data.id, id);
      assert.equal(created.body.data.type, 'sale');
      assert.equal(created.body.data.attributes.state, 'pending');
      assert.equal(created.body.data.attributes.payment_auth_key, undefined);
      assert.match(created.body.data.attributes.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const final = await waitFinal(t.url, m.apiKey, id);
      assert.equal(final.body.data.attributes.state, 'succeeded');
      assert.equal(final.body.data.attributes.failure_code, null);
      assert.equal(final.body.data.attributes.refunded_amount, 0);
      assert.equal(final.body.data.attributes.voided, false);
    });

    test('Prefer: wait holds the answer until the sale is final', async () => {
      const { created } = await sale(2000);
      assert.equal(created.status, 201);
      assert.equal(created.body.data.attributes.state, 'succeeded');
      assert.equal(created.headers.get('preference-applied'), 'wait=10');
    });

    const outcomes: Array<[number, string, string | null]> = [
      [1051, 'failed', 'customer_insufficient_balance_failure'],
      [1052, 'failed', 'payment_auth_key_failure'],
      [1053, 'succeeded', null],
      [1054, 'failed', 'payment_password_failure'],
      [1055, 'succeeded', null],
      [1056, 'succeeded', null],
      [1057, 'failed', 'customer_not_allowed_to_pay_failure'],
      [1058, 'failed', 'merchant_not_allowed_to_sell_failure'],
      [1059, 'succeeded', null],
      [1061, 'failed', 'payment_gateway_failure'],
    ];
    for (const [amount, state, code] of outcomes) {
      test(`amount ending in ${amount % 100} → ${state}${code ? ` (${code})` : ''}`, async () => {
        const { id, created } = await sale(amount);
        assert.equal(created.status, 201);
        const final = created.body.data.attributes.state === 'pending' ? await waitFinal(t.url, m.apiKey, id) : created;
        assert.equal(final.body.data.attributes.state, state);
        assert.equal(final.body.data.attributes.failure_code, code);
        if (code) assert.equal(typeof final.body.data.attributes.failure_detail, 'string');
      });
    }

    test('a sale the customer never confirms keeps the provider\'s code; "confirming" is a field of its own', async () => {
      const stored = async (id: string) =>
        t.app.deps.store.db
          .selectFrom('transactions')
          .select(['customer_confirming', 'last_provider_code'])
          .where('client_id', '=', id)
          .executeTakeFirstOrThrow();
      const unconfirmed = await sale(1154, {}, false);
      assert.equal((await waitFinal(t.url, m.apiKey, unconfirmed.id)).body.data.attributes.failure_code, 'payment_password_failure');
      assert.deepEqual(await stored(unconfirmed.id), { customer_confirming: 1, last_provider_code: 'USERPAYING' });
      const unknown = await sale(1161, {}, false);
      assert.equal((await waitFinal(t.url, m.apiKey, unknown.id)).body.data.attributes.failure_code, 'payment_gateway_failure');
      assert.deepEqual(await stored(unknown.id), { customer_confirming: 0, last_provider_code: 'SYSTEMERROR' });
    });

    test('the simulator ledger agrees: paid sales paid, never-confirmed ones reversed', async () => {
      const entries = await ledger(t.url);
      const byAmount = (amount: number) => entries.filter((e) => e.amount === amount);
      for (const paid of [1053, 1055, 1056, 1059])
        assert.deepEqual(
          byAmount(paid).map((e) => e.status),
          ['paid'],
          `amount ${paid}`,
        );
      assert.deepEqual(
        byAmount(1054).map((e) => e.status),
        ['reversed'],
      );
      assert.deepEqual(
        byAmount(1061).map((e) => e.status),
        ['reversed'],
      );
      assert.deepEqual(byAmount(1052), [], 'an expired code creates no order');
    });

    test('a malformed auth code fails fast without reaching the provider', async () => {
      const before = (await ledger(t.url)).length;
      const { created } = await sale(3000, { payment_auth_key: '99999' }, false);
      assert.equal(created.status, 201);
      assert.equal(created.body.data.attributes.state, 'failed');
      assert.equal(created.body.data.attributes.failure_code, 'payment_auth_key_failure');
      assert.equal((await ledger(t.url)).length, before);
    });

    test('USD sales go through wechatpay_international', async () => {
      const { created } = await sale(500, { payment_gateway: 'wechatpay_international', currency: 'USD' });
      assert.equal(created.body.data.attributes.state, 'succeeded');
      assert.equal(created.body.data.attributes.currency, 'USD');
    });

    test('the provider attempts and the event log record the calls without secrets', async () => {
      const { id } = await sale(1055);
      const row = await t.app.deps.store.db.selectFrom('transactions').selectAll().where('client_id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.auth_code_sealed, null, 'the auth code is erased once the sale is final');
      const events = await t.app.deps.store.db.selectFrom('transaction_events').selectAll().where('transaction_seq', '=', row.seq).orderBy('id').execute();
      const attempts = await t.app.deps.store.db.selectFrom('provider_attempts').selectAll().where('transaction_seq', '=', row.seq).orderBy('id').execute();
      assert.deepEqual(
        attempts.slice(0, 2).map((a) => [a.provider, a.call]),
        [
          ['wechatpay', 'micropay'],
          ['wechatpay', 'orderquery'],
        ],
      );
      assert.equal(attempts[0]?.request_summary, `orderNo=${row.provider_order_no} amount=1055 CNY`);
      assert.equal(attempts.at(-1)?.outcome, 'paid');
      assert.ok(events.some((e) => e.kind === 'state_changed' && JSON.parse(e.data).to === 'succeeded'));
      assert.ok(!events.some((e) => e.data.includes('134567890123456789')));
      assert.ok(!attempts.some((a) => JSON.stringify(a).includes('134567890123456789')), 'no attempt holds the auth code');
    });
  });
}
