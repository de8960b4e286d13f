/** Hosted-checkout charges: wallets (create_order → await_payment → close), cards (await_card → card_query), cancels of waiting charges. */
import assert from 'node:assert/strict';
import { wakeTransactionJob } from '../../src/jobs/queue.js';
import { CHECKOUT_EXPIRY_MS, type EngineWorld, PROVIDER_TIMEOUT_MS, openJob, row, runDueStep, submitCard, until } from '../support/engine.js';
import {
  CHARGE_AMOUNT,
  QR_CODE,
  cancelledChargeAtClose,
  cardAtAwait,
  cardAtQuery,
  pendingChargeCancelled,
  toExpiry,
  walletAtAwait,
  walletAtClose,
  walletAtCreate,
} from './arrange.js';
import {
  type Case,
  type Subject,
  answer,
  assertLogged,
  assertRecordedCalls,
  assertRow,
  hangs,
  outcomeClassCases,
  related,
  stepCase,
  timesOut,
} from './case.js';

const EXPIRED = { code: 'checkout_expired_failure', detail: 'The payment page expired before the shopper paid' } as const;
const VOIDED = { code: 'sale_voided_failure', detail: 'Sale was voided before it completed' } as const;
const created = answer('createOrder', { kind: 'created', qrCode: QR_CODE, payForm: null });
const paid = answer('query', { kind: 'paid', providerTxnId: '2026011522001' });
const closed = answer('close', { kind: 'closed' });
const closedAs = (reason: 'expired' | 'declined' | 'cancelled') => (w: EngineWorld, s: Subject) => assertRow(w, s.seq, { close_reason: reason });

const createOrder: Case[] = [
  stepCase('wallet charge', 'create_order', 'definite', 'created: the QR is kept and the order awaits payment; the call carries the page expiry', {
    arrange: walletAtCreate,
    script: [created],
    expect: { state: 'pending', step: 'await_payment', next: 'poll', calls: ['createOrder'] },
    async also(w, s) {
      const charge = await row(w, s.seq);
      assert.deepEqual(w.provider.calls.at(-1)?.request, {
        orderNo: charge.provider_order_no,
        money: { amount: CHARGE_AMOUNT, currency: 'USD' },
        description: charge.description,
        paymentMethod: 'alipay',
        expiresAt: charge.created_at + CHECKOUT_EXPIRY_MS,
        returnUrl: `http://127.0.0.1:1/chop/landing?q=${charge.ref}`,
        notifyUrl: 'http://127.0.0.1:1/notify/alipay',
        providerData: {},
      });
      await assertRow(w, s.seq, { qr_code: QR_CODE, pay_form: null, provider_sent_at: charge.created_at });
      await assertRecordedCalls(w, s.seq, 1);
    },
  }),
  stepCase('wallet charge', 'create_order', 'definite', 'declined: failed as declined, the code and message kept', {
    arrange: walletAtCreate,
    script: [answer('createOrder', { kind: 'declined', code: 'BUYER_BLOCKED', message: 'buyer blocked' })],
    expect: {
      state: 'failed',
      step: 'done',
      failure: { code: 'unknown_failure', detail: 'BUYER_BLOCKED: buyer blocked' },
      next: 'done',
      calls: ['createOrder'],
    },
    also: closedAs('declined'),
  }),
  stepCase('wallet charge', 'create_order', 'unknown', 'an unknown answer: create the same order again', {
    arrange: walletAtCreate,
    script: [answer('createOrder', { kind: 'unknown', reason: 'SYSTEM_ERROR', code: null })],
    expect: { state: 'pending', step: 'create_order', next: 'poll', calls: ['createOrder'] },
  }),
  stepCase('wallet charge', 'create_order', 'definite', 'the page expired before anything was sent: failed as expired, no call', {
    arrange: walletAtCreate,
    act: async (w, s) => {
      await toExpiry(w, s);
      await runDueStep(w, s.seq);
    },
    expect: { state: 'failed', step: 'done', failure: EXPIRED, next: 'done', calls: [] },
    also: closedAs('expired'),
  }),
  ...outcomeClassCases({
    kind: 'wallet charge',
    step: 'create_order',
    storedStep: 'create_order',
    arrange: walletAtCreate,
    call: 'createOrder',
    afterUnknown: { step: 'create_order', next: 'poll' },
    definite: created,
    // Creating the order again under the same number answers the same order.
    resume: { lines: [created], expect: { state: 'pending', step: 'await_payment', next: 'poll' } },
  }),
];

