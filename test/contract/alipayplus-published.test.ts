/**
 * Antom's published header, signature and message forms as fixtures (no
 * independent npm implementation exists to cross-check against). The
 * adapter's side (signing content, header parsing, request body, reading
 * answers) and the simulator's side (what it accepts and answers) are each
 * tested against the documentation, not against each other.
 *
 * Sources: docs.antom.com/ac/ams/api_fund (request header table:
 * `request-time: 1685599933871`, the Signature header example with spaces
 * after the commas and a URL-encoded value), /digital_signature (content to
 * sign: `<method> <path>\n<client-id>.<request-time>.<body>`),
 * /payment_cashier (Cashier Payment fields; paymentNotifyUrl and
 * paymentRedirectUrl at most 2048 characters; ISO 8601 date-times such as
 * `2019-11-27T12:01:01+08:00`), /paymentri_online (inquiryPayment:
 * paymentStatus SUCCESS, FAIL, PROCESSING, CANCELLED, PENDING).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { money } from '../../src/domain/money.js';
import type { OrderRequest } from '../../src/providers/contract.js';
import { ALIPAYPLUS_SANDBOX_CLIENT_ID, loadOrCreateAlipayPlusSandboxKeys, type AlipayPlusSandboxKeys } from '../../src/providers/alipayplus/keys.js';
import { parseRequestTime, parseSignatureHeader, requestTime, signContent, signingContent, verifyMessage } from '../../src/providers/alipayplus/sign.js';
import { alipayPlusSimulator } from '../../src/providers/alipayplus/simulator.js';
import { payBody, toOrderOutcome, toQueryOutcome } from '../../src/providers/alipayplus/transformers.js';
import { CONFIRM_DELAY_MS, newOrderNo, useSimulatorServer } from '../support/contract.js';

/** The request header example of the API overview. */
const DOCUMENTED_REQUEST_TIME = '1685599933871';
/** The Signature header example of the API overview (its first part; the page wraps the value). */
const DOCUMENTED_SIGNATURE_HEADER =
  'algorithm=RSA256, keyVersion=1, signature=KEhXthj4bJ801Hqw8kaLvEKc0Rii8KsNUazw7kZgjxyGSPuOZ48058UVJUkkR21iD9JkHBGRrWiHPae8ZRPuBagh2H3qu7fxY5GxVDWayJUhUYkr9m%2FOW4UQVmXaQ9yn%2Fw2dCtzwAW0htPHYrKMyrTpMk%2BfDDmRflA%2FAMJhQ71yeyhufIA2PCJV8%2FC';

/** A Cashier Payment pay answer in the documented form: U / PAYMENT_IN_PROCESS with the code to show. */
const DOCUMENTED_PAY_ANSWER = {
  result: { resultCode: 'PAYMENT_IN_PROCESS', resultStatus: 'U', resultMessage: 'payment in process' },
  paymentRequestId: 'pay_test_0001',
  paymentId: '20240315194010800100188690201962364',
  paymentAmount: { currency: 'HKD', value: '100' },
  paymentCreateTime: '2024-03-15T10:07:52+08:00',
  normalUrl: 'https://open-sea-global.alipay.com/api/open/v1/ac/cashier/self/codevalue/checkout.htm?codeValue=281666040092JBjtfkWFnEhpLd',
  orderCodeForm: {
    expireTime: '2024-03-15T10:21:52+08:00',
    codeDetails: [
      { codeValue: 'https://global.alipay.com/281666040092JBjtfkWFnEhpLd', displayType: 'TEXT' },
      { codeValue: 'https://global.alipay.com/merchant/order/showQrImage.htm?code=281666040092JBjtfkWFnEhpLd', displayType: 'MIDDLEIMAGE' },
    ],
  },
};

/** inquiryPayment answers in the documented form, one per documented paymentStatus. */
function documentedInquiry(paymentStatus: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' },
    paymentStatus,
    paymentRequestId: 'pay_test_0001',
    paymentId: '20240315194010800100188690201962364',
    paymentAmount: { currency: 'HKD', value: '100' },
    paymentCreateTime: '2024-03-15T10:07:52+08:00',
    ...extra,
  };
}

/** Response fields inquiryPayment documents (a simulator answer may use no other). */
const DOCUMENTED_INQUIRY_FIELDS = new Set([
  'result',
  'paymentStatus',
  'paymentResultCode',
  'paymentResultMessage',
  'paymentRequestId',
  'paymentId',
  'paymentAmount',
  'actualPaymentAmount',
  'paymentQuote',
  'authExpiryTime',
  'paymentCreateTime',
  'paymentTime',
  'transactions',
  'customsDeclarationAmount',
  'grossSettlementAmount',
  'settlementQuote',
  'pspCustomerInfo',
  'redirectActionForm',
  'paymentMethodType',
]);

