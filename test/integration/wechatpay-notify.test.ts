/**
 * WeChat Pay's payment result notifications end to end, on both databases:
 * the simulator's notification alone (polling slowed to minutes) brings a
 * paid Native QR charge to succeeded within a second of its acknowledgement,
 * with one query to confirm it, and the merchant's IPN follows once; a
 * replayed notification is acknowledged and changes nothing; forged,
 * mismatched and foreign-merchant (live mode) notifications are refused,
 * stored with their reason, and change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WECHATPAY_SANDBOX_CREDENTIALS, type WeChatPayCredentials } from '../../src/providers/wechatpay/adapter.js';
import { WECHATPAY_NOTIFY_ACK, WECHATPAY_NOTIFY_NACK } from '../../src/providers/wechatpay/notifications.js';
import { withSignature } from '../../src/providers/wechatpay/sign.js';
import { wechatPaySimulator } from '../../src/providers/wechatpay/simulator.js';
import { buildXml, parseXml } from '../../src/providers/wechatpay/xml.js';
import type { NotificationDelivery } from '../../src/simulators/notify-sender.js';
import { listAttempts } from '../../src/store/attempts.js';
import { saveProviderCredentials } from '../../src/store/credentials.js';
import { createApiKey } from '../../src/store/merchants.js';
import { chop, idFromUrl, scan, startIpnReceiver, waitFor, type IpnReceiver } from '../support/chop.js';
import { call } from '../support/client.js';
import { useSimulatorServer } from '../support/contract.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';

/** Two live merchants the live host knows: B's notifications must never pass for A's orders. */
const LIVE_A: WeChatPayCredentials = { appId: 'wx1111111111111111', mchId: '1230000109', apiKey: 'live0merchant0a0api0key000000032', signType: 'MD5' };
const LIVE_B: WeChatPayCredentials = { appId: 'wx2222222222222222', mchId: '1230000110', apiKey: 'live0merchant0b0api0key000000032', signType: 'MD5' };

// The live host: a WeChat Pay simulator of its own, as CANCAN_WECHATPAY_URL.
const liveHost = useSimulatorServer('wechatpay', ({ ledger, notifier }) =>
  wechatPaySimulator({ ledger, notifier, credentials: [LIVE_A, LIVE_B], confirmDelayMs: 300, slowResponseMs: 3_000 }),
);

