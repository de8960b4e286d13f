/**
 * The card adapter against the Converge-style card simulator over real HTTP:
 * every test card and card-relevant amount test value, queries after lost
 * answers, partial / over-amount / retried refunds, credentials, XML
 * escaping, and a proof that no card number or CVC reaches a trace.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import type { CardAdapter, CardDetails, CardSaleRequest, Traced } from '../../src/providers/contract.js';
import { money, type CurrencyCode } from '../../src/domain/money.js';
import { CARD_SANDBOX_CREDENTIALS, createCardAdapter, type CardAdapterOptions } from '../../src/providers/card/adapter.js';
import { cardSimulator } from '../../src/providers/card/simulator.js';
import { buildTxnXml, parseConvergeXml, type WireFields } from '../../src/providers/card/xml.js';
import { CALL_TIMEOUT_MS, IMPATIENT_TIMEOUT_MS, SLOW_RESPONSE_MS, newOrderNo, refundRequest, traceChecker, useSimulatorServer } from '../support/contract.js';

const VISA = '4111111111111111';
const FUTURE_EXPIRY = '1239';
/** A CVC unlikely to occur by chance in ids or numbers of a transcript. */
const CVC = '8264';
const CARD_NUMBERS = [VISA, '5555555555554444', '378282246310005', '4000000000000002', '4000000000009995', '4242424242424241'];

let baseUrl = '';
let adapter: CardAdapter;
/** Every outcome and trace any adapter produced in this file, for the no-card-data check. */
const transcripts: string[] = [];

const sim = useSimulatorServer(
  'card',
  ({ ledger }) =>
    cardSimulator({
      ledger,
      accounts: [CARD_SANDBOX_CREDENTIALS],
      slowResponseMs: SLOW_RESPONSE_MS,
    }),
  (server) => {
    baseUrl = server.baseUrl;
    adapter = newAdapter();
  },
);

// ------------------------------------------------------------------ helpers

function newAdapter(overrides: Partial<CardAdapterOptions> = {}): CardAdapter {
  return createCardAdapter({ baseUrl, credentials: CARD_SANDBOX_CREDENTIALS, timeoutMs: CALL_TIMEOUT_MS, ...overrides });
}

function card(overrides: Partial<CardDetails> = {}): CardDetails {
  return { number: VISA, expiry: FUTURE_EXPIRY, cvc: CVC, name: 'Ada Lovelace', postalCode: '94041', ...overrides };
}

function saleRequest(amount: number, cardOverrides: Partial<CardDetails> = {}, currency: CurrencyCode = 'USD'): CardSaleRequest {
  return { orderNo: newOrderNo('CO'), money: money(amount, currency), card: card(cardOverrides) };
}

const checkTrace = traceChecker('card');

/** Keeps the transcript and checks the trace names the call. */
function traced<T>(result: Traced<T>, call: string): T {
  transcripts.push(JSON.stringify(result));
  return checkTrace(result, call);
}

/** A fetch that records what went over the wire (bodies decoded) and can drop answers. */
function recordingFetch(options: { dropAnswersTo?: string } = {}) {
  const exchanges: { request: WireFields; response: string }[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const xmldata = new URLSearchParams(String(init?.body ?? '')).get('xmldata') ?? '';
    const parsed = parseConvergeXml(xmldata);
    assert.equal(parsed.kind, 'txn');
    const request = parsed.kind === 'txn' ? parsed.fields : {};
    const response = await fetch(input, init);
    const text = await response.text();
    exchanges.push({ request, response: text });
    if (options.dropAnswersTo !== undefined && request['ssl_transaction_type'] === options.dropAnswersTo) {
      throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
    }
    return new Response(text, { status: response.status, headers: response.headers });
  };
  return { fetch: wrapped, exchanges, calls: (type: string) => exchanges.filter((exchange) => exchange.request['ssl_transaction_type'] === type).length };
}

