/**
 * POST /notify/<provider>, the part every provider shares: verify, store,
 * wake, answer. A provider defined in the test tree (the throwaway provider
 * plus a receiver of HMAC-signed JSON notifications) drives it, on both
 * databases. Each real provider's receiver is tested with its own simulator
 * in test/integration/<provider>-notify.test.ts.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { PROVIDERS } from '../../src/providers/list.js';
import { installProviders } from '../../src/providers/catalog.js';
import type { AnyProviderDescriptor } from '../../src/providers/descriptor.js';
import type { NotificationReceiver } from '../../src/providers/notifications.js';
import { rescheduleJob } from '../../src/jobs/queue.js';
import { chop, idFromUrl, startIpnReceiver, waitFor, waitInquire, type IpnReceiver } from '../support/chop.js';
import { call } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { cli } from '../support/process.js';
import type { TestApp, TestMerchant } from '../support/harness.js';
import { throwaway } from '../support/throwaway-provider/descriptor.js';

/** The throwaway provider signs `{"orderNo","status","amount","currency","id"}` with HMAC-SHA256 of its token, in `x-signature`. */
const notifications: NotificationReceiver<{ token: string }> = {
  read(request) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body);
    } catch {
      return { ok: false, reason: 'the body is not JSON' };
    }
    const body = parsed as Record<string, unknown>;
    if (typeof body.orderNo !== 'string' || typeof body.id !== 'string' || typeof body.amount !== 'number' || typeof body.currency !== 'string') {
      return { ok: false, reason: 'orderNo, id, amount or currency missing' };
    }
    const status = body.status === 'paid' ? 'paid' : body.status === 'closed' ? 'closed' : 'pending';
    return { ok: true, claim: { orderNo: body.orderNo, status, amountMinor: body.amount, currency: body.currency, providerTxnId: null, dedupeKey: body.id } };
  },
  verify(request, _claim, context) {
    const given = Buffer.from(request.headers['x-signature'] ?? '', 'hex');
    const expected = createHmac('sha256', context.credentials.token).update(request.body).digest();
    return given.length === expected.length && timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'signature does not verify' };
  },
  answer: (acknowledged) => (acknowledged ? { status: 200, contentType: 'text/plain', body: 'OK' } : { status: 400, contentType: 'text/plain', body: 'FAIL' }),
};

const notifying = { ...throwaway, notifications } as unknown as AnyProviderDescriptor;
const WITH_NOTIFYING = [...PROVIDERS, notifying];
// The request schemas read the installed list when their modules load (see new-provider.test.ts).
installProviders(WITH_NOTIFYING);
const { startTestApp } = await import('../support/harness.js');

const TOKEN = 'throwaway-sandbox-token';
const sign = (body: string, token = TOKEN) => createHmac('sha256', token).update(body).digest('hex');

