/**
 * WeChat Pay's daily statement (downloadbill, ALL bill): the parser against
 * WeChat's published examples, and the statement source against the
 * simulator over real HTTP: a day with payments and refunds, each planted
 * difference, the not-ready / no-bill / refused answers, and files that were
 * tampered with.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { chinaTime } from '../../src/providers/china-time.js';
import type { StatementFetch, StatementLine } from '../../src/providers/statements.js';
import { WECHATPAY_SANDBOX_CREDENTIALS } from '../../src/providers/wechatpay/adapter.js';
import { wechatpay } from '../../src/providers/wechatpay/descriptor.js';
import { wechatPaySimulator } from '../../src/providers/wechatpay/simulator.js';
import { withSignature } from '../../src/providers/wechatpay/sign.js';
import { readAnswer, wechatPayStatements } from '../../src/providers/wechatpay/statement.js';
import { parseAllBill } from '../../src/providers/wechatpay/statement-format.js';
import { sandboxFee } from '../../src/providers/statement-day.js';
import { buildXml } from '../../src/providers/wechatpay/xml.js';
import { CALL_TIMEOUT_MS, CONFIRM_DELAY_MS, newOrderNo, useSimulatorServer } from '../support/contract.js';

const sim = useSimulatorServer('wechatpay', ({ ledger, wallet }) =>
  wechatPaySimulator({ ledger, credentials: [WECHATPAY_SANDBOX_CREDENTIALS], confirmDelayMs: CONFIRM_DELAY_MS, slowResponseMs: 600, wallet }),
);

const fetchDay = (day: string, credentials = WECHATPAY_SANDBOX_CREDENTIALS): Promise<StatementFetch> =>
  wechatPayStatements.fetch({ endpoint: sim.baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS }, day);

/** Today in China time, YYYY-MM-DD: the sandbox serves the day so far. */
function chinaToday(): string {
  const digits = chinaTime(Date.now());
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
}

function statementOf(fetched: StatementFetch): { lines: readonly StatementLine[]; totals: unknown } {
  assert.equal(fetched.kind, 'statement', JSON.stringify(fetched));
  assert.ok(fetched.kind === 'statement');
  return fetched.statement;
}

/** The raw bytes the simulator answers to a downloadbill of `day`. */
async function rawBill(day: string, tarType?: string): Promise<Buffer> {
  const request = {
    appid: WECHATPAY_SANDBOX_CREDENTIALS.appId,
    mch_id: WECHATPAY_SANDBOX_CREDENTIALS.mchId,
    nonce_str: 'f6808210402125e30663234f94c87a8c',
    sign_type: 'HMAC-SHA256',
    bill_date: day.replace(/-/g, ''),
    bill_type: 'ALL',
    ...(tarType !== undefined ? { tar_type: tarType } : {}),
  };
  const response = await fetch(`${sim.baseUrl}/pay/downloadbill`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: buildXml(withSignature(request, WECHATPAY_SANDBOX_CREDENTIALS.apiKey, 'HMAC-SHA256')),
  });
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

