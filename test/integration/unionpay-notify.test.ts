/**
 * UnionPay's back notification end to end, on both databases: with polling
 * slowed to minutes for a merchant already notified, the simulator's
 * notification alone brings a UnionPay redirect charge to `succeeded` (one
 * query after the form was posted), and the merchant's IPN follows. Forged,
 * replayed, foreign-merchant (live mode, through the certificate chain) and
 * mismatched-amount notifications change nothing and are stored refused with
 * their reason.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadOrCreateUnionPaySandboxKeys, UNIONPAY_SANDBOX_MER_ID, UNIONPAY_SIGNING_CERT_FILE } from '../../src/providers/unionpay/keys.js';
import { UNIONPAY_NOTIFY_ACK_BODY } from '../../src/providers/unionpay/notifications.js';
import { signFields } from '../../src/providers/unionpay/sign.js';
import { saveProviderCredentials } from '../../src/store/credentials.js';
import { scan } from '../support/chop.js';
import { DB_KINDS } from '../support/databases.js';
import { type OpenCharge, type PaidCharge, useNotifyE2e } from '../support/notify-e2e.js';
import { createTestCa, type TestCa } from '../contract/unionpay-ca.js';

const NOTIFY_PATH = '/notify/unionpay';
const FORM = 'application/x-www-form-urlencoded;charset=UTF-8';
const OTHER_MER_ID = '898111453110482';

/** The signed form the shopper's browser posts to UnionPay. */
const payFormOf = (charge: OpenCharge) => JSON.parse(charge.payForm ?? '') as { action: string; fields: Record<string, string> };