for (const kind of DB_KINDS) {
  describe(`provider notifications at /notify/<provider> (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    let ipn: IpnReceiver;
    before(async () => {
      // Polling slowed to minutes once notifications are known to arrive: only a notification can end a charge quickly.
      t = await startTestApp(kind, { CANCAN_NOTIFIED_POLL_MS: '300000' }, { providers: WITH_NOTIFYING });
      m = await t.merchant(['throwaway_qr']);
      ipn = await startIpnReceiver();
    });
    after(async () => {
      await ipn.close();
      await t.close();
    });

    const db = () => t.app.deps.store.db;
    const simulated = async () =>
      (await call(t.url, 'GET', '/_sim/throwaway/orders')).body as { orders: { orderNo: string; amount: number; status: string }[]; calls: string[] };
    const notify = (body: object, signature?: string) => {
      const raw = JSON.stringify(body);
      return call(t.url, 'POST', '/notify/throwaway', { raw, headers: { 'content-type': 'application/json', 'x-signature': signature ?? sign(raw) } });
    };
    const row = (seq: number) => db().selectFrom('transactions').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
    const job = (seq: number) =>
      db().selectFrom('jobs').selectAll().where('transaction_seq', '=', seq).where('kind', '=', 'transaction').executeTakeFirstOrThrow();
    const refusals = (orderNo: string) =>
      db()
        .selectFrom('provider_notifications')
        .select(['reason', 'merchant_id', 'transaction_seq'])
        .where('order_no', '=', orderNo)
        .where('verdict', '=', 'refused')
        .execute();

    /** A charge whose order exists at the simulator, waiting for the shopper. */
    async function openCharge(amount: number): Promise<{ id: string; orderNo: string; seq: number }> {
      const created = await chop(t.url, '/chop/chop', m.apiKey, {
        payment_method: 'throwaway_qr',
        amount,
        currency: 'USD',
        reference: `ref-${amount}`,
        ipn_url: ipn.url,
      });
      assert.equal(created.status, 200, created.text);
      const id = idFromUrl(String(created.body.url));
      const order = await waitFor(async () => (await simulated()).orders.find((o) => o.amount === amount && o.status === 'created'));
      const charge = await db().selectFrom('transactions').select('seq').where('provider_order_no', '=', order.orderNo).executeTakeFirstOrThrow();
      await waitFor(async () => ((await row(charge.seq)).step === 'await_payment' ? true : undefined));
      return { id, orderNo: order.orderNo, seq: charge.seq };
    }

    test('a verified notification brings a paid charge to succeeded without waiting for the poll; its IPN follows once', async () => {
      // The first notification proves that the merchant's notifications arrive.
      const first = await openCharge(1101);
      assert.equal((await call(t.url, 'POST', '/_sim/throwaway/approve', { body: { orderNo: first.orderNo } })).status, 200);
      const firstAnswer = await notify({ orderNo: first.orderNo, status: 'paid', amount: 1101, currency: 'USD', id: 'n-1101' });
      assert.equal(firstAnswer.status, 200);
      assert.equal(firstAnswer.text, 'OK');
      assert.equal((await waitInquire(t.url, m.apiKey, first.id, (b) => b.status === 'succeeded')).status, 'succeeded');

      const second = await openCharge(1102);
      // Proven: the next poll is minutes away.
      const waiting = await job(second.seq);
      assert.ok(waiting.run_at - Date.now() > 200_000, `next poll in ${waiting.run_at - Date.now()} ms`);
      const queriesBefore = (await simulated()).calls.filter((c) => c === 'query').length;
      assert.equal((await call(t.url, 'POST', '/_sim/throwaway/approve', { body: { orderNo: second.orderNo } })).status, 200);
      const body = { orderNo: second.orderNo, status: 'paid', amount: 1102, currency: 'USD', id: 'n-1102' };
      assert.equal((await notify(body)).text, 'OK');
      const paid = await waitInquire(t.url, m.apiKey, second.id, (b) => b.status === 'succeeded');
      assert.equal(paid.status, 'succeeded');
      // The worker confirmed with exactly one query.
      assert.equal((await simulated()).calls.filter((c) => c === 'query').length - queriesBefore, 1);
      await waitFor(() => (ipn.received.some((r) => r.fields.reference === 'ref-1102') ? true : undefined));

      // The provider resends: acknowledged, counted, nothing else happens.
      const before = await row(second.seq);
      const resent = await notify(body);
      assert.equal(resent.status, 200);
      assert.equal(resent.text, 'OK');
      const stored = await db().selectFrom('provider_notifications').selectAll().where('dedupe_key', '=', 'n-1102').execute();
      assert.deepEqual(
        stored.map((s) => [s.verdict, s.duplicates, s.order_no, s.claimed_status, s.transaction_seq, s.merchant_id, s.mode]),
        [['accepted', 1, second.orderNo, 'paid', second.seq, m.id, 'test']],
      );
      assert.equal((await row(second.seq)).version, before.version);
      const ipns = await db().selectFrom('notifications').select('id').where('transaction_seq', '=', second.seq).execute();
      assert.equal(ipns.length, 1);
    });

    test('forged, unknown, mismatched and unreadable notifications are refused, stored, and change nothing', async () => {
      const open = await openCharge(1103);
      const rowBefore = await row(open.seq);
      const jobBefore = await job(open.seq);
      const paid = { orderNo: open.orderNo, status: 'paid', amount: 1103, currency: 'USD', id: 'n-1103' };

      const forged = await notify(paid, sign(JSON.stringify(paid), 'not-the-token'));
      assert.equal(forged.status, 400);
      assert.equal(forged.text, 'FAIL');
      const otherAmount = await notify({ ...paid, amount: 1 });
      assert.equal(otherAmount.status, 400);
      const otherCurrency = await notify({ ...paid, currency: 'CNY' });
      assert.equal(otherCurrency.status, 400);
      assert.deepEqual(
        (await refusals(open.orderNo)).map((r) => [r.reason, r.merchant_id, r.transaction_seq]),
        [
          ['signature does not verify', m.id, open.seq],
          ["amount 1 differs from the order's 1103", m.id, open.seq],
          ["currency CNY differs from the order's USD", m.id, open.seq],
        ],
      );

      const unknown = await notify({ ...paid, orderNo: 'NO-SUCH-ORDER' });
      assert.equal(unknown.status, 400);
      assert.deepEqual(
        (await refusals('NO-SUCH-ORDER')).map((r) => [r.reason, r.merchant_id, r.transaction_seq]),
        [['no throwaway charge has order number NO-SUCH-ORDER', null, null]],
      );
      const unreadable = await call(t.url, 'POST', '/notify/throwaway', { raw: '<xml/>', headers: { 'content-type': 'text/xml' } });
      assert.equal(unreadable.status, 400);
      const latest = await db().selectFrom('provider_notifications').select(['reason', 'order_no']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
      assert.deepEqual(latest, { reason: 'the body is not JSON', order_no: null });

      const rowAfter = await row(open.seq);
      assert.equal(rowAfter.version, rowBefore.version);
      assert.equal(rowAfter.state, 'pending');
      assert.equal((await job(open.seq)).run_at, jobBefore.run_at);
      const accepted = await db()
        .selectFrom('provider_notifications')
        .select('id')
        .where('order_no', '=', open.orderNo)
        .where('verdict', '=', 'accepted')
        .execute();
      assert.equal(accepted.length, 0);

      // The operator sees them without reading logs.
      const env = { CANCAN_DATA_DIR: t.database.dataDir, ...(t.database.databaseUrl ? { DATABASE_URL: t.database.databaseUrl } : {}) };
      const listed = cli(env, ['provider', 'notifications', '--refused', '--limit', '2', '--json']);
      assert.equal(listed.status, 0, listed.stderr);
      const shown = (JSON.parse(listed.stdout) as { notifications: { verdict: string; reason: string; order_no: string | null }[] }).notifications;
      assert.deepEqual(
        shown.map((n) => [n.verdict, n.reason, n.order_no]),
        [
          ['refused', 'the body is not JSON', null],
          ['refused', 'no throwaway charge has order number NO-SUCH-ORDER', 'NO-SUCH-ORDER'],
        ],
      );
      const badLimit = cli(env, ['provider', 'notifications', '--limit', '0']);
      assert.equal(badLimit.status, 2);
    });

    test('a notification for a charge a worker holds makes its next run due as soon as the worker lets go', async () => {
      const open = await openCharge(1104);
      const leased = Date.now() + 60_000;
      // A worker holds the job (it is, say, in the middle of a poll that will answer "not paid").
      await db()
        .updateTable('jobs')
        .set({ lease_owner: 'elsewhere', lease_until: leased })
        .where('transaction_seq', '=', open.seq)
        .where('kind', '=', 'transaction')
        .execute();
      const held = await job(open.seq);
      assert.equal((await notify({ orderNo: open.orderNo, status: 'paid', amount: 1104, currency: 'USD', id: 'n-1104' })).text, 'OK');
      const woken = await job(open.seq);
      assert.equal(woken.run_at, held.run_at);
      assert.equal(woken.lease_owner, 'elsewhere');
      assert.ok(woken.woken_at !== null);
      // The holder reschedules its poll minutes ahead: the wake-up wins.
      await db()
        .transaction()
        .execute((trx) => rescheduleJob(trx, woken, Date.now() + 300_000));
      const rescheduled = await job(open.seq);
      assert.equal(rescheduled.run_at, woken.woken_at);
      assert.equal(rescheduled.woken_at, null);
      assert.equal(rescheduled.lease_owner, null);
    });

    test('a flood of refused notifications is answered and counted, but stores no more than the per-address allowance', async () => {
      const refusedRows = async () =>
        Number(
          (
            await db()
              .selectFrom('provider_notifications')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('verdict', '=', 'refused')
              .executeTakeFirstOrThrow()
          ).n,
        );
      const refusedCounted = async () => {
        const text = (await call(t.url, 'GET', '/metrics')).text;
        return Number(/cancan_provider_notifications_total\{provider="throwaway",verdict="refused"\} (\d+)/.exec(text)?.[1] ?? 0);
      };
      const [rowsBefore, countedBefore] = [await refusedRows(), await refusedCounted()];
      const started = Date.now();
      const FLOOD = 100;
      for (let i = 0; i < FLOOD; i += 1) {
        const answer = await call(t.url, 'POST', '/notify/throwaway', { raw: `junk ${i}`, headers: { 'content-type': 'text/plain' } });
        assert.equal(answer.status, 400);
      }
      const seconds = Math.ceil((Date.now() - started) / 1000);
      assert.equal((await refusedCounted()) - countedBefore, FLOOD);
      const stored = (await refusedRows()) - rowsBefore;
      // A burst of 60 per address (less what earlier tests used), then one a second.
      assert.ok(stored <= 60 + seconds && stored < FLOOD, `stored ${stored} of ${FLOOD} in ${seconds} s`);
    });

    test('unknown providers and providers without notifications answer 404; an oversized body 413', async () => {
      const unknown = await call(t.url, 'POST', '/notify/nobody', { raw: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.errors[0].code, 'not_found_error');
      const card = await call(t.url, 'POST', '/notify/card', { raw: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(card.status, 404);
      const big = await call(t.url, 'POST', '/notify/throwaway', { raw: 'x'.repeat(70_000), headers: { 'content-type': 'text/plain' } });
      assert.equal(big.status, 413);
    });
  });
}