for (const kind of DB_KINDS) {
  describe(`WeChat Pay notifications end to end (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    let ipn: IpnReceiver;
    before(async () => {
      // Polling slowed to minutes once notifications are known to arrive: only a notification can end a charge quickly.
      t = await startTestApp(kind, { CANCAN_NOTIFIED_POLL_MS: '300000', CANCAN_WECHATPAY_URL: liveHost.baseUrl });
      m = await t.merchant(['wechatpay']);
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
        .where('provider', '=', 'wechatpay')
        .where('order_no', '=', orderNo)
        .orderBy('id')
        .execute();
    const ipnsOf = async (seq: number) => (await db().selectFrom('notifications').select('id').where('transaction_seq', '=', seq).execute()).length;
    const deliveries = async (orderNo: string): Promise<NotificationDelivery[]> =>
      ((await call(t.url, 'GET', '/_sandbox/notifications')).body as { deliveries: NotificationDelivery[] }).deliveries.filter(
        (delivery) => delivery.provider === 'wechatpay' && delivery.order_no === orderNo,
      );
    const notify = (body: string) => call(t.url, 'POST', '/notify/wechatpay', { raw: body, headers: { 'content-type': 'text/xml' } });

    /** A charge whose Native order exists, waiting for the shopper. */
    async function openCharge(key: string, amount: number): Promise<{ orderNo: string; seq: number; qrCode: string }> {
      const created = await chop(t.url, '/chop/chop', key, {
        payment_method: 'wechatpay',
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
    // The sandbox merchant signs HMAC-SHA256 (the genuine notification says so in sign_type).
    const readdressed = (orderNo: string, totalFee: number, apiKey = WECHATPAY_SANDBOX_CREDENTIALS.apiKey, extra: Record<string, string> = {}) =>
      buildXml(
        withSignature(
          {
            ...genuine,
            out_trade_no: orderNo,
            total_fee: String(totalFee),
            cash_fee: String(totalFee),
            transaction_id: `4200${Date.now()}0000000000`,
            ...extra,
          },
          apiKey,
          'HMAC-SHA256',
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
          ['unifiedorder', 'created', 1],
          ['orderquery', 'paid', 1],
        ],
      );
      await waitFor(() => (ipn.received.some((r) => r.fields.reference === `ref-${kind}-1102`) ? true : undefined));
      assert.equal(await ipnsOf(second.seq), 1);

      // WeChat resends the same notification: acknowledged, counted, nothing else happens.
      genuine = parseXml(delivery.body);
      const before = await row(second.seq);
      const replayed = await notify(delivery.body);
      assert.equal(replayed.status, 200);
      assert.equal(replayed.text, WECHATPAY_NOTIFY_ACK);
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

      const forged = await notify(readdressed(open.orderNo, 1103, 'not0the0merchant0api0key00000032'));
      assert.equal(forged.status, 200);
      assert.equal(forged.text, WECHATPAY_NOTIFY_NACK);
      const mismatched = await notify(readdressed(open.orderNo, 1104));
      assert.equal(mismatched.text, WECHATPAY_NOTIFY_NACK);
      const otherCurrency = await notify(readdressed(open.orderNo, 1103, undefined, { fee_type: 'USD' }));
      assert.equal(otherCurrency.text, WECHATPAY_NOTIFY_NACK);

      assert.deepEqual(
        (await stored(open.orderNo)).map((s) => [s.verdict, s.reason, s.transaction_seq, s.merchant_id, s.mode]),
        [
          ['refused', "the HMAC-SHA256 signature does not verify with the merchant's API key", open.seq, m.id, 'test'],
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

    test("live mode: another merchant's genuinely signed notification for this merchant's order is refused and changes nothing", async () => {
      const merchantA = await t.merchant(['wechatpay']);
      const now = Date.now();
      await saveProviderCredentials(db(), t.app.deps.secrets, merchantA.id, 'wechatpay', LIVE_A, now);
      const liveKey = (await createApiKey(db(), t.app.deps.secrets, { merchantId: merchantA.id, mode: 'live', now })).apiKey;
      const open = await openCharge(liveKey, 1105);
      const rowBefore = await row(open.seq);

      const fromB = buildXml(
        withSignature(
          {
            return_code: 'SUCCESS',
            appid: LIVE_B.appId,
            mch_id: LIVE_B.mchId,
            nonce_str: 'c0ffee00c0ffee00c0ffee00c0ffee00',
            result_code: 'SUCCESS',
            openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
            trade_type: 'NATIVE',
            bank_type: 'OTHERS',
            total_fee: '1105',
            fee_type: 'CNY',
            cash_fee: '1105',
            transaction_id: '4200000000202612040000000001',
            out_trade_no: open.orderNo,
            time_end: '20261204120000',
          },
          LIVE_B.apiKey,
          'MD5',
        ),
      );
      const answer = await notify(fromB);
      assert.equal(answer.text, WECHATPAY_NOTIFY_NACK);
      // Signed with B's key but claiming to be A: the signature gives it away.
      const posing = await notify(fromB.replace(LIVE_B.appId, LIVE_A.appId).replace(LIVE_B.mchId, LIVE_A.mchId));
      assert.equal(posing.text, WECHATPAY_NOTIFY_NACK);
      assert.deepEqual(
        (await stored(open.orderNo)).map((s) => [s.verdict, s.reason, s.merchant_id, s.mode]),
        [
          ['refused', `appid ${LIVE_B.appId} is not this merchant's`, merchantA.id, 'live'],
          ['refused', "the MD5 signature does not verify with the merchant's API key", merchantA.id, 'live'],
        ],
      );
      const rowAfter = await row(open.seq);
      assert.equal(rowAfter.version, rowBefore.version);
      assert.equal(rowAfter.state, 'pending');
    });
  });
}
