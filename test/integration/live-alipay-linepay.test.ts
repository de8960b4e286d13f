/**
 * The live code paths of Alipay and LINE Pay against the simulators started
 * as a separate `cancan simulators` process with its own data directory, as
 * a live host: sales, partial refunds and reversals (voids) through the POS
 * API with live keys and credentials stored through the CLI. LINE Pay runs
 * both documented Offline API versions (v4 and v2). An Alipay app id the
 * provider does not know fails the sale at once with Alipay's sub_code,
 * never to be queried and cancelled forever.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { alipaySandboxCredentials, loadOrCreateAlipaySandboxKeys } from '../../src/providers/alipay/keys.js';
import { LINEPAY_SANDBOX_CREDENTIALS } from '../../src/providers/linepay/adapter.js';
import { type ApiResponse, call, ledger, refundBody, saleBody, uniqueId, voidBody } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { FAST_ENV, type TestApp, startTestApp } from '../support/harness.js';
import { CLI, type ServerProcess, freePort, startServer } from '../support/process.js';

const execFileAsync = promisify(execFile);

/**
 * The `cancan` CLI, run without blocking this process: CanCan's server lives
 * in this process, and a synchronous spawn would stall it (its keep-alive
 * sockets then close under the next request).
 */
async function cancan(env: Record<string, string>, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return stdout;
}

const ALIPAY = { payment_gateway: 'alipay_cn_domestic', currency: 'CNY', payment_auth_key: '286543210987654321' };
const LINEPAY = { payment_gateway: 'linepay_th_domestic', currency: 'THB', payment_auth_key: '081149423436' };

let simDir: string;
let sims: ServerProcess;

before(async () => {
  simDir = mkdtempSync(join(tmpdir(), 'cancan-live-sims-'));
  sims = await startServer({ ...FAST_ENV, CANCAN_DATA_DIR: simDir, CANCAN_SIMULATORS: 'on', LOG_LEVEL: 'warn' }, await freePort(), {
    command: 'simulators',
    waitFor: { path: '/_sandbox/ledger' },
  });
});
after(async () => {
  await sims?.kill('SIGTERM');
  rmSync(simDir, { recursive: true, force: true });
});

/** The simulator process's ledger entry of an order (CanCan's order number ends with the transaction's sequence). */
async function ledgerOf(provider: string, amount: number): Promise<{ status: string; refunded_amount: number } | undefined> {
  const entries = (await ledger(sims.url)).filter((entry) => entry.provider === provider && entry.amount === amount);
  assert.ok(entries.length <= 1, `one ${provider} order of ${amount}`);
  return entries[0] === undefined ? undefined : { status: entries[0].status, refunded_amount: entries[0].refunded_amount };
}

