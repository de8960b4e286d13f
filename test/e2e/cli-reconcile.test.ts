/**
 * `cancan reconcile` as an operator runs it: a real CLI process on the data
 * directory and database of a running server, test mode against the
 * simulators (started by the CLI on the same simulator ledger). A clean day
 * exits 0 and prints its figures; a payment the provider closed behind
 * CanCan's back exits 3 naming it; a re-run replaces the day; usage errors
 * exit 2 on one line.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QUERY_SOURCE_NOTE } from '../../src/reconcile/summary.js';
import { dayOf } from '../../src/reconcile/days.js';
import { SimulatorLedger } from '../../src/simulators/ledger.js';
import { call, refundBody, saleBody, uniqueId } from '../support/client.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { CLI } from '../support/process.js';

/** The CLI without blocking this process (the server in it keeps answering). */
function cliAsync(env: Record<string, string>, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end();
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

describe('cancan reconcile', () => {
  let t: TestApp;
  let m: TestMerchant;
  let env: Record<string, string>;
  let day: string;
  let saleOrder = '';

  before(async () => {
    t = await startTestApp('sqlite', { CANCAN_RECONCILE_EVERY_MS: '0' });
    m = await t.merchant();
    env = { CANCAN_DATA_DIR: t.database.dataDir, LOG_LEVEL: 'silent' };
    const post = (body: unknown) => call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body, headers: { prefer: 'wait=10' } });
    const saleId = uniqueId('sale');
    assert.equal((await post(saleBody(saleId, 2500))).body.data.attributes.state, 'succeeded');
    assert.equal((await post(refundBody(uniqueId('refund'), saleId, 500))).body.data.attributes.state, 'succeeded');
    const row = await t.app.deps.store.db.selectFrom('transactions').select('provider_order_no').where('client_id', '=', saleId).executeTakeFirstOrThrow();
    saleOrder = row.provider_order_no ?? '';
    // WeChat Pay reconciles from its query API until its statement format lands: any day in UTC.
    day = dayOf(Date.now(), 'UTC');
  });
  after(() => t.close());

  test('a clean day: exit 0, the figures per currency', async () => {
    const result = await cliAsync(env, ['reconcile', '--date', day, '--provider', 'wechatpay']);
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0, result.stdout);
    assert.equal(
      result.stdout,
      [
        `wechatpay test ${day} (sandbox account): clean [matched 2]`,
        '  CNY  provider: payments 25.00, refunds 5.00, fees 0.00, net 20.00 (2 lines, no printed totals)',
        '       CanCan:   payments 25.00, refunds 5.00',
        `  note: ${QUERY_SOURCE_NOTE}`,
        '',
      ].join('\n'),
    );
  });

  test('a payment the provider no longer counts: exit 3, the difference named; the re-run replaces the day', async () => {
    const ledger = SimulatorLedger.open(join(t.database.dataDir, 'simulator.sqlite'));
    try {
      ledger.updateOrder('wechatpay', saleOrder, { status: 'closed', providerState: 'CLOSED' });
    } finally {
      ledger.close();
    }
    const result = await cliAsync(env, ['reconcile', '--date', day, '--provider', 'wechatpay', '--json']);
    assert.equal(result.stderr, '');
    assert.equal(result.status, 3, result.stdout);
    const output = JSON.parse(result.stdout);
    assert.equal(output.exit_code, 3);
    assert.equal(output.runs.length, 1);
    const [run] = output.runs;
    assert.equal(run.provider, 'wechatpay');
    assert.equal(run.mode, 'test');
    assert.equal(run.merchant_id, null);
    assert.equal(run.day, day);
    assert.equal(run.state, 'done');
    assert.deepEqual(run.summary.counts, { matched: 1, missing_in_cancan: 0, missing_at_provider: 0, amount_mismatch: 0, status_mismatch: 1, fee_only: 0 });
    assert.equal(run.summary.clean, false);
    assert.deepEqual(run.differences, [
      {
        class: 'status_mismatch',
        kind: 'payment',
        merchant_id: m.id,
        order_no: saleOrder,
        refund_no: null,
        currency: 'CNY',
        provider_amount: 2500,
        cancan_amount: 2500,
        fee: null,
        net: null,
        provider_status: 'CLOSED',
        cancan_state: 'succeeded',
        detail: 'the provider says it is not settled; CanCan has it succeeded',
      },
    ]);
    const runs = await t.app.deps.store.db.selectFrom('reconciliation_runs').select(['id', 'state']).where('provider', '=', 'wechatpay').execute();
    assert.equal(runs.length, 1);
    const items = await t.app.deps.store.db
      .selectFrom('reconciliation_items')
      .select('class')
      .where('run_id', '=', runs[0]?.id ?? 0)
      .orderBy('class')
      .execute();
    assert.deepEqual(
      items.map((i) => i.class),
      ['matched', 'status_mismatch'],
    );
  });

  test('usage errors: exit 2 with one line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['reconcile'], /--date is required/],
      [['reconcile', '--date', '2026-02-30'], /--date must be a day written YYYY-MM-DD, got 2026-02-30/],
      [['reconcile', '--date', day, '--provider', 'paypal'], /--provider must be one of wechatpay, alipay, linepay, alipayplus, unionpay, card, got paypal/],
      [['reconcile', '--date', day, '--mode', 'prod'], /--mode must be test or live, got prod/],
      [['reconcile', '--date', day, '--merchant', m.id], /--merchant is for --mode live/],
      [['reconcile', '--date', day, '--role', 'api'], /unknown option --role|reconcile takes no --role/],
    ];
    for (const [args, problem] of cases) {
      const result = await cliAsync(env, args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      const lines = result.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', problem);
      assert.ok(lines[0]?.endsWith('(see cancan reconcile --help)'), lines[0]);
    }
  });

  test('live mode without credentials says so (exit 1)', async () => {
    const result = await cliAsync(env, ['reconcile', '--date', day, '--mode', 'live', '--merchant', m.id]);
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      `cancan: merchant ${m.id} has no live credentials for wechatpay, alipay, linepay, alipayplus, unionpay, card: nothing to reconcile in live mode\n`,
    );
  });
});
