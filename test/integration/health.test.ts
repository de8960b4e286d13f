/**
 * /healthz and /readyz: healthy on both databases; with PostgreSQL
 * unreachable (a closed port, or the database dropped under a running
 * server) the process stays up, is not ready, answers the API with 503, logs
 * the outage once, and recovers by itself when the database is back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { DB_KINDS } from '../support/databases.js';
import { FAST_ENV, type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { call, saleBody, uniqueId } from '../support/client.js';
import { freePort } from '../support/process.js';
import { WAIT_LIMIT_MS } from '../support/wait.js';

const ADMIN_URL = process.env.CANCAN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = WAIT_LIMIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const linesWith = (logs: readonly string[], text: string) => logs.filter((line) => line.includes(text));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON body as parsed
function assertUnavailableEnvelope(response: { status: number; headers: Headers; body: any }): void {
  assert.equal(response.status, 503);
  assert.match(response.headers.get('x-request-id') ?? '', /^[A-Za-z0-9._-]{1,64}$/, 'a refusal carries its request id too');
  assert.equal(response.body.errors[0].status, '503');
  assert.equal(response.body.errors[0].code, 'service_unavailable_error');
}

for (const kind of DB_KINDS) {
  describe(`health endpoints (${kind})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    test('/healthz: alive, with role and database; /readyz: every check ok', async () => {
      const health = await call(t.url, 'GET', '/healthz');
      assert.equal(health.status, 200);
      assert.deepEqual(health.body, { status: 'ok', role: 'all', database: kind });
      const ready = await call(t.url, 'GET', '/readyz');
      assert.equal(ready.status, 200, ready.text);
      assert.equal(ready.body.status, 'ready');
      assert.deepEqual(ready.body.checks, { migrations: 'ok', database: 'ok', worker: 'ok' });
      assert.equal(ready.body.failed, undefined);
    });
  });
}

describe('health with PostgreSQL unreachable', () => {
  test('pointed at a closed port: alive, not ready, API and CHOP answer 503, the outage logged once', async () => {
    const logs: string[] = [];
    const logStream = new Writable({ write: (chunk: Buffer, _encoding, done) => void (logs.push(chunk.toString()), done()) });
    const closedPort = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'cancan-health-'));
    const config = loadConfig({
      ...FAST_ENV,
      PORT: '0',
      HOST: '127.0.0.1',
      CANCAN_DATA_DIR: dataDir,
      CANCAN_DEMO: 'off',
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/cancan`,
      CANCAN_MASTER_KEY: 'ab'.repeat(32),
    });
    const app = await startApp(config, { logStream, waitForDatabase: false });
    try {
      const health = await call(app.url, 'GET', '/healthz');
      assert.equal(health.status, 200);
      assert.equal(health.body.role, 'all');
      for (let i = 0; i < 3; i += 1) {
        const ready = await call(app.url, 'GET', '/readyz');
        assert.equal(ready.status, 503);
        assert.equal(ready.body.status, 'unavailable');
        assert.deepEqual(ready.body.failed, ['migrations', 'database', 'worker']);
        assert.deepEqual(ready.body.checks, { migrations: 'pending', database: 'failed', worker: 'pending' });
        assertUnavailableEnvelope(await call(app.url, 'POST', '/api/v2/transactions', { key: 'sk_test_x', body: saleBody('s-1', 100) }));
        assertUnavailableEnvelope(await call(app.url, 'GET', '/api/v2/transactions/s-1', { key: 'sk_test_x' }));
        const chop = await call(app.url, 'POST', '/chop/chop', { key: 'sk_test_x', body: { amount: 100 } });
        assert.equal(chop.status, 503);
        assert.ok(chop.headers.get('x-request-id'));
        assert.deepEqual(Object.keys(chop.body).sort(), ['code', 'error', 'result']);
        assert.equal(chop.body.result, 'fail');
      }
      const unreachable = linesWith(logs, 'database unreachable');
      assert.equal(unreachable.length, 1, 'one line per state change, not one per request or retry');
      assert.match(unreachable[0] ?? '', /ECONNREFUSED/);
      assert.doesNotMatch(logs.join(''), /postgres:\/\//, 'the database URL is not logged');
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('the database dropped under a running server', () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp('postgres', { CANCAN_DEMO: 'off' });
      m = await t.merchant();
    });
    after(() => t.close());

    test('not ready and 503 while it is gone; migrated again and serving once it is back', async () => {
      const sale = () => call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: saleBody(uniqueId('sale'), 1000) });
      assert.equal((await sale()).status, 201);
      const name = new URL(t.database.databaseUrl ?? '').pathname.slice(1);
      await admin(`drop database ${name} with (force)`);

      const notReady = await until(async () => {
        const ready = await call(t.url, 'GET', '/readyz');
        return ready.status === 503 ? ready : undefined;
      }, 'readyz 503');
      assert.ok(notReady.body.failed.includes('database'), notReady.text);
      assertUnavailableEnvelope(await sale());
      assert.equal((await call(t.url, 'GET', '/healthz')).status, 200);

      await admin(`create database ${name}`);
      await until(async () => ((await call(t.url, 'GET', '/readyz')).status === 200 ? true : undefined), 'readyz 200 after the database is back');
      // The new database is empty: the migrations ran again, and the API works on it.
      const again = await t.merchant();
      const after = await call(t.url, 'POST', '/api/v2/transactions', { key: again.apiKey, body: saleBody(uniqueId('sale'), 1000) });
      assert.equal(after.status, 201, after.text);
      assert.equal(linesWith(t.logs, 'database unreachable').length, 1, t.logs.filter((l) => l.includes('database')).join(''));
      assert.equal(linesWith(t.logs, 'database reachable again').length, 1);
    });
  });
});
