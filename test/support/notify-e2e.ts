/**
 * The shared shape of the providers' notification end-to-end tests: an app
 * whose polling slows to minutes once a merchant is known to be notified, an
 * IPN receiver, charges waiting for the shopper, and the assertions every
 * provider's notification must meet (the notification alone settles a paid
 * charge with one query and one IPN; a replay, a forgery or a mismatch
 * changes nothing). Each test file keeps only how its provider pays, forges
 * and tampers.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before } from 'node:test';
import type { App } from '../../src/app.js';
import type { NotificationDelivery } from '../../src/simulators/notify-sender.js';
import { listAttempts } from '../../src/store/attempts.js';
import { createApiKey, createMerchant } from '../../src/store/merchants.js';
import { chop, idFromUrl, scan, startIpnReceiver, waitFor, type IpnReceiver } from './chop.js';
import { call } from './client.js';
import { createTestDatabase, type DbKind, type TestDatabase } from './databases.js';
import { startForwarder, type Forwarder } from './forwarder.js';
import { startAppOn } from './harness.js';

export interface NotifyE2eOptions {
  readonly kind: DbKind;
  /** The provider as stored on notifications and deliveries. */
  readonly provider: string;
  /** The payment method charges use (also the merchant's gateway). */
  readonly paymentMethod: string;
  readonly currency: string;
  /** The query call that confirms a notified payment. */
  readonly queryCall: string;
  /** Settings besides the slowed polling; a function when they are only known once the simulators run. */
  readonly env?: () => Record<string, string>;
  /** When live mode's provider is the in-process simulator: the setting that points to it (through a forwarder). */
  readonly liveUrlSetting?: string;
  /** Runs on the data directory before the app starts. */
  readonly prepare?: (database: TestDatabase) => void;
  /** What the shopper does to pay an open charge (the QR code is approved by default). */
  readonly pay?: (e2e: NotifyE2e, charge: OpenCharge) => Promise<void>;
}

export interface OpenCharge {
  readonly ref: string;
  readonly reference: string;
  readonly seq: number;
  readonly orderNo: string;
  readonly qrCode: string;
  readonly payForm: string | null;
  readonly amount: number;
}

export interface PaidCharge {
  readonly charge: OpenCharge;
  readonly delivery: NotificationDelivery;
}

export interface NotifyE2eMerchant {
  readonly id: string;
  readonly apiKey: string;
}

/** Registers the app's start and stop; the returned object is usable inside tests. */
export function useNotifyE2e(options: NotifyE2eOptions): NotifyE2e {
  const e2e = new NotifyE2e(options);
  before(() => e2e.start());
  after(() => e2e.stop());
  return e2e;
}

export class NotifyE2e {
  database!: TestDatabase;
  app!: App;
  ipn!: IpnReceiver;
  /** The test-mode merchant whose notifications the warm-up proves to arrive. */
  merchant!: NotifyE2eMerchant;
  private forwarder: Forwarder | undefined;

  constructor(readonly options: NotifyE2eOptions) {}

  get url(): string {
    return this.app.url;
  }

  db() {
    return this.app.deps.store.db;
  }

  async start(): Promise<void> {
    const { kind, liveUrlSetting, prepare, env } = this.options;
    this.database = await createTestDatabase(kind);
    prepare?.(this.database);
    if (liveUrlSetting !== undefined) this.forwarder = await startForwarder();
    ({ app: this.app } = await startAppOn(this.database, {
      // Polling slowed to minutes once notifications are known to arrive: only a notification can end a charge quickly.
      CANCAN_NOTIFIED_POLL_MS: '300000',
      ...env?.(),
      ...(liveUrlSetting !== undefined && this.forwarder ? { [liveUrlSetting]: this.forwarder.url } : {}),
    }));
    if (this.forwarder) this.forwarder.target = `${this.app.url}/_sim/${this.options.provider}`;
    this.ipn = await startIpnReceiver();
    this.merchant = await this.newMerchant();
  }

  async stop(): Promise<void> {
    await this.ipn?.close();
    await this.app?.close();
    await this.forwarder?.close();
    await this.database?.drop();
  }

  /** A merchant of the provider's payment method with a test-mode key. */
  async newMerchant(name = 'Test Shop'): Promise<NotifyE2eMerchant> {
    const now = Date.now();
    const merchant = await createMerchant(this.db(), { name, timezone: 'UTC', gateways: [this.options.paymentMethod], now });
    const key = await createApiKey(this.db(), this.app.deps.secrets, { merchantId: merchant.id, mode: 'test', now });
    return { id: merchant.id, apiKey: key.apiKey };
  }

  async liveKey(merchantId: string, now = Date.now()): Promise<string> {
    return (await createApiKey(this.db(), this.app.deps.secrets, { merchantId, mode: 'live', now })).apiKey;
  }

