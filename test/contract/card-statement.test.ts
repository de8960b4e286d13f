/**
 * The card acquirer's settled batch as CanCan reads it: a txnquery answer
 * written from Converge's transaction query fields (no published example of
 * a settled day was found, so the example is reconstructed), and the
 * simulator's listing of a day with sales and returns, clean and with each
 * planted difference; not ready (a day not over, a batch still open), empty
 * and failed answers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CARD_SANDBOX_CREDENTIALS } from '../../src/providers/card/adapter.js';
import { cardSimulator } from '../../src/providers/card/simulator.js';
import { createCardStatementSource, readBatch } from '../../src/providers/card/statement.js';
import { txnsOf } from '../../src/providers/card/transformers.js';
import { parseConvergeXml } from '../../src/providers/card/xml.js';
import type { StatementLine } from '../../src/providers/statements.js';
import { statementDayBounds } from '../../src/providers/statement-day.js';
import { CALL_TIMEOUT_MS, newOrderNo, useSimulatorServer } from '../support/contract.js';
import { moveLedgerTimes, plantOverHttp } from '../support/statement-ledger.js';

const sim = useSimulatorServer('card', ({ ledger }) => cardSimulator({ ledger, accounts: [CARD_SANDBOX_CREDENTIALS] }));

const source = createCardStatementSource();
const context = () => ({ endpoint: sim.baseUrl, credentials: CARD_SANDBOX_CREDENTIALS, timeoutMs: CALL_TIMEOUT_MS });
const at = (day: string, hour: number): number => Date.parse(`${day}T${String(hour).padStart(2, '0')}:00:00Z`);

/** A Converge-style transaction id that carries its time, as the simulator makes them. */
function txnId(ms: number): string {
  const date = new Date(ms);
  const ddmmyy = `${String(date.getUTCDate()).padStart(2, '0')}${String(date.getUTCMonth() + 1).padStart(2, '0')}${String(date.getUTCFullYear() % 100).padStart(2, '0')}`;
  return `${ddmmyy}C${ms.toString(36).toUpperCase()}-${newOrderNo('T')}`;
}

/** An approved sale (and optionally a return of it) at `time`, straight into the simulator ledger. */
function saleAt(time: number, amount: number, currency = 'USD', refund?: { amount: number; time: number }) {
  const orderNo = newOrderNo('CS');
  const saleId = txnId(time);
  const record = {
    time,
    invoice: orderNo,
    type: 'SALE',
    message: 'APPROVAL',
    approval: 'CMC123',
    cvv2: 'M',
    avs: 'Y',
    masked: '41**********1111',
    brand: 'VISA',
    exp: '1230',
    first: 'Ada',
    last: 'King',
  };
  sim.ledger.insertOrder({ provider: 'card', orderNo, amount, currency, status: 'paid', providerTxnId: saleId, providerState: JSON.stringify(record) });
  // The listing dates a sale by the ledger's payment time, a return by its settlement time.
  moveLedgerTimes(sim.ledgerFile, 'card', { orderNo, at: time });
  if (refund === undefined) return { orderNo, saleId, refundNo: null, returnId: null };
  const refundNo = `${orderNo}R`;
  const returnId = txnId(refund.time);
  sim.ledger.insertRefund({ provider: 'card', refundNo, orderNo, amount: refund.amount, currency, status: 'succeeded', providerRefundId: returnId });
  moveLedgerTimes(sim.ledgerFile, 'card', { refundNo, at: refund.time });
  return { orderNo, saleId, refundNo, returnId };
}

const line = (kind: 'payment' | 'refund', number: string, id: string, amount: number, time: number, overrides: Partial<StatementLine> = {}): StatementLine => ({
  kind,
  orderNo: number,
  refundNo: kind === 'refund' ? number : null,
  providerTxnId: id,
  amountMinor: amount,
  currency: 'USD',
  feeMinor: null,
  netMinor: null,
  providerStatus: 'STL',
  settled: true,
  at: time,
  ...overrides,
});

async function statementLines(day: string): Promise<readonly StatementLine[]> {
  const fetched = await source.fetch(context(), day);
  assert.equal(fetched.kind, 'statement', JSON.stringify(fetched));
  assert.ok(fetched.kind === 'statement');
  assert.deepEqual(fetched.statement.totals, []);
  return fetched.statement.lines;
}