describe('WeChat Pay bill format: published examples', () => {
  test('the v2 documentation example (early layout: 总金额, two MICROPAY payments) reads line by line', () => {
    // pay.weixin.qq.com v2 downloadbill page, "举例如下" (as quoted on blog.csdn.net/weixin_33268205/article/details/111897134).
    const text = [
      '交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率',
      '`2014-11-10 16:33:45,`wx2421b1c4370ec43b,`10000100,`0,`1000,`1001690740201411100005734289,`1415640626,`085e9858e3ba5186aafcbaed1,`MICROPAY,`SUCCESS,`OTHERS,`CNY,`0.01,`0.0,`0,`0,`0,`0,`,`,`被扫支付测试,`订单额外描述,`0,`0.60%',
      '`2014-11-10 16:46:14,`wx2421b1c4370ec43b,`10000100,`0,`1000,`1002780740201411100005729794,`1415635270,`085e9858e90ca40c0b5aee463,`MICROPAY,`SUCCESS,`OTHERS,`CNY,`0.01,`0.0,`0,`0,`0,`0,`,`,`被扫支付测试,`订单额外描述,`0,`0.60%',
      '总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额',
      '`2,`0.02,`0.0,`0.0,`0',
    ].join('\r\n');
    const parsed = parseAllBill(text);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const payment = (orderNo: string, providerTxnId: string, at: string): StatementLine => ({
      kind: 'payment',
      orderNo,
      refundNo: null,
      providerTxnId,
      amountMinor: 1,
      currency: 'CNY',
      feeMinor: 0,
      netMinor: 1,
      providerStatus: 'SUCCESS',
      settled: true,
      at: Date.parse(`${at}+08:00`),
    });
    assert.deepEqual(parsed.statement, {
      lines: [
        payment('1415640626', '1001690740201411100005734289', '2014-11-10T16:33:45'),
        payment('1415635270', '1002780740201411100005729794', '2014-11-10T16:46:14'),
      ],
      totals: [{ currency: 'CNY', paymentsMinor: 2, refundsMinor: 0, feesMinor: 0, lineCount: 2 }],
    });
  });

  test('the current layout (应结订单金额, 订单金额, 费率备注) reads its published line; a summary counting more lines is refused', () => {
    // developers.weixin.qq.com wxcloudrun "下载对账单" example line. The published summary counts 12 orders of which
    // the page shows one; the one-line summary below is reconstructed from that line.
    const header =
      '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
    const line =
      '`2022-03-21 13:51:31,`wxfdc955f7104ad557,`180023671,`176531292,`,`420000612032130748613220688,`2021WERUN1647840687637,`oZWaCKXip5njeEiloC4oeOV1TTsk,`JSAPI,`SUCCESS,`OTHERS,`CNY,`0.01,`0.00,`0,`0,`0.00,`0.00,`,`,`微信云托管支付测试,`,`0.00000,`0.90%,`0.01,`0.00,`';
    const summaryHeader = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';
    const parsed = parseAllBill([header, line, summaryHeader, '`1,`0.01,`0.00,`0.00,`0.00000,`0.01,`0.00'].join('\n'));
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(parsed.statement, {
      lines: [
        {
          kind: 'payment',
          orderNo: '2021WERUN1647840687637',
          refundNo: null,
          providerTxnId: '420000612032130748613220688',
          amountMinor: 1,
          currency: 'CNY',
          feeMinor: 0,
          netMinor: 1,
          providerStatus: 'SUCCESS',
          settled: true,
          at: Date.parse('2022-03-21T13:51:31+08:00'),
        },
      ],
      totals: [{ currency: 'CNY', paymentsMinor: 1, refundsMinor: 0, feesMinor: 0, lineCount: 1 }],
    });
    // As published (summary of 12 orders, one line shown): not the whole bill.
    const published = parseAllBill([header, line, summaryHeader, '`12,`0.06,`0.06,`0.00,`0.00000,`0.06,`0.06'].join('\n'));
    assert.deepEqual(published, { ok: false, reason: 'the WeChat Pay bill does not read: the summary counts 12 lines, the bill has 1' });
  });
});

