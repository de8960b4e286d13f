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
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ALIPAYPLUS_SANDBOX_CLIENT_ID, loadOrCreateAlipayPlusSandboxKeys } from '../../src/providers/alipayplus/keys.js';
import { ALIPAYPLUS_NOTIFY_ACK_BODY } from '../../src/providers/alipayplus/notifications.js';
import { signMessage } from '../../src/providers/alipayplus/sign.js';
import type { NotificationDelivery } from '../../src/simulators/notify-sender.js';
import { listAttempts } from '../../src/store/attempts.js';
import { saveProviderCredentials } from '../../src/store/credentials.js';
import { createApiKey, createMerchant } from '../../src/store/merchants.js';
import { call, uniqueId } from '../support/client.js';
import { type IpnReceiver, chop, idFromUrl, scan, startIpnReceiver, waitFor } from '../support/chop.js';
import { DB_KINDS } from '../support/databases.js';
import { type Forwarder, startForwarder } from '../support/forwarder.js';
import { type TestApp, startTestApp } from '../support/harness.js';

const NOTIFY_PATH = '/notify/alipayplus';

for (const kind of DB_KINDS) {
  describe(`Antom notifyPayment end to end (${kind})`, () => {
    let t: TestApp;
    let ipn: IpnReceiver;
    let testKey: string;
    let merchantId: string;
    let forwarder: Forwarder;

    before(async () => {
      forwarder = await startForwarder();
      t = await startTestApp(kind, {
        CANCAN_NOTIFIED_POLL_MS: '300000',
        CANCAN_SIM_NOTIFY_RETRY_MS: '200',
        CANCAN_ALIPAYPLUS_URL: forwarder.url,
      });
      // Live mode's "Antom" is the in-process simulator.
      forwarder.target = `${t.url}/_sim/alipayplus`;
      ipn = await startIpnReceiver();
      const merchant = await t.merchant(['alipay_hk']);
      merchantId = merchant.id;
      testKey = merchant.apiKey;
    });
    after(async () => {
      await ipn?.close();
      await t?.close();
      await forwarder?.close();
    });

    const db = () => t.app.deps.store.db;

    async function createCharge(key: string, amount: number): Promise<{ ref: string; seq: number; orderNo: string; qrCode: string }> {
      const created = await chop(t.url, '/chop/chop', key, {
        payment_method: 'alipay_hk',
        amount,
        currency: 'HKD',
        reference: uniqueId('antom-notify'),
        ipn_url: ipn.url,
      });
      assert.equal(created.status, 200, created.text);
      const ref = idFromUrl(created.body.url);
      const row = await waitFor(async () => {
        const found = await db().selectFrom('transactions').select(['seq', 'step', 'qr_code', 'provider_order_no']).where('ref', '=', ref).executeTakeFirst();
        // Waiting for the shopper: the job has planned its next poll.
        return found?.step === 'await_payment' && found.qr_code && found.provider_order_no ? found : undefined;
      });
      return { ref, seq: row.seq, orderNo: row.provider_order_no ?? '', qrCode: row.qr_code ?? '' };
    }

    const transactionRow = (seq: number) => db().selectFrom('transactions').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();

    async function deliveries(): Promise<NotificationDelivery[]> {
      const response = await call(t.url, 'GET', '/_sandbox/notifications');
      assert.equal(response.status, 200);
      return response.body.deliveries as NotificationDelivery[];
    }

    const acknowledgedDelivery = (orderNo: string) =>
      waitFor(async () => (await deliveries()).find((entry) => entry.provider === 'alipayplus' && entry.order_no === orderNo && entry.acknowledged));

    const notificationRows = (orderNo: string) =>
      db().selectFrom('provider_notifications').selectAll().where('provider', '=', 'alipayplus').where('order_no', '=', orderNo).orderBy('id').execute();

    const inquiries = async (seq: number): Promise<number> =>
      (await listAttempts(db(), seq)).filter((attempt) => attempt.call === 'inquiryPayment').reduce((sum, attempt) => sum + attempt.repeat_count, 0);

    async function postNotification(headers: Readonly<Record<string, string>>, body: string) {
      const response = await fetch(`${t.url}${NOTIFY_PATH}`, {
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

    const antomKeys = () => loadOrCreateAlipayPlusSandboxKeys(t.database.dataDir);

    let paidOrder: { ref: string; seq: number; orderNo: string; delivery: NotificationDelivery } | undefined;

    test('a notified merchant: the notification alone brings the charge to succeeded, one inquiry, the IPN follows', async () => {
      // An earlier charge, paid and notified: from then on the merchant's Alipay+ charges are polled every 5 minutes.
      const earlier = await createCharge(testKey, 1000);
      assert.equal((await scan(t.url, earlier.qrCode, 'approve')).status, 200);
      await acknowledgedDelivery(earlier.orderNo);
      await waitFor(async () => ((await transactionRow(earlier.seq)).state === 'succeeded' ? true : undefined));

      const charge = await createCharge(testKey, 1100);
      const waiting = await db()
        .selectFrom('jobs')
        .select('run_at')
        .where('transaction_seq', '=', charge.seq)
        .where('kind', '=', 'transaction')
        .executeTakeFirstOrThrow();
      assert.ok(waiting.run_at - Date.now() > 200_000, `the merchant is notified: next poll in ${waiting.run_at - Date.now()} ms`);
      assert.equal(await inquiries(charge.seq), 0, 'not polled before the shopper pays');
      assert.equal((await scan(t.url, charge.qrCode, 'approve')).status, 200);
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
      assert.equal(await inquiries(charge.seq), 1, 'exactly one inquiry after the pay call');
      const calls = (await listAttempts(db(), charge.seq)).map((attempt) => attempt.call);
      assert.deepEqual(calls, ['pay', 'inquiryPayment']);

      const merchantIpn = await waitFor(() => ipn.received.find((entry) => entry.fields['id'] === charge.ref));
      assert.equal(merchantIpn.fields['notify_status'], 'success');
      assert.equal(merchantIpn.fields['amount'], '1100');
      paidOrder = { ...charge, delivery };
    });

    test('the same notification again: acknowledged, nothing changes, no second IPN', async () => {
      assert.ok(paidOrder !== undefined, 'the first test paid an order');
      const before = await transactionRow(paidOrder.seq);
      const rowsBefore = await notificationRows(paidOrder.orderNo);
      const replay = await postNotification(paidOrder.delivery.headers, paidOrder.delivery.body);
      assert.deepEqual(replay, { status: 200, body: ALIPAYPLUS_NOTIFY_ACK_BODY });
      assert.deepEqual(await transactionRow(paidOrder.seq), before);
      // Stored once; the resend is counted on the accepted row.
      assert.deepEqual(
        await notificationRows(paidOrder.orderNo),
        rowsBefore.map((row) => ({ ...row, duplicates: row.duplicates + 1 })),
      );
      // A woken job would query and notify within moments: give it a second to show it was not woken.
      await sleep(1_000);
      const merchantIpns = await db().selectFrom('notifications').select('id').where('transaction_seq', '=', paidOrder.seq).execute();
      assert.equal(merchantIpns.length, 1, 'one IPN for the charge');
      assert.equal(ipn.received.filter((entry) => entry.fields['id'] === paidOrder?.ref).length, 1);
      assert.equal(await inquiries(paidOrder.seq), 1);
    });

    test('forged and mismatched-amount notifications for an open charge: refused, stored with the reason, nothing changes', async () => {
      const open = await createCharge(testKey, 1200);
      const before = await transactionRow(open.seq);
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

      const rows = await notificationRows(open.orderNo);
      assert.deepEqual(
        rows.map((row) => [row.verdict, row.reason]),
        [
          ['refused', "the signature does not verify with Antom's public key"],
          ['refused', "amount 1 differs from the order's 1200"],
        ],
      );
      assert.deepEqual(await transactionRow(open.seq), before);
      assert.equal(await inquiries(open.seq), 0, 'a refused notification wakes nothing');
    });

    test("live mode: another merchant's notification for this merchant's order is refused", async () => {
      const keys = antomKeys();
      const now = Date.now();
      await saveProviderCredentials(
        db(),
        t.app.deps.secrets,
        merchantId,
        'alipayplus',
        { clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID, merchantPrivateKeyPem: keys.merchant.privateKeyPem, providerPublicKeyPem: keys.provider.publicKeyPem },
        now,
      );
      const liveKey = (await createApiKey(db(), t.app.deps.secrets, { merchantId, mode: 'live', now })).apiKey;
      const other = await createMerchant(db(), { name: 'Other Shop', timezone: 'UTC', gateways: ['alipay_hk'], now });
      const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const otherCredentials = {
        clientId: 'SANDBOX_5YOTHER000000002',
        merchantPrivateKeyPem: otherKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        providerPublicKeyPem: keys.provider.publicKeyPem,
      };
      await saveProviderCredentials(db(), t.app.deps.secrets, other.id, 'alipayplus', otherCredentials, now);

      const open = await createCharge(liveKey, 1300);
      const before = await transactionRow(open.seq);
      assert.equal(before.mode, 'live');
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

      const rows = await notificationRows(open.orderNo);
      assert.deepEqual(
        rows.map((row) => [row.verdict, row.reason]),
        [
          ['refused', "client-id names another Antom account than the order's merchant"],
          ['refused', "the signature does not verify with Antom's public key"],
        ],
      );
      // Live mode is not "notified" yet: its polls go on (and touch the row), but nothing about the payment changes.
      const after = await transactionRow(open.seq);
      assert.deepEqual(
        [after.state, after.amount, after.failure_code, after.close_reason, after.finalized_at],
        [before.state, before.amount, before.failure_code, before.close_reason, before.finalized_at],
      );
    });
  });
}