const awaitPayment: Case[] = [
  stepCase('wallet charge', 'await_payment', 'definite', 'paid: succeeded', {
    arrange: walletAtAwait,
    script: [paid],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['query'] },
  }),
  stepCase('wallet charge', 'await_payment', 'definite', 'closed well before the expiry: failed as declined', {
    arrange: walletAtAwait,
    script: [answer('query', { kind: 'closed', code: 'TRADE_CLOSED' })],
    expect: { state: 'failed', step: 'done', failure: { code: 'unknown_failure', detail: 'TRADE_CLOSED: TRADE_CLOSED' }, next: 'done', calls: ['query'] },
    also: closedAs('declined'),
  }),
  stepCase('wallet charge', 'await_payment', 'definite', 'closed a moment before the expiry (the provider rounds it down): failed as expired', {
    arrange: walletAtAwait,
    script: [answer('query', { kind: 'closed', code: 'TRADE_CLOSED' })],
    act: async (w, s) => {
      await toExpiry(w, s, 1_000);
      await runDueStep(w, s.seq);
    },
    expect: { state: 'failed', step: 'done', failure: EXPIRED, next: 'done', calls: ['query'] },
    also: closedAs('expired'),
  }),
  stepCase('wallet charge', 'await_payment', 'definite', 'the page expired after the order was sent: close the order, no call yet', {
    arrange: walletAtAwait,
    act: async (w, s) => {
      await toExpiry(w, s);
      await runDueStep(w, s.seq);
    },
    expect: { state: 'pending', step: 'close', next: 'now', calls: [] },
  }),
  stepCase('wallet charge', 'await_payment', 'unknown', 'not paid yet: ask again; the poll is recorded after the order call', {
    arrange: walletAtAwait,
    script: [answer('query', { kind: 'not_paid' })],
    expect: { state: 'pending', step: 'await_payment', next: 'poll', calls: ['query'] },
    also: (w, s) => assertRecordedCalls(w, s.seq, 2),
  }),
  stepCase('wallet charge', 'await_payment', 'unknown', 'not paid just before the expiry: ask again at the expiry, not later', {
    arrange: walletAtAwait,
    script: [answer('query', { kind: 'not_paid' })],
    act: async (w, s) => {
      await toExpiry(w, s, 400);
      await runDueStep(w, s.seq);
    },
    expect: { state: 'pending', step: 'await_payment', next: { in: 400 }, calls: ['query'] },
  }),
  stepCase('wallet charge', 'await_payment', 'unknown', 'an unknown answer: ask again; the answer is recorded', {
    arrange: walletAtAwait,
    script: [answer('query', { kind: 'unknown', reason: 'SYSTEM_ERROR' })],
    expect: { state: 'pending', step: 'await_payment', next: 'poll', calls: ['query'] },
    also: (w, s) => assertRecordedCalls(w, s.seq, 2),
  }),
  ...outcomeClassCases({
    kind: 'wallet charge',
    step: 'await_payment',
    storedStep: 'await_payment',
    arrange: walletAtAwait,
    call: 'query',
    afterUnknown: { step: 'await_payment', next: 'poll' },
    definite: paid,
    resume: { lines: [paid], expect: { state: 'succeeded', step: 'done', next: 'done' } },
  }),
];

