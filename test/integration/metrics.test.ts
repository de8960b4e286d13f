/**
 * Prometheus metrics over real HTTP: the series move by what was done (POS
 * sales, a paid CHOP charge with its IPN, IPNs that fail and are given up),
 * the queue gauges read the job table, and /metrics is guarded by its token
 * or moved to its own port.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTransaction } from '../../src/core/create-transaction.js';
import { validateTransactionRequest } from '../../src/core/validate.js';
import { createApiKey, createMerchant } from '../../src/store/merchants.js';
import { gatewayCodes } from '../../src/providers/registry.js';
import { call, saleBody, uniqueId, waitFinal } from '../support/client.js';
import { CHOP_METHODS, type IpnReceiver, chop, idFromUrl, scan, startIpnReceiver, waitFor } from '../support/chop.js';
import { DB_KINDS, createTestDatabase } from '../support/databases.js';
import { FAST_ENV, type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { freePort } from '../support/process.js';

type Labels = Record<string, string>;

/** The value of the series `name` with exactly these labels, or undefined. */
function sample(text: string, name: string, labels: Labels = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    const same = Object.keys(found).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => found[k] === v);
    if (same) return Number(match[3]);
  }
  return undefined;
}

async function scrape(url: string, token?: string): Promise<string> {
  const response = await fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** How far a series moved between two scrapes (an absent series counts as 0 before, never after). */
function moved(before: string, after: string, name: string, labels: Labels = {}): number {
  const now = sample(after, name, labels);
  assert.notEqual(now, undefined, `${name}${JSON.stringify(labels)} is missing`);
  return (now ?? 0) - (sample(before, name, labels) ?? 0);
}

for (const kind of DB_KINDS) {
  describe(`metrics (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    let receiver: IpnReceiver;
    let downReceiver: IpnReceiver;
    before(async () => {
      t = await startTestApp(kind, { CANCAN_IPN_RETRY_SCHEDULE: '0,200ms', CANCAN_IPN_GIVE_UP_MS: '1000' });
      m = await t.merchant([...gatewayCodes(), ...CHOP_METHODS]);
      receiver = await startIpnReceiver();
      downReceiver = await startIpnReceiver(1_000);
    });
    after(async () => {
      await receiver.close();
      await downReceiver.close();
      await t.close();
    });

    const qrOf = (id: string) =>
      waitFor(
        async () => (await t.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirst())?.qr_code ?? undefined,
      );

    test('sales, a charge and its IPNs move their series by exactly what happened', async () => {
      const first = await scrape(t.url);
      assert.notEqual(sample(first, 'process_cpu_user_seconds_total'), undefined, 'default process metrics are kept');

      const paid = uniqueId('paid');
      const declined = uniqueId('declined');
      for (const [id, amount] of [
        [paid, 1000],
        [declined, 1051],
      ] as const) {
        assert.equal((await call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: saleBody(id, amount) })).status, 201);
      }
      assert.equal((await waitFinal(t.url, m.apiKey, paid)).body.data.attributes.state, 'succeeded');
      assert.equal((await waitFinal(t.url, m.apiKey, declined)).body.data.attributes.state, 'failed');
      assert.equal((await call(t.url, 'GET', `/no-such-page-${paid}`)).status, 404);

      const created = await chop(t.url, '/chop/chop', m.apiKey, {
        payment_method: 'wechatpay',
        amount: 1000,
        currency: 'USD',
        reference: uniqueId('ref'),
        ipn_url: receiver.url,
      });
      const chargeId = idFromUrl(created.body.url);
      await scan(t.url, await qrOf(chargeId), 'approve');
      await waitFor(() => receiver.received.find((r) => r.fields.id === chargeId));

      // A receiver that always fails: tried at once, again 200 ms later, then given up (the give-up age is 1 s).
      const doomed = await chop(t.url, '/chop/chop', m.apiKey, {
        payment_method: 'wechatpay',
        amount: 1000,
        currency: 'USD',
        reference: uniqueId('ref'),
        ipn_url: downReceiver.url,
      });
      const doomedId = idFromUrl(doomed.body.url);
      await scan(t.url, await qrOf(doomedId), 'approve');
      const ipnOutcome = (text: string, outcome: string) => sample(text, 'cancan_ipn_deliveries_total', { outcome }) ?? 0;
      // The counters move after the delivery's commit, a moment after the receiver has answered.
      const last = await waitFor(async () => {
        const text = await scrape(t.url);
        return ipnOutcome(text, 'delivered') >= 1 && ipnOutcome(text, 'given_up') >= 1 ? text : undefined;
      });

      const http = (labels: Labels) => moved(first, last, 'cancan_http_request_duration_seconds_count', labels);
      assert.equal(http({ method: 'POST', route: '/api/v2/transactions', status_code: '201' }), 2);
      assert.ok(http({ method: 'GET', route: '/api/v2/transactions/:id', status_code: '200' }) >= 2);
      assert.equal(http({ method: 'GET', route: 'unmatched', status_code: '404' }), 1);
      assert.equal(http({ method: 'POST', route: '/chop/chop', status_code: '200' }), 2);
      assert.ok(!last.includes(paid), 'raw URLs never become label values');

      const sales = { type: 'sale', gateway: 'wechatpay_cn_domestic', mode: 'test' };
      assert.equal(moved(first, last, 'cancan_transactions_created_total', { ...sales, channel: 'pos' }), 2);
      assert.equal(moved(first, last, 'cancan_transactions_finalised_total', { ...sales, state: 'succeeded' }), 1);
      assert.equal(moved(first, last, 'cancan_transactions_finalised_total', { ...sales, state: 'failed' }), 1);
      const charges = { type: 'charge', gateway: 'wechatpay', mode: 'test' };
      assert.equal(moved(first, last, 'cancan_transactions_created_total', { ...charges, channel: 'chop' }), 2);
      assert.equal(moved(first, last, 'cancan_transactions_finalised_total', { ...charges, state: 'succeeded' }), 2);

      const micropay = { provider: 'wechatpay', call: 'micropay' };
      assert.equal(moved(first, last, 'cancan_provider_call_duration_seconds_count', micropay), 2);
      assert.equal(moved(first, last, 'cancan_provider_calls_total', { ...micropay, outcome: 'paid' }), 1);
      assert.equal(moved(first, last, 'cancan_provider_calls_total', { ...micropay, outcome: 'declined' }), 1);
      assert.equal(moved(first, last, 'cancan_provider_calls_total', { provider: 'wechatpay', call: 'unifiedorder', outcome: 'created' }), 2);

      assert.equal(moved(first, last, 'cancan_ipn_deliveries_total', { outcome: 'delivered' }), 1);
      assert.equal(moved(first, last, 'cancan_ipn_deliveries_total', { outcome: 'given_up' }), 1);
      // Every attempt at the failing receiver but the last was a failed attempt to be retried. On a slow machine the
      // first attempt may already be past the give-up age: then there is no failed attempt, and no such series yet.
      const failedAttempts = (text: string) => sample(text, 'cancan_ipn_deliveries_total', { outcome: 'failed' }) ?? 0;
      assert.equal(failedAttempts(last) - failedAttempts(first), downReceiver.hits - 1);

      for (const jobKind of ['transaction', 'notification']) {
        assert.notEqual(sample(last, 'cancan_job_queue_depth', { kind: jobKind }), undefined);
        assert.notEqual(sample(last, 'cancan_job_queue_oldest_due_age_seconds', { kind: jobKind }), undefined);
      }
    });
  });
}

describe('metrics: the job queue without a worker', () => {
  test('a due job shows in the depth and age gauges, a rolled-back creation counts nothing, a failing database leaves the rest of the scrape intact', async () => {
    const database = await createTestDatabase('sqlite');
    let now = Date.UTC(2026, 0, 5, 12, 0, 0);
    const config = loadConfig({ ...FAST_ENV, LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', CANCAN_DATA_DIR: database.dataDir });
    const app = await startApp(config, { worker: false, clock: { now: () => now } });
    try {
      const merchant = await createMerchant(app.deps.store.db, { name: 'Queue Shop', timezone: 'UTC', gateways: gatewayCodes(), now });
      const { apiKey } = await createApiKey(app.deps.store.db, app.deps.secrets, { merchantId: merchant.id, mode: 'test', now });
      const idle = await scrape(app.url);
      assert.equal(sample(idle, 'cancan_job_queue_depth', { kind: 'transaction' }), 0);
      assert.equal(sample(idle, 'cancan_job_queue_oldest_due_age_seconds', { kind: 'transaction' }), 0);

      assert.equal((await call(app.url, 'POST', '/api/v2/transactions', { key: apiKey, body: saleBody(uniqueId('q'), 1000) })).status, 201);
      now += 90_000;
      const due = await scrape(app.url);
      assert.equal(sample(due, 'cancan_job_queue_up'), 1);
      assert.equal(sample(due, 'cancan_job_queue_depth', { kind: 'transaction' }), 1);
      assert.equal(sample(due, 'cancan_job_queue_oldest_due_age_seconds', { kind: 'transaction' }), 90);
      assert.equal(sample(due, 'cancan_job_queue_depth', { kind: 'notification' }), 0);
      assert.equal(sample(due, 'cancan_transactions_created_total', { type: 'sale', gateway: 'wechatpay_cn_domestic', channel: 'pos', mode: 'test' }), 1);

      // A creation whose database transaction rolls back counts nothing; the same request committed counts once.
      const validated = validateTransactionRequest(saleBody(uniqueId('rb'), 1000));
      assert.ok(validated.ok);
      const caller = { merchant, mode: 'test' as const };
      await assert.rejects(
        createTransaction(app.deps, caller, validated.request, async () => {
          throw new Error('roll back');
        }),
        /roll back/,
      );
      const sales = { type: 'sale', gateway: 'wechatpay_cn_domestic', channel: 'pos', mode: 'test' };
      assert.equal(sample(await scrape(app.url), 'cancan_transactions_created_total', sales), 1);
      await createTransaction(app.deps, caller, validated.request);
      assert.equal(sample(await scrape(app.url), 'cancan_transactions_created_total', sales), 2);

      await app.deps.store.close();
      const broken = await scrape(app.url);
      assert.equal(sample(broken, 'cancan_job_queue_depth', { kind: 'transaction' }), undefined);
      assert.equal(sample(broken, 'cancan_job_queue_up'), 0);
      assert.notEqual(sample(broken, 'process_cpu_user_seconds_total'), undefined);
    } finally {
      await app.close().catch(() => undefined);
      await database.drop();
    }
  });
});

describe('metrics: access', () => {
  test('with CANCAN_METRICS_TOKEN, /metrics needs the bearer token', async () => {
    const token = `mt_${uniqueId('token')}`;
    const t = await startTestApp('sqlite', { CANCAN_METRICS_TOKEN: token });
    try {
      const status = async (headers: Record<string, string>) => (await fetch(`${t.url}/metrics`, { headers })).status;
      assert.equal(await status({}), 401);
      assert.equal(await status({ authorization: `Bearer ${token}x` }), 401);
      assert.equal(await status({ authorization: `Bearer ${token.slice(0, -1)}` }), 401);
      assert.equal(await status({ authorization: token }), 401);
      assert.equal(await status({ authorization: `Bearer ${token}` }), 200);
      assert.match(await scrape(t.url, token), /cancan_http_request_duration_seconds_count\{method="GET",route="\/metrics",status_code="401"\} 4/);
    } finally {
      await t.close();
    }
  });

  test('with CANCAN_METRICS_PORT, /metrics is on that port only', async () => {
    const port = await freePort();
    const t = await startTestApp('sqlite', { CANCAN_METRICS_PORT: String(port) });
    const metricsUrl = `http://127.0.0.1:${port}`;
    let closed = false;
    try {
      assert.equal((await fetch(`${t.url}/metrics`)).status, 404);
      const text = await scrape(metricsUrl);
      assert.notEqual(sample(text, 'cancan_job_queue_depth', { kind: 'transaction' }), undefined);
      assert.equal((await fetch(`${metricsUrl}/other`)).status, 404);
      await t.close();
      closed = true;
      assert.equal(
        await fetch(`${metricsUrl}/metrics`).then(
          () => 'reachable',
          () => 'closed',
        ),
        'closed',
        'the metrics server closes with the app',
      );
    } finally {
      if (!closed) await t.close();
    }
  });
});
