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
import { describe, test } from 'node:test';
import { WECHATPAY_SANDBOX_CREDENTIALS, type WeChatPayCredentials } from '../../src/providers/wechatpay/adapter.js';
import { WECHATPAY_NOTIFY_ACK, WECHATPAY_NOTIFY_NACK } from '../../src/providers/wechatpay/notifications.js';
import { withSignature } from '../../src/providers/wechatpay/sign.js';
import { wechatPaySimulator } from '../../src/providers/wechatpay/simulator.js';
import { buildXml, parseXml } from '../../src/providers/wechatpay/xml.js';
import { saveProviderCredentials } from '../../src/store/credentials.js';
import { call } from '../support/client.js';
import { useSimulatorServer } from '../support/contract.js';
import { DB_KINDS } from '../support/databases.js';
import { useNotifyE2e } from '../support/notify-e2e.js';

/** Two live merchants the live host knows: B's notifications must never pass for A's orders. */
const LIVE_A: WeChatPayCredentials = { appId: 'wx1111111111111111', mchId: '1230000109', apiKey: 'live0merchant0a0api0key000000032', signType: 'MD5' };
const LIVE_B: WeChatPayCredentials = { appId: 'wx2222222222222222', mchId: '1230000110', apiKey: 'live0merchant0b0api0key000000032', signType: 'MD5' };

// The live host: a WeChat Pay simulator of its own, as CANCAN_WECHATPAY_URL.
const liveHost = useSimulatorServer('wechatpay', ({ ledger, notifier }) =>
  wechatPaySimulator({ ledger, notifier, credentials: [LIVE_A, LIVE_B], confirmDelayMs: 300, slowResponseMs: 3_000 }),
);

for (const kind of DB_KINDS) {
  describe(`WeChat Pay notifications end to end (${kind})`, () => {
    const e2e = useNotifyE2e({
      kind,
      provider: 'wechatpay',
      paymentMethod: 'wechatpay',
      currency: 'CNY',
      queryCall: 'orderquery',
      env: () => ({ CANCAN_WECHATPAY_URL: liveHost.baseUrl }),
    });
    const notify = async (body: string) => {
      const answer = await call(e2e.url, 'POST', '/notify/wechatpay', { raw: body, headers: { 'content-type': 'text/xml' } });
      return { status: answer.status, body: answer.text };
    };

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
      await e2e.warmUp();
      const paid = await e2e.payAndSettleByNotification(1102, [
        ['unifiedorder', 'created'],
        ['orderquery', 'paid'],
      ]);
      // WeChat resends the same notification: acknowledged, counted, nothing else happens.
      genuine = parseXml(paid.delivery.body);
      await e2e.assertReplayChangesNothing(paid, () => notify(paid.delivery.body), WECHATPAY_NOTIFY_ACK);
    });

    test('forged and mismatched notifications are refused with their reason, stored, and change nothing', async () => {
      assert.ok(genuine['out_trade_no'] !== undefined, 'runs after the first test');
      const open = await e2e.openCharge(e2e.merchant.apiKey, 1103);
      const before = await e2e.snapshot(open);

      const forged = await notify(readdressed(open.orderNo, 1103, 'not0the0merchant0api0key00000032'));
      assert.deepEqual(forged, { status: 200, body: WECHATPAY_NOTIFY_NACK });
      const mismatched = await notify(readdressed(open.orderNo, 1104));
      assert.equal(mismatched.body, WECHATPAY_NOTIFY_NACK);
      const otherCurrency = await notify(readdressed(open.orderNo, 1103, undefined, { fee_type: 'USD' }));
      assert.equal(otherCurrency.body, WECHATPAY_NOTIFY_NACK);

      await e2e.assertRefusedAndUnchanged(open, before, [
        "the HMAC-SHA256 signature does not verify with the merchant's API key",
        "amount 1104 differs from the order's 1103",
        "currency USD differs from the order's CNY",
      ]);
    });

    test("live mode: another merchant's genuinely signed notification for this merchant's order is refused and changes nothing", async () => {
      const merchantA = await e2e.newMerchant();
      const now = Date.now();
      await saveProviderCredentials(e2e.db(), e2e.app.deps.secrets, merchantA.id, 'wechatpay', LIVE_A, now);
      const open = await e2e.openCharge(await e2e.liveKey(merchantA.id, now), 1105);
      const before = await e2e.row(open.seq);

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
      assert.equal(answer.body, WECHATPAY_NOTIFY_NACK);
      // Signed with B's key but claiming to be A: the signature gives it away.
      const posing = await notify(fromB.replace(LIVE_B.appId, LIVE_A.appId).replace(LIVE_B.mchId, LIVE_A.mchId));
      assert.equal(posing.body, WECHATPAY_NOTIFY_NACK);
      await e2e.assertLiveRefusedAndUnchanged(open, before, merchantA.id, [
        `appid ${LIVE_B.appId} is not this merchant's`,
        "the MD5 signature does not verify with the merchant's API key",
      ]);
    });
  });
}
