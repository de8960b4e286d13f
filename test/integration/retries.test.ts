/**
 * Bounded retries over simulated days: a fake clock, a scripted provider and
 * the job steps run one by one (no worker), on both databases. A provider that
 * never answers slows the job to the long cadence and marks the transaction as
 * needing attention (dashboard, operator console, /metrics, one warning line)
 * without writing an event per poll; a provider that refuses CanCan's setup
 * fails a first call at once and marks a follow-up call at once.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type App, startApp } from '../../src/app.js';
import { chopStep } from '../../src/chop/process.js';
import { deliverNotification } from '../../src/chop/ipn.js';
import { loadConfig } from '../../src/config.js';
import type { CoreDeps } from '../../src/core/deps.js';
import { processJob } from '../../src/core/process.js';
import { createUser } from '../../src/dashboard/accounts.js';
import { claimDueJobs } from '../../src/jobs/queue.js';
import type { AdapterSource } from '../../src/providers/adapters.js';
import { paymentMethodCodes } from '../../src/chop/methods.js';
import type {
  CloseOutcome,
  OnlineAdapter,
  PayOutcome,
  PosAdapter,
  ProviderTrace,
  QueryOutcome,
  RefundOutcome,
  RefundQueryOutcome,
  ReverseOutcome,
  Traced,
} from '../../src/providers/contract.js';
import { gatewayCodes } from '../../src/providers/registry.js';
import { createApiKey, createMerchant } from '../../src/store/merchants.js';
import { chop } from '../support/chop.js';
import { call, saleBody, uniqueId } from '../support/client.js';
import { HttpSession, PASSWORD } from '../support/dashboard.js';
import { DB_KINDS, type TestDatabase, createTestDatabase } from '../support/databases.js';

const POLL_MS = 100;
const CONFIRM_WINDOW_MS = 2_500;
const HOUR = 3_600_000;
const CHECKOUT_EXPIRY_MS = 1_000;
/** The jitter the tests fix: half of the 20 % that may be taken off each wait. */
const RANDOM = 0.5;
const jittered = (ms: number) => Math.round(ms * (1 - 0.2 * RANDOM));

type Script = {
  pay: () => PayOutcome;
  query: () => QueryOutcome;
  reverse: () => ReverseOutcome;
  refund: () => RefundOutcome;
  refundQuery: () => RefundQueryOutcome;
  close: () => CloseOutcome;
};

const unknown = { kind: 'unknown', reason: 'no answer within 1000 ms' } as const;

/** A WeChat Pay stand-in answering from a script that tests change as they go; counts its calls. */
function scriptedAdapter(script: Script, calls: string[]): PosAdapter {
  const traced = <T extends { kind: string }>(name: string, outcome: T): Promise<Traced<T>> => {
    calls.push(name);
    const trace: ProviderTrace = { provider: 'wechatpay', call: name, latencyMs: 1, httpStatus: 200, code: null, message: outcome.kind };
    return Promise.resolve({ outcome, trace });
  };
  return {
    provider: 'wechatpay',
    isWellFormedAuthCode: () => true,
    pay: () => traced('micropay', script.pay()),
    query: () => traced('orderquery', script.query()),
    reverse: () => traced('reverse', script.reverse()),
    refund: () => traced('refund', script.refund()),
    refundQuery: () => traced('refundquery', script.refundQuery()),
    mapFailure: () => 'unknown_failure',
  };
}

/** The same stand-in for hosted checkout: orders are created at once and never paid. */
function scriptedOnlineAdapter(script: Script, calls: string[]): OnlineAdapter {
  const traced = <T extends { kind: string }>(name: string, outcome: T): Promise<Traced<T>> => {
    calls.push(name);
    return Promise.resolve({ outcome, trace: { provider: 'wechatpay', call: name, latencyMs: 1, httpStatus: 200, code: null, message: outcome.kind } });
  };
  return {
    provider: 'wechatpay',
    createOrder: () => traced('unifiedorder', { kind: 'created', qrCode: 'weixin://wxpay/bizpayurl?pr=retrytest', payForm: null }),
    query: () => traced('orderquery', { kind: 'not_paid' }),
    close: () => traced('closeorder', script.close()),
    refund: () => traced('refund', script.refund()),
    refundQuery: () => traced('refundquery', script.refundQuery()),
    mapFailure: () => 'unknown_failure',
  };
}