for (const kind of DB_KINDS) {
  describe(`UnionPay back notification end to end (${kind})`, () => {
    let ca: TestCa | undefined;
    const e2e = useNotifyE2e({
      kind,
      provider: 'unionpay',
      paymentMethod: 'upop',
      currency: 'CNY',
      queryCall: 'queryTrans',
      env: () => ({ CANCAN_SIM_NOTIFY_RETRY_MS: '200' }),
      // Live mode's "UnionPay" is the in-process simulator.
      liveUrlSetting: 'CANCAN_UNIONPAY_URL',
      // The simulator sends its signing certificate (from a CA of the test's own), so live mode can check the chain.
      prepare: (database) => {
        const keys = loadOrCreateUnionPaySandboxKeys(database.dataDir);
        ca = createTestCa('Notify E2E CA');
        writeFileSync(join(database.dataDir, UNIONPAY_SIGNING_CERT_FILE), ca.issue({ privateKeyPem: keys.unionPay.privateKeyPem }));
      },
      // The shopper's browser posts the signed form (the order exists at UnionPay, its payment page is open), then pays.
      pay: async (app, charge) => {
        await postForm(charge);
        assert.equal((await scan(app.url, charge.qrCode, 'approve')).status, 200);
      },
    });
    after(() => ca?.dispose());

    const sandboxKeys = () => loadOrCreateUnionPaySandboxKeys(e2e.database.dataDir);
    const testCa = (): TestCa => {
      assert.ok(ca !== undefined, 'the CA is made before the app starts');
      return ca;
    };

    async function postForm(charge: OpenCharge): Promise<void> {
      const form = payFormOf(charge);
      const page = await fetch(form.action, {
        method: 'POST',
        headers: { 'content-type': FORM },
        body: new URLSearchParams(form.fields).toString(),
      });
      assert.equal(page.status, 200, await page.text());
    }

    async function postNotification(fields: Readonly<Record<string, string>>) {
      const response = await fetch(`${e2e.url}${NOTIFY_PATH}`, {
        method: 'POST',
        headers: { 'content-type': FORM },
        body: new URLSearchParams({ ...fields }).toString(),
      });
      return { status: response.status, body: await response.text() };
    }

    /** The fields UnionPay's back notification of `charge` carries (before signing). */
    function consumeFields(charge: OpenCharge, amount: string, merId = payFormOf(charge).fields['merId'] ?? ''): Record<string, string> {
      return {
        version: '5.1.0',
        encoding: 'UTF-8',
        signMethod: '01',
        txnType: '01',
        txnSubType: '01',
        bizType: '000201',
        accessType: '0',
        merId,
        orderId: charge.orderNo,
        txnTime: payFormOf(charge).fields['txnTime'] ?? '',
        txnAmt: amount,
        currencyCode: '156',
        queryId: '261204194010123456789',
        traceNo: '123456',
        traceTime: '1204194010',
        respCode: '00',
        respMsg: 'Success!',
      };
    }

    let paid: PaidCharge | undefined;

    test('a notified merchant: the notification alone brings the charge to succeeded, one query, the IPN follows', async () => {
      await e2e.warmUp();
      paid = await e2e.payAndSettleByNotification(1100, [
        ['frontTransReq', 'created'],
        ['queryTrans', 'paid'],
      ]);
    });

    test('the same notification again: acknowledged, nothing changes, no second IPN', async () => {
      assert.ok(paid !== undefined, 'the first test paid an order');
      const { delivery } = paid;
      await e2e.assertReplayChangesNothing(paid, () => postNotification(Object.fromEntries(new URLSearchParams(delivery.body))), UNIONPAY_NOTIFY_ACK_BODY);
    });

    test('forged and mismatched-amount notifications for an open charge: refused, stored with the reason, nothing changes', async () => {
      const open = await e2e.openCharge(e2e.merchant.apiKey, 1200);
      await postForm(open);
      const before = await e2e.snapshot(open);
      const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const forged = await postNotification(signFields(consumeFields(open, '1200'), forger));
      assert.notEqual(forged.status, 200);
      const mismatched = await postNotification(signFields(consumeFields(open, '1'), sandboxKeys().unionPay.privateKeyPem));
      assert.notEqual(mismatched.status, 200);

      await e2e.assertRefusedAndUnchanged(open, before, ['the signature does not verify', "amount 1 differs from the order's 1200"]);
    });

    test("live mode: another merchant's notification for this merchant's order is refused through merId and the certificate chain", async () => {
      const keys = sandboxKeys();
      const ca = testCa();
      const now = Date.now();
      const merchantId = e2e.merchant.id;
      await saveProviderCredentials(
        e2e.db(),
        e2e.app.deps.secrets,
        merchantId,
        'unionpay',
        {
          merId: UNIONPAY_SANDBOX_MER_ID,
          certId: '1001',
          merchantPrivateKeyPem: keys.merchant.privateKeyPem,
          merchantCertPem: ca.issue({ privateKeyPem: keys.merchant.privateKeyPem, identity: UNIONPAY_SANDBOX_MER_ID, serial: 1001n }),
          rootCertPem: ca.rootCertPem,
          middleCertPem: ca.middleCertPem,
        },
        now,
      );
      const liveKey = await e2e.liveKey(merchantId, now);
      // Another merchant under the same UnionPay root, with its own signing key and certificate.
      const other = await e2e.newMerchant('Other Shop');
      const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const otherCert = ca.issue({ privateKeyPem: otherKey, identity: OTHER_MER_ID, serial: 1002n });
      await saveProviderCredentials(
        e2e.db(),
        e2e.app.deps.secrets,
        other.id,
        'unionpay',
        {
          merId: OTHER_MER_ID,
          certId: '1002',
          merchantPrivateKeyPem: otherKey,
          merchantCertPem: otherCert,
          rootCertPem: ca.rootCertPem,
          middleCertPem: ca.middleCertPem,
        },
        now,
      );

      const open = await e2e.openCharge(liveKey, 1300);
      const before = await e2e.row(open.seq);
      const unionPayCert = ca.issue({ privateKeyPem: keys.unionPay.privateKeyPem });
      // UnionPay's genuine signature and certificate, but for the other merchant's merId.
      const otherMerchant = await postNotification(
        signFields({ ...consumeFields(open, '1300', OTHER_MER_ID), signPubKeyCert: unionPayCert }, keys.unionPay.privateKeyPem),
      );
      assert.notEqual(otherMerchant.status, 200);
      // The other merchant's own key and certificate (same root): not UnionPay's certificate.
      const otherSigner = await postNotification(signFields({ ...consumeFields(open, '1300'), signPubKeyCert: otherCert }, otherKey));
      assert.notEqual(otherSigner.status, 200);

      await e2e.assertLiveRefusedAndUnchanged(open, before, merchantId, [
        "merId names another merchant than the order's",
        `untrusted signing certificate: signPubKeyCert's CN does not name 中国银联股份有限公司 (found "${OTHER_MER_ID}")`,
      ]);
    });
  });
}