  row(seq: number) {
    return this.db().selectFrom('transactions').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
  }

  job(seq: number) {
    return this.db().selectFrom('jobs').selectAll().where('transaction_seq', '=', seq).where('kind', '=', 'transaction').executeTakeFirstOrThrow();
  }

  /** The provider's notifications stored for an order, oldest first. */
  stored(orderNo: string) {
    return this.db()
      .selectFrom('provider_notifications')
      .selectAll()
      .where('provider', '=', this.options.provider)
      .where('order_no', '=', orderNo)
      .orderBy('id')
      .execute();
  }

  async ipnsOf(seq: number): Promise<number> {
    return (await this.db().selectFrom('notifications').select('id').where('transaction_seq', '=', seq).execute()).length;
  }

  ipnsReceived(charge: OpenCharge) {
    return this.ipn.received.filter((entry) => entry.fields['id'] === charge.ref && entry.fields['reference'] === charge.reference);
  }

  /** How many times the query call ran for a charge. */
  async queries(seq: number): Promise<number> {
    return (await listAttempts(this.db(), seq))
      .filter((attempt) => attempt.call === this.options.queryCall)
      .reduce((sum, attempt) => sum + attempt.repeat_count, 0);
  }

  async deliveries(orderNo: string): Promise<NotificationDelivery[]> {
    const response = await call(this.url, 'GET', '/_sandbox/notifications');
    assert.equal(response.status, 200);
    return (response.body.deliveries as NotificationDelivery[]).filter(
      (delivery) => delivery.provider === this.options.provider && delivery.order_no === orderNo,
    );
  }

  acknowledgedDelivery(orderNo: string): Promise<NotificationDelivery> {
    return waitFor(async () => (await this.deliveries(orderNo)).find((delivery) => delivery.acknowledged));
  }

  /** A charge whose order exists at the provider, waiting for the shopper (the job has planned its next poll). */
  async openCharge(key: string, amount: number): Promise<OpenCharge> {
    const reference = `ref-${this.options.kind}-${amount}`;
    const created = await chop(this.url, '/chop/chop', key, {
      payment_method: this.options.paymentMethod,
      amount,
      currency: this.options.currency,
      reference,
      ipn_url: this.ipn.url,
    });
    assert.equal(created.status, 200, created.text);
    const ref = idFromUrl(String(created.body.url));
    const waiting = await waitFor(async () => {
      const found = await this.db().selectFrom('transactions').selectAll().where('ref', '=', ref).executeTakeFirst();
      return found?.step === 'await_payment' && found.provider_order_no !== null && found.qr_code !== null ? found : undefined;
    });
    return { ref, reference, seq: waiting.seq, orderNo: waiting.provider_order_no ?? '', qrCode: waiting.qr_code ?? '', payForm: waiting.pay_form, amount };
  }

  async pay(charge: OpenCharge): Promise<void> {
    if (this.options.pay) return this.options.pay(this, charge);
    assert.equal((await scan(this.url, charge.qrCode, 'approve')).status, 200);
  }

  /** An earlier charge, paid and its notification accepted: from then on the merchant's charges are polled every 5 minutes. */
  async warmUp(): Promise<void> {
    const earlier = await this.openCharge(this.merchant.apiKey, 1000);
    await this.pay(earlier);
    await this.acknowledgedDelivery(earlier.orderNo);
    await waitFor(async () => ((await this.stored(earlier.orderNo)).some((s) => s.verdict === 'accepted') ? true : undefined));
    await waitFor(async () => ((await this.row(earlier.seq)).state === 'succeeded' ? true : undefined));
  }

