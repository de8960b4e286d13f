/**
 * The CLI as people meet it: help per command, --version, usage errors on one
 * line with the fix, readable errors for a missing file and a busy port, and
 * the commands key list, merchant show, gateway disable and user reset-password.
 * Real processes against a fresh data directory.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type TestDatabase, createTestDatabase } from '../support/databases.js';
import { HttpSession } from '../support/dashboard.js';
import { CLI, cli, freePort, startServer } from '../support/process.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function cliWithInput(env: Record<string, string>, args: string[], input: string) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', input });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The CLI run without blocking this process: while a test holds kept-alive
 * connections to a server, a blocked event loop would miss the server closing
 * them and reuse a dead socket.
 */
function cliAsync(env: Record<string, string>, args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

/** A usage error: exit 2, exactly one line on stderr, naming the problem and the help to read. */
function assertUsageError(result: { status: number | null; stdout: string; stderr: string }, problem: RegExp, help: string): void {
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stdout, '');
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', problem);
  assert.ok(lines[0]?.endsWith(`(see ${help})`), lines[0]);
}

describe('cancan CLI: help, errors and commands', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let merchantId: string;
  before(async () => {
    database = await createTestDatabase('sqlite');
    env = { CANCAN_DATA_DIR: database.dataDir };
    const created = cli(env, ['merchant', 'create', '--name', 'Dumpling Cart', '--gateways', 'alipay,wechatpay,cc', '--json']);
    assert.equal(created.status, 0, created.stderr);
    merchantId = JSON.parse(created.stdout).merchant.id;
  });
  after(() => database.drop());

  test('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    const result = cli(env, ['--version']);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, `cancan ${pkg.version}\n`);
  });

  test('help for a group, for one command, and `help <command>`', () => {
    const group = cli(env, ['merchant', '--help']);
    assert.equal(group.status, 0, group.stderr);
    for (const sub of ['create', 'list', 'show', 'settings', 'branding']) assert.match(group.stdout, new RegExp(`cancan merchant ${sub} `));
    assert.doesNotMatch(group.stdout, /cancan key /);

    const one = cli(env, ['key', 'create', '--help']);
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, /^Usage:\n {2}cancan key create --merchant ID \[--mode test\|live\] \[--json\]\n/);
    assert.doesNotMatch(one.stdout, /merchant create/);

    assert.equal(cli(env, ['help', 'user', 'reset-password']).stdout, cli(env, ['user', 'reset-password', '-h']).stdout);
    assert.match(cli(env, ['--help']).stdout, /cancan listen --forward-to URL/);
  });

  test('usage errors are one line with the fix and exit 2', () => {
    assertUsageError(cli(env, ['merchant', 'create']), /^cancan: --name is required/, 'cancan merchant create --help');
    assertUsageError(cli(env, ['merchant']), /merchant needs a subcommand: create, list, show, settings, currencies, branding/, 'cancan merchant --help');
    assertUsageError(cli(env, ['key', 'rotate']), /unknown command: key rotate; key has create, list, revoke/, 'cancan key --help');
    assertUsageError(cli(env, ['frobnicate']), /unknown command: frobnicate/, 'cancan --help');
    assertUsageError(
      cli(env, ['key', 'create', '--merchant', merchantId, '--mode', 'prod']),
      /--mode must be test or live, got prod/,
      'cancan key create --help',
    );
    assertUsageError(cli(env, ['merchant', 'list', '--email', 'x@y.z']), /merchant list takes no --email/, 'cancan merchant list --help');
    assertUsageError(cli(env, ['key', 'list', '--colour']), /unknown option --colour/, 'cancan key list --help');
    assertUsageError(cli(env, ['key', 'create', '--merchant']), /--merchant needs a value/, 'cancan key create --help');
    assertUsageError(cli(env, ['serve', '--role', 'cashier']), /--role must be one of api, worker, all, got cashier/, 'cancan serve --help');
  });

  test('a missing --file is one line naming the file', () => {
    const result = cli(env, ['provider', 'set-credentials', '--merchant', merchantId, 'alipay', '--file', `${database.dataDir}/nope.json`]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `cancan: cannot read --file ${database.dataDir}/nope.json: no such file\n`);
  });

  test('a busy port is one line naming the port and the setting', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const address = holder.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      for (const command of ['serve', 'simulators']) {
        const result = spawnSync(process.execPath, [CLI, command], {
          env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
          encoding: 'utf8',
        });
        assert.equal(result.status, 1, result.stderr);
        const lines = result.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{'));
        assert.deepEqual(lines, [
          `cancan: port ${port} is already in use (another CanCan or another program listens on it): stop that process or set PORT to a free port`,
        ]);
        assert.doesNotMatch(result.stderr, /EADDRINUSE/);
      }
    } finally {
      holder.close();
    }
  });

  test('key list (ISO times, never secrets) and revoking twice says so', () => {
    const created = JSON.parse(cli(env, ['key', 'create', '--merchant', merchantId, '--mode', 'live', '--json']).stdout);
    const revoked = cli(env, ['key', 'revoke', created.id, '--json']);
    assert.equal(revoked.status, 0, revoked.stderr);
    const first = JSON.parse(revoked.stdout);
    assert.equal(first.already_revoked, false);
    assert.match(first.revoked_at, ISO);

    const again = cli(env, ['key', 'revoke', created.id]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, `Key ${created.id} was already revoked (at ${first.revoked_at}); nothing changed.\n`);
    const againJson = JSON.parse(cli(env, ['key', 'revoke', created.id, '--json']).stdout);
    assert.deepEqual(againJson, { id: created.id, revoked: true, already_revoked: true, revoked_at: first.revoked_at });

    const listed = cli(env, ['key', 'list', '--merchant', merchantId, '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    const keys = JSON.parse(listed.stdout).keys as Record<string, unknown>[];
    assert.equal(keys.length, 2);
    const live = keys.find((k) => k.id === created.id);
    assert.deepEqual(Object.keys(live ?? {}).sort(), ['created_at', 'id', 'last_used_at', 'merchant', 'mode', 'prefix', 'revoked_at', 'status']);
    assert.equal(live?.status, 'revoked');
    assert.equal(live?.mode, 'live');
    assert.equal(live?.revoked_at, first.revoked_at);
    assert.match(String(live?.created_at), ISO);
    assert.equal(live?.last_used_at, null);
    assert.ok(!listed.stdout.includes(created.api_key), 'no secret in the list');
    assert.equal(JSON.parse(cli(env, ['key', 'list', '--merchant', 'mch_nobody', '--json']).stdout).keys.length, 0);
  });

  test('merchant show, and gateway disable', () => {
    const disabled = cli(env, ['gateway', 'disable', '--merchant', merchantId, 'wechatpay', '--json']);
    assert.equal(disabled.status, 0, disabled.stderr);
    assert.deepEqual(JSON.parse(disabled.stdout), { merchant: merchantId, gateways: ['alipay', 'cc'] });
    assertUsageError(
      cli(env, ['gateway', 'disable', '--merchant', merchantId, 'paypal']),
      /unknown gateway or payment method paypal/,
      'cancan gateway disable --help',
    );

    const shown = cli(env, ['merchant', 'show', '--merchant', merchantId, '--json']);
    assert.equal(shown.status, 0, shown.stderr);
    const m = JSON.parse(shown.stdout).merchant;
    assert.equal(m.id, merchantId);
    assert.equal(m.name, 'Dumpling Cart');
    assert.match(m.created_at, ISO);
    assert.deepEqual(m.gateways, ['alipay', 'cc']);
    assert.equal(m.timezone, 'UTC');
    assert.deepEqual(m.live_credentials, []);
    assert.equal(m.api_keys.test_active, 1);
    const text = cli(env, ['merchant', 'show', '--merchant', merchantId]);
    assert.match(text.stdout, /^mch_[0-9a-f]{16} {2}Dumpling Cart\n/);
    assert.match(text.stdout, /gateways: alipay, cc\n/);
    const unknown = cli(env, ['merchant', 'show', '--merchant', 'mch_nobody']);
    assert.equal(unknown.status, 1);
    assert.equal(unknown.stderr, 'cancan: no merchant mch_nobody (cancan merchant list shows them)\n');
  });

  test('user reset-password: the new password works, the old one and the open sessions do not', async () => {
    const email = 'cook@dumpling.example';
    const created = cliWithInput(env, ['user', 'create', '--merchant', merchantId, '--email', email, '--password-stdin', '--json'], 'first password 1\n');
    assert.equal(created.status, 0, created.stderr);
    assert.match(JSON.parse(created.stdout).user.created_at, ISO);
    const server = await startServer({ ...env, CANCAN_DEMO: 'off', LOG_LEVEL: 'warn' }, await freePort());
    try {
      const before = new HttpSession(server.url);
      assert.equal(await before.signIn({ email, password: 'first password 1' }), 303);
      assert.equal((await before.get('/dashboard')).status, 200);

      const short = await cliAsync(env, ['user', 'reset-password', '--email', email, '--password-stdin'], 'short\n');
      assert.equal(short.status, 1);
      assert.match(short.stderr, /at least 10 characters; nothing changed/);
      assertUsageError(await cliAsync(env, ['user', 'reset-password', '--email', email]), /--password-stdin is required/, 'cancan user reset-password --help');
      const nobody = await cliAsync(env, ['user', 'reset-password', '--email', 'no@one.example', '--password-stdin'], 'second password 2\n');
      assert.equal(nobody.status, 1);
      assert.match(nobody.stderr, /no user with e-mail no@one.example/);

      const reset = await cliAsync(env, ['user', 'reset-password', '--email', email.toUpperCase(), '--password-stdin', '--json'], 'second password 2\n');
      assert.equal(reset.status, 0, reset.stderr);
      const answer = JSON.parse(reset.stdout);
      assert.equal(answer.user.email, email);
      assert.equal(answer.sessions_ended, 1);

      assert.equal((await before.get('/dashboard')).status, 303, 'the session open before the reset has ended');
      assert.notEqual(await new HttpSession(server.url).signIn({ email, password: 'first password 1' }), 303);
      const after = new HttpSession(server.url);
      assert.equal(await after.signIn({ email, password: 'second password 2' }), 303);
      assert.equal((await after.get('/dashboard')).status, 200);
    } finally {
      await server.kill('SIGTERM');
    }
    const users = JSON.parse(cli(env, ['user', 'list', '--json']).stdout).users as { email: string; created_at: string; last_sign_in_at: string }[];
    const user = users.find((u) => u.email === email);
    assert.match(user?.created_at ?? '', ISO);
    assert.match(user?.last_sign_in_at ?? '', ISO);
  });
});
