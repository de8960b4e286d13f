/**
 * The blueprint's own examples (cancan-api-v2.apib, a seed document outside
 * the repository: see test/support/seeds.ts), run by dredd against a real
 * server. The hooks add the API key, set up the sale the examples refer to
 * and give the void and refund their own ids. Without the blueprint the test
 * is skipped with the reason, unless CANCAN_REQUIRE_SEEDS=on (CI).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { type TestDatabase, createTestDatabase } from '../support/databases.js';
import { type ServerProcess, cli, freePort, startServer } from '../support/process.js';
import { seedDocument } from '../support/seeds.js';

const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const BLUEPRINT = seedDocument('cancan-api-v2.apib');
const DREDD = join(createRequire(import.meta.url).resolve('dredd/package.json'), '..', 'bin', 'dredd');

let database: TestDatabase;
let server: ServerProcess;
let apiKey: string;

before(async () => {
  if (BLUEPRINT.skip) return;
  database = await createTestDatabase('sqlite');
  const env = { CANCAN_DATA_DIR: database.dataDir, CANCAN_DEMO: 'off', LOG_LEVEL: 'warn' };
  const created = cli(env, ['merchant', 'create', '--name', 'Blueprint Shop', '--json']);
  assert.equal(created.status, 0, created.stderr);
  apiKey = JSON.parse(created.stdout).api_key;
  server = await startServer(env, await freePort());
});
after(async () => {
  await server?.kill('SIGTERM');
  await database?.drop();
});

test('dredd passes the blueprint examples, unchanged (six transactions)', { skip: BLUEPRINT.skip }, async () => {
  assert.ok(existsSync(BLUEPRINT.path), `blueprint not found at ${BLUEPRINT.path}: set CANCAN_SEEDS_DIR to the seeds folder`);
  const output = await new Promise<{ code: number | null; text: string }>((resolvePromise) => {
    const child = spawn(process.execPath, [DREDD, BLUEPRINT.path, `${server.url}/api/v2`, `--hookfiles=${join(REPO, 'test', 'dredd', 'hooks.cjs')}`], {
      env: { ...process.env, DREDD_API_KEY: apiKey, DREDD_SERVER: server.url, NO_COLOR: '1' },
      cwd: REPO,
    });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr.on('data', (c: Buffer) => (text += c.toString()));
    child.on('close', (code) => resolvePromise({ code, text }));
  });
  // eslint-disable-next-line no-control-regex
  const plain = output.text.replace(/\u001b\[[0-9;]*m/g, '');
  assert.equal(output.code, 0, plain);
  assert.match(plain, /complete: 6 passing, 0 failing, 0 errors, 0 skipped, 6 total/);
});