/** Posts raw `<txn>` fields to the simulator, as any Converge client would. */
async function postRaw(fields: WireFields): Promise<ReturnType<typeof parseConvergeXml>> {
  const response = await fetch(`${baseUrl}/processxml.do`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xmldata: buildTxnXml(fields) }).toString(),
  });
  assert.equal(response.status, 200);
  return parseConvergeXml(await response.text());
}

const credentialFields = {
  ssl_merchant_id: CARD_SANDBOX_CREDENTIALS.merchantId,
  ssl_user_id: CARD_SANDBOX_CREDENTIALS.userId,
  ssl_pin: CARD_SANDBOX_CREDENTIALS.pin,
};

// ------------------------------------------------------------------ test cards

describe('sale: test cards', () => {
  for (const number of [VISA, '5555555555554444', '378282246310005']) {
    test(`${number.slice(0, 4)}… approves, with masked card data only, and query finds it paid`, async () => {
      const request = saleRequest(1000, { number });
      const outcome = traced(await adapter.sale(request), 'ccsale');
      assert.equal(outcome.kind, 'approved');
      assert.ok(outcome.kind === 'approved');
      assert.equal(outcome.card.result, '0');
      assert.equal(outcome.card.resultMessage, 'APPROVAL');
      assert.equal(outcome.card.maskedNumber, `${number.slice(0, 4)}${'x'.repeat(number.length - 8)}${number.slice(-4)}`);
      assert.equal(outcome.card.expiry, FUTURE_EXPIRY);
      assert.match(outcome.card.approvalCode ?? '', /^\d{6}$/);
      assert.equal(outcome.card.cvv2Response, 'M');
      assert.equal(outcome.card.avsResponse, 'Z');
      assert.match(outcome.card.txnTime ?? '', /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2} [AP]M$/);
      assert.ok(outcome.card.txnId !== null);

      const query = traced(await adapter.query(request.orderNo), 'txnquery');
      assert.deepEqual(query, { kind: 'paid', providerTxnId: outcome.card.txnId });
    });
  }

  const declines: ReadonlyArray<readonly [string, Partial<CardDetails>, string, string]> = [
    ['4000000000000002 declines', { number: '4000000000000002' }, 'DECLINED', 'card_failure'],
    ['4000000000009995 has insufficient funds', { number: '4000000000009995' }, 'INSUFFICIENT FUNDS', 'customer_insufficient_balance_failure'],
    ['a past expiry declines', { expiry: '0120' }, 'EXPIRED CARD', 'card_failure'],
    ['CVC 000 is a CVV2 mismatch', { cvc: '000' }, 'DECLINED CVV2', 'card_failure'],
  ];
  for (const [name, cardOverrides, code, failure] of declines) {
    test(`${name}; query says closed`, async () => {
      const request = saleRequest(1000, cardOverrides);
      const outcome = traced(await adapter.sale(request), 'ccsale');
      assert.equal(outcome.kind, 'declined');
      assert.ok(outcome.kind === 'declined');
      assert.equal(outcome.code, code);
      assert.equal(outcome.card.result, '1');
      assert.equal(adapter.mapFailure(outcome.code), failure);
      if (code === 'DECLINED CVV2') assert.equal(outcome.card.cvv2Response, 'N');
      assert.deepEqual(traced(await adapter.query(request.orderNo), 'txnquery'), { kind: 'closed', code });
    });
  }

  test('a number failing Luhn is refused by the acquirer (5000), nothing recorded', async () => {
    const request = saleRequest(1000, { number: '4111111111111112' });
    const outcome = traced(await adapter.sale(request), 'ccsale');
    assert.ok(outcome.kind === 'declined');
    assert.equal(outcome.code, '5000');
    assert.equal(outcome.card.result, '5000');
    assert.equal(adapter.mapFailure(outcome.code), 'card_failure');
    assert.deepEqual(traced(await adapter.query(request.orderNo), 'txnquery'), { kind: 'not_paid' });
  });

  test("amounts go out in the currency's own decimals (JPY 0, BHD 3)", async () => {
    const recorder = recordingFetch();
    const recording = newAdapter({ fetch: recorder.fetch });
    const jpy = traced(await recording.sale(saleRequest(1000, {}, 'JPY')), 'ccsale');
    const bhd = traced(await recording.sale(saleRequest(1234, {}, 'BHD')), 'ccsale');
    assert.equal(jpy.kind, 'approved');
    assert.equal(bhd.kind, 'approved');
    assert.deepEqual(
      recorder.exchanges.map((exchange) => [exchange.request['ssl_amount'], exchange.request['ssl_transaction_currency']]),
      [
        ['1000', 'JPY'],
        ['1.234', 'BHD'],
      ],
    );
  });
});

