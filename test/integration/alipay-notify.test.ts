/**
 * Alipay's asynchronous notifications end to end, on both databases: the
 * simulator's TRADE_SUCCESS notification alone (polling slowed to minutes)
 * brings a paid precreated QR charge to succeeded within a second of its acknowledgement,
 * with one query to confirm it, and the merchant's IPN follows once; a
 * replayed notification is acknowledged and changes nothing; forged,
 * mismatched and foreign-merchant (live mode) notifications are refused,
 * stored with their reason, and change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import type { AlipayCredentials } from '../../src/providers/alipay/adapter.js';
import { loadOrCreateAlipaySandboxKeys, type AlipaySandboxKeys } from '../../src/providers/alipay/keys.js';
import { ALIPAY_NOTIFY_ACK, ALIPAY_NOTIFY_NACK, parseNotifyForm, signNotifyParams } from '../../src/providers/alipay/notifications.js';
import { alipaySimulator } from '../../src/providers/alipay/simulator.js';
import type { NotificationDelivery } from '../../src/simulators/notify-sender.js';
import { listAttempts } from '../../src/store/attempts.js';
import { saveProviderCredentials } from '../../src/store/credentials.js';
import { createApiKey } from '../../src/store/merchants.js';
import { chop, idFromUrl, scan, startIpnReceiver, waitFor, type IpnReceiver } from '../support/chop.js';
import { call } from '../support/client.js';
import { otherKeyPair, useSimulatorServer } from '../support/contract.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';

/** Two live apps the live host knows: what Alipay notifies for B's app must never pass for A's orders. */
const APP_A = '2021000000001111';
const APP_B = '2021000000002222';
let liveKeys: AlipaySandboxKeys;
const liveCredentials = (appId: string): AlipayCredentials => ({
  appId,
  appPrivateKeyPem: liveKeys.app.privateKeyPem,
  alipayPublicKeyPem: liveKeys.platform.publicKeyPem,
});

// The live host: an Alipay simulator of its own, as CANCAN_ALIPAY_URL.
const liveHost = useSimulatorServer('alipay', ({ dir, ledger, notifier }) => {
  liveKeys = loadOrCreateAlipaySandboxKeys(join(dir, 'data'));
  return alipaySimulator({
    ledger,
    notifier,
    apps: [APP_A, APP_B].map((appId) => ({ appId, appPublicKeyPem: liveKeys.app.publicKeyPem })),
    platformPrivateKeyPem: liveKeys.platform.privateKeyPem,
    confirmDelayMs: 300,
    slowResponseMs: 3_000,
  });
});

const formOf = (params: Readonly<Record<string, string>>): string => new URLSearchParams(params).toString();