for (const kind of DB_KINDS) {
  describe(`Alipay and LINE Pay live, simulators in a process of their own (${kind})`, () => {
    let t: TestApp;
    let credentialsDir: string;

    before(async () => {
      credentialsDir = mkdtempSync(join(tmpdir(), 'cancan-live-credentials-'));
      t = await startTestApp(kind, {
        CANCAN_ALIPAY_URL: `${sims.url}/_sim/alipay/gateway.do`,
        CANCAN_LINEPAY_URL: `${sims.url}/_sim/linepay`,
      });
    });
    after(async () => {
      await t?.close();
      rmSync(credentialsDir, { recursive: true, force: true });
    });

    const cliEnv = (): Record<string, string> => ({
      CANCAN_DATA_DIR: t.database.dataDir,
      ...(t.database.databaseUrl ? { DATABASE_URL: t.database.databaseUrl } : {}),
    });

    /** A merchant with a live key and the given live credentials, stored through the CLI. */
    async function liveMerchant(credentials: Readonly<Record<string, object>>): Promise<string> {
      const merchant = await t.merchant();
      for (const [provider, value] of Object.entries(credentials)) {
        const file = join(credentialsDir, `${merchant.id}-${provider}.json`);
        writeFileSync(file, JSON.stringify(value));
        await cancan(cliEnv(), ['provider', 'set-credentials', '--merchant', merchant.id, provider, '--file', file, '--json']);
      }
      const created = await cancan(cliEnv(), ['key', 'create', '--merchant', merchant.id, '--mode', 'live', '--json']);
      return JSON.parse(created).api_key as string;
    }

    const post = (key: string, body: unknown): Promise<ApiResponse> =>
      call(t.url, 'POST', '/api/v2/transactions', { key, body, headers: { prefer: 'wait=10' } });

    /** A sale, a partial refund of it, and a second sale voided: each checked in CanCan and in the live host's ledger. */
    async function saleRefundVoid(key: string, provider: string, gateway: Readonly<Record<string, string>>, amount: number): Promise<void> {
      const saleId = uniqueId('live-sale');
      const sale = await post(key, saleBody(saleId, amount, gateway));
      assert.equal(sale.body?.data?.attributes?.state, 'succeeded', sale.text);
      assert.deepEqual(await ledgerOf(provider, amount), { status: 'paid', refunded_amount: 0 });

      const refund = await post(key, refundBody(uniqueId('live-refund'), saleId, 300));
      assert.equal(refund.body?.data?.attributes?.state, 'succeeded', refund.text);
      assert.deepEqual(await ledgerOf(provider, amount), { status: 'partially_refunded', refunded_amount: 300 });

      const voidedAmount = amount + 100;
      const second = uniqueId('live-sale');
      assert.equal((await post(key, saleBody(second, voidedAmount, gateway))).body?.data?.attributes?.state, 'succeeded');
      const voided = await post(key, voidBody(uniqueId('live-void'), second));
      assert.equal(voided.body?.data?.attributes?.state, 'succeeded', voided.text);
      const reversedAtProvider = await ledgerOf(provider, voidedAmount);
      // Alipay's cancel reverses the trade; LINE Pay voids only uncaptured payments, so CanCan refunds it all.
      assert.deepEqual(
        reversedAtProvider,
        provider === 'alipay' ? { status: 'reversed', refunded_amount: 0 } : { status: 'refunded', refunded_amount: voidedAmount },
      );
    }

    test('Alipay: sale, partial refund, void (alipay.trade.cancel) through the live endpoint', async () => {
      const key = await liveMerchant({ alipay: alipaySandboxCredentials(loadOrCreateAlipaySandboxKeys(simDir)) });
      await saleRefundVoid(key, 'alipay', ALIPAY, 812_000 + (kind === 'sqlite' ? 0 : 1_000));
    });

    test('LINE Pay Offline API v4 (HMAC, /v4 paths) with device headers: sale, partial refund, void', async () => {
      const key = await liveMerchant({
        linepay: { ...LINEPAY_SANDBOX_CREDENTIALS, authScheme: 'v4', merchantDeviceProfileId: 'POS-7', merchantDeviceType: 'POS' },
      });
      await saleRefundVoid(key, 'linepay', LINEPAY, 823_000 + (kind === 'sqlite' ? 0 : 1_000));
    });

    test('LINE Pay Offline API v2 (channel secret, /v2 paths): sale, partial refund, void', async () => {
      const key = await liveMerchant({ linepay: { ...LINEPAY_SANDBOX_CREDENTIALS, authScheme: 'v2' } });
      await saleRefundVoid(key, 'linepay', LINEPAY, 834_000 + (kind === 'sqlite' ? 0 : 1_000));
    });

    test("Alipay: an app id the gateway does not know fails the sale at once with Alipay's sub_code; nothing reaches the ledger", async () => {
      const known = alipaySandboxCredentials(loadOrCreateAlipaySandboxKeys(simDir));
      const key = await liveMerchant({ alipay: { ...known, appId: '2021999999999999' } });
      const amount = 845_000 + (kind === 'sqlite' ? 0 : 1_000);
      const sale = await post(key, saleBody(uniqueId('live-sale'), amount, ALIPAY));
      const attributes = sale.body?.data?.attributes;
      assert.equal(attributes?.state, 'failed', sale.text);
      assert.equal(attributes?.failure_code, 'payment_gateway_failure');
      assert.match(attributes?.failure_detail ?? '', /isv\.invalid-app-id/);
      assert.equal(await ledgerOf('alipay', amount), undefined);
    });
  });
}