const order = (overrides: Partial<OrderRequest> = {}): OrderRequest => ({
  orderNo: 'pay_test_0001',
  money: money(100, 'HKD'),
  description: 'Cappuccino',
  paymentMethod: 'alipay_hk',
  expiresAt: Date.parse('2024-03-15T02:21:52Z'),
  returnUrl: 'https://shop.example/return',
  notifyUrl: 'https://cancan.example/notify/alipayplus',
  ...overrides,
});

describe('Antom published forms: the adapter side', () => {
  test('request-time is epoch milliseconds, like the documented header', () => {
    assert.equal(requestTime(1685599933871), DOCUMENTED_REQUEST_TIME);
    assert.equal(requestTime(1685599933871.9), DOCUMENTED_REQUEST_TIME);
    assert.equal(parseRequestTime(DOCUMENTED_REQUEST_TIME), 1685599933871);
  });

  test('the content to sign is "<method> <path>\\n<client-id>.<request-time>.<body>"', () => {
    const body = '{"paymentRequestId":"pay_test_0001"}';
    assert.equal(
      signingContent('POST', '/ams/api/v1/payments/inquiryPayment', 'SANDBOX_5YCANCAN00000001', DOCUMENTED_REQUEST_TIME, body),
      `POST /ams/api/v1/payments/inquiryPayment\nSANDBOX_5YCANCAN00000001.${DOCUMENTED_REQUEST_TIME}.${body}`,
    );
  });

  test('the documented Signature header (spaces after commas, URL-encoded value) parses', () => {
    const parsed = parseSignatureHeader(DOCUMENTED_SIGNATURE_HEADER);
    assert.ok(parsed !== null);
    assert.equal(parsed.algorithm, 'RSA256');
    assert.equal(parsed.keyVersion, '1');
    assert.ok(parsed.signature.startsWith('KEhXthj4bJ801Hqw8kaLvEKc0Rii8KsNUazw7kZgjxyGSPuOZ48058UVJUkkR21iD9JkHBGR'));
    assert.ok(parsed.signature.includes('9m/OW4UQ') && parsed.signature.includes('TpMk+fDD'), 'percent-escapes decoded');
  });

  test('the pay body carries the documented Cashier Payment fields, paymentNotifyUrl included', () => {
    const body = payBody(order());
    assert.deepEqual(body, {
      productCode: 'CASHIER_PAYMENT',
      paymentRequestId: 'pay_test_0001',
      order: { referenceOrderId: 'pay_test_0001', orderDescription: 'Cappuccino', orderAmount: { currency: 'HKD', value: '100' } },
      paymentAmount: { currency: 'HKD', value: '100' },
      paymentMethod: { paymentMethodType: 'ALIPAY_HK' },
      paymentExpiryTime: '2024-03-15T02:21:52+00:00',
      settlementStrategy: { settlementCurrency: 'HKD' },
      env: { terminalType: 'WEB' },
      paymentRedirectUrl: 'https://shop.example/return',
      paymentNotifyUrl: 'https://cancan.example/notify/alipayplus',
    });
  });

  test('the documented pay answer gives the TEXT code to show', () => {
    assert.deepEqual(toOrderOutcome(DOCUMENTED_PAY_ANSWER, order()), {
      kind: 'created',
      qrCode: 'https://global.alipay.com/281666040092JBjtfkWFnEhpLd',
      payForm: null,
    });
  });

  test('each documented paymentStatus of inquiryPayment reads as the documentation says', () => {
    assert.deepEqual(toQueryOutcome(documentedInquiry('SUCCESS', { paymentTime: '2024-03-15T10:09:01+08:00' }), 'pay_test_0001'), {
      kind: 'paid',
      providerTxnId: '20240315194010800100188690201962364',
    });
    assert.deepEqual(toQueryOutcome(documentedInquiry('PROCESSING'), 'pay_test_0001'), { kind: 'awaiting_customer' });
    assert.deepEqual(toQueryOutcome(documentedInquiry('PENDING'), 'pay_test_0001'), { kind: 'awaiting_customer' });
    assert.deepEqual(
      toQueryOutcome(
        documentedInquiry('FAIL', { paymentResultCode: 'USER_BALANCE_NOT_ENOUGH', paymentResultMessage: 'The user balance is not enough.' }),
        'pay_test_0001',
      ),
      { kind: 'closed', code: 'USER_BALANCE_NOT_ENOUGH' },
    );
    assert.deepEqual(toQueryOutcome(documentedInquiry('CANCELLED'), 'pay_test_0001'), { kind: 'closed', code: 'CANCELLED' });
  });
});

