/**
 * Antom's settlement details report as CanCan reads it: a report written
 * from the documented column list (docs.antom.com "Settlement details
 * report" and the AMS "Settlement file format"; no published sample file was
 * found, so the example is reconstructed), and the simulator's report of a
 * day with payments and refunds over signed HTTP, clean and with each
 * planted difference; not ready, empty and failed answers.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { AlipayPlusCredentials } from '../../src/providers/alipayplus/adapter.js';
import { ALIPAYPLUS_SANDBOX_CLIENT_ID, loadOrCreateAlipayPlusSandboxKeys } from '../../src/providers/alipayplus/keys.js';
import { alipayPlusSimulator } from '../../src/providers/alipayplus/simulator.js';
import { parseSettlementReport } from '../../src/providers/alipayplus/statement-file.js';
import { createAntomStatementSource, SFTP_ONLY_REASON } from '../../src/providers/alipayplus/statement.js';
import type { StatementLine } from '../../src/providers/statements.js';
import { CALL_TIMEOUT_MS, CONFIRM_DELAY_MS, newOrderNo, useSimulatorServer } from '../support/contract.js';
import { moveLedgerTimes, plantOverHttp } from '../support/statement-ledger.js';

let credentials: AlipayPlusCredentials;
const sim = useSimulatorServer('alipayplus', ({ dir, ledger }) => {
  const keys = loadOrCreateAlipayPlusSandboxKeys(join(dir, 'data'));
  credentials = {
    clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID,
    merchantPrivateKeyPem: keys.merchant.privateKeyPem,
    providerPublicKeyPem: keys.provider.publicKeyPem,
  };
  return alipayPlusSimulator({
    ledger,
    clients: [{ clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID, publicKeyPem: keys.merchant.publicKeyPem }],
    providerPrivateKeyPem: keys.provider.privateKeyPem,
    confirmDelayMs: CONFIRM_DELAY_MS,
  });
});

const source = createAntomStatementSource();
const context = () => ({ endpoint: sim.baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS });

/** 10:00 in Singapore (UTC+8) on a statement day. */
const tenAm = (day: string, minute = 0): number => Date.parse(`${day}T02:${String(minute).padStart(2, '0')}:00Z`);

/** A paid HKD payment (and optionally a settled refund of it) on `day`, straight into the simulator ledger. */
function paidOn(day: string, amount: number, refund?: number): { orderNo: string; refundNo: string | null; paymentId: string } {
  const orderNo = newOrderNo('AS');
  const paymentId = `2026${orderNo}`;
  sim.ledger.insertOrder({
    provider: 'alipayplus',
    orderNo,
    amount,
    currency: 'HKD',
    status: 'paid',
    providerTxnId: paymentId,
    providerState: JSON.stringify({ method: 'ALIPAY_HK', expiresAt: 0 }),
  });
  moveLedgerTimes(sim.ledgerFile, 'alipayplus', { orderNo, at: tenAm(day) });
  if (refund === undefined) return { orderNo, refundNo: null, paymentId };
  const refundNo = `${orderNo}R`;
  sim.ledger.insertRefund({
    provider: 'alipayplus',
    refundNo,
    orderNo,
    amount: refund,
    currency: 'HKD',
    status: 'succeeded',
    providerRefundId: `R${paymentId}`,
  });
  moveLedgerTimes(sim.ledgerFile, 'alipayplus', { refundNo, at: tenAm(day, 30) });
  return { orderNo, refundNo, paymentId };
}

const payment = (orderNo: string, paymentId: string, day: string, amount: number, fee: number, overrides: Partial<StatementLine> = {}): StatementLine => ({
  kind: 'payment',
  orderNo,
  refundNo: null,
  providerTxnId: paymentId,
  amountMinor: amount,
  currency: 'HKD',
  feeMinor: fee,
  netMinor: amount - fee,
  providerStatus: 'PAYMENT',
  settled: true,
  at: tenAm(day),
  ...overrides,
});

async function statementLines(day: string): Promise<readonly StatementLine[]> {
  const fetched = await source.fetch(context(), day);
  assert.equal(fetched.kind, 'statement', JSON.stringify(fetched));
  assert.ok(fetched.kind === 'statement');
  assert.deepEqual(fetched.statement.totals, []);
  return fetched.statement.lines;
}