// ------------------------------------------------------------------ amount test values

describe('sale: amount test values', () => {
  test('51: insufficient funds', async () => {
    const outcome = traced(await adapter.sale(saleRequest(1051)), 'ccsale');
    assert.ok(outcome.kind === 'declined');
    assert.equal(adapter.mapFailure(outcome.code), 'customer_insufficient_balance_failure');
  });

  test('57: card not allowed; 58: merchant not allowed (4016), nothing recorded', async () => {
    const card57 = traced(await adapter.sale(saleRequest(1057)), 'ccsale');
    assert.ok(card57.kind === 'declined');
    assert.equal(adapter.mapFailure(card57.code), 'customer_not_allowed_to_pay_failure');
    const request58 = saleRequest(1058);
    const merchant58 = traced(await adapter.sale(request58), 'ccsale');
    assert.ok(merchant58.kind === 'declined');
    assert.equal(merchant58.code, '4016');
    assert.equal(adapter.mapFailure(merchant58.code), 'merchant_not_allowed_to_sell_failure');
    assert.deepEqual(traced(await adapter.query(request58.orderNo), 'txnquery'), { kind: 'not_paid' });
  });

  test('55: a gateway error answers, but the sale happened: unknown, then query says paid', async () => {
    const request = saleRequest(1055);
    const result = await adapter.sale(request);
    const outcome = traced(result, 'ccsale');
    assert.equal(outcome.kind, 'unknown');
    assert.equal(result.trace.code, '3000');
    const query = traced(await adapter.query(request.orderNo), 'txnquery');
    assert.equal(query.kind, 'paid');
  });

  test('56: the answer comes after our timeout, but the sale happened: query finds it paid', async () => {
    const request = saleRequest(1056);
    const result = await newAdapter({ timeoutMs: IMPATIENT_TIMEOUT_MS }).sale(request);
    const outcome = traced(result, 'ccsale');
    assert.equal(outcome.kind, 'unknown');
    assert.match(result.trace.message ?? '', new RegExp(`no answer within ${IMPATIENT_TIMEOUT_MS} ms`));
    assert.ok(result.trace.latencyMs >= IMPATIENT_TIMEOUT_MS - 20, String(result.trace.latencyMs));
    const query = traced(await adapter.query(request.orderNo), 'txnquery');
    assert.equal(query.kind, 'paid');
    assert.ok(query.kind === 'paid' && query.providerTxnId !== null);
  });

  test('61: a gateway error and no sale: unknown, then query says not paid', async () => {
    const request = saleRequest(1061);
    assert.equal(traced(await adapter.sale(request), 'ccsale').kind, 'unknown');
    assert.deepEqual(traced(await adapter.query(request.orderNo), 'txnquery'), { kind: 'not_paid' });
  });

  test('resending a sale with the same order number is a duplicate: unknown, never a second charge', async () => {
    const request = saleRequest(1000);
    assert.equal(traced(await adapter.sale(request), 'ccsale').kind, 'approved');
    const again = traced(await adapter.sale(request), 'ccsale');
    assert.equal(again.kind, 'unknown');
    assert.equal(sim.ledger.findOrder('card', request.orderNo)?.status, 'paid');
  });
});

// ------------------------------------------------------------------ query

