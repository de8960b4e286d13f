/**
 * UnionPay's file transfer (txnType 76) as CanCan reads it: a ZM line laid
 * out from the field widths of UnionPay's file interface spec as the acp SDK
 * demos parse it (`parseZMFile`; no published ZM file was found, so the
 * example is reconstructed), and the simulator's files of a day with
 * consumes and refunds, signed, zipped and deflated: clean, with each
 * planted difference, not ready, empty, and refused when tampered with.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { StatementLine } from '../../src/providers/statements.js';
import type { UnionPayCredentials } from '../../src/providers/unionpay/adapter.js';
import { loadOrCreateUnionPaySandboxKeys, UNIONPAY_SANDBOX_MER_ID, unionPaySandboxCredentials } from '../../src/providers/unionpay/keys.js';
import { formatAnswer, parseAnswer, signFields, verifyFields } from '../../src/providers/unionpay/sign.js';
import { unionPaySimulator } from '../../src/providers/unionpay/simulator.js';
import { parseZmFile, unpackFileContent } from '../../src/providers/unionpay/statement-file.js';
import { createUnionPayStatementSource, fileTransferFields, fileTransferUrl } from '../../src/providers/unionpay/statement.js';
import { CALL_TIMEOUT_MS, CONFIRM_DELAY_MS, newOrderNo, useSimulatorServer } from '../support/contract.js';
import { moveLedgerTimes, plantOverHttp } from '../support/statement-ledger.js';

let credentials: UnionPayCredentials;
let unionPayPublicKeyPem = '';
const sim = useSimulatorServer('unionpay', ({ dir, ledger }) => {
  const keys = loadOrCreateUnionPaySandboxKeys(join(dir, 'data'));
  credentials = unionPaySandboxCredentials(keys);
  unionPayPublicKeyPem = keys.unionPay.publicKeyPem;
  return unionPaySimulator({
    ledger,
    merchants: [{ merId: UNIONPAY_SANDBOX_MER_ID, publicKeyPem: keys.merchant.publicKeyPem }],
    providerPrivateKeyPem: keys.unionPay.privateKeyPem,
    confirmDelayMs: CONFIRM_DELAY_MS,
  });
});

const source = createUnionPayStatementSource();
const context = () => ({ endpoint: sim.baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS });

/** hh:mm in Beijing on a statement day. */
const beijing = (day: string, hour: number, minute = 0): number =>
  Date.parse(`${day}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00+08:00`);

function paidOn(day: string, amount: number, currency: string, refund?: number): { orderNo: string; refundNo: string | null; queryId: string } {
  const orderNo = newOrderNo('UPS');
  const queryId = `Q${orderNo}`.slice(0, 21);
  sim.ledger.insertOrder({
    provider: 'unionpay',
    orderNo,
    amount,
    currency,
    status: 'paid',
    providerTxnId: queryId,
    providerState: JSON.stringify({ merId: UNIONPAY_SANDBOX_MER_ID }),
  });
  moveLedgerTimes(sim.ledgerFile, 'unionpay', { orderNo, at: beijing(day, 9) });
  if (refund === undefined) return { orderNo, refundNo: null, queryId };
  const refundNo = `${orderNo}R1`;
  sim.ledger.insertRefund({
    provider: 'unionpay',
    refundNo,
    orderNo,
    amount: refund,
    currency,
    status: 'succeeded',
    providerRefundId: `RQ${orderNo}`.slice(0, 21),
  });
  moveLedgerTimes(sim.ledgerFile, 'unionpay', { refundNo, at: beijing(day, 15, 30) });
  return { orderNo, refundNo, queryId };
}

const consume = (
  orderNo: string,
  queryId: string,
  day: string,
  amount: number,
  currency: string,
  fee: number,
  overrides: Partial<StatementLine> = {},
): StatementLine => ({
  kind: 'payment',
  orderNo,
  refundNo: null,
  providerTxnId: queryId,
  amountMinor: amount,
  currency,
  feeMinor: fee,
  netMinor: amount - fee,
  providerStatus: '01',
  settled: true,
  at: beijing(day, 9),
  ...overrides,
});

async function statementLines(day: string): Promise<readonly StatementLine[]> {
  const fetched = await source.fetch(context(), day);
  assert.equal(fetched.kind, 'statement', JSON.stringify(fetched));
  assert.ok(fetched.kind === 'statement');
  assert.deepEqual(fetched.statement.totals, []);
  return fetched.statement.lines;
}

/** The widths the acp SDK demos cut a ZM line into (parseZMFile), one space between fields. */
const ZM_WIDTHS = [
  3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2, 6, 2, 4, 32, 1, 21, 15, 1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1, 32, 98,
];
function zmLine(values: Readonly<Record<number, string>>): string {
  return ZM_WIDTHS.map((width, at) => (values[at + 1] ?? '').padEnd(width, ' ')).join(' ');
}

