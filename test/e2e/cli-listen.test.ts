/**
 * `cancan listen` delivers a merchant's test-mode IPNs to a local receiver,
 * signed as CanCan signs IPNs: the receiver checks the seed's `sign` (with
 * the API key as token) and `CanCan-Signature` (with the webhook secret).
 * On PostgreSQL the API and the worker are separate processes: the worker
 * writes the notification, the API serves it to the listener from the table.
 * Live keys are refused. Real processes; everything on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openMigratedStore } from '../../src/app.js';
import { loadConfig, loadMasterKey } from '../../src/config.js';
import { SecretBox } from '../../src/domain/secrets.js';
import { call } from '../support/client.js';
import { type IpnReceiver, type ReceivedIpn, chop, startIpnReceiver, waitFor } from '../support/chop.js';
import { DB_KINDS, type TestDatabase, createTestDatabase } from '../support/databases.js';
import { CLI, type ServerProcess, cli, freePort, sharedDatabaseProcesses, startServer } from '../support/process.js';

/** The seed's verification: md5 over the fields `fields` names plus `fields`, sorted, `k=v&`, then `token=`. */
function seedSign(post: Record<string, string>, token: string): string {
  const data: Record<string, string> = { fields: post.fields ?? '' };
  for (const name of (post.fields ?? '').split(',')) if (name !== '') data[name] = post[name] ?? '';
  const flat = Object.keys(data)
    .sort()
    .map((key) => `${key}=${data[key]}&`)
    .join('');
  return createHash('md5').update(`${flat}token=${token}`).digest('hex');
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, as a receiver checks it. */
function verifiesSignatureHeader(header: string, secret: string, raw: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=') as [string, string]));
  if (!parts.t || !parts.v1) return false;
  return createHmac('sha256', secret).update(`${parts.t}.${raw}`).digest('hex') === parts.v1;
}

interface Listener {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function startListener(env: Record<string, string>, args: string[]): Listener {
  const child = spawn(process.execPath, [CLI, 'listen', ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

for (const kind of DB_KINDS) {
  describe(`cancan listen (${kind}${kind === 'postgres' ? ', API and worker in separate processes' : ''})`, () => {
    let database: TestDatabase;
    let receiver: IpnReceiver;
    let env: Record<string, string>;
    const processes: ServerProcess[] = [];
    let api: ServerProcess;
    /** Where the simulated wallet is scanned: the API itself, or the simulators' own process. */
    let sandboxUrl: string;
    let listener: Listener | null = null;

    before(async () => {
      database = await createTestDatabase(kind);
      receiver = await startIpnReceiver();
      // The charge's own ipn_url is a closed local port: the worker's deliveries fail there, on this machine.
      const settings = { CANCAN_ALLOW_PRIVATE_URLS: 'on', CANCAN_POLL_INTERVAL_MS: '100', CANCAN_IPN_RETRY_SCHEDULE: '0,1h' };
      if (kind === 'postgres') {
        const shared = await sharedDatabaseProcesses(database, settings);
        env = shared.env;
        processes.push(shared.simulator);
        sandboxUrl = shared.simulator.url;
        api = await startServer(env, await freePort(), { args: ['--role', 'api'] });
        processes.push(api, await startServer(env, await freePort(), { args: ['--role', 'worker'] }));
      } else {
        env = { CANCAN_DATA_DIR: database.dataDir, CANCAN_MASTER_KEY: randomBytes(32).toString('hex'), CANCAN_DEMO: 'off', LOG_LEVEL: 'warn', ...settings };
        api = await startServer(env, await freePort());
        processes.push(api);
        sandboxUrl = api.url;
      }
    });
    after(async () => {
      listener?.child.kill('SIGTERM');
      await listener?.exited;
      await Promise.all(processes.map((p) => p.kill()));
      await receiver.close();
      await database.drop();
    });

    test('forwards a paid test charge’s IPN, signed, and prints the receiver’s answer', async () => {
      const created = cli(env, ['merchant', 'create', '--name', 'Listen Shop', '--gateways', 'all', '--json']);
      assert.equal(created.status, 0, created.stderr);
      const { api_key: apiKey, merchant } = JSON.parse(created.stdout) as { api_key: string; merchant: { id: string } };

      listener = startListener({ ...env, CANCAN_API_KEY: apiKey }, ['--forward-to', receiver.url, '--api', api.url]);
      const current = listener;
      await waitFor(() => (current.stdout().includes('Ready: forwarding test-mode IPNs') ? true : undefined), 20_000).catch(() => {
        throw new Error(`listen did not start:\n${current.stdout()}${current.stderr()}`);
      });

      const response = await chop(api.url, '/payment/pay_qr?format=json', apiKey, {
        vendor: 'wechatpay',
        amount: 1250,
        currency: 'USD',
        reference: 'listen-1',
        ipn_url: `http://127.0.0.1:${await freePort()}/ipn`,
      });
      assert.equal(response.status, 200, response.text);
      const id = response.body.id as string;
      const scanned = await call(sandboxUrl, 'POST', '/_sandbox/wallet/scan', { body: { qr_code: response.body.qr_code, action: 'approve' } });
      assert.equal(scanned.status, 200, scanned.text);

      const ipn: ReceivedIpn = await waitFor(() => receiver.received.find((r) => r.fields.id === id), 20_000);
      assert.equal(ipn.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.equal(ipn.fields.amount, '1250');
      assert.equal(ipn.fields.currency, 'USD');
      assert.equal(ipn.fields.reference, 'listen-1');
      assert.equal(ipn.fields.notify_status, 'success');
      assert.equal(ipn.fields.livemode, 'false');
      assert.equal(ipn.fields.sign, seedSign(ipn.fields, apiKey), "the seed's sign verifies with the API key");

      // The webhook secret, read as the dashboard's "reveal" would (from the shared database, with the master key).
      const config = loadConfig(env);
      const store = await openMigratedStore(config);
      try {
        const row = await store.db.selectFrom('merchants').select('webhook_secret_sealed').where('id', '=', merchant.id).executeTakeFirstOrThrow();
        const secret = new SecretBox(loadMasterKey(config, env)).decrypt(row.webhook_secret_sealed ?? '');
        const header = String(ipn.headers['cancan-signature'] ?? '');
        assert.ok(verifiesSignatureHeader(header, secret, ipn.raw), `CanCan-Signature verifies: ${header}`);
        assert.ok(!verifiesSignatureHeader(header, `${secret}x`, ipn.raw), 'and would not with another secret');
      } finally {
        await store.close();
      }

      const line = await waitFor(
        () =>
          current
            .stdout()
            .split('\n')
            .find((l) => l.includes(id)),
        10_000,
      );
      assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z {2}${id} {2}success {2}POST ${receiver.url.replace(/[.?]/g, '\\$&')} \\[200\\]$`));
      assert.equal(receiver.received.filter((r) => r.fields.id === id).length, 1, 'forwarded once');
    });

    test('a live key is refused, by the command and by the API', async () => {
      const created = JSON.parse(cli(env, ['merchant', 'create', '--name', 'Live Shop', '--json']).stdout) as { merchant: { id: string } };
      const live = JSON.parse(cli(env, ['key', 'create', '--merchant', created.merchant.id, '--mode', 'live', '--json']).stdout) as { api_key: string };
      const refused = startListener({ ...env, CANCAN_API_KEY: live.api_key }, ['--forward-to', receiver.url, '--api', api.url]);
      assert.equal(await refused.exited, 2);
      assert.match(refused.stderr(), /^cancan: CANCAN_API_KEY is a live key: listen forwards test-mode IPNs only/);
      const answer = await call(api.url, 'GET', '/api/v2/test-ipns', { key: live.api_key });
      assert.equal(answer.status, 403);
      assert.equal(answer.body.errors[0].code, 'access_forbidden_error');
      const badCursor = await call(api.url, 'GET', '/api/v2/test-ipns?after=yesterday', {
        key: JSON.parse(cli(env, ['key', 'create', '--merchant', created.merchant.id, '--json']).stdout).api_key,
      });
      assert.equal(badCursor.status, 400);
      assert.deepEqual(badCursor.body.errors[0].source, { parameter: 'after' });
    });
  });
}
