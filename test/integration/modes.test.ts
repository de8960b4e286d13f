/**
 * Test and live are two worlds. A merchant holds a test key (in-process
 * simulators) and a live key whose "live" WeChat Pay is a simulator server of
 * its own. Neither key may see, list, replay, void, refund, cancel or inquire
 * the other mode's transactions, and the live provider's ledger proves that no
 * money moved there because of a test key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { WECHATPAY_SANDBOX_CREDENTIALS } from '../../src/providers/wechatpay/adapter.js';
import { gatewayCodes } from '../../src/providers/registry.js';
import { type SimulatorServer, startSimulatorServer } from '../../src/simulators/server.js';
import { CHOP_METHODS, type IpnReceiver, chop, idFromUrl, scan, startIpnReceiver, waitFor, waitInquire } from '../support/chop.js';
import { type ApiResponse, call, ledger, refundBody, saleBody, uniqueId, voidBody } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { FAST_ENV, type TestApp, startTestApp } from '../support/harness.js';
import { cli } from '../support/process.js';

interface Keys {
  readonly test: string;
  readonly live: string;
}

for (const kind of DB_KINDS) {
  describe(`test and live are two worlds (${kind})`, () => {
    let simDir: string;
    let liveSims: SimulatorServer;
    let t: TestApp;
    let receiver: IpnReceiver;
    let keys: Keys;
    let merchantId: string;

    before(async () => {
      simDir = mkdtempSync(join(tmpdir(), 'cancan-live-sims-'));
      liveSims = await startSimulatorServer(loadConfig({ ...FAST_ENV, PORT: '0', CANCAN_DATA_DIR: simDir, LOG_LEVEL: 'warn' }));
      // Test keys keep the in-process simulators; only live WeChat Pay goes to the other server.
      t = await startTestApp(kind, { CANCAN_WECHATPAY_URL: `${liveSims.url}/_sim/wechatpay`, CANCAN_ALLOW_PRIVATE_URLS: 'on' });
      receiver = await startIpnReceiver();
      const merchant = await t.merchant([...gatewayCodes(), ...CHOP_METHODS]);
      merchantId = merchant.id;
      const env = { CANCAN_DATA_DIR: t.database.dataDir, ...(t.database.databaseUrl ? { DATABASE_URL: t.database.databaseUrl } : {}) };
      const created = cli(env, ['key', 'create', '--merchant', merchantId, '--mode', 'live', '--json']);
      assert.equal(created.status, 0, created.stderr);
      const file = join(simDir, 'wechatpay.json');
      writeFileSync(file, JSON.stringify(WECHATPAY_SANDBOX_CREDENTIALS));
      const stored = cli(env, ['provider', 'set-credentials', '--merchant', merchantId, 'wechatpay', '--file', file, '--json']);
      assert.equal(stored.status, 0, stored.stderr);
      keys = { test: merchant.apiKey, live: JSON.parse(created.stdout).api_key as string };
    });
    after(async () => {
      await receiver?.close();
      await t?.close();
      await liveSims?.close();
      rmSync(simDir, { recursive: true, force: true });
    });

    const pos = (key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> =>
      call(t.url, method, path, { key, body, headers });
    const sale = (key: string, id: string, amount: number) => pos(key, 'POST', '/api/v2/transactions', saleBody(id, amount), { prefer: 'wait=10' });
    const rowsOf = () =>
      t.app.deps.store.db
        .selectFrom('transactions')
        .select(['seq', 'mode', 'state', 'voided', 'refunded_amount', 'void_seq', 'version'])
        .where('merchant_id', '=', merchantId)
        .orderBy('seq')
        .execute();

    for (const [own, other] of [
      ['live', 'test'],
      ['test', 'live'],
    ] as const) {
      test(`POS: a ${other} key cannot see, list, void or refund a ${own} sale; the same id is its own ${other} sale`, async () => {
        const id = uniqueId(`${own}-sale`);
        const paid = await sale(keys[own], id, 4_200);
        assert.equal(paid.status, 201, paid.text);
        assert.equal(paid.body.data.attributes.state, 'succeeded');
        assert.equal(paid.body.data.attributes.livemode, own === 'live');

        const seen = await pos(keys[other], 'GET', `/api/v2/transactions/${id}`);
        assert.equal(seen.status, 404);
        assert.equal(seen.body.errors[0].code, 'not_found_error');

        const before = await rowsOf();
        const voided = await pos(keys[other], 'POST', '/api/v2/transactions', voidBody(uniqueId('void'), id), { prefer: 'wait=10' });
        assert.equal(voided.status, 201, voided.text);
        assert.deepEqual([voided.body.data.attributes.state, voided.body.data.attributes.failure_code], ['failed', 'sale_not_found_failure']);
        const refunded = await pos(keys[other], 'POST', '/api/v2/transactions', refundBody(uniqueId('refund'), id, 100), { prefer: 'wait=10' });
        assert.equal(refunded.status, 201, refunded.text);
        assert.deepEqual([refunded.body.data.attributes.state, refunded.body.data.attributes.failure_code], ['failed', 'sale_not_found_failure']);
        // The two refusals are new rows of the other mode; every earlier row is exactly as it was.
        const afterRows = await rowsOf();
        assert.deepEqual(afterRows.slice(0, before.length), before);
        assert.deepEqual(
          afterRows.slice(before.length).map((r) => [r.mode, r.state]),
          [
            [other, 'failed'],
            [other, 'failed'],
          ],
        );

        const mine = await pos(keys[own], 'GET', `/api/v2/transactions/${id}`);
        assert.deepEqual([mine.body.data.attributes.voided, mine.body.data.attributes.refunded_amount], [false, 0]);

        // The same id under the other key is a new transaction of that mode, never a replay of this one.
        const twin = await sale(keys[other], id, 4_200);
        assert.equal(twin.status, 201, twin.text);
        assert.equal(twin.headers.get('idempotent-replayed'), null);
        assert.equal(twin.body.data.attributes.livemode, other === 'live');
        const replay = await sale(keys[own], id, 4_200);
        assert.equal(replay.status, 200);
        assert.equal(replay.body.data.attributes.livemode, own === 'live');
        // The other key's list holds its own twin, never this sale (same id, other mode).
        const listed = await pos(keys[other], 'GET', '/api/v2/transactions?page[size]=100');
        assert.equal(listed.status, 200);
        const sameId = listed.body.data.filter((r: { id: string }) => r.id === id);
        assert.deepEqual(
          sameId.map((r: { attributes: { livemode: boolean } }) => r.attributes.livemode),
          [other === 'live'],
        );
        assert.ok(listed.body.data.every((r: { attributes: { livemode: boolean } }) => r.attributes.livemode === (other === 'live')));
        const twins = await t.app.deps.store.db
          .selectFrom('transactions')
          .select('mode')
          .where('merchant_id', '=', merchantId)
          .where('client_id', '=', id)
          .orderBy('mode')
          .execute();
        assert.deepEqual(
          twins.map((r) => r.mode),
          ['live', 'test'],
        );
      });

      test(`CHOP: a ${other} key cannot inquire, list, refund, cancel or read the notifications of a ${own} charge`, async () => {
        const reference = uniqueId(`${own}-order`);
        const created = await chop(t.url, '/chop/chop', keys[own], {
          payment_method: 'wechatpay',
          amount: 5_100,
          currency: 'USD',
          reference,
          ipn_url: receiver.url,
        });
        assert.equal(created.status, 200, created.text);
        const id = idFromUrl(created.body.url);
        const qr = await waitFor(
          async () => (await t.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirst())?.qr_code ?? undefined,
        );
        const wallet = own === 'live' ? liveSims.url : t.url;
        assert.equal((await scan(wallet, qr, 'approve')).status, 200);
        const paid = await waitInquire(t.url, keys[own], id, (b) => b.notify_result === 'success');
        assert.deepEqual([paid.notify_result, paid.livemode], ['success', own === 'live']);
        const ipn = await waitFor(() => receiver.received.find((r) => r.fields.id === id));
        assert.equal(ipn.fields.livemode, String(own === 'live'));

        const before = await rowsOf();
        const notFound = (response: ApiResponse) => {
          assert.equal(response.status, 404, response.text);
          assert.equal(response.body.result, 'fail');
          assert.equal(response.body.code, 'not_found');
        };
        notFound(await chop(t.url, '/chop/inquire', keys[other], { q: id }));
        notFound(await chop(t.url, '/chop/inquire', keys[other], { reference }));
        notFound(await chop(t.url, '/chop/refund', keys[other], { transaction_id: id, amount: 100, currency: 'USD' }));
        notFound(await chop(t.url, '/chop/refund', keys[other], { transaction_reference: reference, amount: 100, currency: 'USD' }));
        notFound(await chop(t.url, '/chop/cancel', keys[other], { transaction_id: id }));
        notFound(await chop(t.url, '/chop/cancel', keys[other], { transaction_reference: reference }));
        notFound(await call(t.url, 'GET', `/chop/transactions/${id}/notifications`, { key: keys[other] }));
        notFound(await call(t.url, 'POST', `/chop/transactions/${id}/notifications/resend`, { key: keys[other] }));
        const paged = await call(t.url, 'GET', `/chop/transactions?starting_after=${id}`, { key: keys[other] });
        assert.equal(paged.status, 400, 'a cursor from the other mode is not a cursor');
        assert.deepEqual(await rowsOf(), before, 'nothing changed');

        // The same reference under the other key makes a charge of that mode, not an answer with this one's URL.
        const twin = await chop(t.url, '/chop/chop', keys[other], { payment_method: 'wechatpay', amount: 5_100, currency: 'USD', reference });
        assert.equal(twin.status, 200, twin.text);
        assert.notEqual(idFromUrl(twin.body.url), id);
        // The other key lists that charge under the shared reference, and never this one.
        const listed = await call(t.url, 'GET', `/chop/transactions?limit=100&reference=${reference}`, { key: keys[other] });
        assert.deepEqual(
          listed.body.data.map((r: { id: string; livemode: boolean }) => [r.id, r.livemode]),
          [[idFromUrl(twin.body.url), other === 'live']],
        );
        const again = await chop(t.url, '/chop/chop', keys[own], { payment_method: 'wechatpay', amount: 5_100, currency: 'USD', reference });
        assert.equal(idFromUrl(again.body.url), id);
      });
    }

    test('the live provider never saw a reverse or refund: its ledger shows every live order paid in full', async () => {
      // The unpaid twin charge's order is created by its job, after the answer.
      const entries = await waitFor(async () => {
        const all = await ledger(liveSims.url);
        return all.length >= 4 ? all : undefined;
      });
      assert.equal(entries.length, 4, 'two live sales and two live charges reached the live provider');
      // Paid, or still unpaid (the twin charges nobody scanned); never reversed, refunded or closed.
      const untouched = entries.filter((e) => (e.status === 'paid' || e.status === 'unpaid') && e.refunded_amount === 0);
      assert.deepEqual(untouched, entries);
      assert.equal(entries.filter((e) => e.status === 'paid').length, 3, 'the live sale, the live twin of a test sale, the paid live charge');
    });
  });
}
