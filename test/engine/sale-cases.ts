/** POS sales (pay → query → reverse) and voids (of a pending sale, of a succeeded one). */
import assert from 'node:assert/strict';
import {
  AUTH_CODE,
  CONFIRM_WINDOW_MS,
  type EngineWorld,
  LEASE_MS,
  PROVIDER_TIMEOUT_MS,
  WORKER_B,
  claim,
  openJob,
  row,
  runClaimed,
  runDueStep,
} from '../support/engine.js';
import { pendingSaleVoided, saleAtPay, saleAtQuery, saleAtReverse, SALE_AMOUNT, toDeadline, voidedSaleAtReverse, voidOfSucceededSale } from './arrange.js';
import { type Case, type Subject, answer, assertLogged, assertRecordedCalls, assertRow, outcomeClassCases, related, stepCase, throwsError } from './case.js';

const VOIDED = { code: 'sale_voided_failure', detail: 'Sale was voided before it completed' } as const;
const NOT_CONFIRMED = { code: 'payment_gateway_failure', detail: 'The provider did not confirm the payment in time; it was reversed' } as const;
const CUSTOMER_DID_NOT_CONFIRM = { code: 'payment_password_failure', detail: 'The customer did not confirm the payment in time' } as const;
const paid = answer('query', { kind: 'paid', providerTxnId: '4200000001' });
const reversed = answer('reverse', { kind: 'reversed' });

const pay: Case[] = [
  stepCase('sale', 'pay', 'definite', 'paid: succeeded, the code erased, the call sent as the sale asked', {
    arrange: saleAtPay,
    script: [answer('pay', { kind: 'paid', providerTxnId: '4200000001' })],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['pay'] },
    async also(w, s) {
      const sale = await row(w, s.seq);
      assert.deepEqual(w.provider.calls[0]?.request, {
        orderNo: sale.ref,
        money: { amount: SALE_AMOUNT, currency: 'CNY' },
        authCode: AUTH_CODE,
        description: 'Engine test',
      });
      await assertRow(w, s.seq, { auth_code_sealed: null, provider_order_no: sale.ref });
      await assertRecordedCalls(w, s.seq, 1);
    },
  }),
  stepCase('sale', 'pay', 'definite', 'declined with a known code: failed with its failure code', {
    arrange: saleAtPay,
    script: [answer('pay', { kind: 'declined', code: 'NOTENOUGH', message: 'balance too low' })],
    expect: {
      state: 'failed',
      step: 'done',
      failure: { code: 'customer_insufficient_balance_failure', detail: 'Customer has insufficient balance' },
      next: 'done',
      calls: ['pay'],
    },
  }),
  stepCase('sale', 'pay', 'definite', 'declined with a code the table does not know: unknown_failure keeps the code and message', {
    arrange: saleAtPay,
    script: [answer('pay', { kind: 'declined', code: 'STRANGE', message: 'never seen' })],
    expect: { state: 'failed', step: 'done', failure: { code: 'unknown_failure', detail: 'STRANGE: never seen' }, next: 'done', calls: ['pay'] },
  }),
  stepCase('sale', 'pay', 'unknown', 'awaiting the customer: query within the confirmation window', {
    arrange: saleAtPay,
    script: [answer('pay', { kind: 'awaiting_customer', code: 'USERPAYING' })],
    expect: { state: 'pending', step: 'query', next: 'poll', calls: ['pay'] },
    async also(w, s) {
      const sale = await row(w, s.seq);
      assert.equal(sale.provider_sent_at, w.clock.now());
      assert.equal(sale.confirm_deadline, w.clock.now() + CONFIRM_WINDOW_MS);
    },
  }),
  stepCase('sale', 'pay', 'unknown', 'an unknown answer: query, keeping the provider code', {
    arrange: saleAtPay,
    script: [answer('pay', { kind: 'unknown', reason: 'SYSTEMERROR', code: 'SYSTEMERROR' })],
    expect: { state: 'pending', step: 'query', next: 'poll', calls: ['pay'] },
    also: (w, s) => assertRow(w, s.seq, { last_provider_code: 'SYSTEMERROR' }),
  }),
  stepCase('sale', 'pay', 'timeout', 'the window is counted from when the call was sent, not from its timeout', {
    arrange: saleAtPay,
    script: [{ call: 'pay', behaviour: { timeout: true } }],
    expect: { state: 'pending', step: 'query', next: 'poll', calls: ['pay'] },
    async also(w, s) {
      const sale = await row(w, s.seq);
      assert.equal(sale.provider_sent_at, w.clock.now() - PROVIDER_TIMEOUT_MS);
      assert.equal(sale.confirm_deadline, w.clock.now() - PROVIDER_TIMEOUT_MS + CONFIRM_WINDOW_MS);
    },
  }),
  stepCase('sale', 'pay', 'throws', 'after a failed pay call the next run queries, never pays again', {
    arrange: saleAtPay,
    script: [throwsError('pay'), paid],
    async act(w, s) {
      await runDueStep(w, s.seq);
      await runDueStep(w, s.seq);
      await runDueStep(w, s.seq);
    },
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['pay', 'query'] },
  }),
  stepCase('sale', 'pay', 'lease lost', 'the lease is lost before the pay call: nothing is sent', {
    arrange: saleAtPay,
    async act(w, s) {
      const job = await claim(w, s.seq);
      w.clock.advance(LEASE_MS + 1);
      await claim(w, s.seq, WORKER_B);
      await runClaimed(w, job);
    },
    expect: { state: 'pending', step: 'pay', next: { heldBy: WORKER_B }, calls: [] },
    async also(w, s) {
      await assertRow(w, s.seq, { provider_sent_at: null });
      assertLogged(w, 'warn', 'job lease lost; another worker resumes it');
    },
  }),
  ...outcomeClassCases({
    kind: 'sale',
    step: 'pay',
    storedStep: 'pay',
    arrange: saleAtPay,
    call: 'pay',
    afterUnknown: { step: 'query', next: 'poll' },
    definite: answer('pay', { kind: 'paid', providerTxnId: '4200000001' }),
    // The pay call may have reached the provider: the next worker queries instead.
    resume: { lines: [paid], expect: { state: 'succeeded', step: 'done', next: 'done' } },
  }),
];

