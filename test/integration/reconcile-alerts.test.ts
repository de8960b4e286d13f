/**
 * The webhook for a day with differences (src/reconcile/alerts.ts), on both
 * databases: announced once per run with differences, signed, retried when
 * the endpoint fails, given up after its attempts; clean runs announce
 * nothing; a re-run starts its alert over.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { ALERT_MAX_ATTEMPTS, deliverAlerts } from '../../src/reconcile/alerts.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, startTestApp } from '../support/harness.js';
import { insertRun, summaryOf } from '../support/reconciliation-rows.js';

const SECRET = 'reconcile-webhook-secret-for-tests';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

describe('CANCAN_RECONCILE_WEBHOOK_URL and _SECRET', () => {
  test('a URL needs a secret of 16 characters or more, and must be http(s)', () => {
    assert.throws(() => loadConfig({ CANCAN_RECONCILE_WEBHOOK_URL: 'http://127.0.0.1:9/alerts' }), ConfigError);
    assert.throws(() => loadConfig({ CANCAN_RECONCILE_WEBHOOK_URL: 'http://127.0.0.1:9/alerts', CANCAN_RECONCILE_WEBHOOK_SECRET: 'short' }), ConfigError);
    assert.throws(() => loadConfig({ CANCAN_RECONCILE_WEBHOOK_URL: 'ftp://127.0.0.1/alerts', CANCAN_RECONCILE_WEBHOOK_SECRET: SECRET }), ConfigError);
    assert.deepEqual(loadConfig({ CANCAN_RECONCILE_WEBHOOK_URL: 'http://127.0.0.1:9/alerts', CANCAN_RECONCILE_WEBHOOK_SECRET: SECRET }).reconcileWebhook, {
      url: 'http://127.0.0.1:9/alerts',
      secret: SECRET,
    });
    assert.equal(loadConfig({}).reconcileWebhook, null);
  });
});

for (const kind of DB_KINDS) {
  describe(`reconciliation differences webhook (${kind})`, () => {
    let t: TestApp;
    let server: Server;
    const received: Received[] = [];
    /** Answers with these statuses in turn, then 200. */
    const statuses: number[] = [];
    before(async () => {
      server = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        request.on('end', () => {
          received.push({ headers: request.headers, body });
          response.writeHead(statuses.shift() ?? 200).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
      // The public URL names the dashboard link only; nothing fetches it.
      t = await startTestApp(kind, {
        CANCAN_RECONCILE_WEBHOOK_URL: url,
        CANCAN_RECONCILE_WEBHOOK_SECRET: SECRET,
        CANCAN_PUBLIC_URL: 'https://cancan.shop.example',
      });
    });
    after(async () => {
      await t.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const db = () => t.app.deps.store.db;
    const alertOf = (id: number) =>
      db().selectFrom('reconciliation_runs').select(['alert_state', 'alert_attempts', 'alert_error']).where('id', '=', id).executeTakeFirstOrThrow();
    /** As if the retry delay had passed. */
    const makeDue = (id: number) => db().updateTable('reconciliation_runs').set({ alert_next_at: 0 }).where('id', '=', id).execute();

    test('a day with differences is announced once, signed; a failed delivery is retried when due; a clean day announces nothing', async () => {
      const clean = await insertRun(db(), {
        provider: 'wechatpay',
        mode: 'test',
        merchantId: null,
        day: '2026-11-01',
        state: 'done',
        summary: summaryOf([], { matched: 3 }),
      });
      const differing = await insertRun(db(), {
        provider: 'alipay',
        mode: 'test',
        merchantId: null,
        day: '2026-11-01',
        state: 'done',
        summary: summaryOf([], { matched: 2, missing_in_cancan: 1, amount_mismatch: 1 }),
      });
      statuses.push(500);
      assert.equal(await deliverAlerts(t.app.deps), 0);
      assert.deepEqual(await alertOf(clean), { alert_state: 'none', alert_attempts: 0, alert_error: null });
      assert.deepEqual(await alertOf(differing), { alert_state: null, alert_attempts: 1, alert_error: 'HTTP 500' });
      // Not due yet: nothing is sent.
      assert.equal(await deliverAlerts(t.app.deps), 0);
      assert.equal(received.length, 1);

      await makeDue(differing);
      assert.equal(await deliverAlerts(t.app.deps), 1);
      assert.deepEqual(await alertOf(differing), { alert_state: 'sent', alert_attempts: 2, alert_error: null });
      assert.equal(received.length, 2);
      const { headers, body } = received[1]!;
      assert.equal(headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(body), {
        type: 'reconciliation.differences',
        provider: 'alipay',
        mode: 'test',
        merchant_id: null,
        day: '2026-11-01',
        counts: { matched: 2, missing_in_cancan: 1, missing_at_provider: 0, amount_mismatch: 1, status_mismatch: 0, fee_only: 0 },
        totals_agree: null,
        url: 'https://cancan.shop.example/dashboard/reconciliation/2026-11-01/alipay',
      });
      const signature = String(headers['cancan-signature']);
      const [, seconds, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature) ?? [];
      assert.equal(mac, createHmac('sha256', SECRET).update(`${seconds}.${body}`).digest('hex'));
      // Delivered: never again.
      await makeDue(differing);
      assert.equal(await deliverAlerts(t.app.deps), 0);
      assert.equal(received.length, 2);
    });

    test('an endpoint that keeps failing is given up after the last attempt; a re-run starts over', async () => {
      const id = await insertRun(db(), {
        provider: 'unionpay',
        mode: 'test',
        merchantId: null,
        day: '2026-11-02',
        state: 'done',
        summary: summaryOf([], { missing_at_provider: 1 }),
      });
      await db()
        .updateTable('reconciliation_runs')
        .set({ alert_attempts: ALERT_MAX_ATTEMPTS - 1 })
        .where('id', '=', id)
        .execute();
      const before = received.length;
      statuses.push(503);
      assert.equal(await deliverAlerts(t.app.deps), 0);
      assert.deepEqual(await alertOf(id), { alert_state: 'given_up', alert_attempts: ALERT_MAX_ATTEMPTS, alert_error: 'HTTP 503' });
      await makeDue(id);
      assert.equal(await deliverAlerts(t.app.deps), 0);
      assert.equal(received.length, before + 1);

      // The day is reconciled again (the CLI's re-run): its differences are announced again.
      await insertRun(db(), {
        provider: 'unionpay',
        mode: 'test',
        merchantId: null,
        day: '2026-11-02',
        state: 'done',
        summary: summaryOf([], { missing_at_provider: 1 }),
      });
      assert.deepEqual(await alertOf(id), { alert_state: null, alert_attempts: 0, alert_error: null });
      assert.equal(await deliverAlerts(t.app.deps), 1);
      assert.equal((await alertOf(id)).alert_state, 'sent');
    });
  });
}