describe('Antom published forms: the simulator side', () => {
  let keys: AlipayPlusSandboxKeys;
  let baseUrl = '';
  const sim = useSimulatorServer(
    'alipayplus',
    ({ dir, ledger, wallet }) => {
      keys = loadOrCreateAlipayPlusSandboxKeys(join(dir, 'data'));
      return alipayPlusSimulator({
        ledger,
        wallet,
        clients: [{ clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID, publicKeyPem: keys.merchant.publicKeyPem }],
        providerPrivateKeyPem: keys.provider.privateKeyPem,
        confirmDelayMs: CONFIRM_DELAY_MS,
      });
    },
    (server) => {
      baseUrl = server.baseUrl;
    },
  );

  /** A request written by hand the way the documentation shows it: its header forms, its content to sign. */
  async function post(api: string, body: Record<string, unknown>, time: string = requestTime(Date.now())): Promise<Record<string, unknown>> {
    const path = `/ams/sandbox/api/v1/payments/${api}`;
    const text = JSON.stringify(body);
    const signature = signContent(signingContent('POST', path, ALIPAYPLUS_SANDBOX_CLIENT_ID, time, text), keys.merchant.privateKeyPem);
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json; charset=UTF-8',
        'client-id': ALIPAYPLUS_SANDBOX_CLIENT_ID,
        'request-time': time,
        signature: `algorithm=RSA256, keyVersion=1, signature=${encodeURIComponent(signature)}`,
      },
      body: text,
    });
    assert.equal(response.status, 200);
    const answerText = await response.text();
    const message = { httpMethod: 'POST', path, clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID, time: response.headers.get('response-time') ?? '', body: answerText };
    assert.ok(verifyMessage(message, response.headers.get('signature'), keys.provider.publicKeyPem), 'the answer is signed');
    return JSON.parse(answerText) as Record<string, unknown>;
  }

  const payRequest = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const orderNo = newOrderNo();
    return { ...payBody(order({ orderNo, expiresAt: Date.now() + 600_000 })), ...overrides };
  };

  test('a pay request in the documented header forms (epoch-ms request-time, spaced Signature) is accepted', async () => {
    const request = payRequest();
    const answer = await post('pay', request);
    assert.deepEqual(answer['result'], { resultCode: 'PAYMENT_IN_PROCESS', resultStatus: 'U', resultMessage: 'payment in process' });
    assert.equal(answer['paymentRequestId'], request['paymentRequestId']);
    assert.deepEqual(answer['paymentAmount'], { currency: 'HKD', value: '100' });
    const entry = await sim.ledgerEntry(String(request['paymentRequestId']));
    assert.deepEqual([entry?.amount, entry?.currency, entry?.status], [100, 'HKD', 'unpaid']);
  });

  test('an ISO 8601 request-time (what the Python SDK sends) is accepted too; anything else is PARAM_ILLEGAL', async () => {
    const iso = await post('inquiryPayment', { paymentRequestId: 'NOPE1' }, '2024-03-15T10:07:52+08:00');
    assert.equal((iso['result'] as Record<string, unknown>)['resultCode'], 'ORDER_NOT_EXIST');
    const junk = await post('inquiryPayment', { paymentRequestId: 'NOPE1' }, 'yesterday');
    assert.deepEqual(junk['result'], { resultCode: 'PARAM_ILLEGAL', resultStatus: 'F', resultMessage: 'Illegal parameters: Request-Time header' });
  });

  test('paymentNotifyUrl: an absolute URL of up to 2048 characters is accepted; longer or not a URL is PARAM_ILLEGAL', async () => {
    const longest = `https://cancan.example/${'n'.repeat(2048 - 'https://cancan.example/'.length)}`;
    const accepted = await post('pay', payRequest({ paymentNotifyUrl: longest }));
    assert.equal((accepted['result'] as Record<string, unknown>)['resultCode'], 'PAYMENT_IN_PROCESS');
    for (const paymentNotifyUrl of [`${longest}n`, 'not a url', '/relative/notify', 'ftp://cancan.example/notify']) {
      const request = payRequest({ paymentNotifyUrl });
      const refused = await post('pay', request);
      assert.deepEqual(
        refused['result'],
        { resultCode: 'PARAM_ILLEGAL', resultStatus: 'F', resultMessage: 'Illegal parameters: paymentNotifyUrl' },
        paymentNotifyUrl,
      );
      assert.equal(await sim.ledgerEntry(String(request['paymentRequestId'])), undefined, 'nothing recorded');
    }
  });

  test('inquiryPayment answers with documented fields only', async () => {
    const request = payRequest();
    await post('pay', request);
    const answer = await post('inquiryPayment', { paymentRequestId: request['paymentRequestId'] });
    assert.equal(answer['paymentStatus'], 'PROCESSING');
    const undocumented = Object.keys(answer).filter((name) => !DOCUMENTED_INQUIRY_FIELDS.has(name));
    assert.deepEqual(undocumented, []);
  });
});