describe('card acquirer settled batch', () => {
  test('a txnquery list reads into the day: settled sales and returns; voids, declines and other days left out', () => {
    const txn = (fields: Record<string, string>) =>
      `<txn>${Object.entries(fields)
        .map(([name, value]) => `<${name}>${value}</${name}>`)
        .join('')}</txn>`;
    const common = { ssl_user_id: 'apiuser', ssl_card_type: 'CREDITCARD', ssl_card_number: '41**********9990', ssl_entry_mode: 'K' };
    const xml = `<?xml version="1.0" encoding="UTF-8"?><txnlist><ssl_txn_count>5</ssl_txn_count>${[
      txn({
        ...common,
        ssl_txn_id: '150324A15-1',
        ssl_transaction_type: 'SALE',
        ssl_amount: '25.00',
        ssl_transaction_currency: 'USD',
        ssl_invoice_number: 'ORDER-1',
        ssl_result_message: 'APPROVAL',
        ssl_trans_status: 'STL',
        ssl_txn_time: '03/15/2024 01:05:09 PM',
        ssl_settle_time: '03/15/2024 11:59:59 PM',
      }),
      txn({
        ...common,
        ssl_txn_id: '150324A15-2',
        ssl_transaction_type: 'RETURN',
        ssl_amount: '5.50',
        ssl_transaction_currency: 'USD',
        ssl_invoice_number: 'REFUND-1',
        ssl_result_message: 'APPROVAL',
        ssl_trans_status: 'STL',
        ssl_txn_time: '03/15/2024 03:00:00 PM',
      }),
      txn({
        ...common,
        ssl_txn_id: '150324A15-3',
        ssl_transaction_type: 'VOID',
        ssl_amount: '9.00',
        ssl_invoice_number: 'ORDER-2',
        ssl_result_message: 'APPROVAL',
        ssl_trans_status: 'STL',
        ssl_txn_time: '03/15/2024 04:00:00 PM',
      }),
      txn({
        ...common,
        ssl_txn_id: '150324A15-4',
        ssl_transaction_type: 'SALE',
        ssl_amount: '9.00',
        ssl_invoice_number: 'ORDER-3',
        ssl_result_message: 'DECLINED',
        ssl_trans_status: '',
        ssl_txn_time: '03/15/2024 05:00:00 PM',
      }),
      txn({
        ...common,
        ssl_txn_id: '160324A15-5',
        ssl_transaction_type: 'SALE',
        ssl_amount: '1.00',
        ssl_invoice_number: 'ORDER-4',
        ssl_result_message: 'APPROVAL',
        ssl_trans_status: 'OPN',
        ssl_txn_time: '03/16/2024 12:30:00 AM',
      }),
    ].join('')}</txnlist>`;
    const listed = txnsOf(parseConvergeXml(xml));
    assert.ok(listed.ok);
    const day = statementDayBounds('2024-03-15', 0);
    assert.ok(day !== null);
    assert.deepEqual(readBatch(listed.txns, day, 'USD'), [
      line('payment', 'ORDER-1', '150324A15-1', 2_500, Date.parse('2024-03-15T13:05:09Z')),
      line('refund', 'REFUND-1', '150324A15-2', 550, Date.parse('2024-03-15T15:00:00Z')),
    ]);
  });

  test("the simulator's settled batch of a day reads back exactly", async () => {
    const day = '2026-03-11';
    const first = saleAt(at(day, 9), 12_345, 'USD', { amount: 2_345, time: at(day, 14) });
    const second = saleAt(at(day, 10), 999);
    saleAt(at('2026-03-12', 1), 500); // the next day: not in this batch
    assert.ok(first.refundNo !== null && first.returnId !== null);
    assert.deepEqual(await statementLines(day), [
      line('payment', first.orderNo, first.saleId, 12_345, at(day, 9)),
      line('payment', second.orderNo, second.saleId, 999, at(day, 10)),
      line('refund', first.refundNo, first.returnId, 2_345, at(day, 14)),
    ]);
  });

  test('each planted difference shows exactly; Converge lists no fees, so a planted fee changes nothing', async () => {
    const day = '2026-03-13';
    const dropped = saleAt(at(day, 8), 5_000, 'USD', { amount: 1_000, time: at(day, 9) });
    const amount = saleAt(at(day, 10), 6_000);
    const status = saleAt(at(day, 11), 7_000);
    const fee = saleAt(at(day, 13), 8_000);
    const plant = (kind: string, orderNo: string, extra: { amount?: number; currency?: string } = {}) =>
      plantOverHttp(sim.origin, { provider: 'card', day, kind, order_no: orderNo, ...extra });
    await plant('drop', dropped.orderNo);
    await plant('amount', amount.orderNo, { amount: 6_010 });
    await plant('status', status.orderNo);
    await plant('fee', fee.orderNo, { amount: 120 });
    await plant('extra_payment', 'NEVER-MADE-BY-CANCAN', { amount: 4_200, currency: 'USD' });
    const lines = await statementLines(day);
    const extra = lines.find((candidate) => candidate.orderNo === 'NEVER-MADE-BY-CANCAN');
    assert.ok(extra !== undefined && extra.providerTxnId !== null);
    assert.deepEqual(lines, [
      line('payment', amount.orderNo, amount.saleId, 6_010, at(day, 10)),
      line('payment', status.orderNo, status.saleId, 7_000, at(day, 11), { providerStatus: 'PEN', settled: false }),
      line('payment', 'NEVER-MADE-BY-CANCAN', extra.providerTxnId, 4_200, at(day, 12)),
      line('payment', fee.orderNo, fee.saleId, 8_000, at(day, 13)),
    ]);
  });

  test('a day without business is empty; a day not over, or a batch still open, is not ready; refusals are failed', async () => {
    assert.deepEqual(await source.fetch(context(), '2026-03-14'), { kind: 'empty' });
    const today = new Date().toISOString().slice(0, 10);
    assert.deepEqual(await source.fetch(context(), today), { kind: 'not_ready', reason: `the batch of ${today} is not settled yet` });
    saleAt(Math.floor(Date.now() / 1000) * 1000, 1_500);
    const ahead = createCardStatementSource({ now: () => Date.now() + 3 * 86_400_000 });
    assert.deepEqual(await ahead.fetch(context(), today), { kind: 'not_ready', reason: `the batch of ${today} still has unsettled (OPN) transactions` });
    const wrongPin = { ...CARD_SANDBOX_CREDENTIALS, pin: 'WRONG' };
    const refused = await source.fetch({ ...context(), credentials: wrongPin }, '2026-03-14');
    assert.equal(refused.kind, 'failed');
    assert.ok(refused.kind === 'failed' && /^txnquery refused: 4025/.test(refused.reason), JSON.stringify(refused));
    assert.ok(!refused.reason.includes('WRONG'), 'the PIN stays out of the reason');
  });
});
