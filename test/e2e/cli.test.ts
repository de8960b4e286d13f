/** The operator CLI, run as the real binary against a fresh data directory. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type TestDatabase, createTestDatabase } from '../support/databases.js';
import { cli } from '../support/process.js';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FAST_ENV } from '../support/harness.js';
import { call } from '../support/client.js';

describe('cancan CLI', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  before(async () => {
    database = await createTestDatabase('sqlite');
    env = { CANCAN_DATA_DIR: database.dataDir };
  });
  after(() => database.drop());

  test('migrate, merchant create, key create/revoke and gateway enable, with --json', async () => {
    const migrated = cli(env, ['migrate', '--json']);
    assert.equal(migrated.status, 0, migrated.stderr);
    assert.deepEqual(JSON.parse(migrated.stdout), { migrated: true, database: 'sqlite' });

    const created = cli(env, ['merchant', 'create', '--name', 'Noodle Bar', '--gateways', 'wechatpay_international', '--timezone', 'Asia/Bangkok', '--json']);
    assert.equal(created.status, 0, created.stderr);
    const merchant = JSON.parse(created.stdout);
    assert.match(merchant.merchant.id, /^mch_[0-9a-f]{16}$/);
    assert.equal(merchant.merchant.name, 'Noodle Bar');
    assert.match(merchant.api_key, /^sk_test_/);

    const key = cli(env, ['key', 'create', '--merchant', merchant.merchant.id, '--mode', 'live', '--json']);
    assert.equal(key.status, 0, key.stderr);
    const keyJson = JSON.parse(key.stdout);
    assert.match(keyJson.api_key, /^sk_live_/);
    assert.match(keyJson.id, /^key_/);

    const enabled = cli(env, ['gateway', 'enable', '--merchant', merchant.merchant.id, 'wechatpay_cn_domestic', '--json']);
    assert.equal(enabled.status, 0, enabled.stderr);
    assert.deepEqual(JSON.parse(enabled.stdout).gateways, ['wechatpay_cn_domestic', 'wechatpay_international']);

    const listed = JSON.parse(cli(env, ['merchant', 'list', '--json']).stdout);
    assert.equal(listed.merchants.length, 1);

    // The server sees what the CLI wrote (same data dir and master key).
    const app = await startApp(loadConfig({ ...FAST_ENV, PORT: '0', CANCAN_DATA_DIR: database.dataDir, LOG_LEVEL: 'warn' }));
    const t = { url: app.url };
    try {
      assert.equal((await call(t.url, 'GET', '/api/v2/transactions', { key: merchant.api_key })).status, 200);
      const live = await call(t.url, 'POST', '/api/v2/transactions', {
        key: keyJson.api_key,
        body: {
          data: {
            id: 'live-1',
            type: 'sale',
            attributes: { payment_gateway: 'wechatpay_cn_domestic', payment_auth_key: '134567890123456789', amount: 100, currency: 'CNY', description: 'x' },
          },
        },
      });
      assert.equal(live.status, 403, 'live keys need provider credentials');
      const revoked = cli(env, ['key', 'revoke', keyJson.id, '--json']);
      assert.equal(revoked.status, 0, revoked.stderr);
      assert.equal((await call(t.url, 'GET', '/api/v2/transactions', { key: keyJson.api_key })).status, 401);
    } finally {
      await app.close();
    }
  });

  test('bad input: usage errors exit 2, unknown things exit 1, with a message', () => {
    const noName = cli(env, ['merchant', 'create', '--json']);
    assert.equal(noName.status, 2);
    assert.match(noName.stderr, /--name is required/);
    const badGateway = cli(env, ['merchant', 'create', '--name', 'X', '--gateways', 'paypal']);
    assert.equal(badGateway.status, 2);
    assert.match(badGateway.stderr, /unknown gateway or payment method paypal/);
    const badZone = cli(env, ['merchant', 'create', '--name', 'X', '--timezone', 'Mars/Olympus']);
    assert.equal(badZone.status, 2);
    const noMerchant = cli(env, ['key', 'create', '--merchant', 'mch_nope']);
    assert.equal(noMerchant.status, 1);
    assert.match(noMerchant.stderr, /no merchant mch_nope/);
    const unknownKey = cli(env, ['key', 'revoke', 'key_nope']);
    assert.equal(unknownKey.status, 1);
    const unknownCommand = cli({ CANCAN_DATA_DIR: `${database.dataDir}/never-created` }, ['frobnicate']);
    assert.equal(unknownCommand.status, 2);
    assert.match(unknownCommand.stderr, /unknown command: frobnicate/);
    assert.ok(!existsSync(`${database.dataDir}/never-created`), 'a mistyped command creates no database or master key');
    const badEnv = cli({ ...env, CANCAN_POLL_INTERVAL_MS: 'soon' }, ['migrate']);
    assert.equal(badEnv.status, 1);
    assert.match(badEnv.stderr, /CANCAN_POLL_INTERVAL_MS/);
    const help = cli(env, ['help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /merchant create/);
  });
});
