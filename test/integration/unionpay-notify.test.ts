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
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from '../../src/app.js';
import { loadOrCreateUnionPaySandboxKeys, UNIONPAY_SANDBOX_MER_ID, UNIONPAY_SIGNING_CERT_FILE } from '../../src/providers/unionpay/keys.js';
import { UNIONPAY_NOTIFY_ACK_BODY } from '../../src/providers/unionpay/notifications.js';
import { signFields } from '../../src/providers/unionpay/sign.js';
import type { NotificationDelivery } from '../../src/simulators/notify-sender.js';
import { listAttempts } from '../../src/store/attempts.js';
import { saveProviderCredentials } from '../../src/store/credentials.js';
import { createApiKey, createMerchant } from '../../src/store/merchants.js';
import { call, uniqueId } from '../support/client.js';
import { type IpnReceiver, chop, idFromUrl, scan, startIpnReceiver, waitFor } from '../support/chop.js';
import { DB_KINDS, type TestDatabase, createTestDatabase } from '../support/databases.js';
import { type Forwarder, startForwarder } from '../support/forwarder.js';
import { startAppOn } from '../support/harness.js';
import { createTestCa, type TestCa } from '../contract/unionpay-ca.js';

const NOTIFY_PATH = '/notify/unionpay';
const FORM = 'application/x-www-form-urlencoded;charset=UTF-8';
const OTHER_MER_ID = '898111453110482';

