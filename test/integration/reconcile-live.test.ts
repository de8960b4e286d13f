/**
 * Live-mode reconciliation: one run per provider account (merchant) and
 * day, with the merchant's live credentials stored through the CLI, against
 * the simulators started as a process of their own as the live hosts
 * (CANCAN_WECHATPAY_URL, CANCAN_ALIPAYPLUS_URL), on both databases.
 *
 * WeChat Pay is reconciled from its statement (downloadbill with the
 * merchant's credentials); live Antom days from its inquiry API (its
 * settlement report is the sandbox's only: StatementSource.sandboxOnly).
 * A second merchant's runs hold its own transactions only: its Antom run
 * queries its own charges, and without live WeChat Pay credentials of its
 * own its WeChat Pay run fetches nothing (never the first merchant's
 * statement).
 *
 * The simulators have one WeChat Pay account: two merchants sharing it
 * would share its statement, so the second merchant here has none.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ALIPAYPLUS_SANDBOX_CLIENT_ID, loadOrCreateAlipayPlusSandboxKeys } from '../../src/providers/alipayplus/keys.js';
import { WECHATPAY_SANDBOX_CREDENTIALS } from '../../src/providers/wechatpay/adapter.js';
import { dayOf } from '../../src/reconcile/days.js';
import { type RunResult, reconcileRun } from '../../src/reconcile/run.js';
import { claimRunNow, ensureRun, findRun, itemsOf } from '../../src/store/reconciliation.js';
import { chop, idFromUrl, scan, waitFor, waitInquire } from '../support/chop.js';
import { type ApiResponse, call, refundBody, saleBody, uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { FAST_ENV, type TestApp, startTestApp } from '../support/harness.js';
import { CLI, type ServerProcess, freePort, startServer } from '../support/process.js';

const execFileAsync = promisify(execFile);

/** The `cancan` CLI without blocking this process (CanCan's server lives in it). */
async function cancan(env: Record<string, string>, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return stdout;
}

const WECHAT = { payment_gateway: 'wechatpay_cn_domestic', currency: 'CNY', payment_auth_key: '134567890123456789' };

