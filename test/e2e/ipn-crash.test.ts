/**
 * A crash between a payment and its first IPN delivery loses nothing: the
 * notification was written with the state change, so after kill -9 and a
 * restart the merchant still receives it, once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DB_KINDS, type TestDatabase, createTestDatabase } from '../support/databases.js';
import { call } from '../support/client.js';
import { type IpnReceiver, chop, startIpnReceiver, waitFor } from '../support/chop.js';
import { type ServerProcess, cli, freePort, startServer } from '../support/process.js';

for (const kind of DB_KINDS) {
  describe(`IPN across a crash (${kind})`, () => {
    let database: TestDatabase;
    let server: ServerProcess | null = null;
    let receiver: IpnReceiver;
    let env: Record<string, string>;
    before(async () => {
      database = await createTestDatabase(kind);
      receiver = await startIpnReceiver();
      env = {
        CANCAN_DATA_DIR: database.dataDir,
        ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
        CANCAN_DEMO: 'off',
        CANCAN_POLL_INTERVAL_MS: '100',
        CANCAN_JOB_LEASE_MS: '2000',
        // The first delivery waits long enough for the crash to come first.
        CANCAN_IPN_RETRY_SCHEDULE: '3s,300ms',
        LOG_LEVEL: 'warn',
        // The receiver listens on 127.0.0.1.
        CANCAN_ALLOW_PRIVATE_URLS: 'on',
      };
    });
    after(async () => {
      await server?.kill();
      await receiver.close();
      await database.drop();
    });

    test('the notification of a charge paid just before kill -9 is delivered after restart', async () => {
      const created = cli(env, ['merchant', 'create', '--name', 'Crash Shop', '--gateways', 'all', '--json']);
      assert.equal(created.status, 0, created.stderr);
      const apiKey = JSON.parse(created.stdout).api_key as string;
      const port = await freePort();
      server = await startServer(env, port);
      const response = await chop(server.url, '/payment/pay_qr?format=json', apiKey, {
        vendor: 'wechatpay',
        amount: 1000,
        currency: 'USD',
        reference: 'crash-1',
        ipn_url: receiver.url,
      });
      assert.equal(response.status, 200, response.text);
      const id = response.body.id as string;
      assert.equal((await call(server.url, 'POST', '/_sandbox/wallet/scan', { body: { qr_code: response.body.qr_code, action: 'approve' } })).status, 200);
      const url = server.url;
      await waitFor(async () => ((await chop(url, '/chop/inquire', apiKey, { q: id })).body.notify_result === 'success' ? true : undefined));
      assert.equal(receiver.received.length, 0, 'the IPN must still be queued when the server dies');
      await server.kill('SIGKILL');

      server = await startServer(env, port);
      const ipn = await waitFor(() => receiver.received.find((r) => r.fields.id === id));
      assert.equal(ipn.fields.notify_status, 'success');
      // Once the delivery is recorded as delivered nothing sends it again: then count what arrived.
      await waitFor(async () => {
        const listed = await call(url, 'GET', `/chop/transactions/${id}/notifications`, { key: apiKey });
        return listed.body.data?.[0]?.status === 'delivered' ? true : undefined;
      });
      assert.equal(receiver.received.filter((r) => r.fields.id === id).length, 1, 'delivered once');
    });
  });
}