for (const kind of DB_KINDS) {
  describe(`Alipay notifications end to end (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    let ipn: IpnReceiver;
    before(async () => {
      // Polling slowed to minutes once notifications are known to arrive: only a notification can end a charge quickly.
      t = await startTestApp(kind, { CANCAN_NOTIFIED_POLL_MS: '300000', CANCAN_ALIPAY_URL: `${liveHost.baseUrl}/gateway.do` });
      m = await t.merchant(['alipay']);
      ipn = await startIpnReceiver();
    });
    after(async () => {
      await ipn.close();
      await t.close();
    });

    const db = () => t.app.deps.store.db;
    const row = (seq: number) => db().selectFrom('transactions').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
    const job = (seq: number) =>
      db().selectFrom('jobs').selectAll().where('transaction_seq', '=', seq).where('kind', '=', 'transaction').executeTakeFirstOrThrow();
    const stored = (orderNo: string) =>
      db()
        .selectFrom('provider_notifications')
        .select(['verdict', 'reason', 'duplicates', 'claimed_status', 'transaction_seq', 'merchant_id', 'mode', 'received_at'])
        .where('provider', '=', 'alipay')
        .where('order_no', '=', orderNo)
        .orderBy('id')
        .execute();
    const ipnsOf = async (seq: number) => (await db().selectFrom('notifications').select('id').where('transaction_seq', '=', seq).execute()).length;
    const deliveries = async (orderNo: string): Promise<NotificationDelivery[]> =>
      ((await call(t.url, 'GET', '/_sandbox/notifications')).body as { deliveries: NotificationDelivery[] }).deliveries.filter(
        (delivery) => delivery.provider === 'alipay' && delivery.order_no === orderNo,
      );
    const notify = (body: string) =>
      call(t.url, 'POST', '/notify/alipay', { raw: body, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } });

    /** A charge whose precreated order exists, waiting for the shopper. */
    async function openCharge(key: string, amount: number): Promise<{ orderNo: string; seq: number; qrCode: string }> {
      const created = await chop(t.url, '/chop/chop', key, {
        payment_method: 'alipay',
        amount,
        currency: 'CNY',
        reference: `ref-${kind}-${amount}`,
        ipn_url: ipn.url,
      });
      assert.equal(created.status, 200, created.text);
      const ref = idFromUrl(String(created.body.url));
      const waiting = await waitFor(async () => {
        const found = await db().selectFrom('transactions').selectAll().where('ref', '=', ref).executeTakeFirst();
        return found?.step === 'await_payment' && found.provider_order_no !== null && found.qr_code !== null ? found : undefined;
      });
      return { orderNo: waiting.provider_order_no ?? '', seq: waiting.seq, qrCode: waiting.qr_code ?? '' };
    }

    /** The genuine notification fields of a charge the simulator notified, re-addressed to another order and re-signed. */
    let genuine: Record<string, string> = {};
    // Signed with the sandbox platform key (the in-process simulator's, in the data directory) unless another is given.
    const readdressed = (orderNo: string, totalAmount: string, privateKeyPem?: string, extra: Record<string, string> = {}) =>
      formOf(
        signNotifyParams(
          {
            ...genuine,
            out_trade_no: orderNo,
            total_amount: totalAmount,
            receipt_amount: totalAmount,
            notify_id: `${Date.now()}00222000000000000000`,
            trade_no: `${Date.now()}220000000000000`,
            ...extra,
          },
          privateKeyPem ?? loadOrCreateAlipaySandboxKeys(t.database.dataDir).platform.privateKeyPem,
        ),
      );

    test('the notification alone brings a paid QR charge to succeeded within a second, with one query; the IPN follows once; a replay changes nothing', async () => {
      // The first paid charge's notification proves that the merchant's notifications arrive.
      const first = await openCharge(m.apiKey, 1101);
      assert.equal((await scan(t.url, first.qrCode, 'approve')).status, 200);
      await waitFor(async () => ((await stored(first.orderNo)).some((s) => s.verdict === 'accepted') ? true : undefined));
      await waitFor(async () => ((await row(first.seq)).state === 'succeeded' ? true : undefined));

      const second = await openCharge(m.apiKey, 1102);
      const waiting = await job(second.seq);
      assert.ok(waiting.run_at - Date.now() > 200_000, `next poll in ${waiting.run_at - Date.now()} ms`);
      assert.equal((await scan(t.url, second.qrCode, 'approve')).status, 200);
      const succeededAt = await waitFor(async () => ((await row(second.seq)).state === 'succeeded' ? Date.now() : undefined), 60_000);
      const [accepted, ...others] = await stored(second.orderNo);
      assert.deepEqual(others, []);
      assert.ok(accepted !== undefined);
      assert.deepEqual(
        [accepted.verdict, accepted.reason, accepted.claimed_status, accepted.transaction_seq, accepted.merchant_id, accepted.mode],
        ['accepted', null, 'paid', second.seq, m.id, 'test'],
      );
      assert.ok(succeededAt - accepted.received_at < 1_000, `succeeded ${succeededAt - accepted.received_at} ms after the notification was accepted`);
      const [delivery] = await deliveries(second.orderNo);
      assert.ok(delivery?.acknowledged, JSON.stringify(delivery));
      assert.equal(delivery.attempts, 1);
      // Created, then confirmed by exactly one query.
      assert.deepEqual(
        (await listAttempts(db(), second.seq)).map((a) => [a.call, a.outcome, a.repeat_count]),
        [
          ['alipay.trade.precreate', 'created', 1],
          ['alipay.trade.query', 'paid', 1],
        ],
      );
      await waitFor(() => (ipn.received.some((r) => r.fields.reference === `ref-${kind}-1102`) ? true : undefined));
      assert.equal(await ipnsOf(second.seq), 1);

      // Alipay resends the same notification (same notify_id): acknowledged, counted, nothing else happens.
      const parsed = parseNotifyForm(delivery.body);
      assert.ok(parsed.ok);
      genuine = { ...parsed.params };
      const before = await row(second.seq);
      const replayed = await notify(delivery.body);
      assert.equal(replayed.status, 200);
      assert.equal(replayed.text, ALIPAY_NOTIFY_ACK);
      assert.deepEqual(
        (await stored(second.orderNo)).map((s) => [s.verdict, s.duplicates]),
        [['accepted', 1]],
      );
      assert.equal((await row(second.seq)).version, before.version);
      assert.equal(await ipnsOf(second.seq), 1);
      assert.equal(ipn.received.filter((r) => r.fields.reference === `ref-${kind}-1102`).length, 1);
    });

    test('forged and mismatched notifications are refused with their reason, stored, and change nothing', async () => {
      assert.ok(genuine['out_trade_no'] !== undefined, 'runs after the first test');
      const open = await openCharge(m.apiKey, 1103);
      const rowBefore = await row(open.seq);
      const jobBefore = await job(open.seq);

      const forged = await notify(readdressed(open.orderNo, '11.03', otherKeyPair().privateKey));
      assert.equal(forged.status, 200);
      assert.equal(forged.text, ALIPAY_NOTIFY_NACK);
      const mismatched = await notify(readdressed(open.orderNo, '11.04'));
      assert.equal(mismatched.text, ALIPAY_NOTIFY_NACK);
      const otherCurrency = await notify(readdressed(open.orderNo, '11.03', undefined, { trans_currency: 'USD' }));
      assert.equal(otherCurrency.text, ALIPAY_NOTIFY_NACK);

      assert.deepEqual(
        (await stored(open.orderNo)).map((s) => [s.verdict, s.reason, s.transaction_seq, s.merchant_id, s.mode]),
        [
          ['refused', 'the RSA2 signature does not verify with the Alipay public key', open.seq, m.id, 'test'],
          ['refused', "amount 1104 differs from the order's 1103", open.seq, m.id, 'test'],
          ['refused', "currency USD differs from the order's CNY", open.seq, m.id, 'test'],
        ],
      );
      const rowAfter = await row(open.seq);
      assert.equal(rowAfter.version, rowBefore.version);
      assert.equal(rowAfter.state, 'pending');
      assert.equal((await job(open.seq)).run_at, jobBefore.run_at);
      assert.equal(await ipnsOf(open.seq), 0);
    });

    test("live mode: Alipay's genuinely signed notification for another app, naming this merchant's order, is refused and changes nothing", async () => {
      const merchantA = await t.merchant(['alipay']);
      const now = Date.now();
      await saveProviderCredentials(db(), t.app.deps.secrets, merchantA.id, 'alipay', liveCredentials(APP_A), now);
      const liveKey = (await createApiKey(db(), t.app.deps.secrets, { merchantId: merchantA.id, mode: 'live', now })).apiKey;
      const open = await openCharge(liveKey, 1105);
      const rowBefore = await row(open.seq);

      const forAppB = { app_id: APP_B, auth_app_id: APP_B };
      const answer = await notify(readdressed(open.orderNo, '11.05', liveKeys.platform.privateKeyPem, forAppB));
      assert.equal(answer.text, ALIPAY_NOTIFY_NACK);
      // Naming app A, but signed with a key that is not the live host's: the signature gives it away.
      const posing = await notify(readdressed(open.orderNo, '11.05', otherKeyPair().privateKey, { app_id: APP_A, auth_app_id: APP_A }));
      assert.equal(posing.text, ALIPAY_NOTIFY_NACK);
      assert.deepEqual(
        (await stored(open.orderNo)).map((s) => [s.verdict, s.reason, s.merchant_id, s.mode]),
        [
          ['refused', `app_id ${APP_B} is not this merchant's`, merchantA.id, 'live'],
          ['refused', 'the RSA2 signature does not verify with the Alipay public key', merchantA.id, 'live'],
        ],
      );
      const rowAfter = await row(open.seq);
      assert.equal(rowAfter.version, rowBefore.version);
      assert.equal(rowAfter.state, 'pending');
    });
  });
}