describe('query', () => {
  test('an order Converge never saw is not paid', async () => {
    assert.deepEqual(traced(await adapter.query(newOrderNo()), 'txnquery'), { kind: 'not_paid' });
  });

  test('a 32-character order number is sent as a 25-character invoice number and still found', async () => {
    const request = { ...saleRequest(1000), orderNo: 'abcdef0123456789abcdef0123456789' };
    const recorder = recordingFetch();
    const outcome = traced(await newAdapter({ fetch: recorder.fetch }).sale(request), 'ccsale');
    assert.equal(outcome.kind, 'approved');
    assert.equal(recorder.exchanges[0]?.request['ssl_invoice_number'], 'abcdef0123456789abcdef012');
    assert.equal(traced(await adapter.query(request.orderNo), 'txnquery').kind, 'paid');
  });

  test('a voided sale is closed', async () => {
    const request = saleRequest(1000);
    const sale = traced(await adapter.sale(request), 'ccsale');
    assert.ok(sale.kind === 'approved' && sale.card.txnId !== null);
    const voided = await postRaw({ ...credentialFields, ssl_transaction_type: 'ccvoid', ssl_txn_id: sale.card.txnId });
    assert.ok(voided.kind === 'txn');
    assert.equal(voided.fields['ssl_result'], '0');
    assert.deepEqual(traced(await adapter.query(request.orderNo), 'txnquery'), { kind: 'closed', code: 'VOIDED' });
  });

  test('the simulator refuses a search range over 31 days, as Converge does', async () => {
    const answer = await postRaw({
      ...credentialFields,
      ssl_transaction_type: 'txnquery',
      ssl_search_start_date: '01/01/2025',
      ssl_search_end_date: '03/01/2025',
    });
    assert.ok(answer.kind === 'txn');
    assert.match(answer.fields['errorMessage'] ?? '', /range cannot be greater than 31 days/);
  });
});

// ------------------------------------------------------------------ refunds

describe('refunds', () => {
  test('partial refunds until the sale is used up; more than what is left is refused (5091)', async () => {
    const sale = saleRequest(10000);
    assert.equal(traced(await adapter.sale(sale), 'ccsale').kind, 'approved');

    const first = refundRequest(sale, newOrderNo('RF'), 3000);
    assert.deepEqual(traced(await adapter.refund(first), 'ccreturn'), { kind: 'succeeded' });
    assert.deepEqual(traced(await adapter.refundQuery(first), 'txnquery'), { kind: 'succeeded' });

    const tooMuch = traced(await adapter.refund(refundRequest(sale, newOrderNo('RF'), 8000)), 'ccreturn');
    assert.ok(tooMuch.kind === 'declined');
    assert.equal(tooMuch.code, '5091');
    assert.equal(adapter.mapFailure(tooMuch.code), 'refund_exceeds_sale_amount_failure');

    assert.deepEqual(traced(await adapter.refund(refundRequest(sale, newOrderNo('RF'), 7000)), 'ccreturn'), { kind: 'succeeded' });
    const order = sim.ledger.findOrder('card', sale.orderNo);
    assert.equal(order?.status, 'refunded');
    assert.equal(order?.refundedAmount, 10000);
    // Refunded since, but the sale itself was paid.
    assert.equal(traced(await adapter.query(sale.orderNo), 'txnquery').kind, 'paid');
  });

  test('a refund retried with the same refund number refunds once and sends no second ccreturn', async () => {
    const sale = saleRequest(5000);
    assert.equal(traced(await adapter.sale(sale), 'ccsale').kind, 'approved');
    const refund = refundRequest(sale, newOrderNo('RF'), 2000);
    const recorder = recordingFetch();
    const recording = newAdapter({ fetch: recorder.fetch });
    assert.deepEqual(traced(await recording.refund(refund), 'ccreturn'), { kind: 'succeeded' });
    assert.deepEqual(traced(await recording.refund(refund), 'txnquery'), { kind: 'succeeded' });
    assert.equal(recorder.calls('ccreturn'), 1);
    assert.equal(sim.ledger.refundsOf('card', sale.orderNo).length, 1);
    assert.equal(sim.ledger.findOrder('card', sale.orderNo)?.refundedAmount, 2000);
  });

  test('a refund whose answer was lost is unknown; the retry finds it instead of refunding again', async () => {
    const sale = saleRequest(5000);
    assert.equal(traced(await adapter.sale(sale), 'ccsale').kind, 'approved');
    const refund = refundRequest(sale, newOrderNo('RF'), 5000);
    const lossy = newAdapter({ fetch: recordingFetch({ dropAnswersTo: 'ccreturn' }).fetch });
    const lost = traced(await lossy.refund(refund), 'ccreturn');
    assert.equal(lost.kind, 'unknown');
    assert.deepEqual(traced(await adapter.refundQuery(refund), 'txnquery'), { kind: 'succeeded' });
    assert.deepEqual(traced(await adapter.refund(refund), 'txnquery'), { kind: 'succeeded' });
    assert.equal(sim.ledger.refundsOf('card', sale.orderNo).length, 1);
  });

  test('59: every refund of the sale is refused (4014)', async () => {
    const sale = saleRequest(1059);
    assert.equal(traced(await adapter.sale(sale), 'ccsale').kind, 'approved');
    const refused = traced(await adapter.refund(refundRequest(sale, newOrderNo('RF'), 100)), 'ccreturn');
    assert.ok(refused.kind === 'declined');
    assert.equal(refused.code, '4014');
    assert.equal(adapter.mapFailure(refused.code), 'refund_not_allowed_failure');
  });

  test('refunding an order without an approved sale is refused as sale-not-found; a refund never sent is not found', async () => {
    const declinedSale = saleRequest(1000, { number: '4000000000000002' });
    assert.equal(traced(await adapter.sale(declinedSale), 'ccsale').kind, 'declined');
    const refund = refundRequest(declinedSale, newOrderNo('RF'), 100);
    const outcome = traced(await adapter.refund(refund), 'txnquery');
    assert.ok(outcome.kind === 'declined');
    assert.equal(adapter.mapFailure(outcome.code), 'sale_not_found_failure');
    assert.deepEqual(traced(await adapter.refundQuery(refund), 'txnquery'), { kind: 'not_found' });
  });
});