const query: Case[] = [
  stepCase('sale', 'query', 'definite', 'paid: succeeded', {
    arrange: saleAtQuery(),
    script: [paid],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['query'] },
  }),
  stepCase('sale', 'query', 'definite', 'closed after a system error: failed as not confirmed', {
    arrange: saleAtQuery(),
    script: [answer('query', { kind: 'closed', code: 'TRADE_CLOSED' })],
    expect: { state: 'failed', step: 'done', failure: NOT_CONFIRMED, next: 'done', calls: ['query'] },
  }),
  stepCase('sale', 'query', 'definite', 'closed after a bank error: bank_failure', {
    arrange: saleAtQuery({ kind: 'unknown', reason: 'bank error', code: 'BANKERROR' }),
    script: [answer('query', { kind: 'closed', code: 'TRADE_CLOSED' })],
    expect: {
      state: 'failed',
      step: 'done',
      failure: { code: 'bank_failure', detail: 'System has failed while communicating with the bank' },
      next: 'done',
      calls: ['query'],
    },
  }),
  stepCase('sale', 'query', 'definite', 'closed while the customer was to confirm: payment_password_failure', {
    arrange: saleAtQuery({ kind: 'awaiting_customer', code: 'USERPAYING' }),
    script: [answer('query', { kind: 'closed', code: 'TRADE_CLOSED' })],
    expect: { state: 'failed', step: 'done', failure: CUSTOMER_DID_NOT_CONFIRM, next: 'done', calls: ['query'] },
  }),
  stepCase('sale', 'query', 'unknown', 'not paid within the window: query again', {
    arrange: saleAtQuery(),
    script: [answer('query', { kind: 'not_paid' })],
    expect: { state: 'pending', step: 'query', next: 'poll', calls: ['query'] },
  }),
  stepCase('sale', 'query', 'unknown', 'awaiting the customer within the window: query again', {
    arrange: saleAtQuery(),
    script: [answer('query', { kind: 'awaiting_customer' })],
    expect: { state: 'pending', step: 'query', next: 'poll', calls: ['query'] },
  }),
  stepCase('sale', 'query', 'unknown', 'still unknown when the window ends: reverse at once', {
    arrange: saleAtQuery(),
    script: [answer('query', { kind: 'unknown', reason: 'SYSTEMERROR' })],
    act: async (w, s) => {
      await toDeadline(w, s);
      await runDueStep(w, s.seq);
    },
    expect: { state: 'pending', step: 'reverse', next: 'now', calls: ['query'] },
  }),
  stepCase('sale', 'query', 'timeout', 'a timeout that outlasts the window: reverse at once', {
    arrange: saleAtQuery(),
    script: [{ call: 'query', behaviour: { timeout: true } }],
    act: async (w, s) => {
      await toDeadline(w, s, 1_000);
      await runDueStep(w, s.seq);
    },
    expect: { state: 'pending', step: 'reverse', next: 'now', calls: ['query'] },
  }),
  ...outcomeClassCases({
    kind: 'sale',
    step: 'query',
    storedStep: 'query',
    arrange: saleAtQuery(),
    call: 'query',
    afterUnknown: { step: 'query', next: 'poll' },
    definite: paid,
    resume: { lines: [paid], expect: { state: 'succeeded', step: 'done', next: 'done' } },
  }),
];

