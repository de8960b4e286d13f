import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  newCancel,
  newCharge,
  newChargeRefund,
  newRefund,
  newSale,
  newVoid,
  type NewRowIds,
  type PosRequestFields,
} from '../../src/store/transaction-factories.js';
import type { NewTransaction, TransactionRow } from '../../src/store/transactions.js';
import { readTransaction } from '../../src/store/typed-transactions.js';

const ids: NewRowIds = { ref: 'a'.repeat(32), merchantId: 'm1', clientId: 'c1', mode: 'test', now: 1_000, requestId: 'req-1' };
const pos: PosRequestFields = { requestDigest: 'digest', description: 'coffee', posId: 'till-1', mchLevel1: 'l1', mchLevel2: null, mchLevel3: null };

/** The row as the database gives it back: a sequence number and the defaults of the columns the insert left out. */
function stored(row: NewTransaction, seq = 9): TransactionRow {
  return {
    seq,
    customer_confirming: 0,
    channel: 'pos',
    reference: null,
    api_key_id: null,
    payment_method: null,
    qr_code: null,
    pay_form: null,
    checkout: null,
    close_reason: null,
    expires_at: null,
    request_id: null,
    retrying_since: null,
    needs_attention_since: null,
    ...row,
  } as TransactionRow;
}

describe('transaction factories', () => {
  test('a sale is read as a sale, its ref the provider order number, with the POS labels', () => {
    const sale = readTransaction(
      stored(newSale(ids, pos, { gateway: 'wechatpay_cn_domestic', amount: 100, currency: 'CNY', authCodeSealed: 'sealed', step: 'pay' })),
    );
    assert.equal(sale.kind, 'sale');
    assert.deepEqual(
      {
        step: sale.step,
        state: sale.state,
        gateway: sale.gateway,
        payment_method: sale.payment_method,
        provider_order_no: sale.provider_order_no,
        auth_code_sealed: sale.auth_code_sealed,
        pos_id: sale.pos_id,
        description: sale.description,
        mch_level_1: sale.mch_level_1,
        request_digest: sale.request_digest,
        created_at: sale.created_at,
        updated_at: sale.updated_at,
        version: sale.version,
        request_id: sale.request_id,
      },
      {
        step: 'pay',
        state: 'pending',
        gateway: 'wechatpay_cn_domestic',
        payment_method: null,
        provider_order_no: ids.ref,
        auth_code_sealed: 'sealed',
        pos_id: 'till-1',
        description: 'coffee',
        mch_level_1: 'l1',
        request_digest: 'digest',
        created_at: 1_000,
        updated_at: 1_000,
        version: 0,
        request_id: 'req-1',
      },
    );
  });

  test('a void and a refund link to the sale they found, or only name it', () => {
    const sale = { seq: 3, gateway: 'alipay_cn_domestic', currency: 'CNY' };
    const linkedVoid = readTransaction(stored(newVoid(ids, pos, { saleClientId: 's1', sale, step: 'reverse_sale' })));
    assert.deepEqual(
      [linkedVoid.kind, linkedVoid.step, linkedVoid.sale_client_id, linkedVoid.sale_seq, linkedVoid.gateway, linkedVoid.currency, linkedVoid.provider_order_no],
      ['void', 'reverse_sale', 's1', 3, 'alipay_cn_domestic', 'CNY', null],
    );
    const orphanVoid = readTransaction(stored(newVoid(ids, pos, { saleClientId: 's2', sale: null, step: 'done' })));
    assert.deepEqual([orphanVoid.sale_client_id, orphanVoid.sale_seq, orphanVoid.gateway], ['s2', null, null]);

    const refund = readTransaction(stored(newRefund(ids, pos, { saleClientId: 's1', sale, amount: 40, step: 'refund' })));
    assert.deepEqual([refund.kind, refund.step, refund.amount, refund.sale_seq, refund.provider_order_no], ['refund', 'refund', 40, 3, ids.ref]);
    // A refund refused at once never reaches the provider: it has no refund number.
    const refused = readTransaction(stored(newRefund(ids, pos, { saleClientId: 's1', sale, amount: 40, step: 'done' })));
    assert.equal(refused.provider_order_no, null);
  });

  test('a charge names its payment method, never a gateway; its refunds and cancels take it over', () => {
    const charge = stored(
      newCharge(ids, {
        apiKeyId: 'key-1',
        paymentMethod: 'alipay',
        amount: 500,
        currency: 'CNY',
        description: 'Shop order-1',
        reference: 'order-1',
        expiresAt: 2_000,
        checkout: '{}',
        step: 'create_order',
      }),
      5,
    );
    const read = readTransaction(charge);
    assert.deepEqual(
      [read.kind, read.channel, read.step, read.gateway, read.payment_method, read.reference, read.api_key_id, read.expires_at, read.provider_order_no],
      ['charge', 'chop', 'create_order', null, 'alipay', 'order-1', 'key-1', 2_000, ids.ref],
    );

    const childIds = { ref: 'b'.repeat(32), clientId: 'c2', now: 1_500, requestId: null };
    const refund = readTransaction(stored(newChargeRefund(childIds, charge, { amount: 200, note: 'broken', checkout: '{"note":"broken"}' })));
    const cancel = readTransaction(stored(newCancel(childIds, charge, { amount: 0, note: null, checkout: '{}', step: 'await_sale' })));
    for (const [child, kind, step, amount] of [
      [refund, 'charge_refund', 'refund', 200],
      [cancel, 'cancel', 'await_sale', 0],
    ] as const) {
      assert.deepEqual(
        {
          kind: child.kind,
          type: child.type,
          step: child.step,
          amount: child.amount,
          merchant_id: child.merchant_id,
          mode: child.mode,
          gateway: child.gateway,
          payment_method: child.payment_method,
          sale_seq: child.sale_seq,
          sale_client_id: child.sale_client_id,
          reference: child.reference,
          api_key_id: child.api_key_id,
          provider_order_no: child.provider_order_no,
        },
        {
          kind,
          type: kind === 'cancel' ? 'cancel' : 'refund',
          step,
          amount,
          merchant_id: 'm1',
          mode: 'test',
          gateway: null,
          payment_method: 'alipay',
          sale_seq: 5,
          sale_client_id: ids.ref,
          reference: 'order-1',
          api_key_id: 'key-1',
          provider_order_no: childIds.ref,
        },
      );
    }
    assert.deepEqual([refund.description, refund.checkout], ['broken', '{"note":"broken"}']);
  });
});
