/**
 * Card helpers (Luhn, masking, expiry, the hosted-page form validator), the
 * Converge XML codec, the pure transformers and the failure-code table.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FAILURE_CODES } from '../../src/domain/failures.js';
import { money } from '../../src/domain/money.js';
import type { CardSaleRequest } from '../../src/providers/contract.js';
import { cardDigits, isExpired, luhnValid, maskCardNumber, normaliseExpiry, validateCardForm, type CardFormInput } from '../../src/providers/card/card.js';
import { CARD_FAILURE_CODES, mapCardFailure } from '../../src/providers/card/errors.js';
import {
  findReturn,
  formatTxnTime,
  invoiceNumberFor,
  parseSearchDate,
  returnFields,
  saleFields,
  searchWindows,
  splitName,
  toQueryOutcome,
  toRefundOutcome,
  toRefundQueryOutcome,
  toSaleOutcome,
  cardCurrencyRule,
  type CardCredentials,
} from '../../src/providers/card/transformers.js';
import { buildTxnXml, ConvergeXmlError, escapeXmlText, parseConvergeXml } from '../../src/providers/card/xml.js';

const CREDENTIALS: CardCredentials = { merchantId: '0099001', userId: 'apiuser', pin: 'PIN64', multiCurrency: true, currency: 'USD' };
const DAY_MS = 86_400_000;

function form(overrides: Partial<CardFormInput> = {}): CardFormInput {
  return { number: '4111 1111 1111 1111', expiry: '12/39', cvc: '123', name: '  Ada   Lovelace ', postalCode: '94041', ...overrides };
}

function sale(overrides: Partial<CardSaleRequest> = {}): CardSaleRequest {
  return {
    orderNo: 'CO123',
    money: money(1000, 'USD'),
    card: { number: '4111111111111111', expiry: '1239', cvc: '123', name: 'Ada Lovelace', postalCode: '94041' },
    ...overrides,
  };
}

describe('Luhn and masking', () => {
  test('the test cards pass Luhn; a changed digit fails it; non-digits fail it', () => {
    for (const number of ['4111111111111111', '5555555555554444', '378282246310005', '4000000000000002', '4000000000009995']) {
      assert.equal(luhnValid(number), true, number);
    }
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(luhnValid('411111111111111a'), false);
    assert.equal(luhnValid(''), false);
  });

  test('maskCardNumber keeps the first and last four: 4111xxxxxxxx1111', () => {
    assert.equal(maskCardNumber('4111111111111111'), '4111xxxxxxxx1111');
    assert.equal(maskCardNumber('4111 1111-1111 1111'), '4111xxxxxxxx1111');
    assert.equal(maskCardNumber('378282246310005'), '3782xxxxxxx0005');
    assert.equal(maskCardNumber('12345678'), 'xxxxxxxx'); // too short to show any of it
  });

  test('cardDigits drops the spaces and dashes shoppers type', () => {
    assert.equal(cardDigits(' 4111-1111 1111 1111 '), '4111111111111111');
  });
});

describe('expiry', () => {
  test('MM/YY, MM / YY and MMYY normalise to MMYY; impossible months do not', () => {
    assert.equal(normaliseExpiry('09/27'), '0927');
    assert.equal(normaliseExpiry(' 09 / 27 '), '0927');
    assert.equal(normaliseExpiry('0927'), '0927');
    assert.equal(normaliseExpiry('13/27'), null);
    assert.equal(normaliseExpiry('00/27'), null);
    assert.equal(normaliseExpiry('9/27'), null);
    assert.equal(normaliseExpiry('09/2027'), null);
  });

  test('a card is valid through the last day of its month', () => {
    assert.equal(isExpired('0125', Date.UTC(2025, 0, 31, 23, 59)), false);
    assert.equal(isExpired('0125', Date.UTC(2025, 1, 1)), true);
    assert.equal(isExpired('1225', Date.UTC(2025, 11, 31)), false);
    assert.equal(isExpired('1225', Date.UTC(2026, 0, 1)), true);
  });
});

describe('validateCardForm', () => {
  test('a good form gives normalised card details', () => {
    assert.deepEqual(validateCardForm(form()), {
      ok: true,
      card: { number: '4111111111111111', expiry: '1239', cvc: '123', name: 'Ada Lovelace', postalCode: '94041' },
    });
    assert.equal(validateCardForm(form({ cvc: '1234', postalCode: '' })).ok, true);
  });

  test('a past expiry passes the form: the acquirer declines it (sandbox test value)', () => {
    assert.equal(validateCardForm(form({ expiry: '01/20' })).ok, true);
  });

  const cases: ReadonlyArray<readonly [string, Partial<CardFormInput>, string]> = [
    ['empty number', { number: ' ' }, 'number'],
    ['too short', { number: '4111 1111' }, 'number'],
    ['Luhn', { number: '4111 1111 1111 1112' }, 'number'],
    ['letters', { number: '4111 1111 1111 111a' }, 'number'],
    ['empty expiry', { expiry: '' }, 'expiry'],
    ['bad month', { expiry: '13/30' }, 'expiry'],
    ['bad format', { expiry: '2030-12' }, 'expiry'],
    ['empty CVC', { cvc: '' }, 'cvc'],
    ['short CVC', { cvc: '12' }, 'cvc'],
    ['long CVC', { cvc: '12345' }, 'cvc'],
    ['letter CVC', { cvc: '12a' }, 'cvc'],
    ['missing name', { name: '   ' }, 'name'],
    ['long name', { name: 'x'.repeat(51) }, 'name'],
    ['bad postal code', { postalCode: '<script>' }, 'postalCode'],
  ];
  for (const [name, overrides, field] of cases) {
    test(`${name} → a problem on ${field}`, () => {
      const result = validateCardForm(form(overrides));
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.deepEqual(
        result.problems.map((problem) => problem.field),
        [field],
      );
    });
  }

  test('every problem is reported at once, and no message quotes the card data', () => {
    const result = validateCardForm({ number: '4111111111111112', expiry: 'x', cvc: '98', name: '', postalCode: '' });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.problems.map((problem) => problem.field),
      ['number', 'expiry', 'cvc', 'name'],
    );
    const text = JSON.stringify(result);
    assert.ok(!text.includes('4111111111111112') && !text.includes('"98"') && !/\b98\b/.test(text));
  });
});

describe('XML', () => {
  test('values are escaped and come back intact', () => {
    const xml = buildTxnXml({ ssl_first_name: `A<&>"'`, ssl_amount: '1.00' });
    assert.equal(xml, '<txn><ssl_first_name>A&lt;&amp;&gt;&quot;&apos;</ssl_first_name><ssl_amount>1.00</ssl_amount></txn>');
    assert.deepEqual(parseConvergeXml(xml), { kind: 'txn', fields: { ssl_first_name: `A<&>"'`, ssl_amount: '1.00' } });
    assert.equal(escapeXmlText('a\u0001b'), 'a b');
  });

  test('field names are checked', () => {
    assert.throws(() => buildTxnXml({ 'bad name': 'x' }), ConvergeXmlError);
  });

  test('a txnlist answer (as Converge writes it) is read with every txn; numbers stay strings', () => {
    const answer = parseConvergeXml(`
      <?xml version="1.0" encoding="UTF-8"?>
      <txnlist><ssl_txn_count>2</ssl_txn_count>
        <txn><ssl_txn_id>050218A15-68CE</ssl_txn_id><ssl_exp_date>0921</ssl_exp_date><ssl_amount>5.00</ssl_amount></txn>
        <txn><ssl_txn_id>050218A15-6679</ssl_txn_id><LineItemProducts><product><a>1</a></product></LineItemProducts></txn>
      </txnlist>`);
    assert.deepEqual(answer, {
      kind: 'txnlist',
      count: '2',
      txns: [{ ssl_txn_id: '050218A15-68CE', ssl_exp_date: '0921', ssl_amount: '5.00' }, { ssl_txn_id: '050218A15-6679' }],
    });
  });

  test('DOCTYPEs, malformed XML, duplicates and other roots are refused', () => {
    assert.throws(() => parseConvergeXml('<!DOCTYPE x [<!ENTITY a "b">]><txn><a>&a;</a></txn>'), ConvergeXmlError);
    assert.throws(() => parseConvergeXml('<txn><a>1</a>'), ConvergeXmlError);
    assert.throws(() => parseConvergeXml('<txn><a>1</a><a>2</a></txn>'), ConvergeXmlError);
    assert.throws(() => parseConvergeXml('<html></html>'), ConvergeXmlError);
    assert.throws(() => parseConvergeXml('hello'), ConvergeXmlError);
  });
});

describe('request transformers', () => {
  test('ccsale carries the card, CVV2 indicator 1, decimal amount, invoice number, split name and zip', () => {
    assert.deepEqual(saleFields(CREDENTIALS, sale({ card: { ...sale().card, name: 'Ada King Lovelace', postalCode: 'K1C 2N6' } })), {
      ssl_merchant_id: '0099001',
      ssl_user_id: 'apiuser',
      ssl_pin: 'PIN64',
      ssl_transaction_type: 'ccsale',
      ssl_amount: '10.00',
      ssl_transaction_currency: 'USD',
      ssl_card_number: '4111111111111111',
      ssl_exp_date: '1239',
      ssl_cvv2cvc2_indicator: '1',
      ssl_cvv2cvc2: '123',
      ssl_invoice_number: 'CO123',
      ssl_first_name: 'Ada King',
      ssl_last_name: 'Lovelace',
      ssl_avs_zip: 'K1C2N6',
    });
  });

  test('a single-currency account sends no ssl_transaction_currency and refuses other currencies by rule', () => {
    const single: CardCredentials = { ...CREDENTIALS, multiCurrency: false, currency: 'CAD' };
    const fields = saleFields(single, sale({ money: money(1000, 'CAD') }));
    assert.equal('ssl_transaction_currency' in fields, false);
    assert.equal(fields['ssl_amount'], '10.00');
    assert.equal(cardCurrencyRule(single, 'CAD'), null);
    assert.equal(cardCurrencyRule(single, 'USD'), 'the card account charges CAD only (multi-currency is not enabled for it), not USD');
    assert.equal(cardCurrencyRule(CREDENTIALS, 'JPY'), null, 'a multi-currency account takes any currency');
    assert.equal(saleFields(CREDENTIALS, sale({ money: money(1000, 'JPY') }))['ssl_transaction_currency'], 'JPY');
  });

  test("amounts use each currency's decimals; a blank postal code sends no zip", () => {
    const jpy = saleFields(CREDENTIALS, sale({ money: money(1000, 'JPY'), card: { ...sale().card, postalCode: '' } }));
    assert.equal(jpy['ssl_amount'], '1000');
    assert.equal('ssl_avs_zip' in jpy, false);
    assert.equal(saleFields(CREDENTIALS, sale({ money: money(5, 'BHD') }))['ssl_amount'], '0.005');
  });

  test("names split on the last word and are cut to Converge's 20/30 characters", () => {
    assert.deepEqual(splitName('Cher'), { first: '', last: 'Cher' });
    assert.deepEqual(splitName('  Ada   Lovelace '), { first: 'Ada', last: 'Lovelace' });
    assert.deepEqual(splitName(`${'F'.repeat(25)} ${'L'.repeat(35)}`), { first: 'F'.repeat(20), last: 'L'.repeat(30) });
  });

  test('invoice numbers are at most 25 characters', () => {
    assert.equal(invoiceNumberFor('abcdef0123456789abcdef0123456789'), 'abcdef0123456789abcdef012');
    assert.equal(invoiceNumberFor('short'), 'short');
  });

  test('ccreturn names the sale and carries the refund number as its invoice', () => {
    const refund = { orderNo: 'CO1', refundNo: 'RF1', saleMoney: money(1000, 'USD'), refundMoney: money(250, 'USD'), reason: null, settledRefunds: [] };
    assert.deepEqual(returnFields(CREDENTIALS, 'TXN-1', refund), {
      ssl_merchant_id: '0099001',
      ssl_user_id: 'apiuser',
      ssl_pin: 'PIN64',
      ssl_transaction_type: 'ccreturn',
      ssl_txn_id: 'TXN-1',
      ssl_amount: '2.50',
      ssl_invoice_number: 'RF1',
    });
  });

  test("search windows are MM/DD/YYYY, newest first, each within Converge's 31 days", () => {
    const now = Date.UTC(2025, 2, 15, 22, 0);
    assert.deepEqual(searchWindows(now, 30), [{ start: '02/14/2025', end: '03/16/2025' }]);
    const windows = searchWindows(now, 90);
    assert.equal(windows.length, 3);
    for (const window of windows) {
      const start = parseSearchDate(window.start);
      const end = parseSearchDate(window.end);
      assert.ok(start !== null && end !== null && end > start && end - start <= 31 * DAY_MS);
    }
    assert.equal(windows[1]?.end, windows[0]?.start);
  });

  test('dates: parse checks real days; txn time is MM/DD/YYYY hh:mm:ss AM', () => {
    assert.equal(parseSearchDate('02/30/2025'), null);
    assert.equal(parseSearchDate('2025-02-01'), null);
    assert.equal(parseSearchDate('02/01/2025'), Date.UTC(2025, 1, 1));
    assert.equal(formatTxnTime(Date.UTC(2020, 7, 18, 18, 31, 42)), '08/18/2020 06:31:42 PM');
    assert.equal(formatTxnTime(Date.UTC(2020, 7, 18, 0, 5, 0)), '08/18/2020 12:05:00 AM');
  });
});

describe('response transformers', () => {
  /** ActiveMerchant's elavon_test.rb fixture, trimmed. */
  const approved = {
    ssl_card_number: '41**********1111',
    ssl_result: '0',
    ssl_txn_id: '180820AD3-27AEE6EF-8CA7-4811-8D1F-E420C3B5041E',
    ssl_avs_response: 'M',
    ssl_approval_code: '093840',
    ssl_amount: '10.00',
    ssl_txn_time: '08/18/2020 06:31:42 PM',
    ssl_exp_date: '1239',
    ssl_result_message: 'APPROVAL',
    ssl_invoice_number: 'CO123',
    ssl_cvv2_response: 'M',
  };

  test('approved: masked with our own mask, whatever the acquirer echoed', () => {
    assert.deepEqual(toSaleOutcome({ kind: 'txn', fields: approved }, sale()), {
      kind: 'approved',
      card: {
        result: '0',
        resultMessage: 'APPROVAL',
        txnId: approved.ssl_txn_id,
        approvalCode: '093840',
        cvv2Response: 'M',
        avsResponse: 'M',
        maskedNumber: '4111xxxxxxxx1111',
        expiry: '1239',
        txnTime: '08/18/2020 06:31:42 PM',
      },
    });
  });

  test('declined: the result message is the code', () => {
    const outcome = toSaleOutcome(
      { kind: 'txn', fields: { ...approved, ssl_result: '1', ssl_result_message: 'DECLINED CVV2', ssl_approval_code: '' } },
      sale(),
    );
    assert.equal(outcome.kind, 'declined');
    assert.ok(outcome.kind === 'declined');
    assert.equal(outcome.code, 'DECLINED CVV2');
    assert.equal(outcome.card.approvalCode, null);
  });

  test('validation errors are refusals with the errorCode; 3xxx gateway errors are unknown', () => {
    const invalid = toSaleOutcome(
      { kind: 'txn', fields: { errorCode: '5000', errorName: 'Credit Card Number Invalid', errorMessage: 'appears to be invalid.' } },
      sale(),
    );
    assert.ok(invalid.kind === 'declined');
    assert.equal(invalid.code, '5000');
    assert.equal(invalid.card.result, '5000');
    for (const code of ['3000', '3003', '4017', '4022']) {
      assert.equal(toSaleOutcome({ kind: 'txn', fields: { errorCode: code, errorName: 'x', errorMessage: 'y' } }, sale()).kind, 'unknown', code);
    }
  });

  test('unknown, never declined: duplicates, missing ssl_result, other amounts, other invoices, lists', () => {
    const unknowns = [
      { ...approved, ssl_result: '1', ssl_result_message: 'Declined - Transaction previously authorized' },
      { ...approved, ssl_result: '' },
      { ...approved, ssl_amount: '9.00' },
      { ...approved, ssl_invoice_number: 'SOMEONE-ELSE' },
    ];
    for (const fields of unknowns) assert.equal(toSaleOutcome({ kind: 'txn', fields }, sale()).kind, 'unknown', JSON.stringify(fields));
    assert.equal(toSaleOutcome({ kind: 'txnlist', count: '0', txns: [] }, sale()).kind, 'unknown');
    // Converge sometimes writes ".37": an amount it writes differently is not held against it.
    assert.equal(toSaleOutcome({ kind: 'txn', fields: { ...approved, ssl_amount: '.37' } }, sale({ money: money(37, 'USD') })).kind, 'approved');
  });

  const listed = (fields: Record<string, string>) => ({
    ssl_txn_id: 'T1',
    ssl_transaction_type: 'SALE',
    ssl_invoice_number: 'CO123',
    ssl_result_message: 'APPROVAL',
    ssl_trans_status: 'OPN',
    ...fields,
  });

  test('query: approved sale → paid; declined → closed; voided → closed; held → unknown; none → not paid', () => {
    assert.deepEqual(toQueryOutcome([listed({})], 'CO123'), { kind: 'paid', providerTxnId: 'T1' });
    assert.deepEqual(toQueryOutcome([listed({ ssl_trans_status: 'STL' })], 'CO123'), { kind: 'paid', providerTxnId: 'T1' });
    assert.deepEqual(toQueryOutcome([listed({ ssl_result_message: 'DECLINED', ssl_trans_status: '' })], 'CO123'), { kind: 'closed', code: 'DECLINED' });
    assert.deepEqual(toQueryOutcome([listed({ ssl_trans_status: 'FPR' })], 'CO123'), { kind: 'closed', code: 'FPR' });
    assert.deepEqual(toQueryOutcome([listed({ ssl_transaction_type: 'VOID' })], 'CO123'), { kind: 'closed', code: 'VOIDED' });
    assert.equal(toQueryOutcome([listed({ ssl_trans_status: 'PEN' })], 'CO123').kind, 'unknown');
    assert.deepEqual(toQueryOutcome([listed({ ssl_invoice_number: 'OTHER' })], 'CO123'), { kind: 'not_paid' });
    assert.deepEqual(toQueryOutcome([], 'CO123'), { kind: 'not_paid' });
    // An approval wins over an earlier decline of the same order number.
    assert.deepEqual(toQueryOutcome([listed({ ssl_txn_id: 'T0', ssl_result_message: 'DECLINED' }), listed({})], 'CO123'), {
      kind: 'paid',
      providerTxnId: 'T1',
    });
  });

  test('refund answers and refund lookups', () => {
    assert.deepEqual(toRefundOutcome({ kind: 'txn', fields: { ssl_result: '0', ssl_result_message: 'APPROVAL' } }), { kind: 'succeeded' });
    assert.deepEqual(toRefundOutcome({ kind: 'txn', fields: { errorCode: '5091', errorName: 'Invalid amount', errorMessage: 'exceeded' } }), {
      kind: 'declined',
      code: '5091',
      message: '5091 Invalid amount: exceeded',
    });
    assert.equal(toRefundOutcome({ kind: 'txn', fields: { errorCode: '3000', errorName: 'x', errorMessage: 'y' } }).kind, 'unknown');
    const returns = [listed({ ssl_transaction_type: 'RETURN', ssl_invoice_number: 'RF1', ssl_txn_id: 'R1' })];
    assert.equal(findReturn(returns, 'RF1')?.['ssl_txn_id'], 'R1');
    assert.equal(findReturn(returns, 'RF2'), null);
    assert.deepEqual(toRefundQueryOutcome(returns, 'RF1'), { kind: 'succeeded' });
    assert.deepEqual(toRefundQueryOutcome(returns, 'RF2'), { kind: 'not_found' });
  });
});

describe('failure codes', () => {
  test('every mapped code is a blueprint failure code; the required ones are there; the rest is unknown_failure', () => {
    for (const failure of CARD_FAILURE_CODES.values()) assert.ok((FAILURE_CODES as readonly string[]).includes(failure), failure);
    assert.equal(mapCardFailure('INSUFFICIENT FUNDS'), 'customer_insufficient_balance_failure');
    assert.equal(mapCardFailure('DECLINED'), 'card_failure');
    assert.equal(mapCardFailure('DECLINED CVV2'), 'card_failure');
    assert.equal(mapCardFailure('EXPIRED CARD'), 'card_failure');
    assert.equal(mapCardFailure('5091'), 'refund_exceeds_sale_amount_failure');
    assert.equal(mapCardFailure('4014'), 'refund_not_allowed_failure');
    assert.equal(mapCardFailure('SALE_NOT_FOUND'), 'sale_not_found_failure');
    assert.equal(mapCardFailure('SOMETHING NEW'), 'unknown_failure');
  });
});