const close: Case[] = [
  stepCase('wallet charge', 'close', 'definite', 'closed: failed as expired', {
    arrange: walletAtClose,
    script: [closed],
    expect: { state: 'failed', step: 'done', failure: EXPIRED, next: 'done', calls: ['close'] },
    also: closedAs('expired'),
  }),
  stepCase('wallet charge', 'close', 'definite', 'paid before it could be closed: succeeded', {
    arrange: walletAtClose,
    script: [answer('close', { kind: 'already_paid' })],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['close'] },
  }),
  stepCase('wallet charge', 'close', 'definite', 'the provider refuses to close: retried with backoff, logged as an error', {
    arrange: walletAtClose,
    script: [answer('close', { kind: 'declined', code: 'TRADE_STATUS_ERROR', message: 'cannot close' })],
    expect: { state: 'pending', step: 'close', next: 'backoff', calls: ['close'] },
    also: async (w) => assertLogged(w, 'error', 'provider refused to close an order; retrying'),
  }),
  stepCase('wallet charge', 'close', 'unknown', 'the provider asks to call again: close again', {
    arrange: walletAtClose,
    script: [answer('close', { kind: 'retry', reason: 'busy' })],
    expect: { state: 'pending', step: 'close', next: 'poll', calls: ['close'] },
  }),
  stepCase('wallet charge', 'close', 'unknown', 'an unknown answer: close again', {
    arrange: walletAtClose,
    script: [answer('close', { kind: 'unknown', reason: 'SYSTEM_ERROR' })],
    expect: { state: 'pending', step: 'close', next: 'poll', calls: ['close'] },
  }),
  ...outcomeClassCases({
    kind: 'wallet charge',
    step: 'close',
    storedStep: 'close',
    arrange: walletAtClose,
    call: 'close',
    afterUnknown: { step: 'close', next: 'poll' },
    definite: closed,
    resume: { lines: [closed], expect: { state: 'failed', step: 'done', failure: EXPIRED, next: 'done' } },
  }),
];

const card: Case[] = [
  stepCase('card charge', 'await_card', 'definite', 'woken before the page expires: waits for the expiry, no call', {
    arrange: cardAtAwait,
    act: async (w, s) => {
      await wakeTransactionJob(w.deps.store.db, s.seq, w.clock.now());
      await runDueStep(w, s.seq);
    },
    expect: { state: 'pending', step: 'await_card', next: { in: CHECKOUT_EXPIRY_MS }, calls: [] },
  }),
  stepCase('card charge', 'await_card', 'definite', 'the page expired without a card: failed as expired, no call', {
    arrange: cardAtAwait,
    expect: { state: 'failed', step: 'done', failure: EXPIRED, next: 'done', calls: [] },
    also: closedAs('expired'),
  }),
  stepCase('card charge', 'card_query', 'timeout', 'the card call times out in the page: the worker asks the acquirer after a margin', {
    arrange: cardAtAwait,
    script: [timesOut('sale')],
    act: async (w, s) => void (await submitCard(w, await row(w, s.seq))),
    expect: { state: 'pending', step: 'card_query', next: { in: 5_000 }, calls: ['sale'] },
    also: async (w, s) => assert.equal((await row(w, s.seq)).provider_sent_at, w.clock.now() - PROVIDER_TIMEOUT_MS),
  }),
  stepCase('card charge', 'card_query', 'crash', 'the page request dies after sending the card: the worker asks the acquirer, never charges again', {
    arrange: cardAtAwait,
    script: [hangs('sale'), paid],
    async act(w, s) {
      const from = w.provider.calls.length;
      void submitCard(w, await row(w, s.seq));
      await until(() => w.provider.calls.length > from, 'the card call');
      await runDueStep(w, s.seq);
    },
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['sale', 'query'] },
  }),
  stepCase('card charge', 'card_query', 'definite', 'paid: succeeded', {
    arrange: cardAtQuery,
    script: [paid],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['query'] },
  }),
  stepCase('card charge', 'card_query', 'definite', 'declined at the acquirer: failed as declined', {
    arrange: cardAtQuery,
    script: [answer('query', { kind: 'closed', code: 'CARD_DECLINED' })],
    expect: {
      state: 'failed',
      step: 'done',
      failure: { code: 'card_failure', detail: 'System has failed while charging the card' },
      next: 'done',
      calls: ['query'],
    },
    also: closedAs('declined'),
  }),
  stepCase('card charge', 'card_query', 'definite', 'the acquirer never got the sale: failed, the shopper starts again', {
    arrange: cardAtQuery,
    script: [answer('query', { kind: 'not_paid' })],
    expect: {
      state: 'failed',
      step: 'done',
      failure: { code: 'card_failure', detail: 'The card acquirer did not answer; no money was taken' },
      next: 'done',
      calls: ['query'],
    },
    also: closedAs('declined'),
  }),
  stepCase('card charge', 'card_query', 'unknown', 'an unknown answer: ask again', {
    arrange: cardAtQuery,
    script: [answer('query', { kind: 'unknown', reason: 'SYSTEM_ERROR' })],
    expect: { state: 'pending', step: 'card_query', next: 'poll', calls: ['query'] },
  }),
  stepCase('card charge', 'card_query', 'unknown', 'still being authorised: ask again', {
    arrange: cardAtQuery,
    script: [answer('query', { kind: 'awaiting_customer' })],
    expect: { state: 'pending', step: 'card_query', next: 'poll', calls: ['query'] },
  }),
  ...outcomeClassCases({
    kind: 'card charge',
    step: 'card_query',
    storedStep: 'card_query',
    arrange: cardAtQuery,
    call: 'query',
    afterUnknown: { step: 'card_query', next: 'poll' },
    definite: paid,
    resume: { lines: [paid], expect: { state: 'succeeded', step: 'done', next: 'done' } },
  }),
];