for (const kind of DB_KINDS) {
  describe(`UnionPay back notification end to end (${kind})`, () => {
    let database: TestDatabase;
    let app: App;
    let ca: TestCa;
    let forwarder: Forwarder;
    let ipn: IpnReceiver;
    let testKey: string;
    let merchantId: string;

    before(async () => {
      database = await createTestDatabase(kind);
      // The simulator sends its signing certificate (from a CA of the test's own), so live mode can check the chain.
      const keys = loadOrCreateUnionPaySandboxKeys(database.dataDir);
      ca = createTestCa('Notify E2E CA');
      writeFileSync(join(database.dataDir, UNIONPAY_SIGNING_CERT_FILE), ca.issue({ privateKeyPem: keys.unionPay.privateKeyPem }));
      forwarder = await startForwarder();
      ({ app } = await startAppOn(database, {
        CANCAN_NOTIFIED_POLL_MS: '300000',
        CANCAN_SIM_NOTIFY_RETRY_MS: '200',
        CANCAN_UNIONPAY_URL: forwarder.url,
      }));
      // Live mode's "UnionPay" is the in-process simulator.
      forwarder.target = `${app.url}/_sim/unionpay`;
      ipn = await startIpnReceiver();
      const now = Date.now();
      const merchant = await createMerchant(app.deps.store.db, { name: 'UnionPay Shop', timezone: 'UTC', gateways: ['upop'], now });
      merchantId = merchant.id;
      testKey = (await createApiKey(app.deps.store.db, app.deps.secrets, { merchantId, mode: 'test', now })).apiKey;
    });
    after(async () => {
      await ipn?.close();
      await app?.close();
      await forwarder?.close();
      ca?.dispose();
      await database?.drop();
    });

    const db = () => app.deps.store.db;
    const sandboxKeys = () => loadOrCreateUnionPaySandboxKeys(database.dataDir);

    interface Charge {
      readonly ref: string;
      readonly seq: number;
      readonly orderNo: string;
      readonly qrCode: string;
      readonly form: { action: string; fields: Record<string, string> };
    }

    async function createCharge(key: string, amount: number): Promise<Charge> {
      const created = await chop(app.url, '/chop/chop', key, {
        payment_method: 'upop',
        amount,
        currency: 'CNY',
        reference: uniqueId('upop-notify'),
        ipn_url: ipn.url,
      });
      assert.equal(created.status, 200, created.text);
      const ref = idFromUrl(created.body.url);
      const row = await waitFor(async () => {
        const found = await db()
          .selectFrom('transactions')
          .select(['seq', 'step', 'qr_code', 'pay_form', 'provider_order_no'])
          .where('ref', '=', ref)
          .executeTakeFirst();
        // Waiting for the shopper: the job has planned its next poll.
        return found?.step === 'await_payment' && found.qr_code && found.pay_form && found.provider_order_no ? found : undefined;
      });
      const form = JSON.parse(row.pay_form ?? '') as Charge['form'];
      return { ref, seq: row.seq, orderNo: row.provider_order_no ?? '', qrCode: row.qr_code ?? '', form };
    }

    /** The shopper's browser posts the signed form: the order exists at UnionPay, its payment page is open. */
    async function postForm(charge: Charge): Promise<void> {
      const page = await fetch(charge.form.action, {
        method: 'POST',
        headers: { 'content-type': FORM },
        body: new URLSearchParams(charge.form.fields).toString(),
      });
      assert.equal(page.status, 200, await page.text());
    }

    const transactionRow = (seq: number) => db().selectFrom('transactions').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();

    async function deliveries(): Promise<NotificationDelivery[]> {
      const response = await call(app.url, 'GET', '/_sandbox/notifications');
      assert.equal(response.status, 200);
      return response.body.deliveries as NotificationDelivery[];
    }

    const acknowledgedDelivery = (orderNo: string) =>
      waitFor(async () => (await deliveries()).find((entry) => entry.provider === 'unionpay' && entry.order_no === orderNo && entry.acknowledged));

    const notificationRows = (orderNo: string) =>
      db().selectFrom('provider_notifications').selectAll().where('provider', '=', 'unionpay').where('order_no', '=', orderNo).orderBy('id').execute();

    const queries = async (seq: number): Promise<number> =>
      (await listAttempts(db(), seq)).filter((attempt) => attempt.call === 'queryTrans').reduce((sum, attempt) => sum + attempt.repeat_count, 0);

    async function postNotification(fields: Readonly<Record<string, string>>) {
      const response = await fetch(`${app.url}${NOTIFY_PATH}`, {
        method: 'POST',
        headers: { 'content-type': FORM },
        body: new URLSearchParams({ ...fields }).toString(),
      });
      return { status: response.status, body: await response.text() };
    }

    /** The fields UnionPay's back notification of `charge` carries (before signing). */
    function consumeFields(charge: Charge, amount: string, merId = charge.form.fields['merId'] ?? ''): Record<string, string> {
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
        txnTime: charge.form.fields['txnTime'] ?? '',
        txnAmt: amount,
        currencyCode: '156',
        queryId: '261204194010123456789',
        traceNo: '123456',
        traceTime: '1204194010',
        respCode: '00',
        respMsg: 'Success!',
      };
    }

    let paid: { charge: Charge; delivery: NotificationDelivery } | undefined;

    test('a notified merchant: the notification alone brings the charge to succeeded, one query, the IPN follows', async () => {
      // An earlier charge, paid and notified: from then on the merchant's UnionPay charges are polled every 5 minutes.
      const earlier = await createCharge(testKey, 1000);
      await postForm(earlier);
      assert.equal((await scan(app.url, earlier.qrCode, 'approve')).status, 200);
      await acknowledgedDelivery(earlier.orderNo);
      await waitFor(async () => ((await transactionRow(earlier.seq)).state === 'succeeded' ? true : undefined));

      const charge = await createCharge(testKey, 1100);
      await postForm(charge);
      const waiting = await db()
        .selectFrom('jobs')
        .select('run_at')
        .where('transaction_seq', '=', charge.seq)
        .where('kind', '=', 'transaction')
        .executeTakeFirstOrThrow();
      assert.ok(waiting.run_at - Date.now() > 200_000, `the merchant is notified: next poll in ${waiting.run_at - Date.now()} ms`);
      assert.equal(await queries(charge.seq), 0, 'not polled before the shopper pays');
      assert.equal((await scan(app.url, charge.qrCode, 'approve')).status, 200);
      const delivery = await acknowledgedDelivery(charge.orderNo);
      assert.equal(delivery.attempts, 1);
      const settled = await waitFor(async () => {
        const row = await transactionRow(charge.seq);
        return row.state === 'succeeded' ? row : undefined;
      });
      const [stored] = await notificationRows(charge.orderNo);
      assert.ok(stored !== undefined);
      assert.equal(stored.verdict, 'accepted');
      assert.ok(
        (settled.finalized_at ?? 0) - stored.received_at < 1_000,
        `succeeded ${(settled.finalized_at ?? 0) - stored.received_at} ms after the notification`,
      );
      assert.equal(await queries(charge.seq), 1, 'exactly one query after the form was posted');
      assert.deepEqual(
        (await listAttempts(db(), charge.seq)).map((attempt) => attempt.call),
        ['frontTransReq', 'queryTrans'],
      );

      const merchantIpn = await waitFor(() => ipn.received.find((entry) => entry.fields['id'] === charge.ref));
      assert.equal(merchantIpn.fields['notify_status'], 'success');
      assert.equal(merchantIpn.fields['amount'], '1100');
      paid = { charge, delivery };
    });

    test('the same notification again: acknowledged, nothing changes, no second IPN', async () => {
      assert.ok(paid !== undefined, 'the first test paid an order');
      const { charge, delivery } = paid;
      const before = await transactionRow(charge.seq);
      const rowsBefore = await notificationRows(charge.orderNo);
      const replay = await postNotification(Object.fromEntries(new URLSearchParams(delivery.body)));
      assert.deepEqual(replay, { status: 200, body: UNIONPAY_NOTIFY_ACK_BODY });
      assert.deepEqual(await transactionRow(charge.seq), before);
      // Stored once; the resend is counted on the accepted row.
      assert.deepEqual(
        await notificationRows(charge.orderNo),
        rowsBefore.map((row) => ({ ...row, duplicates: row.duplicates + 1 })),
      );
      // A woken job would query and notify within moments: give it a second to show it was not woken.
      await sleep(1_000);
      const merchantIpns = await db().selectFrom('notifications').select('id').where('transaction_seq', '=', charge.seq).execute();
      assert.equal(merchantIpns.length, 1, 'one IPN for the charge');
      assert.equal(ipn.received.filter((entry) => entry.fields['id'] === charge.ref).length, 1);
      assert.equal(await queries(charge.seq), 1);
    });

    test('forged and mismatched-amount notifications for an open charge: refused, stored with the reason, nothing changes', async () => {
      const open = await createCharge(testKey, 1200);
      await postForm(open);
      const before = await transactionRow(open.seq);
      const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const forged = await postNotification(signFields(consumeFields(open, '1200'), forger));
      assert.notEqual(forged.status, 200);
      const mismatched = await postNotification(signFields(consumeFields(open, '1'), sandboxKeys().unionPay.privateKeyPem));
      assert.notEqual(mismatched.status, 200);

      const rows = await notificationRows(open.orderNo);
      assert.deepEqual(
        rows.map((row) => [row.verdict, row.reason]),
        [
          ['refused', 'the signature does not verify'],
          ['refused', "amount 1 differs from the order's 1200"],
        ],
      );
      assert.deepEqual(await transactionRow(open.seq), before);
      assert.equal(await queries(open.seq), 0, 'a refused notification wakes nothing');
    });

    test("live mode: another merchant's notification for this merchant's order is refused through merId and the certificate chain", async () => {
      const keys = sandboxKeys();
      const now = Date.now();
      await saveProviderCredentials(
        db(),
        app.deps.secrets,
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
      const liveKey = (await createApiKey(db(), app.deps.secrets, { merchantId, mode: 'live', now })).apiKey;
      // Another merchant under the same UnionPay root, with its own signing key and certificate.
      const other = await createMerchant(db(), { name: 'Other Shop', timezone: 'UTC', gateways: ['upop'], now });
      const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const otherCert = ca.issue({ privateKeyPem: otherKey, identity: OTHER_MER_ID, serial: 1002n });
      await saveProviderCredentials(
        db(),
        app.deps.secrets,
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

      const open = await createCharge(liveKey, 1300);
      const before = await transactionRow(open.seq);
      assert.equal(before.mode, 'live');
      const unionPayCert = ca.issue({ privateKeyPem: keys.unionPay.privateKeyPem });
      // UnionPay's genuine signature and certificate, but for the other merchant's merId.
      const otherMerchant = await postNotification(
        signFields({ ...consumeFields(open, '1300', OTHER_MER_ID), signPubKeyCert: unionPayCert }, keys.unionPay.privateKeyPem),
      );
      assert.notEqual(otherMerchant.status, 200);
      // The other merchant's own key and certificate (same root): not UnionPay's certificate.
      const otherSigner = await postNotification(signFields({ ...consumeFields(open, '1300'), signPubKeyCert: otherCert }, otherKey));
      assert.notEqual(otherSigner.status, 200);

      const rows = await notificationRows(open.orderNo);
      assert.deepEqual(
        rows.map((row) => [row.verdict, row.reason]),
        [
          ['refused', "merId names another merchant than the order's"],
          ['refused', `untrusted signing certificate: signPubKeyCert's CN does not name 中国银联股份有限公司 (found "${OTHER_MER_ID}")`],
        ],
      );
      const after = await transactionRow(open.seq);
      assert.deepEqual(
        [after.state, after.amount, after.failure_code, after.close_reason, after.finalized_at],
        [before.state, before.amount, before.failure_code, before.close_reason, before.finalized_at],
      );
    });
  });
}
