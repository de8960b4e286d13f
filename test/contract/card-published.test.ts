/**
 * Converge's published XML API examples as fixtures (there is no independent
 * npm implementation to cross-check against). The adapter's transformers read
 * the documented answers; the simulator, separately, accepts the documented
 * request and answers with the documented fields. So a misreading shared by
 * both sides cannot pass both halves.
 *
 * The examples follow Converge's developer guide ("XML API", ccsale / ccreturn
 * / txnquery, and the error answer); credentials and card numbers are
 * replaced by the sandbox's, everything else keeps the documented form:
 * decimal `ssl_amount`, `MMYY` expiry, `MM/DD/YYYY hh:mm:ss AM` times,
 * `ssl_result` 0 for approval, `errorCode` / `errorName` / `errorMessage` for
 * a request Converge refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { money } from '../../src/domain/money.js';
import type { CardSaleRequest } from '../../src/providers/contract.js';
import { CARD_SANDBOX_CREDENTIALS, CURRENCY_NOT_ENABLED, createCardAdapter } from '../../src/providers/card/adapter.js';
import { cardSimulator } from '../../src/providers/card/simulator.js';
import { saleFields, toRefundOutcome, toSaleOutcome, type CardCredentials } from '../../src/providers/card/transformers.js';
import { field, parseConvergeXml, type WireFields } from '../../src/providers/card/xml.js';
import { newOrderNo, useSimulatorServer, CALL_TIMEOUT_MS } from '../support/contract.js';

/** ccsale as the guide shows it (form field `xmldata`), with the sandbox's credentials and test card. */
function publishedSaleRequest(invoice: string): string {
  return (
    '<txn>' +
    `<ssl_merchant_id>${CARD_SANDBOX_CREDENTIALS.merchantId}</ssl_merchant_id>` +
    `<ssl_user_id>${CARD_SANDBOX_CREDENTIALS.userId}</ssl_user_id>` +
    `<ssl_pin>${CARD_SANDBOX_CREDENTIALS.pin}</ssl_pin>` +
    '<ssl_transaction_type>ccsale</ssl_transaction_type>' +
    '<ssl_card_number>4111111111111111</ssl_card_number>' +
    '<ssl_exp_date>1239</ssl_exp_date>' +
    '<ssl_amount>10.00</ssl_amount>' +
    '<ssl_cvv2cvc2_indicator>1</ssl_cvv2cvc2_indicator>' +
    '<ssl_cvv2cvc2>123</ssl_cvv2cvc2>' +
    `<ssl_invoice_number>${invoice}</ssl_invoice_number>` +
    '<ssl_first_name>Test</ssl_first_name>' +
    '<ssl_last_name>Card</ssl_last_name>' +
    '</txn>'
  );
}

/** An approved ccsale answer in the documented form. */
const PUBLISHED_SALE_APPROVAL = `<?xml version="1.0" encoding="UTF-8"?>
<txn>
<ssl_card_number>41**********1111</ssl_card_number>
<ssl_exp_date>1239</ssl_exp_date>
<ssl_amount>10.00</ssl_amount>
<ssl_invoice_number>INV0001</ssl_invoice_number>
<ssl_result>0</ssl_result>
<ssl_result_message>APPROVAL</ssl_result_message>
<ssl_txn_id>AA49315-1C5DB2C2-2BD5-4F1E-9A1B-9C3F1E5F3C11</ssl_txn_id>
<ssl_approval_code>CMC142</ssl_approval_code>
<ssl_cvv2_response>M</ssl_cvv2_response>
<ssl_avs_response>Z</ssl_avs_response>
<ssl_txn_time>03/15/2024 10:24:31 AM</ssl_txn_time>
<ssl_card_short_description>VISA</ssl_card_short_description>
</txn>`;