// ------------------------------------------------------------------ protocol edges

describe('protocol edges', () => {
  test('bad credentials: the sale is refused with 4025, searches are unknown', async () => {
    const wrong = newAdapter({ credentials: { ...CARD_SANDBOX_CREDENTIALS, pin: 'WRONGPIN' } });
    const result = await wrong.sale(saleRequest(1000));
    const outcome = traced(result, 'ccsale');
    assert.ok(outcome.kind === 'declined');
    assert.equal(outcome.code, '4025');
    assert.equal(result.trace.code, '4025');
    assert.equal(wrong.mapFailure(outcome.code), 'payment_gateway_failure');
    const query = traced(await wrong.query(newOrderNo()), 'txnquery');
    assert.equal(query.kind, 'unknown');
    assert.ok(!JSON.stringify(result).includes('WRONGPIN'));
  });

  test('a name with <&> and quotes is escaped on the wire and arrives intact', async () => {
    const recorder = recordingFetch();
    const outcome = traced(await newAdapter({ fetch: recorder.fetch }).sale(saleRequest(1000, { name: `Ada <&> "O'Brien"` })), 'ccsale');
    assert.equal(outcome.kind, 'approved');
    const exchange = recorder.exchanges[0];
    assert.ok(exchange !== undefined);
    assert.equal(exchange.request['ssl_first_name'], 'Ada <&>');
    assert.equal(exchange.request['ssl_last_name'], `"O'Brien"`);
    const answer = parseConvergeXml(exchange.response);
    assert.ok(answer.kind === 'txn');
    assert.equal(answer.fields['ssl_first_name'], 'Ada <&>');
    assert.equal(answer.fields['ssl_last_name'], `"O'Brien"`);
    assert.match(exchange.response, /Ada &lt;&amp;&gt;/);
  });

  test('the simulator still reads xmldata when the host server parses forms itself', async () => {
    const host = Fastify();
    host.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    await host.register(cardSimulator({ ledger: sim.ledger, accounts: [CARD_SANDBOX_CREDENTIALS] }), { prefix: '/_sim/card' });
    const origin = await host.listen({ host: '127.0.0.1', port: 0 });
    try {
      const outcome = traced(await newAdapter({ baseUrl: `${origin}/_sim/card` }).sale(saleRequest(1000)), 'ccsale');
      assert.equal(outcome.kind, 'approved');
    } finally {
      await host.close();
    }
  });

  test('HTTP 5xx and unparsable answers are unknown', async () => {
    const serverError = newAdapter({ fetch: async () => new Response('oops', { status: 502 }) });
    const garbage = newAdapter({ fetch: async () => new Response('<html>maintenance</html', { status: 200 }) });
    const failed = await serverError.sale(saleRequest(1000));
    assert.equal(traced(failed, 'ccsale').kind, 'unknown');
    assert.equal(failed.trace.httpStatus, 502);
    assert.equal(traced(await garbage.sale(saleRequest(1000)), 'ccsale').kind, 'unknown');
    assert.equal(traced(await serverError.refund(refundRequest(saleRequest(1000), newOrderNo('RF'), 100)), 'txnquery').kind, 'unknown');
  });
});

