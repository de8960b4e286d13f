/**
 * Alipay's daily statement (alipay.data.dataservice.bill.downloadurl.query +
 * the zipped GBK CSVs): the GBK codec, the parser on a bill written from the
 * documented columns, and the statement source against the simulator over
 * real HTTP: a day with payments and refunds, each planted difference, the
 * not-ready / no-bill / refused answers, a tampered answer and tampered files.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { strToU8, unzipSync, zipSync } from 'fflate';
import type { AlipayCredentials } from '../../src/providers/alipay/adapter.js';
import { alipay } from '../../src/providers/alipay/descriptor.js';
import { ALIPAY_SANDBOX_APP_ID, loadOrCreateAlipaySandboxKeys } from '../../src/providers/alipay/keys.js';
import { signParams } from '../../src/providers/alipay/sign.js';
import { alipaySimulator } from '../../src/providers/alipay/simulator.js';
import { ALIPAY_BILL_METHOD, alipayStatements, downloadTradeBill, readZip } from '../../src/providers/alipay/statement.js';
import { parseTradeBill } from '../../src/providers/alipay/statement-format.js';
import { decodeGbk, encodeGbk } from '../../src/providers/alipay/statement-gbk.js';
import { sandboxFee } from '../../src/providers/statement-day.js';
import { beijingTimestamp } from '../../src/providers/china-time.js';
import type { StatementFetch, StatementLine } from '../../src/providers/statements.js';
import { CALL_TIMEOUT_MS, CONFIRM_DELAY_MS, newOrderNo, otherKeyPair, useSimulatorServer } from '../support/contract.js';

let credentials: AlipayCredentials;

const sim = useSimulatorServer('alipay', ({ dir, ledger, wallet }) => {
  const keys = loadOrCreateAlipaySandboxKeys(join(dir, 'data'));
  credentials = { appId: ALIPAY_SANDBOX_APP_ID, appPrivateKeyPem: keys.app.privateKeyPem, alipayPublicKeyPem: keys.platform.publicKeyPem };
  return alipaySimulator({
    ledger,
    apps: [{ appId: ALIPAY_SANDBOX_APP_ID, appPublicKeyPem: keys.app.publicKeyPem }],
    platformPrivateKeyPem: keys.platform.privateKeyPem,
    confirmDelayMs: CONFIRM_DELAY_MS,
    slowResponseMs: 600,
    wallet,
  });
});

const gatewayUrl = (): string => `${sim.baseUrl}/gateway.do`;

const fetchDay = (day: string, endpoint = gatewayUrl(), using: AlipayCredentials = credentials): Promise<StatementFetch> =>
  alipayStatements.fetch({ endpoint, credentials: using, timeoutMs: CALL_TIMEOUT_MS }, day);

const chinaToday = (): string => beijingTimestamp(Date.now()).slice(0, 10);

function statementOf(fetched: StatementFetch): { lines: readonly StatementLine[]; totals: unknown } {
  assert.equal(fetched.kind, 'statement', JSON.stringify(fetched));
  assert.ok(fetched.kind === 'statement');
  return fetched.statement;
}

/** The gateway's answer to the bill method, signed by the sandbox app; and the zip behind its URL. */
async function billUrl(day: string): Promise<string> {
  const params = signParams(
    {
      app_id: credentials.appId,
      method: ALIPAY_BILL_METHOD,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: beijingTimestamp(Date.now()),
      version: '1.0',
      biz_content: JSON.stringify({ bill_type: 'trade', bill_date: day }),
    },
    credentials.appPrivateKeyPem,
  );
  const response = await fetch(gatewayUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
    body: new URLSearchParams(params).toString(),
  });
  const body = (await response.json()) as { alipay_data_dataservice_bill_downloadurl_query_response: { bill_download_url: string } };
  return body.alipay_data_dataservice_bill_downloadurl_query_response.bill_download_url;
}

