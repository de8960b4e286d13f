/**
 * Live Alipay+ (Antom) and card (Converge) end to end: the simulators run as a
 * process of their own, on their own data directory, and are the "live"
 * hosts (CANCAN_ALIPAYPLUS_URL, CANCAN_CARD_URL). A merchant's live
 * credentials go in through the CLI, are checked there, and the live key's
 * charges are paid, refunded and (Antom) cancelled at that process.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { paymentMethod } from '../../src/chop/methods.js';
import { ALIPAYPLUS_SANDBOX_CLIENT_ID, loadOrCreateAlipayPlusSandboxKeys } from '../../src/providers/alipayplus/keys.js';
import { CARD_SANDBOX_CREDENTIALS } from '../../src/providers/card/adapter.js';
import { CHOP_METHODS, chop, idFromUrl, scan, waitFor, waitInquire } from '../support/chop.js';
import { type LedgerEntry, ledger, uniqueId } from '../support/client.js';
import { type TestApp, startTestApp } from '../support/harness.js';
import { type ServerProcess, cli, freePort, startServer } from '../support/process.js';

/** A PEM key as the Antom Dashboard shows it: bare base64, no armour, no line breaks. */
const bareBase64 = (pem: string): string => pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');

describe('live Alipay+ and card against simulators in a separate process', () => {
  let simDir: string;
  let sims: ServerProcess;
  let t: TestApp;
  let merchantId: string;
  let liveKey: string;

  before(async () => {
    simDir = mkdtempSync(join(tmpdir(), 'cancan-live-antom-card-'));
    const port = await freePort();
    sims = await startServer(
      {
        CANCAN_DATA_DIR: simDir,
        CANCAN_MASTER_KEY: randomBytes(32).toString('hex'),
        CANCAN_DEMO: 'off',
        CANCAN_SIMULATORS: 'on',
        CANCAN_SIM_CONFIRM_DELAY_MS: '300',
        LOG_LEVEL: 'warn',
      },
      port,
      { command: 'simulators', waitFor: { path: '/_sandbox/ledger' } },
    );
    t = await startTestApp('sqlite', {
      CANCAN_ALIPAYPLUS_URL: `${sims.url}/_sim/alipayplus/`,
      CANCAN_CARD_URL: `${sims.url}/_sim/card`,
      // The CLI runs synchronously (spawnSync) and blocks this process, server included, for seconds: a
      // kept-alive connection must not time out meanwhile, or the next request meets the close (ECONNRESET).
      CANCAN_KEEP_ALIVE_TIMEOUT_MS: '600000',
    });
    merchantId = (await t.merchant(CHOP_METHODS)).id;
    const created = cli(env(), ['key', 'create', '--merchant', merchantId, '--mode', 'live', '--json']);
    assert.equal(created.status, 0, created.stderr);
    liveKey = JSON.parse(created.stdout).api_key as string;
  });
  after(async () => {
    await t?.close();
    await sims?.kill('SIGTERM');
    rmSync(simDir, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({ CANCAN_DATA_DIR: t.database.dataDir });

  function setCredentials(provider: string, credentials: Record<string, unknown>): ReturnType<typeof cli> {
    const file = join(simDir, `${provider}-${uniqueId()}.json`);
    writeFileSync(file, JSON.stringify(credentials));
    return cli(env(), ['provider', 'set-credentials', '--merchant', merchantId, provider, '--file', file, '--json']);
  }

  const charge = (method: string, amount: number, currency: string) =>
    chop(t.url, '/chop/chop', liveKey, { payment_method: method, amount, currency, reference: uniqueId('live') });

  async function qrOf(id: string): Promise<string> {
    return waitFor(async () => {
      const row = await t.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirst();
      return row?.qr_code ?? undefined;
    });
  }

  async function simEntry(provider: string, amount: number): Promise<LedgerEntry> {
    return waitFor(async () => (await ledger(sims.url)).find((e) => e.provider === provider && e.amount === amount));
  }

  test('Alipay+: without credentials the live key is refused; bad keys are refused by the CLI; with them a charge is paid and refunded', async () => {
    const missing = await charge('alipay_hk', 930_100, 'HKD');
    assert.equal(missing.status, 403, missing.text);
    assert.equal(missing.body.code, 'payment_method_not_configured');

    const keys = loadOrCreateAlipayPlusSandboxKeys(simDir);
    // Antom's public key field given a private key: refused, and the refusal does not repeat the key.
    const wrongKind = setCredentials('alipayplus', {
      clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID,
      merchantPrivateKeyPem: keys.merchant.privateKeyPem,
      providerPublicKeyPem: keys.provider.privateKeyPem,
    });
    assert.equal(wrongKind.status, 1);
    assert.match(wrongKind.stderr, /providerPublicKeyPem is not an RSA public key/);
    assert.ok(!wrongKind.stderr.includes(bareBase64(keys.provider.privateKeyPem).slice(0, 40)), 'no key material in the error');
    const ownKey = setCredentials('alipayplus', {
      clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID,
      merchantPrivateKeyPem: keys.merchant.privateKeyPem,
      providerPublicKeyPem: keys.merchant.publicKeyPem,
    });
    assert.equal(ownKey.status, 1);
    assert.match(ownKey.stderr, /providerPublicKeyPem is the public half of merchantPrivateKeyPem/);

    // As the Antom Dashboard hands them out: bare base64.
    const stored = setCredentials('alipayplus', {
      clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID,
      merchantPrivateKeyPem: bareBase64(keys.merchant.privateKeyPem),
      providerPublicKeyPem: bareBase64(keys.provider.publicKeyPem),
    });
    assert.equal(stored.status, 0, stored.stderr);

    const created = await charge('alipay_hk', 930_100, 'HKD');
    assert.equal(created.status, 200, created.text);
    const id = idFromUrl(created.body.url);
    const qr = await qrOf(id);
    assert.ok(qr.startsWith(`${sims.url}/_sim/alipayplus/qr/`), qr);
    assert.equal((await scan(sims.url, qr, 'approve')).status, 200);
    const paid = await waitInquire(t.url, liveKey, id, (b) => b.notify_result !== null);
    assert.equal(paid.notify_result, 'success');

    const refund = await chop(t.url, '/chop/refund', liveKey, { transaction_id: id, amount: 30_000, currency: 'HKD', reason: 'live' });
    assert.equal(refund.status, 200, refund.text);
    assert.equal(refund.body.refunded, true);
    const entry = await waitFor(async () => {
      const found = await simEntry('alipayplus', 930_100);
      return found.refunded_amount === 30_000 ? found : undefined;
    });
    assert.deepEqual([entry.currency, entry.status], ['HKD', 'partially_refunded']);
  });

  test('Alipay+: the live adapter cancels an unpaid payment at the live host', async () => {
    const created = await charge('kakaopay', 930_200, 'KRW');
    assert.equal(created.status, 200, created.text);
    await qrOf(idFromUrl(created.body.url));
    const entry = await simEntry('alipayplus', 930_200);
    assert.equal(entry.status, 'unpaid');

    const method = paymentMethod('kakaopay');
    assert.ok(method);
    const adapter = await t.app.deps.adapters.onlineAdapterFor(method, 'live', merchantId);
    assert.ok(adapter, 'live credentials give a live adapter');
    const closed = await adapter.close(entry.order_no);
    assert.deepEqual(closed.outcome, { kind: 'closed' });
    assert.equal(closed.trace.httpStatus, 200);
    const after = (await ledger(sims.url)).find((e) => e.order_no === entry.order_no);
    assert.equal(after?.status, 'reversed');
  });

  test('card: credentials with a bad multiCurrency are refused; a single-currency account is paid and refunded', async () => {
    const missing = await charge('cc', 930_300, 'USD');
    assert.equal(missing.status, 403, missing.text);

    const bad = setCredentials('card', {
      merchantId: CARD_SANDBOX_CREDENTIALS.merchantId,
      userId: CARD_SANDBOX_CREDENTIALS.userId,
      pin: 'has space',
      multiCurrency: 'yes',
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /pin must be 1 to 64 printable characters without spaces; multiCurrency must be true or false/);
    assert.ok(!bad.stderr.includes('has space'), 'the PIN is not repeated');

    const { merchantId: accountId, userId, pin } = CARD_SANDBOX_CREDENTIALS;
    const stored = setCredentials('card', { merchantId: accountId, userId, pin });
    assert.equal(stored.status, 0, stored.stderr);

    // A single-currency account cannot charge another currency: refused when the charge is asked for, nothing stored or sent.
    const euros = await charge('cc', 930_301, 'EUR');
    assert.equal(euros.status, 400, euros.text);
    assert.equal(euros.body.code, 'unsupported_currency');
    assert.equal(euros.body.error, 'the card account charges USD only (multi-currency is not enabled for it), not EUR');
    const eurosStored = await t.app.deps.store.db.selectFrom('transactions').select('seq').where('amount', '=', 930_301).execute();
    assert.deepEqual(eurosStored, []);

    const created = await charge('cc', 930_300, 'USD');
    assert.equal(created.status, 200, created.text);
    const id = idFromUrl(created.body.url);
    const form = new URLSearchParams({ q: id, lang: 'en', number: '4111 1111 1111 1111', expiry: '12/39', cvc: '123', name: 'Ada Lovelace', postal_code: '' });
    const paidPage = await fetch(`${t.url}/chop/landing/card`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      redirect: 'manual',
    });
    assert.equal(paidPage.status, 303, await paidPage.text());
    const paid = await waitInquire(t.url, liveKey, id, (b) => b.notify_result !== null);
    assert.equal(paid.notify_result, 'success');
    // A single-currency account sends no currency field: the acquirer books it in the account's currency.
    assert.deepEqual(
      (await ledger(sims.url)).filter((e) => e.provider === 'card' && e.amount === 930_300).map((e) => [e.currency, e.status]),
      [['USD', 'paid']],
    );

    const refund = await chop(t.url, '/chop/refund', liveKey, { transaction_id: id, amount: 30_000, currency: 'USD', reason: 'live' });
    assert.equal(refund.status, 200, refund.text);
    assert.equal(refund.body.refunded, true);
    const entry = await waitFor(async () => {
      const found = await simEntry('card', 930_300);
      return found.refunded_amount === 30_000 ? found : undefined;
    });
    assert.equal(entry.currency, 'USD');
  });
});