describe('Antom settlement details report', () => {
  test('the documented columns parse into lines: payments, refunds, a cancel, and types reconciliation leaves alone', () => {
    const report = [
      'settlementBatchId,customerId,transactionId,originalTransactionId,transactionRequestId,paymentMethodType,pspName,transactionType,paymentTime,settlementTime,productCode,transactionAmountValue,transactionCurrency,settlementAmountValue,settlementCurrency,feeAmountValue,feeCurrency,originalTransactionRequestId',
      '202403150001,2188120000000001,20240315194010800100188000000001,,PAY-0001,ALIPAY_HK,AlipayHK,PAYMENT,2024-03-15T10:11:12+08:00,2024-03-16T09:00:00+08:00,CASHIER_PAYMENT,100.00,HKD,99.40,HKD,-0.60,HKD,',
      '202403150001,2188120000000001,20240315194010800100188000000002,20240315194010800100188000000001,REF-0001,ALIPAY_HK,AlipayHK,REFUND,2024-03-15T12:00:00+08:00,2024-03-16T09:00:00+08:00,CASHIER_PAYMENT,-30.00,HKD,-30.00,HKD,0.00,HKD,PAY-0001',
      '202403150001,2188120000000001,20240315194010800100188000000003,,"PAY,0002",KAKAOPAY,KakaoPay,CANCEL,2024-03-15T13:00:00+08:00,2024-03-16T09:00:00+08:00,CASHIER_PAYMENT,1500,KRW,0,KRW,0,KRW,',
      '202403150001,2188120000000001,20240315194010800100188000000004,,PAY-0003,ALIPAY_HK,AlipayHK,DISPUTE,2024-03-15T14:00:00+08:00,2024-03-16T09:00:00+08:00,CASHIER_PAYMENT,-5.00,HKD,-5.00,HKD,0.00,HKD,',
      '<END>',
    ].join('\r\n');
    const parsed = parseSettlementReport(report);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(parsed.statement, {
      totals: [],
      lines: [
        {
          kind: 'payment',
          orderNo: 'PAY-0001',
          refundNo: null,
          providerTxnId: '20240315194010800100188000000001',
          amountMinor: 10000,
          currency: 'HKD',
          feeMinor: 60,
          netMinor: 9940,
          providerStatus: 'PAYMENT',
          settled: true,
          at: Date.parse('2024-03-15T02:11:12Z'),
        },
        {
          kind: 'refund',
          orderNo: 'PAY-0001',
          refundNo: 'REF-0001',
          providerTxnId: '20240315194010800100188000000002',
          amountMinor: 3000,
          currency: 'HKD',
          feeMinor: 0,
          netMinor: 3000,
          providerStatus: 'REFUND',
          settled: true,
          at: Date.parse('2024-03-15T04:00:00Z'),
        },
        {
          kind: 'payment',
          orderNo: 'PAY,0002',
          refundNo: null,
          providerTxnId: '20240315194010800100188000000003',
          amountMinor: 1500,
          currency: 'KRW',
          feeMinor: 0,
          netMinor: 0,
          providerStatus: 'CANCEL',
          settled: false,
          at: Date.parse('2024-03-15T05:00:00Z'),
        },
      ],
    });
  });

  test('a report without <END>, or with an amount the currency cannot have, is refused', () => {
    const header = 'transactionRequestId,transactionType,transactionAmountValue,transactionCurrency';
    assert.deepEqual(parseSettlementReport(`${header}\r\nP1,PAYMENT,1.00,HKD\r\n`), {
      ok: false,
      reason: 'the settlement report does not end with <END>: it is incomplete',
    });
    assert.deepEqual(parseSettlementReport(`${header}\r\nP1,PAYMENT,1.001,HKD\r\n<END>\r\n`), {
      ok: false,
      reason: 'settlement report line 2: transactionAmountValue "1.001" is not an amount in HKD',
    });
    assert.deepEqual(parseSettlementReport(`transactionType\r\n<END>\r\n`), { ok: false, reason: 'the settlement report has no transactionRequestId column' });
  });

  test("the simulator's report of a day with payments and refunds reads back exactly, fees at 0.6 %", async () => {
    const day = '2026-03-02';
    const first = paidOn(day, 10_000, 2_500);
    const second = paidOn(day, 1_999);
    assert.ok(first.refundNo !== null);
    assert.deepEqual(await statementLines(day), [
      payment(first.orderNo, first.paymentId, day, 10_000, 60),
      payment(second.orderNo, second.paymentId, day, 1_999, 12),
      {
        kind: 'refund',
        orderNo: first.orderNo,
        refundNo: first.refundNo,
        providerTxnId: `R${first.paymentId}`,
        amountMinor: 2_500,
        currency: 'HKD',
        feeMinor: 0,
        netMinor: 2_500,
        providerStatus: 'REFUND',
        settled: true,
        at: tenAm(day, 30),
      },
    ]);
  });

  test('each planted difference shows exactly in the report', async () => {
    const day = '2026-03-03';
    const dropped = paidOn(day, 5_000, 1_000);
    const amount = paidOn(day, 6_000);
    const status = paidOn(day, 7_000);
    const fee = paidOn(day, 8_000);
    const plant = (kind: string, orderNo: string, extra: { amount?: number; currency?: string } = {}) =>
      plantOverHttp(sim.origin, { provider: 'alipayplus', day, kind, order_no: orderNo, ...extra });
    await plant('drop', dropped.orderNo);
    await plant('amount', amount.orderNo, { amount: 6_100 });
    await plant('status', status.orderNo);
    await plant('fee', fee.orderNo, { amount: 99 });
    await plant('extra_payment', 'NEVER-MADE-BY-CANCAN', { amount: 4_200, currency: 'HKD' });
    const lines = await statementLines(day);
    const extra = lines.find((line) => line.orderNo === 'NEVER-MADE-BY-CANCAN');
    assert.ok(extra !== undefined && extra.providerTxnId !== null);
    assert.deepEqual(lines, [
      payment(amount.orderNo, amount.paymentId, day, 6_100, 37),
      payment(status.orderNo, status.paymentId, day, 7_000, 0, { netMinor: 0, providerStatus: 'CANCEL', settled: false }),
      payment(fee.orderNo, fee.paymentId, day, 8_000, 99),
      payment('NEVER-MADE-BY-CANCAN', extra.providerTxnId, day, 4_200, 25, { at: Date.parse(`${day}T04:00:00Z`) }),
    ]);
  });

  test('a day without business is empty; a day not over, or not yet generated, is not ready', async () => {
    assert.deepEqual(await source.fetch(context(), '2026-03-04'), { kind: 'empty' });
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    assert.deepEqual(await source.fetch(context(), today), { kind: 'not_ready', reason: `${today} is not over yet` });
    // A source whose clock is ahead asks for today: the simulator has not generated it.
    const ahead = createAntomStatementSource({ now: () => Date.now() + 3 * 86_400_000 });
    assert.deepEqual(await ahead.fetch(context(), today), { kind: 'not_ready', reason: `Antom has no settlement report for ${today} yet` });
    assert.deepEqual(await source.fetch(context(), '2026-02-30'), { kind: 'failed', reason: 'not a day: "2026-02-30"' });
  });

  test('a tampered report, a report signed with another key, and a host without reports are failed', async () => {
    const day = '2026-03-05';
    paidOn(day, 3_000);
    const tampering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const body = (await response.text()).replace('30.00', '31.00');
      return new Response(body, { status: response.status, headers: response.headers });
    };
    assert.deepEqual(await createAntomStatementSource({ fetch: tampering }).fetch(context(), day), {
      kind: 'failed',
      reason: 'the settlement report answer is not signed by Antom',
    });
    const otherKey = { ...credentials, providerPublicKeyPem: loadOrCreateAlipayPlusSandboxKeys(join(sim.dir, 'other')).provider.publicKeyPem };
    assert.deepEqual(await source.fetch({ ...context(), credentials: otherKey }, day), {
      kind: 'failed',
      reason: 'the settlement report answer is not signed by Antom',
    });
    // Antom's own API host has no such path (its reports are on SFTP): the answer is an unsigned 404.
    assert.deepEqual(await source.fetch({ ...context(), endpoint: `${sim.origin}/nowhere` }, day), {
      kind: 'failed',
      reason: `${SFTP_ONLY_REASON} (HTTP 404)`,
    });
  });
});