for (const kind of DB_KINDS) {
  describe(`live-mode reconciliation, one run per merchant account (${kind})`, () => {
    let simDir: string;
    let sims: ServerProcess;
    let t: TestApp;

    before(async () => {
      // A simulator process per database: the WeChat Pay account's statement is its whole ledger.
      simDir = mkdtempSync(join(tmpdir(), 'cancan-reconcile-live-'));
      sims = await startServer({ ...FAST_ENV, CANCAN_DATA_DIR: simDir, CANCAN_SIMULATORS: 'on', LOG_LEVEL: 'warn' }, await freePort(), {
        command: 'simulators',
        waitFor: { path: '/_sandbox/ledger' },
      });
      t = await startTestApp(kind, {
        CANCAN_WECHATPAY_URL: `${sims.url}/_sim/wechatpay`,
        CANCAN_ALIPAYPLUS_URL: `${sims.url}/_sim/alipayplus/`,
        CANCAN_RECONCILE_EVERY_MS: '0',
      });
    });
    after(async () => {
      await t?.close();
      await sims?.kill('SIGTERM');
      rmSync(simDir, { recursive: true, force: true });
    });

    const db = () => t.app.deps.store.db;
    const cliEnv = (): Record<string, string> => ({
      CANCAN_DATA_DIR: t.database.dataDir,
      ...(t.database.databaseUrl ? { DATABASE_URL: t.database.databaseUrl } : {}),
    });

    /** A merchant with a live key and the given live credentials, stored through the CLI. */
    async function liveMerchant(credentials: Readonly<Record<string, object>>): Promise<{ id: string; key: string }> {
      const merchant = await t.merchant(['wechatpay_cn_domestic', 'alipay_hk']);
      for (const [provider, value] of Object.entries(credentials)) {
        const file = join(simDir, `${merchant.id}-${provider}.json`);
        writeFileSync(file, JSON.stringify(value));
        await cancan(cliEnv(), ['provider', 'set-credentials', '--merchant', merchant.id, provider, '--file', file, '--json']);
      }
      const created = await cancan(cliEnv(), ['key', 'create', '--merchant', merchant.id, '--mode', 'live', '--json']);
      return { id: merchant.id, key: JSON.parse(created).api_key as string };
    }

    const antomCredentials = () => {
      const keys = loadOrCreateAlipayPlusSandboxKeys(simDir);
      return { clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID, merchantPrivateKeyPem: keys.merchant.privateKeyPem, providerPublicKeyPem: keys.provider.publicKeyPem };
    };

    const post = (key: string, body: unknown): Promise<ApiResponse> =>
      call(t.url, 'POST', '/api/v2/transactions', { key, body, headers: { prefer: 'wait=10' } });
    const orderNoOf = async (where: { clientId?: string; ref?: string }): Promise<string> => {
      const query = db().selectFrom('transactions').select('provider_order_no');
      const row = await (
        where.ref !== undefined ? query.where('ref', '=', where.ref) : query.where('client_id', '=', where.clientId ?? '')
      ).executeTakeFirstOrThrow();
      return row.provider_order_no ?? '';
    };

    /** A live WeChat Pay POS sale; answers its client id and order number. */
    async function wechatSale(key: string, amount: number): Promise<{ id: string; orderNo: string }> {
      const id = uniqueId('live-sale');
      const sale = await post(key, saleBody(id, amount, WECHAT));
      assert.equal(sale.body?.data?.attributes?.state, 'succeeded', sale.text);
      return { id, orderNo: await orderNoOf({ clientId: id }) };
    }

    /** A live Antom (Alipay HK) charge, scanned and paid at the live host; answers its order number. */
    async function antomCharge(key: string, amount: number): Promise<string> {
      const created = await chop(t.url, '/chop/chop', key, { payment_method: 'alipay_hk', amount, currency: 'HKD', reference: uniqueId('live') });
      assert.equal(created.status, 200, created.text);
      const id = idFromUrl(created.body.url);
      const qr = await waitFor(async () => {
        const row = await db().selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirst();
        return row?.qr_code ?? undefined;
      });
      assert.equal((await scan(sims.url, qr, 'approve')).status, 200);
      assert.equal((await waitInquire(t.url, key, id, (b) => b.notify_result !== null)).notify_result, 'success');
      return orderNoOf({ ref: id });
    }

    const runNow = async (provider: string, merchantId: string, day: string): Promise<{ result: RunResult; runId: number }> => {
      const now = Date.now();
      const stored = await ensureRun(db(), { provider, mode: 'live', merchantId, day }, now, now);
      const run = await claimRunNow(db(), stored.id, 'test-owner', now, 60_000);
      assert.ok(run);
      return { result: await reconcileRun(t.app.deps, run), runId: stored.id };
    };
    const itemRows = async (runId: number) =>
      (await itemsOf(db(), runId))
        .map((i) => [
          i.class,
          i.kind,
          i.merchant_id,
          i.order_no,
          i.provider_amount === null ? null : Number(i.provider_amount),
          i.cancan_amount === null ? null : Number(i.cancan_amount),
        ])
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const sorted = (rows: unknown[][]) => rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

    test("WeChat Pay's statement and Antom's queries, per merchant: each run holds its merchant's lines only", async () => {
      const first = await liveMerchant({ wechatpay: WECHATPAY_SANDBOX_CREDENTIALS, alipayplus: antomCredentials() });
      const second = await liveMerchant({ alipayplus: antomCredentials() });

      const paid = await wechatSale(first.key, 1100);
      const other = await wechatSale(first.key, 2200);
      const refund = await post(first.key, refundBody(uniqueId('live-refund'), paid.id, 300));
      assert.equal(refund.body?.data?.attributes?.state, 'succeeded', refund.text);
      const firstAntom = await antomCharge(first.key, 3300);
      const secondAntom = await antomCharge(second.key, 4400);

      const chinaDay = dayOf(Date.now(), 'Asia/Shanghai');
      const wechat = await runNow('wechatpay', first.id, chinaDay);
      assert.ok(wechat.result.state === 'done', JSON.stringify(wechat.result));
      assert.equal(wechat.result.summary.source, 'statement');
      assert.equal(wechat.result.summary.clean, true);
      assert.equal((await findRun(db(), { provider: 'wechatpay', mode: 'live', merchantId: first.id, day: chinaDay }))?.source, 'statement');
      assert.deepEqual(
        await itemRows(wechat.runId),
        sorted([
          ['matched', 'payment', first.id, paid.orderNo, 1100, 1100],
          ['matched', 'payment', first.id, other.orderNo, 2200, 2200],
          ['matched', 'refund', first.id, paid.orderNo, 300, 300],
        ]),
      );
      // The second merchant has no WeChat Pay account: its run fetches nothing, never the first one's statement.
      const secondWechat = await runNow('wechatpay', second.id, chinaDay);
      assert.ok(
        secondWechat.result.state !== 'done' && secondWechat.result.error.includes(`no live wechatpay credentials for ${second.id}`),
        JSON.stringify(secondWechat.result),
      );
      assert.deepEqual(await itemRows(secondWechat.runId), []);

      const antomDay = dayOf(Date.now(), 'Asia/Singapore');
      const antom = await runNow('alipayplus', first.id, antomDay);
      assert.ok(antom.result.state === 'done', JSON.stringify(antom.result));
      assert.equal(antom.result.summary.source, 'query');
      assert.equal((await findRun(db(), { provider: 'alipayplus', mode: 'live', merchantId: first.id, day: antomDay }))?.source, 'query');
      // The query source prints CanCan's amount: the inquiry answers carry none.
      assert.deepEqual(await itemRows(antom.runId), [['matched', 'payment', first.id, firstAntom, 3300, 3300]]);
      const secondAntomRun = await runNow('alipayplus', second.id, antomDay);
      assert.ok(secondAntomRun.result.state === 'done', JSON.stringify(secondAntomRun.result));
      assert.equal(secondAntomRun.result.summary.source, 'query');
      assert.deepEqual(await itemRows(secondAntomRun.runId), [['matched', 'payment', second.id, secondAntom, 4400, 4400]]);
    });
  });
}
