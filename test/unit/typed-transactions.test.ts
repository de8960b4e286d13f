import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProcessingStep, TransactionType } from '../../src/domain/states.js';
import type { Channel } from '../../src/store/schema.js';
import type { TransactionRow } from '../../src/store/transactions.js';
import { UnreadableTransaction, asCardCharge, asWalletCharge, readTransaction } from '../../src/store/typed-transactions.js';

function row(type: TransactionType, channel: Channel, step: ProcessingStep): TransactionRow {
  return {
    seq: 7,
    ref: '0123456789abcdef0123456789abcdef',
    merchant_id: 'm1',
    client_id: 'c1',
    type,
    mode: 'test',
    state: 'pending',
    step,
    gateway: channel === 'pos' ? 'wechatpay_cn_domestic' : null,
    payment_method: channel === 'chop' ? 'wechatpay' : null,
    amount: 100,
    currency: 'CNY',
    description: null,
    pos_id: null,
    mch_level_1: null,
    mch_level_2: null,
    mch_level_3: null,
    sale_client_id: null,
    sale_seq: null,
    failure_code: null,
    failure_detail: null,
    request_digest: 'digest',
    refunded_amount: 0,
    voided: 0,
    void_seq: null,
    cancelled: 0,
    cancel_seq: null,
    provider_order_no: null,
    auth_code_sealed: null,
    provider_sent_at: null,
    confirm_deadline: null,
    last_provider_code: null,
    customer_confirming: 0,
    created_at: 1,
    updated_at: 1,
    finalized_at: null,
    version: 1,
    channel,
    reference: null,
    api_key_id: null,
    qr_code: null,
    pay_form: null,
    checkout: null,
    close_reason: null,
    expires_at: null,
    request_id: null,
    retrying_since: null,
    needs_attention_since: null,
  };
}

/** Each kind with the steps it may be at, written out independently of the source. */
const KINDS: readonly { type: TransactionType; channel: Channel; kind: string; steps: readonly ProcessingStep[] }[] = [
  { type: 'sale', channel: 'pos', kind: 'sale', steps: ['pay', 'query', 'reverse', 'done'] },
  { type: 'void', channel: 'pos', kind: 'void', steps: ['await_sale', 'reverse_sale', 'done'] },
  { type: 'refund', channel: 'pos', kind: 'refund', steps: ['refund', 'refund_query', 'done'] },
  { type: 'charge', channel: 'chop', kind: 'charge', steps: ['create_order', 'await_payment', 'close', 'await_card', 'card_query', 'done'] },
  { type: 'cancel', channel: 'chop', kind: 'cancel', steps: ['await_sale', 'refund', 'refund_query', 'done'] },
  { type: 'refund', channel: 'chop', kind: 'charge_refund', steps: ['refund', 'refund_query', 'done'] },
];

const ALL_STEPS: readonly ProcessingStep[] = [
  'pay',
  'query',
  'reverse',
  'reverse_sale',
  'refund',
  'refund_query',
  'await_sale',
  'create_order',
  'await_payment',
  'close',
  'await_card',
  'card_query',
  'done',
];

describe('typed transactions', () => {
  for (const { type, channel, kind, steps } of KINDS) {
    test(`a ${channel} ${type} is read as a ${kind} at each of its steps, with its fields kept`, () => {
      for (const step of steps) {
        const stored = row(type, channel, step);
        assert.deepEqual(readTransaction(stored), { ...stored, kind });
      }
    });

    test(`a ${channel} ${type} at a step its kind cannot have is refused`, () => {
      const foreign = ALL_STEPS.filter((step) => !steps.includes(step));
      assert.ok(foreign.length > 0);
      for (const step of foreign) {
        assert.throws(
          () => readTransaction(row(type, channel, step)),
          (error: unknown) =>
            error instanceof UnreadableTransaction &&
            error.message === `transaction 7 (${channel} ${type}, step ${step}) cannot be read: a ${kind.replace('_', ' ')} is never at step ${step}`,
        );
      }
    });
  }

  test('a type the channel does not have is refused', () => {
    for (const [type, channel] of [
      ['charge', 'pos'],
      ['cancel', 'pos'],
      ['sale', 'chop'],
      ['void', 'chop'],
    ] as const) {
      assert.throws(
        () => readTransaction(row(type, channel, 'done')),
        (error: unknown) =>
          error instanceof UnreadableTransaction &&
          error.message === `transaction 7 (${channel} ${type}, step done) cannot be read: no ${channel} transaction is a ${type}`,
      );
    }
  });

  test("a sale with a cancel's columns set, or a charge with a void's, is refused", () => {
    const cases = [
      [{ ...row('sale', 'pos', 'done'), cancel_seq: 9 }, 'pos sale', 'a sale is never cancelled'],
      [{ ...row('sale', 'pos', 'done'), cancelled: 1 }, 'pos sale', 'a sale is never cancelled'],
      [{ ...row('charge', 'chop', 'done'), void_seq: 9 }, 'chop charge', 'a charge is never voided'],
      [{ ...row('charge', 'chop', 'done'), voided: 1 }, 'chop charge', 'a charge is never voided'],
    ] as const;
    for (const [stored, what, why] of cases) {
      assert.throws(
        () => readTransaction(stored),
        (error: unknown) => error instanceof UnreadableTransaction && error.message === `transaction 7 (${what}, step done) cannot be read: ${why}`,
      );
    }
    const claimedSale = { ...row('sale', 'pos', 'done'), void_seq: 9, voided: 1 };
    const claimedCharge = { ...row('charge', 'chop', 'done'), cancel_seq: 9, cancelled: 1 };
    assert.deepEqual(readTransaction(claimedSale), { ...claimedSale, kind: 'sale' });
    assert.deepEqual(readTransaction(claimedCharge), { ...claimedCharge, kind: 'charge' });
  });

  test('a charge is narrowed to its flow, and a step of the other flow is refused', () => {
    const read = (step: ProcessingStep) => {
      const charge = readTransaction(row('charge', 'chop', step));
      assert.equal(charge.kind, 'charge');
      return charge;
    };
    const wallet = read('await_payment');
    const card = read('card_query');
    assert.ok(wallet.kind === 'charge' && card.kind === 'charge');
    assert.equal(asWalletCharge(wallet).step, 'await_payment');
    assert.equal(asCardCharge(card).step, 'card_query');
    assert.throws(() => asCardCharge(wallet), /a card charge is never at step await_payment/);
    assert.throws(() => asWalletCharge(card), /a wallet charge is never at step card_query/);
    const done = read('done');
    assert.ok(done.kind === 'charge');
    assert.equal(asWalletCharge(done).step, 'done');
    assert.equal(asCardCharge(done).step, 'done');
  });
});