const paid = (amount: number, currency = 'CNY'): { orderNo: string; amount: number } => {
  const orderNo = newOrderNo('AS');
  sim.ledger.insertOrder({ provider: 'alipay', orderNo, amount, currency, status: 'paid', providerTxnId: `2026${orderNo}` });
  return { orderNo, amount };
};

describe('Alipay bill format', () => {
  test('GBK: the codec writes the bytes GBK assigns and reads them back', () => {
    // 支 D6A7, 付 B8B6, 宝 B1A6, full-width （ A3A8 (GB 2312 code chart).
    assert.equal(Buffer.from(encodeGbk('支付宝（元')).toString('hex'), 'd6a7b8b6b1a6a3a8d4aa');
    assert.equal(decodeGbk(Uint8Array.from([0xd6, 0xa7, 0xb8, 0xb6, 0xb1, 0xa6])), '支付宝');
    assert.throws(() => encodeGbk('\u{1F600}'), /GBK has no/);
  });

  test('a bill written from the documented columns reads line by line (reconstructed: Alipay publishes no sample file)', () => {
    const detail = [
      '#支付宝业务明细查询',
      '#账号：[20881234567890120156]',
      '#起始日期：[2016年07月27日 00:00:00]   终止日期：[2016年07月28日 00:00:00]',
      '#-----------------------------------------业务明细列表----------------------------------------',
      '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注',
      '2016072721001004330200135640\t,6823789339978248\t,交易\t,当面付测试\t,2016-07-27 10:12:01\t,2016-07-27 10:12:09\t,\t,\t,\t,\t,159****5620\t,88.88\t,88.88\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t,-0.53\t,0.00\t,\t',
      '2016072721001004330200135640\t,6823789339978248\t,退款\t,当面付测试\t,2016-07-27 15:40:00\t,2016-07-27 15:40:02\t,\t,\t,\t,\t,159****5620\t,-8.88\t,-8.88\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,HZ01RF001\t,0.05\t,0.00\t,\t',
      '#-----------------------------------------业务明细列表结束------------------------------------',
      '#交易合计：1笔，退款合计：1笔',
      '#导出时间：[2016年07月28日 10:47:49]',
    ].join('\r\n');
    const summary = [
      '#支付宝业务汇总查询',
      '#账号：[20881234567890120156]',
      '#起始日期：[2016年07月27日 00:00:00]   终止日期：[2016年07月28日 00:00:00]',
      '#-----------------------------------------业务汇总列表----------------------------------------',
      '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）',
      '合计\t,\t,1\t,1\t,80.00\t,80.00\t,0.00\t,0.00\t,0.00\t,-0.48\t,0.00\t,79.52\t',
      '#-----------------------------------------业务汇总列表结束------------------------------------',
      '#导出时间：[2016年07月28日 10:47:49]',
    ].join('\r\n');
    const parsed = parseTradeBill({
      '20881234567890120156_20160727_业务明细.csv': encodeGbk(detail),
      '20881234567890120156_20160727_业务明细(汇总).csv': encodeGbk(summary),
    });
    assert.deepEqual(parsed, {
      ok: true,
      statement: {
        lines: [
          {
            kind: 'payment',
            orderNo: '6823789339978248',
            refundNo: null,
            providerTxnId: '2016072721001004330200135640',
            amountMinor: 8_888,
            currency: 'CNY',
            feeMinor: 53,
            netMinor: 8_835,
            providerStatus: '交易',
            settled: true,
            at: Date.parse('2016-07-27T10:12:09+08:00'),
          },
          {
            kind: 'refund',
            orderNo: '6823789339978248',
            refundNo: 'HZ01RF001',
            providerTxnId: '2016072721001004330200135640',
            amountMinor: 888,
            currency: 'CNY',
            feeMinor: -5,
            netMinor: 883,
            providerStatus: '退款',
            settled: true,
            at: Date.parse('2016-07-27T15:40:02+08:00'),
          },
        ],
        totals: [{ currency: 'CNY', paymentsMinor: 8_888, refundsMinor: 888, feesMinor: 48, lineCount: 2 }],
      },
    });
    // The same details claiming two trades: a line is missing.
    const miscounted = parseTradeBill({ 'a.csv': encodeGbk(detail.replace('#交易合计：1笔', '#交易合计：2笔')), 'b.csv': encodeGbk(summary) });
    assert.deepEqual(miscounted, { ok: false, reason: 'the Alipay bill does not read: the details count 2 trades and 1 refunds, the file has 1 and 1' });
    // UTF-8 is not what Alipay writes.
    assert.deepEqual(parseTradeBill({ 'a.csv': strToU8(detail), 'b.csv': strToU8(summary) }), {
      ok: false,
      reason: 'the Alipay bill does not read: a file is not GBK text',
    });
  });
});