/** The cancel of a waiting charge ends with the charge (it has no job of its own until then). */
const cancelEnded = (state: 'succeeded' | 'pending') => async (w: EngineWorld, s: Subject) => {
  const cancel = related(s, 'cancel');
  await assertRow(w, cancel, { state, step: state === 'pending' ? 'await_sale' : 'done', failure_code: null });
  assert.equal(await openJob(w, cancel), undefined);
};

const cancelOfWaitingCharge: Case[] = [
  stepCase('cancel', 'await_sale', 'definite', 'a charge cancelled before its order was sent fails at once; the cancel succeeds; no call', {
    arrange: pendingChargeCancelled(walletAtCreate),
    expect: { state: 'failed', step: 'done', failure: VOIDED, next: 'done', calls: [] },
    async also(w, s) {
      await assertRow(w, s.seq, { close_reason: 'cancelled', cancelled: 1 });
      await cancelEnded('succeeded')(w, s);
    },
  }),
  stepCase('cancel', 'await_sale', 'definite', 'a charge whose order was sent turns to close it at once; no call yet', {
    arrange: pendingChargeCancelled(walletAtAwait),
    expect: { state: 'pending', step: 'close', next: 'now', calls: [] },
    also: cancelEnded('pending'),
  }),
  stepCase('cancel', 'await_sale', 'definite', 'closed: the charge fails as cancelled and the cancel succeeds', {
    arrange: cancelledChargeAtClose,
    script: [closed],
    expect: { state: 'failed', step: 'done', failure: VOIDED, next: 'done', calls: ['close'] },
    async also(w, s) {
      await assertRow(w, s.seq, { close_reason: 'cancelled', cancelled: 1 });
      await cancelEnded('succeeded')(w, s);
    },
  }),
  stepCase('cancel', 'await_sale', 'definite', 'paid before it could be closed: the charge succeeds and the cancel refunds it in full', {
    arrange: cancelledChargeAtClose,
    script: [answer('close', { kind: 'already_paid' })],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['close'] },
    async also(w, s) {
      const cancel = related(s, 'cancel');
      await assertRow(w, cancel, { state: 'pending', step: 'refund', amount: CHARGE_AMOUNT });
      assert.equal((await openJob(w, cancel))?.run_at, w.clock.now());
    },
  }),
  stepCase('cancel', 'await_sale', 'unknown', 'an unknown answer: close again, the cancel still waiting', {
    arrange: cancelledChargeAtClose,
    script: [answer('close', { kind: 'unknown', reason: 'SYSTEM_ERROR' })],
    expect: { state: 'pending', step: 'close', next: 'poll', calls: ['close'] },
    also: cancelEnded('pending'),
  }),
  ...outcomeClassCases({
    kind: 'cancel',
    step: 'await_sale',
    storedStep: 'close',
    arrange: cancelledChargeAtClose,
    call: 'close',
    afterUnknown: { step: 'close', next: 'poll' },
    definite: closed,
    resume: { lines: [closed], expect: { state: 'failed', step: 'done', failure: VOIDED, next: 'done' } },
  }),
];

export const CHARGE_CASES: readonly Case[] = [...createOrder, ...awaitPayment, ...close, ...card, ...cancelOfWaitingCharge];
