/**
 * Antom's notifyPayment end to end, on both databases: with polling slowed to
 * minutes for a merchant already notified, the simulator's notification alone
 * brings an Alipay+ QR charge to `succeeded` (one inquiry after the pay call),
 * and the merchant's IPN follows. Forged, replayed, foreign-merchant (live
 * mode) and mismatched-amount notifications change nothing and are stored
 * refused with their reason.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { ALIPAYPLUS_SANDBOX_CLIENT_ID, loadOrCreateAlipayPlusSandboxKeys } from '../../src/providers/alipayplus/keys.js';
import { ALIPAYPLUS_NOTIFY_ACK_BODY } from '../../src/providers/alipayplus/notifications.js';
import { signMessage } from '../../src/providers/alipayplus/sign.js';
import { saveProviderCredentials } from '../../src/store/credentials.js';
import { DB_KINDS } from '../support/databases.js';
import { type PaidCharge, useNotifyE2e } from '../support/notify-e2e.js';

const NOTIFY_PATH = '/notify/alipayplus';

for (const kind of DB_KINDS) {
  describe(`Antom notifyPayment end to end (${kind})`, () => {
    const e2e = useNotifyE2e({
      kind,
      provider: 'alipayplus',
      paymentMethod: 'alipay_hk',
      currency: 'HKD',
      queryCall: 'inquiryPayment',
      env: () => ({ CANCAN_SIM_NOTIFY_RETRY_MS: '200' }),
      // Live mode's "Antom" is the in-process simulator.
      liveUrlSetting: 'CANCAN_ALIPAYPLUS_URL',
    });

    async function postNotification(headers: Readonly<Record<string, string>>, body: string) {
      const response = await fetch(`${e2e.url}${NOTIFY_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
        body,
      });
      return { status: response.status, body: await response.text() };
    }

    /** A notifyPayment for `orderNo` signed with `privateKeyPem` as client `clientId`. */
    function signedNotification(body: Record<string, unknown>, privateKeyPem: string, clientId = ALIPAYPLUS_SANDBOX_CLIENT_ID) {
      const text = JSON.stringify(body);
      const time = String(Date.now());
      return {
        headers: {
          'client-id': clientId,
          'request-time': time,
          signature: signMessage({ httpMethod: 'POST', path: NOTIFY_PATH, clientId, time, body: text }, privateKeyPem),
        },
        body: text,
      };
    }

    const antomKeys = () => loadOrCreateAlipayPlusSandboxKeys(e2e.database.dataDir);

    let paid: PaidCharge | undefined;

    test('a notified merchant: the notification alone brings the charge to succeeded, one inquiry, the IPN follows', async () => {
      await e2e.warmUp();
      paid = await e2e.payAndSettleByNotification(1100, [
        ['pay', 'created'],
        ['inquiryPayment', 'paid'],
      ]);
    });

    test('the same notification again: acknowledged, nothing changes, no second IPN', async () => {
      assert.ok(paid !== undefined, 'the first test paid an order');
      const { delivery } = paid;
      await e2e.assertReplayChangesNothing(paid, () => postNotification(delivery.headers, delivery.body), ALIPAYPLUS_NOTIFY_ACK_BODY);
    });

    test('forged and mismatched-amount notifications for an open charge: refused, stored with the reason, nothing changes', async () => {
      const open = await e2e.openCharge(e2e.merchant.apiKey, 1200);
      const before = await e2e.snapshot(open);
      const body = {
        notifyType: 'PAYMENT_RESULT',
        result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success.' },
        paymentRequestId: open.orderNo,
        paymentId: '202612041940108001001888202044',
        paymentAmount: { currency: 'HKD', value: '1200' },
        paymentCreateTime: '2026-12-04T19:40:00+00:00',
        paymentTime: '2026-12-04T19:41:00+00:00',
      };
      const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const forged = signedNotification(body, forger);
      const forgedAnswer = await postNotification(forged.headers, forged.body);
      assert.notEqual(forgedAnswer.status, 200);

      const mismatched = signedNotification({ ...body, paymentAmount: { currency: 'HKD', value: '1' } }, antomKeys().provider.privateKeyPem);
      const mismatchedAnswer = await postNotification(mismatched.headers, mismatched.body);
      assert.notEqual(mismatchedAnswer.status, 200);

      await e2e.assertRefusedAndUnchanged(open, before, ["the signature does not verify with Antom's public key", "amount 1 differs from the order's 1200"]);
    });

    test("live mode: another merchant's notification for this merchant's order is refused", async () => {
      const keys = antomKeys();
      const now = Date.now();
      const merchantId = e2e.merchant.id;
      await saveProviderCredentials(
        e2e.db(),
        e2e.app.deps.secrets,
        merchantId,
        'alipayplus',
        { clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID, merchantPrivateKeyPem: keys.merchant.privateKeyPem, providerPublicKeyPem: keys.provider.publicKeyPem },
        now,
      );
      const liveKey = await e2e.liveKey(merchantId, now);
      const other = await e2e.newMerchant('Other Shop');
      const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const otherCredentials = {
        clientId: 'SANDBOX_5YOTHER000000002',
        merchantPrivateKeyPem: otherKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        providerPublicKeyPem: keys.provider.publicKeyPem,
      };
      await saveProviderCredentials(e2e.db(), e2e.app.deps.secrets, other.id, 'alipayplus', otherCredentials, now);

      const open = await e2e.openCharge(liveKey, 1300);
      const before = await e2e.row(open.seq);
      const body = {
        notifyType: 'PAYMENT_RESULT',
        result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success.' },
        paymentRequestId: open.orderNo,
        paymentId: '202612041940108001001888202045',
        paymentAmount: { currency: 'HKD', value: '1300' },
      };
      // Antom's genuine signature, but for the other merchant's account; and the other merchant's own key.
      const otherAccount = signedNotification(body, keys.provider.privateKeyPem, otherCredentials.clientId);
      assert.notEqual((await postNotification(otherAccount.headers, otherAccount.body)).status, 200);
      const otherSigner = signedNotification(body, otherCredentials.merchantPrivateKeyPem);
      assert.notEqual((await postNotification(otherSigner.headers, otherSigner.body)).status, 200);

      await e2e.assertLiveRefusedAndUnchanged(open, before, merchantId, [
        "client-id names another Antom account than the order's merchant",
        "the signature does not verify with Antom's public key",
      ]);
    });
  });
}