const reverse: Case[] = [
  stepCase('sale', 'reverse', 'definite', 'reversed: failed as not confirmed', {
    arrange: saleAtReverse(),
    script: [reversed],
    expect: { state: 'failed', step: 'done', failure: NOT_CONFIRMED, next: 'done', calls: ['reverse'] },
    also: async (w, s) => assert.equal(w.provider.calls.at(-1)?.request, (await row(w, s.seq)).provider_order_no),
  }),
  stepCase('sale', 'reverse', 'definite', 'reversed after the customer never confirmed: payment_password_failure', {
    arrange: saleAtReverse({ kind: 'awaiting_customer', code: 'USERPAYING' }),
    script: [reversed],
    expect: { state: 'failed', step: 'done', failure: CUSTOMER_DID_NOT_CONFIRM, next: 'done', calls: ['reverse'] },
  }),
  stepCase('sale', 'reverse', 'definite', 'the provider refuses the reversal: retried with backoff, logged as an error', {
    arrange: saleAtReverse(),
    script: [answer('reverse', { kind: 'declined', code: 'REVERSE_EXPIRED', message: 'too late' })],
    expect: { state: 'pending', step: 'reverse', next: 'backoff', calls: ['reverse'] },
    also: async (w) => assertLogged(w, 'error', 'provider refused a reversal; retrying'),
  }),
  stepCase('sale', 'reverse', 'unknown', 'the provider asks to call again: reverse again', {
    arrange: saleAtReverse(),
    script: [answer('reverse', { kind: 'retry', reason: 'recall' })],
    expect: { state: 'pending', step: 'reverse', next: 'poll', calls: ['reverse'] },
  }),
  stepCase('sale', 'reverse', 'unknown', 'an unknown answer: reverse again', {
    arrange: saleAtReverse(),
    script: [answer('reverse', { kind: 'unknown', reason: 'SYSTEMERROR' })],
    expect: { state: 'pending', step: 'reverse', next: 'poll', calls: ['reverse'] },
  }),
  ...outcomeClassCases({
    kind: 'sale',
    step: 'reverse',
    storedStep: 'reverse',
    arrange: saleAtReverse(),
    call: 'reverse',
    afterUnknown: { step: 'reverse', next: 'poll' },
    definite: reversed,
    resume: { lines: [reversed], expect: { state: 'failed', step: 'done', failure: NOT_CONFIRMED, next: 'done' } },
  }),
];

/** The void of a pending sale ends with the sale (it has no job of its own). */
const voidEnded = (state: 'succeeded' | 'pending') => async (w: EngineWorld, s: Subject) => {
  const voidSeq = related(s, 'void');
  await assertRow(w, voidSeq, { state, step: state === 'pending' ? 'await_sale' : 'done', failure_code: null });
  assert.equal(await openJob(w, voidSeq), undefined);
};

