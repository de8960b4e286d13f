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
import { describe, test } from 'node:test';
import { join } from 'node:path';
import type { AlipayCredentials } from '../../src/providers/alipay/adapter.js';
import { loadOrCreateAlipaySandboxKeys, type AlipaySandboxKeys } from '../../src/providers/alipay/keys.js';
import { ALIPAY_NOTIFY_ACK, ALIPAY_NOTIFY_NACK, parseNotifyForm, signNotifyParams } from '../../src/providers/alipay/notifications.js';
import { alipaySimulator } from '../../src/providers/alipay/simulator.js';
import { saveProviderCredentials } from '../../src/store/credentials.js';
import { call } from '../support/client.js';
import { otherKeyPair, useSimulatorServer } from '../support/contract.js';
import { DB_KINDS } from '../support/databases.js';
import { useNotifyE2e } from '../support/notify-e2e.js';

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
    const e2e = useNotifyE2e({
      kind,
      provider: 'alipay',
      paymentMethod: 'alipay',
      currency: 'CNY',
      queryCall: 'alipay.trade.query',
      env: () => ({ CANCAN_ALIPAY_URL: `${liveHost.baseUrl}/gateway.do` }),
    });
    const notify = async (body: string) => {
      const answer = await call(e2e.url, 'POST', '/notify/alipay', {
        raw: body,
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      });
      return { status: answer.status, body: answer.text };
    };

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
          privateKeyPem ?? loadOrCreateAlipaySandboxKeys(e2e.database.dataDir).platform.privateKeyPem,
        ),
      );

    test('the notification alone brings a paid QR charge to succeeded within a second, with one query; the IPN follows once; a replay changes nothing', async () => {
      await e2e.warmUp();
      const paid = await e2e.payAndSettleByNotification(1102, [
        ['alipay.trade.precreate', 'created'],
        ['alipay.trade.query', 'paid'],
      ]);
      // Alipay resends the same notification (same notify_id): acknowledged, counted, nothing else happens.
      const parsed = parseNotifyForm(paid.delivery.body);
      assert.ok(parsed.ok);
      genuine = { ...parsed.params };
      await e2e.assertReplayChangesNothing(paid, () => notify(paid.delivery.body), ALIPAY_NOTIFY_ACK);
    });

    test('forged and mismatched notifications are refused with their reason, stored, and change nothing', async () => {
      assert.ok(genuine['out_trade_no'] !== undefined, 'runs after the first test');
      const open = await e2e.openCharge(e2e.merchant.apiKey, 1103);
      const before = await e2e.snapshot(open);

      const forged = await notify(readdressed(open.orderNo, '11.03', otherKeyPair().privateKey));
      assert.deepEqual(forged, { status: 200, body: ALIPAY_NOTIFY_NACK });
      const mismatched = await notify(readdressed(open.orderNo, '11.04'));
      assert.equal(mismatched.body, ALIPAY_NOTIFY_NACK);
      const otherCurrency = await notify(readdressed(open.orderNo, '11.03', undefined, { trans_currency: 'USD' }));
      assert.equal(otherCurrency.body, ALIPAY_NOTIFY_NACK);

      await e2e.assertRefusedAndUnchanged(open, before, [
        'the RSA2 signature does not verify with the Alipay public key',
        "amount 1104 differs from the order's 1103",
        "currency USD differs from the order's CNY",
      ]);
    });

    test("live mode: Alipay's genuinely signed notification for another app, naming this merchant's order, is refused and changes nothing", async () => {
      const merchantA = await e2e.newMerchant();
      const now = Date.now();
      await saveProviderCredentials(e2e.db(), e2e.app.deps.secrets, merchantA.id, 'alipay', liveCredentials(APP_A), now);
      const open = await e2e.openCharge(await e2e.liveKey(merchantA.id, now), 1105);
      const before = await e2e.row(open.seq);

      const forAppB = { app_id: APP_B, auth_app_id: APP_B };
      const answer = await notify(readdressed(open.orderNo, '11.05', liveKeys.platform.privateKeyPem, forAppB));
      assert.equal(answer.body, ALIPAY_NOTIFY_NACK);
      // Naming app A, but signed with a key that is not the live host's: the signature gives it away.
      const posing = await notify(readdressed(open.orderNo, '11.05', otherKeyPair().privateKey, { app_id: APP_A, auth_app_id: APP_A }));
      assert.equal(posing.body, ALIPAY_NOTIFY_NACK);
      await e2e.assertLiveRefusedAndUnchanged(open, before, merchantA.id, [
        `app_id ${APP_B} is not this merchant's`,
        'the RSA2 signature does not verify with the Alipay public key',
      ]);
    });
  });
}