// ------------------------------------------------------------------ card data never leaks

describe('card data', () => {
  test('never appears in an outcome, trace or error text, even when a transport or an answer echoes it', async () => {
    // A transport whose error message quotes the request body, and an acquirer echoing the card data back.
    const echoingTransport = newAdapter({
      fetch: async (_input, init) => {
        throw new Error(`could not send ${decodeURIComponent(String(init?.body ?? ''))}`);
      },
    });
    const echoingAcquirer = newAdapter({
      fetch: async (_input, init) => {
        const sent = parseConvergeXml(new URLSearchParams(String(init?.body ?? '')).get('xmldata') ?? '');
        const fields = sent.kind === 'txn' ? sent.fields : {};
        return new Response(
          buildTxnXml({
            ssl_result: '1',
            ssl_result_message: `DECLINED ${fields['ssl_card_number'] ?? ''} cvc ${fields['ssl_cvv2cvc2'] ?? ''}`,
          }),
        );
      },
    });
    const echoingError = newAdapter({
      fetch: async (_input, init) => {
        const sent = parseConvergeXml(new URLSearchParams(String(init?.body ?? '')).get('xmldata') ?? '');
        const fields = sent.kind === 'txn' ? sent.fields : {};
        return new Response(
          buildTxnXml({
            errorCode: '3001',
            errorName: 'Gateway generated error',
            errorMessage: `${fields['ssl_card_number'] ?? ''}/${fields['ssl_cvv2cvc2'] ?? ''}`,
          }),
        );
      },
    });
    for (const number of CARD_NUMBERS) {
      traced(await echoingTransport.sale(saleRequest(1000, { number })), 'ccsale');
      traced(await echoingAcquirer.sale(saleRequest(1000, { number })), 'ccsale');
      traced(await echoingError.sale(saleRequest(1000, { number })), 'ccsale');
      traced(await adapter.sale(saleRequest(1000, { number })), 'ccsale');
    }
    // The echoes were really there to catch (the check below is not vacuous).
    const echoed = await echoingAcquirer.sale(saleRequest(1000));
    assert.ok(echoed.outcome.kind === 'declined' && echoed.outcome.message.includes('[redacted]'));

    assert.ok(transcripts.length > 40, `only ${transcripts.length} transcripts collected`);
    const cvcPattern = new RegExp(`(?<![0-9A-Za-z])(${CVC}|000)(?![0-9A-Za-z])`);
    for (const text of transcripts) {
      for (const number of CARD_NUMBERS) assert.ok(!text.includes(number), `a card number leaked: ${text}`);
      assert.doesNotMatch(text, cvcPattern, `a CVC leaked: ${text}`);
      assert.ok(!text.includes(CARD_SANDBOX_CREDENTIALS.pin), `the PIN leaked: ${text}`);
    }
  });
});