  /**
   * A notified merchant's charge, paid: the notification alone brings it to succeeded within a second,
   * confirmed by exactly `attempts` (the creating call, then one query); the merchant's IPN follows once.
   */
  async payAndSettleByNotification(amount: number, attempts: ReadonlyArray<readonly [string, string]>): Promise<PaidCharge> {
    const charge = await this.openCharge(this.merchant.apiKey, amount);
    const waiting = await this.job(charge.seq);
    assert.ok(waiting.run_at - Date.now() > 200_000, `the merchant is notified: next poll in ${waiting.run_at - Date.now()} ms`);
    assert.equal(await this.queries(charge.seq), 0, 'not polled before the shopper pays');

    await this.pay(charge);
    const settled = await waitFor(async () => {
      const row = await this.row(charge.seq);
      return row.state === 'succeeded' ? { row, seenAt: Date.now() } : undefined;
    }, 60_000);
    const [accepted, ...others] = await this.stored(charge.orderNo);
    assert.deepEqual(others, []);
    assert.ok(accepted !== undefined);
    assert.deepEqual(
      [accepted.verdict, accepted.reason, accepted.claimed_status, accepted.transaction_seq, accepted.merchant_id, accepted.mode, accepted.duplicates],
      ['accepted', null, 'paid', charge.seq, this.merchant.id, 'test', 0],
    );
    const finalizedAt = settled.row.finalized_at ?? 0;
    assert.ok(finalizedAt - accepted.received_at < 1_000, `succeeded ${finalizedAt - accepted.received_at} ms after the notification was accepted`);
    assert.ok(settled.seenAt - accepted.received_at < 1_000, `seen succeeded ${settled.seenAt - accepted.received_at} ms after the notification was accepted`);
    const delivery = await this.acknowledgedDelivery(charge.orderNo);
    assert.deepEqual(
      (await this.deliveries(charge.orderNo)).map((d) => [d.acknowledged, d.attempts]),
      [[true, 1]],
    );
    assert.deepEqual(
      (await listAttempts(this.db(), charge.seq)).map((a) => [a.call, a.outcome, a.repeat_count]),
      attempts.map(([callName, outcome]) => [callName, outcome, 1]),
    );
    assert.equal(await this.queries(charge.seq), 1, 'exactly one query after the shopper paid');

    const merchantIpn = await waitFor(() => this.ipnsReceived(charge)[0]);
    assert.equal(merchantIpn.fields['notify_status'], 'success');
    assert.equal(merchantIpn.fields['amount'], String(amount));
    assert.equal(await this.ipnsOf(charge.seq), 1);
    return { charge, delivery };
  }

  /** The provider resends the same notification: acknowledged with `ack`, counted on the accepted row, nothing else happens. */
  async assertReplayChangesNothing({ charge }: PaidCharge, replay: () => Promise<{ status: number; body: string }>, ack: string): Promise<void> {
    const before = await this.row(charge.seq);
    const storedBefore = await this.stored(charge.orderNo);
    assert.deepEqual(await replay(), { status: 200, body: ack });
    assert.deepEqual(await this.row(charge.seq), before);
    assert.deepEqual(
      await this.stored(charge.orderNo),
      storedBefore.map((row) => ({ ...row, duplicates: row.duplicates + 1 })),
    );
    assert.deepEqual(
      (await this.stored(charge.orderNo)).map((s) => [s.verdict, s.duplicates]),
      [['accepted', 1]],
    );
    // A woken job would query and notify within moments: give it a second to show it was not woken.
    await sleep(1_000);
    assert.equal(await this.ipnsOf(charge.seq), 1, 'one IPN for the charge');
    assert.equal(this.ipnsReceived(charge).length, 1);
    assert.equal(await this.queries(charge.seq), 1);
  }

  /** What a test-mode refusal must leave: a snapshot before the notifications are posted. */
  async snapshot(charge: OpenCharge) {
    return { row: await this.row(charge.seq), job: await this.job(charge.seq) };
  }

  /** The notifications posted for a test-mode open charge were refused with `reasons`, in order, and changed nothing. */
  async assertRefusedAndUnchanged(charge: OpenCharge, before: Awaited<ReturnType<NotifyE2e['snapshot']>>, reasons: readonly string[]): Promise<void> {
    assert.deepEqual(
      (await this.stored(charge.orderNo)).map((s) => [s.verdict, s.reason, s.transaction_seq, s.merchant_id, s.mode]),
      reasons.map((reason) => ['refused', reason, charge.seq, this.merchant.id, 'test']),
    );
    const after = await this.row(charge.seq);
    assert.deepEqual(after, before.row);
    assert.equal(after.state, 'pending');
    assert.equal((await this.job(charge.seq)).run_at, before.job.run_at);
    assert.equal(await this.queries(charge.seq), 0, 'a refused notification wakes nothing');
    assert.equal(await this.ipnsOf(charge.seq), 0);
  }

  /**
   * The notifications posted for a live-mode open charge of `merchantId` were refused with `reasons`, in order.
   * Live mode is not "notified" yet: its polls go on, but nothing about the payment changes.
   */
  async assertLiveRefusedAndUnchanged(
    charge: OpenCharge,
    before: Awaited<ReturnType<NotifyE2e['row']>>,
    merchantId: string,
    reasons: readonly string[],
  ): Promise<void> {
    assert.equal(before.mode, 'live');
    assert.deepEqual(
      (await this.stored(charge.orderNo)).map((s) => [s.verdict, s.reason, s.merchant_id, s.mode]),
      reasons.map((reason) => ['refused', reason, merchantId, 'live']),
    );
    const after = await this.row(charge.seq);
    assert.deepEqual(
      [after.state, after.amount, after.failure_code, after.close_reason, after.finalized_at, after.version],
      ['pending', before.amount, before.failure_code, before.close_reason, before.finalized_at, before.version],
    );
    assert.equal(before.state, 'pending');
    assert.equal(await this.ipnsOf(charge.seq), 0);
  }
}