/** A declined ccsale answer: ssl_result 1 and the issuer's message. */
const PUBLISHED_SALE_DECLINE = `<txn>
<ssl_card_number>40**********0002</ssl_card_number>
<ssl_amount>10.00</ssl_amount>
<ssl_invoice_number>INV0001</ssl_invoice_number>
<ssl_result>1</ssl_result>
<ssl_result_message>DECLINED</ssl_result_message>
<ssl_txn_id>AA49315-7F0B1E9E-55A4-4C8A-8E0B-1B2C3D4E5F60</ssl_txn_id>
<ssl_approval_code></ssl_approval_code>
<ssl_txn_time>03/15/2024 10:25:02 AM</ssl_txn_time>
</txn>`;

/** A request Converge refused before any authorisation (bad credentials). */
const PUBLISHED_ERROR = `<txn>
<errorCode>4025</errorCode>
<errorName>Invalid Credentials</errorName>
<errorMessage>The credentials supplied in the authorization request are invalid.</errorMessage>
</txn>`;

/** An approved ccreturn answer. */
const PUBLISHED_RETURN_APPROVAL = `<txn>
<ssl_amount>2.50</ssl_amount>
<ssl_result>0</ssl_result>
<ssl_result_message>APPROVAL</ssl_result_message>
<ssl_txn_id>AA49315-0E3F0D2A-9C5B-4E0F-A1C4-7D6B5A4C3B21</ssl_txn_id>
<ssl_txn_time>03/16/2024 09:02:11 AM</ssl_txn_time>
</txn>`;

/** The fields of a single-transaction answer (or request). */
function txnFields(xml: string): WireFields {
  const parsed = parseConvergeXml(xml);
  assert.equal(parsed.kind, 'txn');
  return parsed.kind === 'txn' ? parsed.fields : {};
}

const saleRequest = (orderNo = 'INV0001'): CardSaleRequest => ({
  orderNo,
  money: money(1000, 'USD'),
  card: { number: '4111111111111111', expiry: '1239', cvc: '123', name: 'Test Card', postalCode: '' },
});

describe('Converge published examples: the adapter reads them', () => {
  test('the approval: approved, with masked card, transaction id and approval code', () => {
    const outcome = toSaleOutcome(parseConvergeXml(PUBLISHED_SALE_APPROVAL), saleRequest());
    assert.equal(outcome.kind, 'approved');
    assert.ok(outcome.kind === 'approved');
    assert.equal(outcome.card.result, '0');
    assert.equal(outcome.card.resultMessage, 'APPROVAL');
    assert.equal(outcome.card.txnId, 'AA49315-1C5DB2C2-2BD5-4F1E-9A1B-9C3F1E5F3C11');
    assert.equal(outcome.card.approvalCode, 'CMC142');
  });

  test('the decline: declined with the issuer message as its code', () => {
    const outcome = toSaleOutcome(parseConvergeXml(PUBLISHED_SALE_DECLINE), saleRequest());
    assert.ok(outcome.kind === 'declined', JSON.stringify(outcome));
    assert.deepEqual([outcome.code, outcome.message, outcome.card.result], ['DECLINED', 'DECLINED', '1']);
  });

  test('the error answer: a definite refusal naming errorCode 4025', () => {
    const outcome = toSaleOutcome(parseConvergeXml(PUBLISHED_ERROR), saleRequest());
    assert.ok(outcome.kind === 'declined', JSON.stringify(outcome));
    assert.equal(outcome.code, '4025');
    assert.match(outcome.message, /Invalid Credentials/);
  });

  test('the return approval: refund succeeded', () => {
    assert.deepEqual(toRefundOutcome(parseConvergeXml(PUBLISHED_RETURN_APPROVAL)), { kind: 'succeeded' });
  });

  test('our ccsale carries the documented fields in the documented forms; the currency only for multi-currency accounts', () => {
    const single: CardCredentials = { ...CARD_SANDBOX_CREDENTIALS, multiCurrency: false };
    const ours = saleFields(single, saleRequest());
    const documented = txnFields(publishedSaleRequest('INV0001'));
    for (const name of [
      'ssl_merchant_id',
      'ssl_user_id',
      'ssl_pin',
      'ssl_transaction_type',
      'ssl_card_number',
      'ssl_exp_date',
      'ssl_amount',
      'ssl_cvv2cvc2_indicator',
      'ssl_cvv2cvc2',
      'ssl_invoice_number',
    ]) {
      assert.equal(ours[name], field(documented, name), name);
    }
    assert.equal('ssl_transaction_currency' in ours, false);
    assert.equal(saleFields(CARD_SANDBOX_CREDENTIALS, saleRequest())['ssl_transaction_currency'], 'USD');
  });
});

