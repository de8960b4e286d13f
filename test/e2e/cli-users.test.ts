/** Dashboard users from the CLI, and the demo owner printed on first start. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { type TestDatabase, createTestDatabase } from '../support/databases.js';
import { waitFor } from '../support/chop.js';
import { HttpSession } from '../support/dashboard.js';
import { CLI, cli, freePort, startServer } from '../support/process.js';

function cliWithInput(env: Record<string, string>, args: string[], input: string) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', input });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('cancan user', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let merchantId: string;
  before(async () => {
    database = await createTestDatabase('sqlite');
    env = { CANCAN_DATA_DIR: database.dataDir };
    const created = cli(env, ['merchant', 'create', '--name', 'Tea House', '--json']);
    assert.equal(created.status, 0, created.stderr);
    merchantId = JSON.parse(created.stdout).merchant.id;
  });
  after(() => database.drop());

  test('creates owners, staff and operators with the password from standard input', () => {
    const owner = cliWithInput(
      env,
      ['user', 'create', '--merchant', merchantId, '--email', 'Owner@Tea.example', '--password-stdin', '--json'],
      'long enough secret\n',
    );
    assert.equal(owner.status, 0, owner.stderr);
    const ownerJson = JSON.parse(owner.stdout);
    assert.match(ownerJson.user.id, /^usr_[0-9a-f]{16}$/);
    assert.equal(ownerJson.user.email, 'owner@tea.example');
    assert.equal(ownerJson.user.role, 'owner');
    assert.ok(!owner.stdout.includes('long enough secret'));

    const staff = cliWithInput(
      env,
      ['user', 'create', '--merchant', merchantId, '--role', 'staff', '--email', 'staff@tea.example', '--password-stdin'],
      'another long secret',
    );
    assert.equal(staff.status, 0, staff.stderr);
    assert.match(staff.stdout, /staff of mch_/);
    const operator = cliWithInput(env, ['user', 'create', '--operator', '--email', 'ops@cancan.example', '--password-stdin'], 'operator secret 123\n');
    assert.equal(operator.status, 0, operator.stderr);

    const listed = JSON.parse(cli(env, ['user', 'list', '--json']).stdout) as { users: { email: string; role: string; merchant_id: string | null }[] };
    assert.deepEqual(
      listed.users.map((u) => [u.email, u.role, u.merchant_id]),
      [
        ['owner@tea.example', 'owner', merchantId],
        ['staff@tea.example', 'staff', merchantId],
        ['ops@cancan.example', 'operator', null],
      ],
    );
    assert.ok(!JSON.stringify(listed).includes('scrypt'), 'password hashes are not listed');
  });

  test('refuses bad input with a clear message', () => {
    const cases: [string[], string, RegExp, number][] = [
      [['--merchant', merchantId, '--email', 'short@tea.example', '--password-stdin'], 'short', /at least 10 characters/, 1],
      [['--merchant', merchantId, '--email', 'owner@tea.example', '--password-stdin'], 'long enough secret', /already exists/, 1],
      [['--merchant', 'mch_nope', '--email', 'x@tea.example', '--password-stdin'], 'long enough secret', /no merchant mch_nope/, 1],
      [['--email', 'x@tea.example', '--password-stdin'], 'long enough secret', /--merchant ID, or make an --operator/, 2],
      [['--operator', '--merchant', merchantId, '--email', 'x@tea.example', '--password-stdin'], 'long enough secret', /--operator takes no --merchant/, 2],
      [['--merchant', merchantId, '--email', 'x@tea.example'], 'long enough secret', /--password-stdin is required/, 2],
      [['--merchant', merchantId, '--role', 'admin', '--email', 'x@tea.example', '--password-stdin'], 'long enough secret', /--role must be owner or staff/, 2],
      [
        ['--merchant', merchantId, '--role', 'operator', '--email', 'x@tea.example', '--password-stdin'],
        'long enough secret',
        /--role must be owner or staff/,
        2,
      ],
      [['--merchant', merchantId, '--email', 'not-an-email', '--password-stdin'], 'long enough secret', /not an e-mail address/, 1],
    ];
    for (const [args, input, message, status] of cases) {
      const result = cliWithInput(env, ['user', 'create', ...args], input);
      assert.equal(result.status, status, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});

describe('first start', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('sqlite');
  });
  after(() => database.drop());

  test('prints the demo owner, who can sign in to the dashboard', async () => {
    const server = await startServer({ CANCAN_DATA_DIR: database.dataDir, LOG_LEVEL: 'warn' }, await freePort());
    try {
      // The banner follows the first health answer by a moment.
      const pattern = /dashboard: (\S+)\/dashboard {2}e-mail: (\S+) {2}password \(shown once\): (\S+)/;
      const banner = await waitFor(() => pattern.exec(server.output()) ?? undefined);
      const [, url, email, password] = banner;
      assert.equal(url, server.url);
      const session = new HttpSession(server.url);
      assert.equal(await session.signIn({ email: email ?? '', password: password ?? '' }), 303);
      const home = await session.get('/dashboard');
      assert.equal(home.status, 200);
      assert.match(home.text, /Demo Shop/);
    } finally {
      await server.kill('SIGTERM');
    }
  });
});