const voidOfPendingSale: Case[] = [
  stepCase('void', 'await_sale', 'definite', 'a sale voided before anything was sent fails at once; the void succeeds; no call', {
    arrange: pendingSaleVoided(saleAtPay),
    expect: { state: 'failed', step: 'done', failure: VOIDED, next: 'done', calls: [] },
    also: voidEnded('succeeded'),
  }),
  stepCase('void', 'await_sale', 'definite', 'a sale already sent turns to reverse, after the provider’s wait from the pay call; no call yet', {
    arrange: pendingSaleVoided(saleAtQuery()),
    // WeChat Pay's 15 s, capped by the confirmation window setting of these tests (reverse-timing.test.ts has the rule's own).
    expect: { state: 'pending', step: 'reverse', next: { in: CONFIRM_WINDOW_MS }, calls: [] },
    also: voidEnded('pending'),
  }),
  stepCase('void', 'reverse', 'definite', 'reversed: the sale fails as voided and the void succeeds', {
    arrange: voidedSaleAtReverse,
    script: [reversed],
    expect: { state: 'failed', step: 'done', failure: VOIDED, next: 'done', calls: ['reverse'] },
    also: voidEnded('succeeded'),
  }),
  stepCase('void', 'reverse', 'unknown', 'an unknown answer: reverse again, the void still waiting', {
    arrange: voidedSaleAtReverse,
    script: [answer('reverse', { kind: 'unknown', reason: 'SYSTEMERROR' })],
    expect: { state: 'pending', step: 'reverse', next: 'poll', calls: ['reverse'] },
    also: voidEnded('pending'),
  }),
  ...outcomeClassCases({
    kind: 'void',
    step: 'reverse',
    storedStep: 'reverse',
    arrange: voidedSaleAtReverse,
    call: 'reverse',
    afterUnknown: { step: 'reverse', next: 'poll' },
    definite: reversed,
    resume: { lines: [reversed], expect: { state: 'failed', step: 'done', failure: VOIDED, next: 'done' } },
  }),
];

const saleOf = (s: Subject): number => related(s, 'sale');

const voidOfSucceededSaleCases: Case[] = [
  stepCase('void', 'reverse_sale', 'definite', 'reversed: the void succeeds and the sale is voided', {
    arrange: voidOfSucceededSale,
    script: [reversed],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['reverse'] },
    async also(w, s) {
      const sale = await row(w, saleOf(s));
      assert.equal(w.provider.calls.at(-1)?.request, sale.provider_order_no);
      await assertRow(w, sale.seq, { state: 'succeeded', voided: 1, void_seq: s.seq });
    },
  }),
  stepCase('void', 'reverse_sale', 'definite', 'declined: the void fails with the provider code and the sale is released', {
    arrange: voidOfSucceededSale,
    script: [answer('reverse', { kind: 'declined', code: 'ORDERPAID', message: 'cannot reverse' })],
    expect: {
      state: 'failed',
      step: 'done',
      failure: { code: 'void_not_allowed_failure', detail: 'ORDERPAID: cannot reverse' },
      next: 'done',
      calls: ['reverse'],
    },
    also: (w, s) => assertRow(w, saleOf(s), { state: 'succeeded', voided: 0, void_seq: null }),
  }),
  stepCase('void', 'reverse_sale', 'unknown', 'the provider asks to call again: reverse again', {
    arrange: voidOfSucceededSale,
    script: [answer('reverse', { kind: 'retry', reason: 'recall' })],
    expect: { state: 'pending', step: 'reverse_sale', next: 'poll', calls: ['reverse'] },
  }),
  stepCase('void', 'reverse_sale', 'unknown', 'an unknown answer: reverse again', {
    arrange: voidOfSucceededSale,
    script: [answer('reverse', { kind: 'unknown', reason: 'SYSTEMERROR' })],
    expect: { state: 'pending', step: 'reverse_sale', next: 'poll', calls: ['reverse'] },
    also: (w, s) => assertRow(w, saleOf(s), { voided: 0, void_seq: s.seq }),
  }),
  ...outcomeClassCases({
    kind: 'void',
    step: 'reverse_sale',
    storedStep: 'reverse_sale',
    arrange: voidOfSucceededSale,
    call: 'reverse',
    afterUnknown: { step: 'reverse_sale', next: 'poll' },
    definite: reversed,
    resume: { lines: [reversed], expect: { state: 'succeeded', step: 'done', next: 'done' } },
  }),
];

export const SALE_CASES: readonly Case[] = [...pay, ...query, ...reverse, ...voidOfPendingSale, ...voidOfSucceededSaleCases];