describe('Converge published examples: the simulator answers them', () => {
  let baseUrl = '';
  const sim = useSimulatorServer(
    'card',
    ({ ledger }) => cardSimulator({ ledger, accounts: [CARD_SANDBOX_CREDENTIALS] }),
    (server) => {
      baseUrl = server.baseUrl;
    },
  );

  const post = async (xml: string): Promise<string> => {
    const response = await fetch(`${baseUrl}/processxml.do`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xmldata: xml }).toString(),
    });
    assert.equal(response.status, 200);
    return response.text();
  };

  test('the documented ccsale (no currency field) is approved in the account currency, with the documented answer fields', async () => {
    const invoice = newOrderNo().slice(0, 25);
    const answer = txnFields(await post(publishedSaleRequest(invoice)));
    assert.equal(field(answer, 'ssl_result'), '0');
    assert.equal(field(answer, 'ssl_result_message'), 'APPROVAL');
    assert.equal(field(answer, 'ssl_amount'), '10.00');
    assert.equal(field(answer, 'ssl_invoice_number'), invoice);
    assert.match(field(answer, 'ssl_txn_id') ?? '', /\S/);
    assert.match(field(answer, 'ssl_approval_code') ?? '', /^\w{6}$/);
    assert.match(field(answer, 'ssl_txn_time') ?? '', /^\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d (AM|PM)$/);
    assert.match(field(answer, 'ssl_card_number') ?? '', /^41\*+1111$/);
    const entry = await sim.ledgerEntry(invoice);
    assert.deepEqual([entry?.currency, entry?.amount, entry?.status], ['USD', 1000, 'paid']);
  });

  test('the documented request with other credentials gets the documented error answer', async () => {
    const xml = publishedSaleRequest(newOrderNo().slice(0, 25)).replace(CARD_SANDBOX_CREDENTIALS.pin, 'WRONGPIN');
    const answer = txnFields(await post(xml));
    assert.deepEqual([field(answer, 'errorCode'), field(answer, 'errorName')], ['4025', 'Invalid Credentials']);
  });

  test('a single-currency account: a sale in another currency is refused by the adapter and never reaches the acquirer', async () => {
    const sent: string[] = [];
    const adapter = createCardAdapter({
      baseUrl,
      credentials: { ...CARD_SANDBOX_CREDENTIALS, multiCurrency: false, currency: 'USD' },
      timeoutMs: CALL_TIMEOUT_MS,
      fetch: (input, init) => {
        sent.push(String(init?.body ?? ''));
        return fetch(input, init);
      },
    });
    const orderNo = newOrderNo();
    const result = await adapter.sale({ ...saleRequest(orderNo), money: money(1000, 'EUR') });
    assert.deepEqual(result.outcome, {
      kind: 'rejected',
      code: CURRENCY_NOT_ENABLED,
      message: 'the card account charges USD only (multi-currency is not enabled for it), not EUR',
    });
    assert.deepEqual([result.trace.call, result.trace.httpStatus, result.trace.code], ['ccsale', null, CURRENCY_NOT_ENABLED]);
    assert.deepEqual(sent, []);
    assert.equal(await sim.ledgerEntry(orderNo.slice(0, 25)), undefined);

    const usd = await adapter.sale(saleRequest(newOrderNo()));
    assert.equal(usd.outcome.kind, 'approved');
    assert.equal(sent.length, 1);
    assert.ok(!decodeURIComponent(sent[0] ?? '').includes('ssl_transaction_currency'), 'a single-currency account sends no currency');
  });
});