describe('UnionPay file transfer', () => {
  test('ZM lines laid out by the spec read into statement lines; other transaction types are left alone', () => {
    const common = { 2: '00049992900', 3: '00049992900', 8: '5999', 9: '07', 22: '000201', 28: '802310048993424' };
    const file = [
      zmLine({
        ...common,
        1: 'S22',
        4: '123456',
        5: '0905101112',
        6: '6216261000000000018',
        7: '000000001000',
        10: '201509051011120123456',
        12: '20150905101112A',
        16: 'D000000000006',
        17: 'C000000001000',
        20: '01',
        21: '01',
        33: 'C000000000994',
      }),
      zmLine({
        ...common,
        1: 'S30',
        4: '123457',
        5: '0905160000',
        7: '000000000300',
        10: '201509051600000123457',
        12: '20150905160000R',
        16: 'C000000000000',
        17: 'D000000000300',
        20: '04',
        21: '00',
        27: '201509051011120123456',
        33: 'D000000000300',
        41: '20150905101112A',
      }),
      zmLine({
        ...common,
        1: 'S22',
        4: '123458',
        5: '0905170000',
        7: '000000002000',
        10: '201509051700000123458',
        12: '20150905170000U',
        16: 'D000000000012',
        17: 'C000000002000',
        20: '01',
        21: '01',
        33: 'C000000001988',
        42: '840',
      }),
      zmLine({ ...common, 1: 'S11', 4: '123459', 5: '0905180000', 7: '000000009900', 10: '201509051800000123459', 12: '20150905180000P', 20: '02', 21: '01' }),
      '',
    ].join('\r\n');
    const parsed = parseZmFile(Buffer.from(file, 'latin1'), '2015-09-05');
    assert.deepEqual(parsed, {
      ok: true,
      lines: [
        {
          kind: 'payment',
          orderNo: '20150905101112A',
          refundNo: null,
          providerTxnId: '201509051011120123456',
          amountMinor: 1000,
          currency: 'CNY',
          feeMinor: 6,
          netMinor: 994,
          providerStatus: '01',
          settled: true,
          at: Date.parse('2015-09-05T10:11:12+08:00'),
        },
        {
          kind: 'refund',
          orderNo: '20150905101112A',
          refundNo: '20150905160000R',
          providerTxnId: '201509051600000123457',
          amountMinor: 300,
          currency: 'CNY',
          feeMinor: 0,
          netMinor: 300,
          providerStatus: '04',
          settled: true,
          at: Date.parse('2015-09-05T16:00:00+08:00'),
        },
        {
          kind: 'payment',
          orderNo: '20150905170000U',
          refundNo: null,
          providerTxnId: '201509051700000123458',
          amountMinor: 2000,
          currency: 'USD',
          feeMinor: 12,
          netMinor: 1988,
          providerStatus: '01',
          settled: true,
          at: Date.parse('2015-09-05T17:00:00+08:00'),
        },
      ],
    });
    assert.deepEqual(parseZmFile(Buffer.from(zmLine({ 20: '01', 12: 'X1234567', 7: '12AB' }), 'latin1'), '2015-09-05'), {
      ok: false,
      reason: 'ZM line 1: txnAmt "12AB" is not digits',
    });
  });

  test('the request is signed and goes to the file download host; the answer carries the zip of the day, signed', async () => {
    assert.equal(fileTransferUrl('https://gateway.95516.com'), 'https://filedownload.95516.com/');
    assert.equal(fileTransferUrl('https://gateway.test.95516.com/'), 'https://filedownload.test.95516.com/');
    const day = '2026-03-06';
    paidOn(day, 1_000, 'CNY');
    const fields = fileTransferFields(credentials, day, Date.now());
    assert.deepEqual(
      { ...fields, txnTime: 'T' },
      {
        version: '5.1.0',
        encoding: 'UTF-8',
        signMethod: '01',
        txnType: '76',
        txnSubType: '01',
        bizType: '000000',
        fileType: '00',
        accessType: '0',
        merId: UNIONPAY_SANDBOX_MER_ID,
        settleDate: '0306',
        txnTime: 'T',
      },
    );
    const response = await fetch(fileTransferUrl(sim.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(signFields(fields, credentials.merchantPrivateKeyPem)).toString(),
    });
    const answer = parseAnswer(await response.text());
    assert.ok(answer !== null);
    assert.ok(verifyFields(answer, unionPayPublicKeyPem), 'the answer is signed by the simulated UnionPay');
    assert.deepEqual(
      [answer['respCode'], answer['fileName'], answer['settleDate'], answer['txnType']],
      ['00', `${UNIONPAY_SANDBOX_MER_ID}_20260306.zip`, '0306', '76'],
    );
    const unpacked = unpackFileContent(answer['fileContent'] ?? '');
    assert.ok(unpacked.ok);
    assert.deepEqual([...unpacked.files.keys()].sort(), [`INN26030688ZME_${UNIONPAY_SANDBOX_MER_ID}`, `INN26030688ZM_${UNIONPAY_SANDBOX_MER_ID}`]);
  });

  test("the simulator's files of a day with consumes and refunds read back exactly, fees at 0.6 %", async () => {
    const day = '2026-03-07';
    const first = paidOn(day, 10_000, 'CNY', 4_000);
    const second = paidOn(day, 2_599, 'USD');
    assert.ok(first.refundNo !== null);
    assert.deepEqual(await statementLines(day), [
      consume(first.orderNo, first.queryId, day, 10_000, 'CNY', 60),
      consume(second.orderNo, second.queryId, day, 2_599, 'USD', 16),
      {
        kind: 'refund',
        orderNo: first.orderNo,
        refundNo: first.refundNo,
        providerTxnId: `RQ${first.orderNo}`.slice(0, 21),
        amountMinor: 4_000,
        currency: 'CNY',
        feeMinor: 0,
        netMinor: 4_000,
        providerStatus: '04',
        settled: true,
        at: beijing(day, 15, 30),
      },
    ]);
  });

  test('each planted difference shows exactly in the ZM file', async () => {
    const day = '2026-03-08';
    const dropped = paidOn(day, 5_000, 'CNY', 500);
    const amount = paidOn(day, 6_000, 'CNY');
    const status = paidOn(day, 7_000, 'CNY');
    const fee = paidOn(day, 8_000, 'CNY');
    const plant = (kind: string, orderNo: string, extra: { amount?: number; currency?: string } = {}) =>
      plantOverHttp(sim.origin, { provider: 'unionpay', day, kind, order_no: orderNo, ...extra });
    await plant('drop', dropped.orderNo);
    await plant('amount', amount.orderNo, { amount: 5_900 });
    await plant('status', status.orderNo);
    await plant('fee', fee.orderNo, { amount: 77 });
    await plant('extra_payment', 'NEVERMADEBYCANCAN1', { amount: 3_000, currency: 'CNY' });
    const lines = await statementLines(day);
    const extra = lines.find((line) => line.orderNo === 'NEVERMADEBYCANCAN1');
    assert.ok(extra !== undefined && extra.providerTxnId !== null);
    assert.deepEqual(lines, [
      consume(amount.orderNo, amount.queryId, day, 5_900, 'CNY', 35),
      consume(status.orderNo, status.queryId, day, 7_000, 'CNY', 0, { netMinor: 0, providerStatus: '31', settled: false }),
      consume(fee.orderNo, fee.queryId, day, 8_000, 'CNY', 77),
      consume('NEVERMADEBYCANCAN1', extra.providerTxnId, day, 3_000, 'CNY', 18, { at: beijing(day, 12) }),
    ]);
  });

  test('a day without business is empty; a day not over, or without a file yet (respCode 98), is not ready', async () => {
    assert.deepEqual(await source.fetch(context(), '2026-03-09'), { kind: 'empty' });
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    assert.deepEqual(await source.fetch(context(), today), { kind: 'not_ready', reason: `${today} is not over yet` });
    const ahead = createUnionPayStatementSource({ now: () => Date.now() + 3 * 86_400_000 });
    assert.deepEqual(await ahead.fetch(context(), today), { kind: 'not_ready', reason: `UnionPay has no file for ${today} yet (respCode 98)` });
  });

  test('a tampered answer, an answer from another key, and a refused request are failed', async () => {
    const day = '2026-03-10';
    paidOn(day, 1_234, 'CNY');
    const tampering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const answer = parseAnswer(await response.text());
      assert.ok(answer !== null);
      return new Response(formatAnswer({ ...answer, respMsg: 'tampered' }), { status: 200 });
    };
    assert.deepEqual(await createUnionPayStatementSource({ fetch: tampering }).fetch(context(), day), {
      kind: 'failed',
      reason: 'file transfer answer: signature does not verify',
    });
    const otherKeys = loadOrCreateUnionPaySandboxKeys(join(sim.dir, 'other'));
    assert.deepEqual(await source.fetch({ ...context(), credentials: { ...credentials, unionPayPublicKeyPem: otherKeys.unionPay.publicKeyPem } }, day), {
      kind: 'failed',
      reason: 'file transfer answer: signature does not verify',
    });
    assert.deepEqual(await source.fetch({ ...context(), credentials: { ...credentials, merchantPrivateKeyPem: otherKeys.merchant.privateKeyPem } }, day), {
      kind: 'failed',
      reason: 'file transfer refused: respCode 11 signature verification failed',
    });
  });
});