describe('WeChat Pay statement from the simulator', () => {
  const paid = (amount: number, currency = 'CNY'): { orderNo: string; amount: number } => {
    const orderNo = newOrderNo('WS');
    sim.ledger.insertOrder({ provider: 'wechatpay', orderNo, amount, currency, status: 'paid', providerTxnId: `4200${orderNo}` });
    return { orderNo, amount };
  };

  test('the descriptor declares the source: China time, 10 hours after the day', () => {
    assert.equal(wechatpay.statements, wechatPayStatements);
    assert.deepEqual(wechatPayStatements.publication, { timeZone: 'Asia/Shanghai', hoursAfterDay: 10 });
  });

  test('a day with payments and refunds reads to exactly its lines and totals; each plant makes exactly its difference', async () => {
    const day = chinaToday();
    const first = paid(10_000);
    const second = paid(2_345);
    sim.ledger.insertRefund({
      provider: 'wechatpay',
      refundNo: `${first.orderNo}R1`,
      orderNo: first.orderNo,
      amount: 4_000,
      currency: 'CNY',
      status: 'succeeded',
      providerRefundId: '50300000000000000000000000001',
    });
    const { start, end } = { start: Date.parse(`${day}T00:00:00+08:00`), end: Date.parse(`${day}T00:00:00+08:00`) + 86_400_000 };
    const settled = () => sim.ledger.settledBetween('wechatpay', start, end);
    const paidAt = (orderNo: string): number => settled().payments.find((payment) => payment.orderNo === orderNo)?.paidAt ?? NaN;
    const refundAt = settled().refunds.find((refund) => refund.orderNo === first.orderNo)?.settledAt ?? NaN;
    // The bill prints seconds: lines carry the second their money moved.
    const second_ = (ms: number): number => Math.floor(ms / 1000) * 1000;
    const paymentLine = (orderNo: string, amount: number, overrides: Partial<StatementLine> = {}): StatementLine => ({
      kind: 'payment',
      orderNo,
      refundNo: null,
      providerTxnId: `4200${orderNo}`,
      amountMinor: amount,
      currency: 'CNY',
      feeMinor: sandboxFee(amount),
      netMinor: amount - sandboxFee(amount),
      providerStatus: 'SUCCESS',
      settled: true,
      at: second_(paidAt(orderNo)),
      ...overrides,
    });
    const refundLine: StatementLine = {
      kind: 'refund',
      orderNo: first.orderNo,
      refundNo: `${first.orderNo}R1`,
      providerTxnId: '50300000000000000000000000001',
      amountMinor: 4_000,
      currency: 'CNY',
      feeMinor: -24,
      netMinor: 3_976,
      providerStatus: 'REFUND/SUCCESS',
      settled: true,
      at: second_(refundAt),
    };
    const byTime = (lines: readonly StatementLine[]): StatementLine[] => [...lines].sort((a, b) => a.at - b.at);
    const ours = (lines: readonly StatementLine[], orderNos: readonly string[]): StatementLine[] => lines.filter((line) => orderNos.includes(line.orderNo));

    const clean = statementOf(await fetchDay(day));
    assert.equal(sandboxFee(10_000), 60);
    assert.equal(sandboxFee(2_345), 14); // 14.07 → 14
    assert.equal(sandboxFee(4_000), 24);
    assert.deepEqual(
      ours(clean.lines, [first.orderNo, second.orderNo]),
      byTime([paymentLine(first.orderNo, 10_000), paymentLine(second.orderNo, 2_345), refundLine]),
    );
    assert.equal(clean.lines.length, 3);
    assert.deepEqual(clean.totals, [{ currency: 'CNY', paymentsMinor: 12_345, refundsMinor: 4_000, feesMinor: 60 + 14 - 24, lineCount: 3 }]);

    // Every plant kind at once, each on its own order.
    const dropped = paid(1_000);
    const mispriced = paid(2_000);
    const unsettled = paid(3_000);
    const feeDiffers = paid(4_000);
    const extraNo = newOrderNo('WX');
    const plant = (kind: 'extra_payment' | 'drop' | 'amount' | 'status' | 'fee', orderNo: string, amount?: number): void =>
      sim.ledger.plant({ provider: 'wechatpay', day, kind, orderNo, ...(amount !== undefined ? { amount, currency: 'CNY' } : {}) });
    plant('drop', dropped.orderNo);
    plant('amount', mispriced.orderNo, 2_100);
    plant('status', unsettled.orderNo);
    plant('fee', feeDiffers.orderNo, 99);
    plant('extra_payment', extraNo, 777);

    const plantedDay = statementOf(await fetchDay(day));
    assert.equal(plantedDay.lines.length, 3 + 4);
    assert.deepEqual(
      ours(plantedDay.lines, [first.orderNo, second.orderNo, dropped.orderNo, mispriced.orderNo, unsettled.orderNo, feeDiffers.orderNo]),
      byTime([
        paymentLine(first.orderNo, 10_000),
        paymentLine(second.orderNo, 2_345),
        refundLine,
        paymentLine(mispriced.orderNo, 2_100),
        paymentLine(unsettled.orderNo, 3_000, { providerStatus: 'REVOKED', settled: false }),
        paymentLine(feeDiffers.orderNo, 4_000, { feeMinor: 99, netMinor: 4_000 - 99 }),
      ]),
    );
    const extra = plantedDay.lines.find((line) => line.orderNo === extraNo);
    assert.ok(extra !== undefined && extra.providerTxnId !== null);
    assert.match(extra.providerTxnId, new RegExp(`^4200${day.replace(/-/g, '')}\\d{16}$`));
    assert.deepEqual(extra, {
      kind: 'payment',
      orderNo: extraNo,
      refundNo: null,
      providerTxnId: extra.providerTxnId,
      amountMinor: 777,
      currency: 'CNY',
      feeMinor: 5,
      netMinor: 772,
      providerStatus: 'SUCCESS',
      settled: true,
      at: Date.parse(`${day}T12:00:00+08:00`),
    });
    // The summary adds up what the bill prints, plants included (the revoked line still counts its amount).
    assert.deepEqual(plantedDay.totals, [
      { currency: 'CNY', paymentsMinor: 12_345 + 2_100 + 3_000 + 4_000 + 777, refundsMinor: 4_000, feesMinor: 50 + 13 + 18 + 99 + 5, lineCount: 7 },
    ]);
  });

  test('a day after today is not ready; a day without business is empty', async () => {
    assert.deepEqual(await fetchDay('2999-01-01'), { kind: 'not_ready', reason: 'WeChat Pay is still creating the bill' });
    assert.deepEqual(await fetchDay('2020-01-01'), { kind: 'empty' });
  });

  test('refusals and unreachable hosts are failures, never an empty day', async () => {
    assert.deepEqual(await fetchDay('2020-01-01', { ...WECHATPAY_SANDBOX_CREDENTIALS, apiKey: 'wrongwrongwrongwrongwrongwrong32' }), {
      kind: 'failed',
      reason: 'downloadbill refused: FAIL SIGN ERROR',
    });
    assert.deepEqual(await fetchDay('20200101'), { kind: 'failed', reason: 'not a day: "20200101"' });
    const unreachable = await wechatPayStatements.fetch(
      { endpoint: 'http://127.0.0.1:9', credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: 2_000 },
      '2020-01-01',
    );
    assert.equal(unreachable.kind, 'failed');
  });

  test('the bill comes gzipped as asked, plain otherwise; a tampered file is refused', async () => {
    const day = chinaToday();
    paid(1_234);
    const gzipped = await rawBill(day, 'GZIP');
    assert.deepEqual([gzipped[0], gzipped[1]], [0x1f, 0x8b]);
    const plain = await rawBill(day);
    assert.match(plain.toString('utf8'), /^交易时间,公众账号ID,商户号,特约商户号,/);
    assert.deepEqual(readAnswer(gzipped), readAnswer(plain));

    // A flipped byte in the compressed data: the gzip check fails.
    const flipped = Buffer.from(gzipped);
    const at = flipped.length - 12;
    flipped[at] = (flipped[at] ?? 0) ^ 0xff;
    const broken = readAnswer(flipped);
    assert.equal(broken.kind, 'failed');
    assert.ok(broken.kind === 'failed');
    assert.match(broken.reason, /^the WeChat Pay bill (does not unzip|does not read)/);

    // A line taken out, summary left alone: the count no longer adds up.
    const lines = plain.toString('utf8').split('\r\n');
    const shortened = gzipSync(Buffer.from([lines[0], ...lines.slice(2)].join('\r\n'), 'utf8'));
    const refused = readAnswer(shortened);
    assert.equal(refused.kind, 'failed');
    assert.ok(refused.kind === 'failed');
    assert.match(refused.reason, /^the WeChat Pay bill does not read: the summary counts \d+ lines, the bill has \d+$/);
  });
});
