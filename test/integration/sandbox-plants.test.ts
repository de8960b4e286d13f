/**
 * POST /_sandbox/statements/plants: a planted statement difference is
 * answered 201 with what was planted and shows in the simulated provider's
 * statement of that day (here Antom's settlement details report, read with
 * the descriptor's statement source); bad input is a 400 naming the problem.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { alipayplus } from '../../src/providers/alipayplus/descriptor.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, startTestApp } from '../support/harness.js';

async function plant(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/_sandbox/statements/plants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

for (const kind of DB_KINDS) {
  describe(`sandbox statement plants (${kind})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    test('a planted payment CanCan never made shows in the day of the provider statement', async () => {
      const planted = { provider: 'alipayplus', day: '2026-02-03', kind: 'extra_payment', order_no: 'PLANTED-0001', amount: 12_300, currency: 'HKD' };
      assert.deepEqual(await plant(t.url, planted), { status: 201, body: planted });
      const statements = alipayplus.statements;
      assert.ok(statements !== undefined);
      const fetched = await statements.fetch(
        { endpoint: `${t.url}/_sim/alipayplus`, credentials: alipayplus.sandbox.credentials(t.database.dataDir), timeoutMs: 10_000 },
        '2026-02-03',
      );
      assert.equal(fetched.kind, 'statement', JSON.stringify(fetched));
      assert.ok(fetched.kind === 'statement');
      assert.deepEqual(
        fetched.statement.lines.map((line) => [line.kind, line.orderNo, line.amountMinor, line.currency, line.feeMinor, line.netMinor, line.settled]),
        [['payment', 'PLANTED-0001', 12_300, 'HKD', 74, 12_226, true]],
      );
    });

    test('amount and currency are optional where the kind needs none', async () => {
      const planted = { provider: 'card', day: '2026-02-04', kind: 'drop', order_no: 'ORDER-1' };
      assert.deepEqual(await plant(t.url, planted), { status: 201, body: { ...planted, amount: null, currency: null } });
    });

    test('bad input is a 400 that says what is wrong', async () => {
      const good = { provider: 'unionpay', day: '2026-02-05', kind: 'amount', order_no: 'ORDER1234', amount: 100 };
      const cases: Array<[unknown, string]> = [
        [
          [],
          'Send {"provider": "<provider>", "day": "YYYY-MM-DD", "kind": "extra_payment" | "drop" | "amount" | "status" | "fee", "order_no": "<order number>", "amount"?: <minor units>, "currency"?: "<ISO 4217>"}',
        ],
        [{ ...good, provider: 'paypal' }, 'provider must be one of wechatpay, alipay, linepay, alipayplus, unionpay, card'],
        [{ ...good, day: '2026-02-30' }, 'day must be a date, YYYY-MM-DD'],
        [{ ...good, day: '20260205' }, 'day must be a date, YYYY-MM-DD'],
        [{ ...good, kind: 'refund' }, 'kind must be one of extra_payment, drop, amount, status, fee'],
        [{ ...good, order_no: 'has space' }, 'order_no must be 1 to 64 printable characters without spaces'],
        [{ ...good, amount: -1 }, 'amount must be a whole number of minor units, 0 or more'],
        [{ ...good, amount: 1.5 }, 'amount must be a whole number of minor units, 0 or more'],
        [{ ...good, amount: undefined }, 'kind amount needs an amount'],
        [{ ...good, kind: 'extra_payment', amount: undefined }, 'kind extra_payment needs an amount'],
        [{ ...good, currency: 'XXX' }, 'currency must be an ISO 4217 code CanCan knows'],
      ];
      for (const [body, message] of cases) {
        assert.deepEqual(await plant(t.url, body), { status: 400, body: { error: 'bad_request', message } }, JSON.stringify(body));
      }
      const notJson = await fetch(`${t.url}/_sandbox/statements/plants`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
      assert.equal(notJson.status, 400);
    });

    test('with CANCAN_SANDBOX_ROUTES=off nobody can plant', async () => {
      const off = await startTestApp(kind, { CANCAN_SANDBOX_ROUTES: 'off' });
      try {
        const answer = await plant(off.url, { provider: 'card', day: '2026-02-06', kind: 'drop', order_no: 'ORDER-2' });
        assert.equal(answer.status, 404);
      } finally {
        await off.close();
      }
    });
  });
}