describe('Alipay statement from the simulator', () => {
  test('the descriptor declares the source: China time, 9 hours after the day', () => {
    assert.equal(alipay.statements, alipayStatements);
    assert.deepEqual(alipayStatements.publication, { timeZone: 'Asia/Shanghai', hoursAfterDay: 9 });
  });

  test('a day with payments and refunds reads to exactly its lines and totals; each plant makes exactly its difference', async () => {
    const day = chinaToday();
    const first = paid(10_000);
    const second = paid(2_345);
    sim.ledger.insertRefund({
      provider: 'alipay',
      refundNo: `${first.orderNo}R1`,
      orderNo: first.orderNo,
      amount: 4_000,
      currency: 'CNY',
      status: 'succeeded',
      providerRefundId: `2026${first.orderNo}`,
    });
    const start = Date.parse(`${day}T00:00:00+08:00`);
    const settled = (): ReturnType<typeof sim.ledger.settledBetween> => sim.ledger.settledBetween('alipay', start, start + 86_400_000);
    const paidAt = (orderNo: string): number => Math.floor((settled().payments.find((payment) => payment.orderNo === orderNo)?.paidAt ?? NaN) / 1000) * 1000;
    const refundAt = Math.floor((settled().refunds[0]?.settledAt ?? NaN) / 1000) * 1000;
    const paymentLine = (orderNo: string, amount: number, overrides: Partial<StatementLine> = {}): StatementLine => ({
      kind: 'payment',
      orderNo,
      refundNo: null,
      providerTxnId: `2026${orderNo}`,
      amountMinor: amount,
      currency: 'CNY',
      feeMinor: sandboxFee(amount),
      netMinor: amount - sandboxFee(amount),
      providerStatus: '交易',
      settled: true,
      at: paidAt(orderNo),
      ...overrides,
    });
    const refundLine: StatementLine = {
      kind: 'refund',
      orderNo: first.orderNo,
      refundNo: `${first.orderNo}R1`,
      providerTxnId: `2026${first.orderNo}`,
      amountMinor: 4_000,
      currency: 'CNY',
      feeMinor: -24,
      netMinor: 3_976,
      providerStatus: '退款',
      settled: true,
      at: refundAt,
    };
    const byTime = (lines: readonly StatementLine[]): StatementLine[] => [...lines].sort((a, b) => a.at - b.at);
    const ours = (lines: readonly StatementLine[], orderNos: readonly string[]): StatementLine[] => lines.filter((line) => orderNos.includes(line.orderNo));

    const clean = statementOf(await fetchDay(day));
    assert.deepEqual(clean.lines, byTime([paymentLine(first.orderNo, 10_000), paymentLine(second.orderNo, 2_345), refundLine]));
    assert.deepEqual(clean.totals, [{ currency: 'CNY', paymentsMinor: 12_345, refundsMinor: 4_000, feesMinor: 60 + 14 - 24, lineCount: 3 }]);

    const dropped = paid(1_000);
    const mispriced = paid(2_000);
    const unsettled = paid(3_000);
    const feeDiffers = paid(4_000);
    const extraNo = newOrderNo('AX');
    const plant = (kind: 'extra_payment' | 'drop' | 'amount' | 'status' | 'fee', orderNo: string, amount?: number): void =>
      sim.ledger.plant({ provider: 'alipay', day, kind, orderNo, ...(amount !== undefined ? { amount, currency: 'CNY' } : {}) });
    plant('drop', dropped.orderNo);
    plant('amount', mispriced.orderNo, 2_100);
    plant('status', unsettled.orderNo);
    plant('fee', feeDiffers.orderNo, 99);
    plant('extra_payment', extraNo, 777);

    const planted = statementOf(await fetchDay(day));
    assert.equal(planted.lines.length, 7);
    assert.deepEqual(
      ours(planted.lines, [first.orderNo, second.orderNo, dropped.orderNo, mispriced.orderNo, unsettled.orderNo, feeDiffers.orderNo]),
      byTime([
        paymentLine(first.orderNo, 10_000),
        paymentLine(second.orderNo, 2_345),
        refundLine,
        paymentLine(mispriced.orderNo, 2_100),
        paymentLine(unsettled.orderNo, 3_000, { providerStatus: '交易(未完成)', settled: false }),
        paymentLine(feeDiffers.orderNo, 4_000, { feeMinor: 99, netMinor: 4_000 - 99 }),
      ]),
    );
    const extra = planted.lines.find((line) => line.orderNo === extraNo);
    assert.ok(extra !== undefined && extra.providerTxnId !== null);
    assert.match(extra.providerTxnId, new RegExp(`^${day.replace(/-/g, '')}22\\d{18}$`));
    assert.deepEqual(extra, {
      kind: 'payment',
      orderNo: extraNo,
      refundNo: null,
      providerTxnId: extra.providerTxnId,
      amountMinor: 777,
      currency: 'CNY',
      feeMinor: 5,
      netMinor: 772,
      providerStatus: '交易',
      settled: true,
      at: Date.parse(`${day}T12:00:00+08:00`),
    });
    assert.deepEqual(planted.totals, [
      { currency: 'CNY', paymentsMinor: 12_345 + 2_100 + 3_000 + 4_000 + 777, refundsMinor: 4_000, feesMinor: 50 + 13 + 18 + 99 + 5, lineCount: 7 },
    ]);
  });

  test('a trade priced in another currency carries it through the sandbox remark', async () => {
    const day = chinaToday();
    const usd = paid(1_999, 'USD');
    const line = statementOf(await fetchDay(day)).lines.find((candidate) => candidate.orderNo === usd.orderNo);
    assert.deepEqual(line && { currency: line.currency, amountMinor: line.amountMinor, feeMinor: line.feeMinor }, {
      currency: 'USD',
      amountMinor: 1_999,
      feeMinor: 12,
    });
  });

  test('a day after today is not ready; a past day without business is empty; today without business is not ready yet', async () => {
    assert.deepEqual(await fetchDay('2999-01-01'), { kind: 'not_ready', reason: 'the day is not over (Alipay: isv.invalid-arguments)' });
    assert.deepEqual(await fetchDay('2020-01-01'), { kind: 'empty' });
    const context = { endpoint: gatewayUrl(), credentials, timeoutMs: CALL_TIMEOUT_MS };
    // 2020-01-01 seen from 10:00 China time the next morning: the bill may still come.
    assert.deepEqual(await downloadTradeBill(context, '2020-01-01', () => Date.parse('2020-01-02T10:00:00+08:00')), {
      kind: 'not_ready',
      reason: 'Alipay has no bill for the day yet',
    });
  });

  test('refusals, unverifiable answers and tampered answers are failures', async () => {
    assert.deepEqual(await fetchDay('2020-01-01', gatewayUrl(), { ...credentials, appId: '2021999999999999' }), {
      kind: 'failed',
      reason: `${ALIPAY_BILL_METHOD}: answer is not signed: isv.invalid-app-id app_id does not exist`,
    });
    const otherPlatform = otherKeyPair();
    assert.deepEqual(await fetchDay(chinaToday(), gatewayUrl(), { ...credentials, alipayPublicKeyPem: otherPlatform.publicKey }), {
      kind: 'failed',
      reason: `${ALIPAY_BILL_METHOD}: response signature does not verify`,
    });
    assert.deepEqual(await fetchDay('2020/01/01'), { kind: 'failed', reason: 'not a day: "2020/01/01"' });
  });

  describe('an answer changed on the way', () => {
    let proxy: Server;
    let proxyUrl = '';
    before(async () => {
      // Forwards to the simulator's gateway and points the (signed) download URL elsewhere.
      proxy = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          void (async () => {
            const upstream = await fetch(gatewayUrl(), {
              method: 'POST',
              headers: { 'content-type': String(request.headers['content-type']) },
              body: Buffer.concat(chunks),
            });
            const text = (await upstream.text()).replace('bizType=trade', 'bizType=trade&evil=1');
            response.writeHead(200, { 'content-type': 'application/json' }).end(text);
          })();
        });
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/gateway.do`;
    });
    after(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

    test('is refused: its signature no longer verifies', async () => {
      assert.deepEqual(await fetchDay(chinaToday(), proxyUrl), { kind: 'failed', reason: `${ALIPAY_BILL_METHOD}: response signature does not verify` });
    });
  });

  test('the download URL is bound to its token; a changed or cut file is refused', async () => {
    const day = chinaToday();
    const url = await billUrl(day);
    assert.match(
      url,
      new RegExp(
        `^${sim.baseUrl.replace(/[.]/g, '\\.')}/downloadBillFile\\.resource\\?bizType=trade&userId=20880000000000000156&fileType=csv\\.zip&bizDates=\\d{8}&`,
      ),
    );
    const forged = await fetch(url.replace(/token=[0-9a-f]+/, 'token=00000000000000000000000000000000'));
    assert.equal(forged.status, 403);
    await forged.arrayBuffer();

    const zip = new Uint8Array(await (await fetch(url)).arrayBuffer());
    assert.equal(readZip(zip).kind, 'statement');
    const names = Object.keys(unzipSync(zip));
    assert.equal(names.length, 2);
    assert.ok(names.every((name) => name.startsWith(`20880000000000000156_${day.replace(/-/g, '')}_业务明细`)));

    // A byte changed inside the stored data: the CRC (or the inflater) notices.
    const flipped = Uint8Array.from(zip);
    const header = new DataView(flipped.buffer);
    const dataAt = 30 + header.getUint16(26, true) + header.getUint16(28, true) + 8;
    flipped[dataAt] = (flipped[dataAt] ?? 0) ^ 0x01;
    const broken = readZip(flipped);
    assert.equal(broken.kind, 'failed');
    assert.ok(broken.kind === 'failed');
    assert.match(broken.reason, /^the bill zip (fails its CRC check|does not open)/);

    // A line cut from the details, re-zipped: the count line no longer agrees.
    const files = unzipSync(zip);
    const detailName = names.find((name) => !name.includes('汇总')) ?? '';
    const detail = decodeGbk(files[detailName] ?? new Uint8Array()).split('\r\n');
    const cut = [...detail.slice(0, 5), ...detail.slice(6)].join('\r\n');
    const rezipped = zipSync({ ...files, [detailName]: encodeGbk(cut) });
    const refused = readZip(rezipped);
    assert.equal(refused.kind, 'failed');
    assert.ok(refused.kind === 'failed');
    assert.match(refused.reason, /^the Alipay bill does not read: the details count \d+ trades and \d+ refunds, the file has \d+ and \d+$/);
    assert.deepEqual(readZip(strToU8('not a zip')), { kind: 'failed', reason: 'the bill download is not a zip' });
  });
});