for (const kind of DB_KINDS) {
  describe(`bounded retries and needs attention (${kind})`, () => {
    let database: TestDatabase;
    let app: App;
    let deps: CoreDeps;
    let now = Date.UTC(2026, 0, 5, 9, 0, 0);
    const logs: string[] = [];
    const calls: string[] = [];
    const script: Script = {
      pay: () => ({ ...unknown, code: null }),
      query: () => unknown,
      reverse: () => unknown,
      refund: () => unknown,
      refundQuery: () => unknown,
      close: () => unknown,
    };
    let merchantId = '';
    let apiKey = '';

    before(async () => {
      database = await createTestDatabase(kind);
      const config = loadConfig({
        CANCAN_CONFIRM_WINDOW_MS: String(CONFIRM_WINDOW_MS),
        CANCAN_POLL_INTERVAL_MS: String(POLL_MS),
        CANCAN_JOB_LEASE_MS: '30000',
        CANCAN_CHECKOUT_EXPIRY_MS: String(CHECKOUT_EXPIRY_MS),
        CANCAN_ALLOW_PRIVATE_URLS: 'on',
        LOG_LEVEL: 'info',
        PORT: '0',
        HOST: '127.0.0.1',
        CANCAN_DATA_DIR: database.dataDir,
        ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
      });
      const logStream = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          logs.push(chunk.toString('utf8'));
          callback();
        },
      });
      app = await startApp(config, { clock: { now: () => now }, worker: false, logStream });
      const adapter = scriptedAdapter(script, calls);
      const online = scriptedOnlineAdapter(script, calls);
      const adapters: AdapterSource = {
        adapterFor: async () => adapter,
        onlineAdapterFor: async () => online,
        cardAdapterFor: async () => null,
        contextFor: async () => null,
      };
      deps = { ...app.deps, adapters, random: () => RANDOM };
      const merchant = await createMerchant(app.deps.store.db, {
        name: 'Retry Shop',
        timezone: 'UTC',
        gateways: [...gatewayCodes(), ...paymentMethodCodes()],
        now,
      });
      merchantId = merchant.id;
      apiKey = (await createApiKey(app.deps.store.db, app.deps.secrets, { merchantId, mode: 'test', now })).apiKey;
    });

    after(async () => {
      await app?.close();
      await database?.drop();
    });

    const db = () => app.deps.store.db;

    async function sale(): Promise<{ id: string; seq: number }> {
      const id = uniqueId('retry');
      const created = await call(app.url, 'POST', '/api/v2/transactions', { key: apiKey, body: saleBody(id, 1000) });
      assert.equal(created.status, 201, created.text);
      const row = await db().selectFrom('transactions').select('seq').where('client_id', '=', id).executeTakeFirstOrThrow();
      return { id, seq: Number(row.seq) };
    }

    const rowOf = (seq: number) => db().selectFrom('transactions').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
    const jobOf = (seq: number) =>
      db().selectFrom('jobs').selectAll().where('transaction_seq', '=', seq).where('kind', '=', 'transaction').executeTakeFirstOrThrow();
    const eventCount = async (seq: number) =>
      Number(
        (
          await db()
            .selectFrom('transaction_events')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('transaction_seq', '=', seq)
            .executeTakeFirstOrThrow()
        ).n,
      );

    /** Runs the transaction's job once, at its due time (the clock moves there); answers the wait it chose. */
    async function step(seq: number): Promise<number | null> {
      const due = await jobOf(seq);
      if (due.done_at !== null) return null;
      now = Math.max(now, Number(due.run_at));
      const claimed = await claimDueJobs(db(), app.deps.store.dialect, 'test-runner', now, 30_000, 100);
      const job = claimed.find((candidate) => Number(candidate.transaction_seq) === seq);
      assert.ok(job, 'the job is due');
      for (const other of claimed.filter((candidate) => candidate !== job)) await processJob(deps, other, { chopStep, deliverNotification });
      await processJob(deps, job, { chopStep, deliverNotification });
      const next = await jobOf(seq);
      return next.done_at !== null ? null : Number(next.run_at) - now;
    }

    const attentionWarnings = (ref: string) => logs.filter((line) => line.includes('"level":40') && line.includes(ref) && line.includes('needs attention'));

    async function scrapeAttention(): Promise<number | undefined> {
      const text = await (await fetch(`${app.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('cancan_transactions_needing_attention{mode="test"}'));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    }

    test('a provider that never answers: backoff to the ceiling, then needs attention at the long cadence over days; events stay bounded', async () => {
      const { id, seq } = await sale();
      const waits: number[] = [];
      let wait = await step(seq); // pay: unknown
      assert.equal(wait, POLL_MS);
      // Query at the provider's cadence until the confirmation window ends, then reverse.
      while ((await rowOf(seq)).step === 'query') wait = await step(seq);
      assert.equal(wait, 0, 'the reversal starts as the window ends');
      assert.equal((await rowOf(seq)).step, 'reverse');
      const eventsAtReverse = await eventCount(seq);

      const reverseStarted = now;
      while ((await rowOf(seq)).needs_attention_since === null) {
        const chosen = await step(seq);
        assert.ok(chosen !== null);
        waits.push(chosen);
      }
      const row = await rowOf(seq);
      assert.equal(row.state, 'pending');
      assert.equal(Number(row.retrying_since), reverseStarted);
      assert.equal(Number(row.needs_attention_since), now);
      assert.ok(now - reverseStarted >= 15 * 60_000, 'marked once the reversal deadline passed');
      // Doubling from the poll interval, never shrinking, capped at a minute, then the long cadence.
      assert.equal(waits[0], jittered(POLL_MS));
      for (let i = 1; i < waits.length - 1; i += 1) assert.ok(waits[i]! >= waits[i - 1]!, `wait ${i} grows: ${waits.join(',')}`);
      assert.equal(Math.max(...waits.slice(0, -1)), jittered(60_000));
      assert.equal(waits[waits.length - 1], jittered(HOUR));
      assert.ok(waits.length < 40, `few retries before the mark: ${waits.length}`);
      assert.equal(attentionWarnings(row.ref).length, 1, 'one warning line when the mark starts');

      // Three more simulated days: hourly, still asking, nothing new in the event log.
      const eventsAtMark = await eventCount(seq);
      const reversalsBefore = calls.filter((c) => c === 'reverse').length;
      const threeDaysLater = now + 3 * 24 * HOUR;
      while (now < threeDaysLater) assert.equal(await step(seq), jittered(HOUR));
      assert.ok(calls.filter((c) => c === 'reverse').length - reversalsBefore >= 72, 'still asked about every hour');
      assert.equal(await eventCount(seq), eventsAtMark, 'polls that change nothing write no event');
      assert.ok(eventsAtMark - eventsAtReverse <= 2, `one trace and one mark: ${eventsAtMark - eventsAtReverse}`);
      assert.ok(eventsAtMark <= 8, `events stay few: ${eventsAtMark}`);
      assert.equal(attentionWarnings(row.ref).length, 1, 'still one warning line');

      // The API still says pending; the dashboard and /metrics say it needs attention.
      const fetched = await call(app.url, 'GET', `/api/v2/transactions/${id}`, { key: apiKey });
      assert.equal(fetched.body.data.attributes.state, 'pending');
      assert.equal(await scrapeAttention(), 1);
      const owner = { email: `owner-${seq}-${kind}@example.test`, password: PASSWORD };
      const operator = { email: `operator-${seq}-${kind}@example.test`, password: PASSWORD };
      await createUser(db(), { ...owner, role: 'owner', merchantId, now });
      await createUser(db(), { ...operator, role: 'operator', merchantId: null, now });
      const session = new HttpSession(app.url);
      assert.equal(await session.signIn(owner), 303);
      const list = await session.get('/dashboard/transactions');
      assert.equal(list.status, 200);
      const listed = new RegExp(`<tr data-ref="${row.ref}">[\\s\\S]*?</tr>`).exec(list.text)?.[0] ?? '';
      assert.match(listed, /data-needs-attention="true"[^>]*>Needs attention</);
      const detail = await session.get(`/dashboard/transactions/${row.ref}`);
      assert.match(detail.text, /data-needs-attention="true"[^>]*>Needs attention</);
      assert.match(detail.text, /data-event="needs_attention"/);
      const console = new HttpSession(app.url);
      assert.equal(await console.signIn(operator, '/dashboard/merchants'), 303);
      const merchants = await console.get('/dashboard/merchants');
      assert.match(merchants.text, /data-needs-attention-count="1"/);
      assert.match(merchants.text, new RegExp(`data-attention-ref="${row.ref}"`));

      // The provider answers at last: the sale ends, the mark clears, the gauge drops.
      script.reverse = () => ({ kind: 'reversed' });
      assert.equal(await step(seq), null);
      const ended = await rowOf(seq);
      assert.equal(ended.state, 'failed');
      assert.equal(ended.needs_attention_since, null);
      assert.equal(ended.retrying_since, null);
      assert.equal(await scrapeAttention(), 0);
      const after = await console.get('/dashboard/merchants');
      assert.match(after.text, /data-needs-attention-count="0"/);
      script.reverse = () => unknown;
    });

    test('a pay call the provider rejects (credentials) fails at once with its code and message', async () => {
      script.pay = () => ({ kind: 'rejected', code: 'FAIL', message: 'signature error' });
      try {
        const { id, seq } = await sale();
        assert.equal(await step(seq), null, 'no retry');
        const row = await rowOf(seq);
        assert.equal(row.state, 'failed');
        assert.equal(row.failure_code, 'payment_gateway_failure');
        assert.equal(row.failure_detail, 'The provider refused the request (check the provider credentials): FAIL: signature error');
        assert.equal(row.needs_attention_since, null);
        const fetched = await call(app.url, 'GET', `/api/v2/transactions/${id}`, { key: apiKey });
        assert.equal(fetched.body.data.attributes.state, 'failed');
        assert.equal(fetched.body.data.attributes.failure_code, 'payment_gateway_failure');
      } finally {
        script.pay = () => ({ ...unknown, code: null });
      }
    });

    test('a query rejected after the pay call was sent: needs attention at once, never reversed or failed on a guess', async () => {
      script.query = () => ({ kind: 'rejected', code: 'HTTP 403', message: 'the provider refused the credentials or permissions of this request' });
      try {
        const { seq } = await sale();
        assert.equal(await step(seq), POLL_MS); // pay: unknown
        const reversalsBefore = calls.filter((c) => c === 'reverse').length;
        const markedAt = now + POLL_MS;
        assert.equal(await step(seq), jittered(HOUR));
        const row = await rowOf(seq);
        assert.equal(row.state, 'pending');
        assert.equal(row.step, 'query');
        assert.equal(Number(row.needs_attention_since), markedAt);
        assert.equal(attentionWarnings(row.ref).length, 1);
        // Past the confirmation window it keeps asking instead of reversing.
        assert.equal(await step(seq), jittered(HOUR));
        assert.equal((await rowOf(seq)).step, 'query');
        assert.equal(calls.filter((c) => c === 'reverse').length, reversalsBefore);
        // Credentials fixed: the answer comes, the sale ends and the mark clears.
        script.query = () => ({ kind: 'paid', providerTxnId: '4200000001' });
        assert.equal(await step(seq), null);
        const ended = await rowOf(seq);
        assert.equal(ended.state, 'succeeded');
        assert.equal(ended.needs_attention_since, null);
      } finally {
        script.query = () => unknown;
      }
    });

    /** A sale the scripted provider pays at once. */
    async function paidSale(): Promise<{ id: string; seq: number }> {
      script.pay = () => ({ kind: 'paid', providerTxnId: '4200000002' });
      try {
        const paid = await sale();
        assert.equal(await step(paid.seq), null);
        assert.equal((await rowOf(paid.seq)).state, 'succeeded');
        return paid;
      } finally {
        script.pay = () => ({ ...unknown, code: null });
      }
    }

    async function refund(saleId: string): Promise<number> {
      const id = uniqueId('refund');
      const created = await call(app.url, 'POST', '/api/v2/transactions', {
        key: apiKey,
        body: { data: { id, type: 'refund', attributes: { sale: saleId, amount: 400 } } },
      });
      assert.equal(created.status, 201, created.text);
      return Number((await db().selectFrom('transactions').select('seq').where('client_id', '=', id).executeTakeFirstOrThrow()).seq);
    }

    test('a refund rejected on its first call fails at once; one rejected after an unanswered call needs attention', async () => {
      const { id } = await paidSale();
      script.refund = () => ({ kind: 'rejected', code: 'FAIL', message: 'No client certificate' });
      try {
        const first = await refund(id);
        assert.equal(await step(first), null);
        const failed = await rowOf(first);
        assert.equal(failed.state, 'failed');
        assert.equal(failed.failure_detail, 'The provider refused the request (check the provider credentials): FAIL: No client certificate');

        // The first call went unanswered: the provider may have refunded, so a later refusal is not a failure.
        script.refund = () => unknown;
        const second = await refund(id);
        assert.equal(await step(second), jittered(POLL_MS));
        script.refund = () => ({ kind: 'rejected', code: 'FAIL', message: 'No client certificate' });
        assert.equal(await step(second), jittered(HOUR));
        const marked = await rowOf(second);
        assert.equal(marked.state, 'pending');
        assert.equal(Number(marked.needs_attention_since), now);
      } finally {
        script.refund = () => unknown;
      }
    });

    test('a checkout order the provider never confirms closed: needs attention after the close deadline, asked hourly, events bounded', async () => {
      const reference = uniqueId('order');
      const markedBefore = (await scrapeAttention()) ?? 0; // the refund left above still needs attention
      const posting = chop(app.url, '/chop/chop', apiKey, { payment_method: 'wechatpay', amount: 1000, currency: 'USD', reference });
      let answered: { status: number; text: string } | null = null;
      void posting.then((response) => (answered = response));
      let seq = 0;
      while (seq === 0) {
        // Noted before the read: an answer that had arrived by then must find the charge already stored.
        const answeredBefore: { status: number; text: string } | null = answered;
        const row = await db().selectFrom('transactions').select('seq').where('reference', '=', reference).executeTakeFirst();
        if (!row && answeredBefore !== null) assert.fail(`the charge was answered before it was created: ${JSON.stringify(answeredBefore)}`);
        seq = row ? Number(row.seq) : 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(await step(seq), POLL_MS); // create_order: the QR exists, the page answers
      assert.equal((await posting).status, 200);
      while ((await rowOf(seq)).step !== 'close') await step(seq);
      const closeStarted = now;
      let wait = await step(seq);
      while ((await rowOf(seq)).needs_attention_since === null) wait = await step(seq);
      assert.equal(wait, jittered(HOUR));
      const marked = await rowOf(seq);
      assert.equal(marked.state, 'pending');
      assert.ok(Number(marked.needs_attention_since) - closeStarted >= 15 * 60_000);
      assert.equal(attentionWarnings(marked.ref).length, 1);
      const events = await eventCount(seq);
      const day = now + 24 * HOUR;
      while (now < day) assert.equal(await step(seq), jittered(HOUR));
      assert.equal(await eventCount(seq), events, 'hourly polls that change nothing write no event');
      assert.equal(await scrapeAttention(), markedBefore + 1);
      script.close = () => ({ kind: 'closed' });
      try {
        assert.equal(await step(seq), null);
        const ended = await rowOf(seq);
        assert.equal(ended.state, 'failed');
        assert.equal(ended.close_reason, 'expired');
        assert.equal(ended.needs_attention_since, null);
        assert.equal(await scrapeAttention(), markedBefore);
      } finally {
        script.close = () => unknown;
      }
    });
  });
}
