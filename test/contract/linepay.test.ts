/**
 * The LINE Pay adapter against the LINE Pay simulator over real HTTP: every
 * test value from docs/providers.md (TH/THB, and a TW/TWD sample), queries,
 * reversals, refunds, timeouts, v4 and v2 authentication, lossless
 * transaction ids and the wire format.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import type { PayRequest, PosAdapter, RefundRequest } from '../../src/providers/contract.js';
import { LINEPAY_SANDBOX_CREDENTIALS, createLinePayAdapter, type LinePayCredentials } from '../../src/providers/linepay/adapter.js';
import { linePaySimulator } from '../../src/providers/linepay/simulator.js';
import {
  CALL_TIMEOUT_MS,
  CONFIRM_DELAY_MS,
  IMPATIENT_TIMEOUT_MS,
  SLOW_RESPONSE_MS,
  hangingFetch,
  newOrderNo,
  payRequestBuilder,
  refundRequest as refundWithReason,
  traceChecker,
  useSimulatorServer,
} from '../support/contract.js';

const TH_KEY = '123456789012';
const TW_KEY = '987654321098765432';

/** A second channel on the simulator, authenticating the v2 way (secret in a header). */
const V2_CHANNEL: LinePayCredentials = { channelId: '1654000002', channelSecret: 'v2channelsecret00000000000000v2x', authScheme: 'v2' };

let baseUrl = '';
let adapter: PosAdapter;
let twAdapter: PosAdapter;

const sim = useSimulatorServer(
  'linepay',
  ({ ledger }) =>
    linePaySimulator({
      ledger,
      channels: [LINEPAY_SANDBOX_CREDENTIALS, V2_CHANNEL],
      confirmDelayMs: CONFIRM_DELAY_MS,
      slowResponseMs: SLOW_RESPONSE_MS,
    }),
  (server) => {
    baseUrl = server.baseUrl;
    adapter = withOptions({});
    twAdapter = withOptions({ region: 'TW' });
  },
);
const { ledgerEntry, assertLedger } = sim;

// ------------------------------------------------------------------ helpers

function withOptions(overrides: Partial<Parameters<typeof createLinePayAdapter>[0]>): PosAdapter {
  return createLinePayAdapter({ baseUrl, credentials: LINEPAY_SANDBOX_CREDENTIALS, region: 'TH', timeoutMs: CALL_TIMEOUT_MS, ...overrides });
}

const payRequest = payRequestBuilder({ authCode: (currency) => (currency === 'TWD' ? TW_KEY : TH_KEY), currency: 'THB' });

/** LINE Pay refunds take no reason: these carry none. */
function refundRequest(sale: PayRequest, refundNo: string, amount: number): RefundRequest {
  return refundWithReason(sale, refundNo, amount, null);
}

/** The outcome, after checking the trace names the call and carries no secret. */
const checkTrace = traceChecker('linepay', () => [TH_KEY, TW_KEY, LINEPAY_SANDBOX_CREDENTIALS.channelSecret, V2_CHANNEL.channelSecret]);

/** One request as the adapter sent it, and the answer text it got. */
interface Exchange {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string;
  readonly answer: string;
}

/** A fetch that records every exchange and passes it on to the simulator. */
function spyFetch(exchanges: Exchange[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const answer = await response.text();
    exchanges.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : '',
      answer,
    });
    return new Response(answer, { status: response.status, headers: response.headers });
  };
}

// ------------------------------------------------------------------ test values (TH, THB)

describe('oneTimeKeys/pay test values (TH, THB)', () => {
  test('default amount: paid at once, with a 19-digit transactionId kept exactly', async () => {
    const sale = payRequest(1000);
    const result = await adapter.pay(sale);
    const outcome = checkTrace(result, 'oneTimeKeys/pay');
    assert.ok(outcome.kind === 'paid' && outcome.providerTxnId !== null && /^\d{19}$/.test(outcome.providerTxnId), JSON.stringify(outcome));
    assert.equal(outcome.providerTxnId, sim.ledger.findOrder('linepay', sale.orderNo)?.providerTxnId);
    assert.deepEqual([result.trace.httpStatus, result.trace.code], [200, '0000']);
    await assertLedger(sale.orderNo, { amount: 1000, currency: 'THB', status: 'paid', refunded_amount: 0 });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orders/check'), { kind: 'paid', providerTxnId: null });
  });

  test('51: 1142 decline, order closed; check says FAIL', async () => {
    const sale = payRequest(2351);
    const outcome = checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay');
    assert.ok(outcome.kind === 'declined' && outcome.code === '1142', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'customer_insufficient_balance_failure');
    await assertLedger(sale.orderNo, { status: 'closed', amount: 2351 });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orders/check'), { kind: 'closed', code: 'FAIL' });
  });

  test('52: 1180 decline, nothing recorded', async () => {
    const sale = payRequest(152);
    const outcome = checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay');
    assert.ok(outcome.kind === 'declined' && outcome.code === '1180', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'payment_auth_key_failure');
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
    const query = await adapter.query(sale.orderNo);
    assert.deepEqual(checkTrace(query, 'orders/check'), { kind: 'not_paid' });
    assert.equal(query.trace.code, '1150');
  });

  test('53: 1169, then paid once the customer confirms', async () => {
    const sale = payRequest(1053);
    assert.deepEqual(checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay'), { kind: 'awaiting_customer', code: '1169' });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orders/check'), { kind: 'awaiting_customer' });
    await assertLedger(sale.orderNo, { status: 'unpaid' });
    await wait(CONFIRM_DELAY_MS + 100);
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'orders/check').kind, 'paid');
    await assertLedger(sale.orderNo, { status: 'paid' });
    assert.match(sim.ledger.findOrder('linepay', sale.orderNo)?.providerTxnId ?? '', /^\d{19}$/);
  });

  test('54: 1169 forever; reverse voids it; check says FAIL', async () => {
    const sale = payRequest(54);
    const outcome = checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay');
    assert.deepEqual(outcome, { kind: 'awaiting_customer', code: '1169' });
    assert.equal(adapter.mapFailure('1169'), 'payment_password_failure');
    await wait(CONFIRM_DELAY_MS + 100);
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orders/check'), { kind: 'awaiting_customer' });
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'orders/check+orders/void'), { kind: 'reversed' });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orders/check'), { kind: 'closed', code: 'FAIL' });
    await assertLedger(sale.orderNo, { status: 'reversed' });
  });

  test('55: 9000 answer, but the order was paid', async () => {
    const sale = payRequest(9955);
    const result = await adapter.pay(sale);
    assert.deepEqual(checkTrace(result, 'oneTimeKeys/pay'), { kind: 'unknown', reason: 'Internal error.', code: '9000' });
    assert.equal(result.trace.code, '9000');
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'orders/check').kind, 'paid');
    await assertLedger(sale.orderNo, { status: 'paid', amount: 9955 });
  });

  test('56: an answer slower than the timeout is unknown, and the order was paid', async () => {
    const impatient = withOptions({ timeoutMs: IMPATIENT_TIMEOUT_MS });
    const sale = payRequest(156);
    const result = await impatient.pay(sale);
    const outcome = checkTrace(result, 'oneTimeKeys/pay');
    assert.ok(outcome.kind === 'unknown' && outcome.code === null, JSON.stringify(outcome));
    assert.match(outcome.reason, new RegExp(`^no answer within ${IMPATIENT_TIMEOUT_MS} ms$`));
    assert.equal(result.trace.httpStatus, null);
    assert.ok(result.trace.latencyMs >= IMPATIENT_TIMEOUT_MS - 20, String(result.trace.latencyMs));
    await assertLedger(sale.orderNo, { status: 'paid' }); // recorded before the late answer
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'orders/check').kind, 'paid');
  });

  test('56 with a timeout longer than the delay: paid, after the delay', async () => {
    const result = await adapter.pay(payRequest(256));
    const outcome = checkTrace(result, 'oneTimeKeys/pay');
    assert.ok(result.trace.latencyMs >= SLOW_RESPONSE_MS - 20, String(result.trace.latencyMs));
    assert.equal(outcome.kind, 'paid');
  });

  test('57: 1101 decline', async () => {
    const outcome = checkTrace(await adapter.pay(payRequest(57)), 'oneTimeKeys/pay');
    assert.ok(outcome.kind === 'declined' && outcome.code === '1101', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'customer_not_allowed_to_pay_failure');
  });

  test('58: 1104 decline', async () => {
    const outcome = checkTrace(await adapter.pay(payRequest(1258)), 'oneTimeKeys/pay');
    assert.ok(outcome.kind === 'declined' && outcome.code === '1104', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'merchant_not_allowed_to_sell_failure');
  });

  test('59: paid, but every refund (and so every reversal) is refused with 1163', async () => {
    const sale = payRequest(5959);
    assert.equal(checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay').kind, 'paid');
    for (const amount of [5959, 100, 100]) {
      const refund = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R`, amount)), 'payments+orders/refund');
      assert.ok(refund.kind === 'declined' && refund.code === '1163', JSON.stringify(refund));
      assert.equal(adapter.mapFailure(refund.code), 'refund_not_allowed_failure');
    }
    assert.deepEqual(checkTrace(await adapter.refundQuery(refundRequest(sale, `${sale.orderNo}R`, 100)), 'payments'), { kind: 'not_found' });
    const reverse = checkTrace(await adapter.reverse(sale.orderNo), 'orders/check+orders/refund');
    assert.ok(reverse.kind === 'declined' && reverse.code === '1163', JSON.stringify(reverse));
    await assertLedger(sale.orderNo, { status: 'paid', refunded_amount: 0 });
  });

  test('61: 9000 and not paid; reversed; a late pay is refused and the order stays closed', async () => {
    const sale = payRequest(361);
    const outcome = checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay');
    assert.ok(outcome.kind === 'unknown' && outcome.code === '9000', JSON.stringify(outcome));
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orders/check'), { kind: 'not_paid' });
    await assertLedger(sale.orderNo, { status: 'unpaid' });
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'orders/check+orders/void'), { kind: 'reversed' });
    await assertLedger(sale.orderNo, { status: 'reversed' });
    const late = checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay');
    assert.ok(late.kind === 'unknown' && late.code === '1172', JSON.stringify(late));
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orders/check'), { kind: 'closed', code: 'FAIL' });
    await assertLedger(sale.orderNo, { status: 'reversed' });
  });

  test('malformed oneTimeKeys: refused locally per region, and 1180 from LINE Pay', async () => {
    for (const good of [TH_KEY, '000000000000']) assert.equal(adapter.isWellFormedAuthCode(good), true, good);
    for (const bad of ['', '12345678901', '1234567890123', TW_KEY, '12345678901a', ' 123456789012']) {
      assert.equal(adapter.isWellFormedAuthCode(bad), false, bad);
    }
    assert.equal(twAdapter.isWellFormedAuthCode(TW_KEY), true);
    for (const bad of [TH_KEY, '98765432109876543', '9876543210987654321']) assert.equal(twAdapter.isWellFormedAuthCode(bad), false, bad);

    const thSale = payRequest(1000, { authCode: TW_KEY }); // 18 digits where TH wants 12
    const th = checkTrace(await adapter.pay(thSale), 'oneTimeKeys/pay');
    assert.ok(th.kind === 'declined' && th.code === '1180', JSON.stringify(th));
    assert.equal(adapter.mapFailure(th.code), 'payment_auth_key_failure');
    const twSale = payRequest(10000, { authCode: TH_KEY }, 'TWD'); // 12 digits where TW wants 18
    const tw = checkTrace(await twAdapter.pay(twSale), 'oneTimeKeys/pay');
    assert.ok(tw.kind === 'declined' && tw.code === '1180', JSON.stringify(tw));
    assert.equal(await ledgerEntry(thSale.orderNo), undefined);
    assert.equal(await ledgerEntry(twSale.orderNo), undefined);
  });

  test('a re-used orderId: 1172 is unknown, and the check tells what the order really is', async () => {
    const paid = payRequest(1000);
    assert.equal(checkTrace(await adapter.pay(paid), 'oneTimeKeys/pay').kind, 'paid');
    const again = checkTrace(await adapter.pay(paid), 'oneTimeKeys/pay');
    assert.ok(again.kind === 'unknown' && again.code === '1172', JSON.stringify(again));
    assert.equal(adapter.mapFailure('1172'), 'transaction_id_failure');
    assert.equal(checkTrace(await adapter.query(paid.orderNo), 'orders/check').kind, 'paid');
    await assertLedger(paid.orderNo, { status: 'paid', amount: 1000 });
  });
});

// ------------------------------------------------------------------ TW, TWD

describe('TW (TWD: whole amounts only)', () => {
  test('100 TWD: paid, refunded in part, 19-digit id', async () => {
    const sale = payRequest(10000, {}, 'TWD');
    const outcome = checkTrace(await twAdapter.pay(sale), 'oneTimeKeys/pay');
    assert.ok(outcome.kind === 'paid' && /^\d{19}$/.test(outcome.providerTxnId ?? ''), JSON.stringify(outcome));
    await assertLedger(sale.orderNo, { amount: 10000, currency: 'TWD', status: 'paid' });
    const refund = refundRequest(sale, `${sale.orderNo}R`, 4000);
    assert.deepEqual(checkTrace(await twAdapter.refund(refund), 'payments+orders/refund'), { kind: 'succeeded' });
    assert.deepEqual(checkTrace(await twAdapter.refundQuery(refund), 'payments'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 4000 });
  });

  test('whole TWD amounts select the test values by their whole amount: 151 TWD is 51 (1142), as 1.51 THB is', async () => {
    const sale = payRequest(15100, {}, 'TWD');
    const outcome = checkTrace(await twAdapter.pay(sale), 'oneTimeKeys/pay');
    assert.ok(outcome.kind === 'declined' && outcome.code === '1142', JSON.stringify(outcome));
    assert.equal(twAdapter.mapFailure(outcome.code), 'customer_insufficient_balance_failure');
    assert.equal(checkTrace(await twAdapter.pay(payRequest(15000, {}, 'TWD')), 'oneTimeKeys/pay').kind, 'paid');
  });

  test('a TWD amount with cents is declined (2101) before any call, never rounded', async () => {
    const sale = payRequest(10051, {}, 'TWD');
    const result = await twAdapter.pay(sale);
    const outcome = checkTrace(result, 'oneTimeKeys/pay');
    assert.ok(outcome.kind === 'declined' && outcome.code === '2101' && /whole TWD/.test(outcome.message), JSON.stringify(outcome));
    assert.deepEqual([result.trace.httpStatus, result.trace.code], [null, '2101']);
    assert.equal(await ledgerEntry(sale.orderNo), undefined);

    const paid = payRequest(20000, {}, 'TWD');
    assert.equal(checkTrace(await twAdapter.pay(paid), 'oneTimeKeys/pay').kind, 'paid');
    const refund = checkTrace(await twAdapter.refund(refundRequest(paid, `${paid.orderNo}R`, 150)), 'orders/refund');
    assert.ok(refund.kind === 'declined' && refund.code === '2101', JSON.stringify(refund));
    await assertLedger(paid.orderNo, { status: 'paid', refunded_amount: 0 });
  });
});

// ------------------------------------------------------------------ check and reverse

describe('check and reverse', () => {
  test('query of an unknown order is not_paid (1150)', async () => {
    const result = await adapter.query(newOrderNo());
    assert.deepEqual(checkTrace(result, 'orders/check'), { kind: 'not_paid' });
    assert.equal(result.trace.code, '1150');
  });

  test('reverse of a paid order refunds it in full (LINE Pay voids only uncaptured payments); repeating it is safe', async () => {
    const sale = payRequest(2000);
    assert.equal(checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay').kind, 'paid');
    const result = await adapter.reverse(sale.orderNo);
    assert.deepEqual(checkTrace(result, 'orders/check+orders/refund'), { kind: 'reversed' });
    assert.equal(result.trace.code, '0000');
    await assertLedger(sale.orderNo, { status: 'refunded', refunded_amount: 2000 });
    // Again (as after a lost answer): the check says REFUND, the refund answers 1165, the order is reversed.
    const again = await adapter.reverse(sale.orderNo);
    assert.deepEqual(checkTrace(again, 'orders/check+orders/refund'), { kind: 'reversed' });
    assert.equal(again.trace.code, '1165');
    await assertLedger(sale.orderNo, { status: 'refunded', refunded_amount: 2000 });
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'orders/check').kind, 'paid', 'REFUND: the sale itself was paid');
  });

  test('reverse of a partially refunded order refunds the rest', async () => {
    const sale = payRequest(3000);
    assert.equal(checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay').kind, 'paid');
    assert.equal(checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R`, 1000)), 'payments+orders/refund').kind, 'succeeded');
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'orders/check+orders/refund'), { kind: 'reversed' });
    await assertLedger(sale.orderNo, { status: 'refunded', refunded_amount: 3000 });
  });

  test('reverse of a pending order voids it; it never confirms afterwards', async () => {
    const sale = payRequest(2053);
    assert.equal(checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay').kind, 'awaiting_customer');
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'orders/check+orders/void'), { kind: 'reversed' });
    await wait(CONFIRM_DELAY_MS + 100);
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orders/check'), { kind: 'closed', code: 'FAIL' });
    await assertLedger(sale.orderNo, { status: 'reversed', refunded_amount: 0 });
  });

  test('reverse of a failed order needs no second call', async () => {
    const sale = payRequest(451);
    assert.equal(checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay').kind, 'declined');
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'orders/check'), { kind: 'reversed' });
    await assertLedger(sale.orderNo, { status: 'closed' });
  });

  test('reverse of an order never seen leaves a tombstone that refuses a late pay', async () => {
    const sale = payRequest(1000);
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'orders/check+orders/void'), { kind: 'reversed' });
    await assertLedger(sale.orderNo, { status: 'reversed', amount: 0 });
    const late = checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay');
    assert.ok(late.kind === 'unknown' && late.code === '1172', JSON.stringify(late));
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orders/check'), { kind: 'closed', code: 'FAIL' });
    await assertLedger(sale.orderNo, { status: 'reversed', amount: 0 });
  });
});

// ------------------------------------------------------------------ refunds

describe('refund and refundQuery', () => {
  test('partial refund, re-sent without refunding twice, over-refund, then the rest', async () => {
    const sale = payRequest(10000);
    assert.equal(checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay').kind, 'paid');

    const first = refundRequest(sale, `${sale.orderNo}R1`, 3050);
    assert.deepEqual(checkTrace(await adapter.refund(first), 'payments+orders/refund'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 3050 });
    assert.deepEqual(checkTrace(await adapter.refundQuery(first), 'payments'), { kind: 'succeeded' });

    // Re-sent (its answer was lost): found in the order's refundList, not sent again.
    assert.deepEqual(checkTrace(await adapter.refund(first), 'payments'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 3050 });
    assert.equal(sim.ledger.refundsOf('linepay', sale.orderNo).length, 1);

    const tooMuch = refundRequest(sale, `${sale.orderNo}R2`, 6951);
    const over = checkTrace(await adapter.refund(tooMuch), 'payments+orders/refund');
    assert.ok(over.kind === 'declined' && over.code === '1164', JSON.stringify(over));
    assert.equal(adapter.mapFailure(over.code), 'refund_exceeds_sale_amount_failure');
    assert.deepEqual(checkTrace(await adapter.refundQuery(tooMuch), 'payments'), { kind: 'not_found' });

    const rest = refundRequest(sale, `${sale.orderNo}R3`, 6950);
    assert.deepEqual(checkTrace(await adapter.refund(rest), 'payments+orders/refund'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'refunded', refunded_amount: 10000 });
    assert.deepEqual(checkTrace(await adapter.refundQuery(rest), 'payments'), { kind: 'succeeded' });
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'orders/check').kind, 'paid');

    const more = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R4`, 1)), 'payments+orders/refund');
    assert.ok(more.kind === 'declined' && more.code === '1165', JSON.stringify(more));
  });

  test('a full refund at once', async () => {
    const sale = payRequest(4500);
    assert.equal(checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay').kind, 'paid');
    const full = refundRequest(sale, `${sale.orderNo}R`, 4500);
    assert.deepEqual(checkTrace(await adapter.refund(full), 'payments+orders/refund'), { kind: 'succeeded' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(full), 'payments'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'refunded', refunded_amount: 4500 });
  });

  test('refund of an unknown order is declined (1150); refundQuery says not_found', async () => {
    const ghost = payRequest(1000);
    const refund = checkTrace(await adapter.refund(refundRequest(ghost, `${ghost.orderNo}R`, 100)), 'payments+orders/refund');
    assert.ok(refund.kind === 'declined' && refund.code === '1150', JSON.stringify(refund));
    assert.equal(adapter.mapFailure(refund.code), 'sale_not_found_failure');
    assert.deepEqual(checkTrace(await adapter.refundQuery(refundRequest(ghost, `${ghost.orderNo}R`, 100)), 'payments'), { kind: 'not_found' });
  });

  test('refund of an order that was never paid is declined (1155)', async () => {
    const unpaid = payRequest(461);
    assert.equal(checkTrace(await adapter.pay(unpaid), 'oneTimeKeys/pay').kind, 'unknown');
    const refund = checkTrace(await adapter.refund(refundRequest(unpaid, `${unpaid.orderNo}R`, 100)), 'payments+orders/refund');
    assert.ok(refund.kind === 'declined' && refund.code === '1155', JSON.stringify(refund));
    await assertLedger(unpaid.orderNo, { status: 'unpaid', refunded_amount: 0 });
  });
});

// ------------------------------------------------------------------ authentication and wire format

describe('authentication and wire format', () => {
  test('a wrong channel secret: LINE Pay refuses (1106, HTTP 200) — pay and query are rejected, nothing recorded', async () => {
    const wrong: LinePayCredentials = { ...LINEPAY_SANDBOX_CREDENTIALS, channelSecret: 'wrongwrongwrongwrongwrongwrong32' };
    const impostor = withOptions({ credentials: wrong });
    const sale = payRequest(1000);
    const result = await impostor.pay(sale);
    const outcome = checkTrace(result, 'oneTimeKeys/pay', [wrong.channelSecret]);
    assert.ok(outcome.kind === 'rejected' && outcome.code === '1106', JSON.stringify(outcome));
    assert.equal(result.trace.httpStatus, 200);
    assert.equal(result.trace.code, '1106');
    assert.equal(impostor.mapFailure(outcome.code), 'unknown_failure');
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
    assert.equal(checkTrace(await impostor.query(sale.orderNo), 'orders/check', [wrong.channelSecret]).kind, 'rejected');
    const v2Impostor = withOptions({ credentials: { ...V2_CHANNEL, channelSecret: wrong.channelSecret } });
    const v2 = checkTrace(await v2Impostor.pay(payRequest(1000)), 'oneTimeKeys/pay', [wrong.channelSecret]);
    assert.ok(v2.kind === 'rejected' && v2.code === '1106', JSON.stringify(v2));
  });

  test('v4: every request carries a fresh UUID nonce and a signature over path + body|query', async () => {
    const exchanges: Exchange[] = [];
    const spied = withOptions({ fetch: spyFetch(exchanges) });
    const sale = payRequest(2000);
    assert.equal(checkTrace(await spied.pay(sale), 'oneTimeKeys/pay').kind, 'paid');
    assert.equal(checkTrace(await spied.refund(refundRequest(sale, 'R', 500)), 'payments+orders/refund').kind, 'succeeded');
    assert.equal(checkTrace(await spied.query(sale.orderNo), 'orders/check').kind, 'paid');
    assert.equal(exchanges.length, 4);
    const secret = LINEPAY_SANDBOX_CREDENTIALS.channelSecret;
    const nonces = new Set<string>();
    for (const exchange of exchanges) {
      const url = new URL(exchange.url);
      const path = url.pathname.slice('/_sim/linepay'.length);
      const payload = exchange.method === 'GET' ? url.search.slice(1) : exchange.body;
      const nonce = exchange.headers.get('x-line-authorization-nonce') ?? '';
      assert.match(nonce, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      nonces.add(nonce);
      const expected = createHmac('sha256', secret)
        .update(secret + path + payload + nonce)
        .digest('base64');
      assert.equal(exchange.headers.get('x-line-authorization'), expected, `${exchange.method} ${path}`);
      assert.equal(exchange.headers.get('x-line-channelid'), LINEPAY_SANDBOX_CREDENTIALS.channelId);
      assert.equal(exchange.headers.get('x-line-channelsecret'), null);
      assert.ok(!JSON.stringify([...exchange.headers]).includes(secret), 'the secret itself never travels with v4');
    }
    assert.equal(nonces.size, exchanges.length);
    assert.deepEqual(
      exchanges.map((exchange) => `${exchange.method} ${new URL(exchange.url).pathname.slice('/_sim/linepay'.length)}${new URL(exchange.url).search}`),
      [
        'POST /v4/payments/oneTimeKeys/pay',
        `GET /v4/payments?orderId=${sale.orderNo}`,
        `POST /v4/payments/orders/${sale.orderNo}/refund`,
        `GET /v4/payments/orders/${sale.orderNo}/check`,
      ],
    );
  });

  test('v2 headers: a v2 channel works end to end', async () => {
    const exchanges: Exchange[] = [];
    const v2 = withOptions({ credentials: V2_CHANNEL, fetch: spyFetch(exchanges) });
    const sale = payRequest(3000);
    assert.equal(checkTrace(await v2.pay(sale), 'oneTimeKeys/pay').kind, 'paid');
    assert.equal(checkTrace(await v2.query(sale.orderNo), 'orders/check').kind, 'paid');
    const refund = refundRequest(sale, 'R', 3000);
    assert.deepEqual(checkTrace(await v2.refund(refund), 'payments+orders/refund'), { kind: 'succeeded' });
    assert.deepEqual(checkTrace(await v2.refundQuery(refund), 'payments'), { kind: 'succeeded' });
    for (const exchange of exchanges) {
      assert.equal(exchange.headers.get('x-line-channelid'), V2_CHANNEL.channelId);
      assert.equal(exchange.headers.get('x-line-channelsecret'), V2_CHANNEL.channelSecret);
      assert.equal(exchange.headers.get('x-line-authorization'), null);
      assert.match(new URL(exchange.url).pathname, /^\/_sim\/linepay\/v2\/payments/);
    }
    const body: unknown = JSON.parse(exchanges[0]?.body ?? '');
    assert.deepEqual(body, { productName: sale.description, amount: 30, currency: 'THB', orderId: sale.orderNo, oneTimeKey: TH_KEY, capture: true });
    await assertLedger(sale.orderNo, { status: 'refunded', refunded_amount: 3000 });
  });

  test('the 19-digit transactionId travels as a bare JSON number and arrives exactly', async () => {
    const exchanges: Exchange[] = [];
    const spied = withOptions({ fetch: spyFetch(exchanges) });
    const sale = payRequest(1200);
    const outcome = checkTrace(await spied.pay(sale), 'oneTimeKeys/pay');
    const stored = sim.ledger.findOrder('linepay', sale.orderNo)?.providerTxnId ?? '';
    assert.match(stored, /^\d{19}$/);
    assert.ok(!Number.isSafeInteger(Number(stored)), 'the id is beyond what a JS number holds');
    assert.ok(exchanges[0]?.answer.includes(`"transactionId":${stored},`), exchanges[0]?.answer);
    assert.deepEqual(outcome, { kind: 'paid', providerTxnId: stored });

    await spied.refund(refundRequest(sale, 'R', 200));
    const refundAnswer = exchanges[2]?.answer ?? '';
    const refundId = sim.ledger.refundsOf('linepay', sale.orderNo)[0]?.providerRefundId ?? '';
    assert.match(refundId, /^\d{19}$/);
    assert.ok(refundAnswer.includes(`"refundTransactionId":${refundId},`), refundAnswer);
    await spied.refundQuery(refundRequest(sale, 'R', 200));
    assert.ok(exchanges[3]?.answer.includes(`"transactionId":${stored},`) && exchanges[3].answer.includes(`"refundTransactionId":${refundId},`));
  });

  test('wire format (v4): amounts are JSON numbers in major units (10053 THB → 100.53), one package of one product', async () => {
    const exchanges: Exchange[] = [];
    const spied = withOptions({ fetch: spyFetch(exchanges) });
    const sale = payRequest(10053, { description: `Coffee\nand cake ${'x'.repeat(5000)}` });
    // 53: the customer confirms later; the body is what counts here.
    assert.equal(checkTrace(await spied.pay(sale), 'oneTimeKeys/pay').kind, 'awaiting_customer');
    const pay = exchanges[0];
    assert.ok(pay !== undefined);
    assert.equal(pay.method, 'POST');
    assert.match(pay.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(pay.body, /"amount":100\.53[,}]/);
    const body: unknown = JSON.parse(pay.body);
    assert.ok(typeof body === 'object' && body !== null);
    const name = `Coffee and cake ${'x'.repeat(4000 - 'Coffee and cake '.length)}`;
    assert.deepEqual(body, {
      amount: 100.53,
      currency: 'THB',
      orderId: sale.orderNo,
      oneTimeKey: TH_KEY,
      packages: [{ id: '1', amount: 100.53, products: [{ name, quantity: 1, price: 100.53 }] }],
    });

    const twExchanges: Exchange[] = [];
    const twSpied = withOptions({ region: 'TW', fetch: spyFetch(twExchanges) });
    const twSale = payRequest(12300, {}, 'TWD');
    await twSpied.pay(twSale);
    assert.match(twExchanges[0]?.body ?? '', /"amount":123,"currency":"TWD"/);
    await twSpied.refund(refundRequest(twSale, 'R', 2300));
    assert.equal(twExchanges[2]?.body, '{"refundAmount":23}');

    const paid = payRequest(20000);
    await spied.pay(paid);
    await spied.refund(refundRequest(paid, 'R', 3050));
    assert.equal(exchanges.at(-1)?.body, '{"refundAmount":30.5}');
  });
});

// ------------------------------------------------------------------ transport failures

describe('transport failures and odd answers are unknown, never declines', () => {
  const answering =
    (status: number, body: string): typeof fetch =>
    async () =>
      new Response(body, { status });
  const withFetch = (fetchImpl: typeof fetch): PosAdapter => withOptions({ fetch: fetchImpl });

  test('connection refused', async () => {
    const closed = createLinePayAdapter({ baseUrl: 'http://127.0.0.1:1', credentials: LINEPAY_SANDBOX_CREDENTIALS, region: 'TH', timeoutMs: CALL_TIMEOUT_MS });
    const result = await closed.pay(payRequest(1000));
    assert.equal(checkTrace(result, 'oneTimeKeys/pay').kind, 'unknown');
    assert.equal(result.trace.httpStatus, null);
  });

  test('timeouts on check, refund lookup and refundQuery', async () => {
    const stuck = withOptions({ fetch: hangingFetch, timeoutMs: IMPATIENT_TIMEOUT_MS });
    const query = await stuck.query('X1');
    assert.equal(checkTrace(query, 'orders/check').kind, 'unknown');
    assert.match(query.trace.message ?? '', new RegExp(`no answer within ${IMPATIENT_TIMEOUT_MS} ms`));
    assert.equal(checkTrace(await stuck.refund(refundRequest(payRequest(1000), 'R', 100)), 'payments').kind, 'unknown');
    assert.equal(checkTrace(await stuck.refundQuery(refundRequest(payRequest(1000), 'R', 100)), 'payments').kind, 'unknown');
    assert.equal(checkTrace(await stuck.reverse('X1'), 'orders/check').kind, 'unknown');
  });

  test('HTTP 500, even with a success body', async () => {
    const result = await withFetch(answering(500, '{"returnCode":"1142","returnMessage":"x"}')).pay(payRequest(1000));
    assert.equal(checkTrace(result, 'oneTimeKeys/pay').kind, 'unknown');
    assert.equal(result.trace.httpStatus, 500);
  });

  test('unparsable bodies and answers without a returnCode', async () => {
    for (const body of ['<html>Bad gateway</html>', '{"returnMessage":"no code"}', '[]', '{"returnCode":0}']) {
      assert.equal(checkTrace(await withFetch(answering(200, body)).pay(payRequest(1000)), 'oneTimeKeys/pay').kind, 'unknown', body);
    }
  });

  test('pay: success without a transactionId, or naming another order, is unknown; 1145 and 1198 are unknown', async () => {
    const bodies = [
      '{"returnCode":"0000","returnMessage":"OK","info":{}}',
      '{"returnCode":"0000","returnMessage":"OK","info":{"transactionId":2019049910005496810,"orderId":"SOMEONE_ELSE"}}',
      '{"returnCode":"1145","returnMessage":"payment in process"}',
      '{"returnCode":"1198","returnMessage":"request being processed"}',
    ];
    for (const body of bodies) {
      assert.equal(checkTrace(await withFetch(answering(200, body)).pay(payRequest(1000)), 'oneTimeKeys/pay').kind, 'unknown', body);
    }
  });

  test('check: 1145 is still waiting; an undocumented status is unknown', async () => {
    assert.deepEqual(checkTrace(await withFetch(answering(200, '{"returnCode":"1145","returnMessage":"in process"}')).query('X'), 'orders/check'), {
      kind: 'awaiting_customer',
    });
    const odd = await withFetch(answering(200, '{"returnCode":"0000","returnMessage":"OK","info":{"status":"AUTH_READY"}}')).query('X');
    assert.equal(checkTrace(odd, 'orders/check').kind, 'unknown');
  });

  test('reverse: a void refused because the customer confirmed meanwhile is declined (the next reverse refunds)', async () => {
    let calls = 0;
    const raced: typeof fetch = async () => {
      calls += 1;
      return new Response(calls === 1 ? '{"returnCode":"1169","returnMessage":"confirm"}' : '{"returnCode":"1179","returnMessage":"captured"}');
    };
    const outcome = checkTrace(await withFetch(raced).reverse('X'), 'orders/check+orders/void');
    assert.deepEqual(outcome, { kind: 'declined', code: '1179', message: 'captured' });
    assert.equal(adapter.mapFailure('1179'), 'void_not_allowed_failure');
  });

  test('a oneTimeKey echoed back by the provider never reaches the trace', async () => {
    const result = await withFetch(answering(200, `{"returnCode":"1180","returnMessage":"key ${TH_KEY} expired"}`)).pay(payRequest(1000));
    assert.equal(result.trace.message, 'key [redacted] expired');
    checkTrace(result, 'oneTimeKeys/pay');
  });
});

// ------------------------------------------------------------------ the simulator's own checks

describe('simulator: requests it refuses', () => {
  /** A correctly v2-authenticated raw request. */
  async function raw(method: 'GET' | 'POST', pathAndQuery: string, body?: string): Promise<{ returnCode: string }> {
    const response = await fetch(`${baseUrl}${pathAndQuery}`, {
      method,
      body,
      headers: { 'content-type': 'application/json', 'x-line-channelid': V2_CHANNEL.channelId, 'x-line-channelsecret': V2_CHANNEL.channelSecret },
    });
    assert.equal(response.status, 200);
    const answer: unknown = await response.json();
    assert.ok(typeof answer === 'object' && answer !== null && 'returnCode' in answer && typeof answer.returnCode === 'string');
    return { returnCode: answer.returnCode };
  }

  test('void of a captured payment (1179), bad JSON, capture=false and details without orderId (2101)', async () => {
    const sale = payRequest(1000);
    assert.equal(checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay').kind, 'paid');
    assert.equal((await raw('POST', `/v2/payments/orders/${sale.orderNo}/void`, '{}')).returnCode, '1179');
    assert.equal((await raw('POST', '/v2/payments/oneTimeKeys/pay', '{"amount":')).returnCode, '2101');
    const noCapture = JSON.stringify({ productName: 'x', amount: 10, currency: 'THB', orderId: newOrderNo(), oneTimeKey: TH_KEY, capture: false });
    assert.equal((await raw('POST', '/v2/payments/oneTimeKeys/pay', noCapture)).returnCode, '2101');
    assert.equal((await raw('GET', '/v2/payments')).returnCode, '2101');
    await assertLedger(sale.orderNo, { status: 'paid' });
  });

  test('no credentials: 1106 with HTTP 200, like LINE Pay', async () => {
    const response = await fetch(`${baseUrl}/v2/payments/orders/X/check`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const answer: unknown = await response.json();
    assert.ok(typeof answer === 'object' && answer !== null && 'returnCode' in answer && answer.returnCode === '1106', JSON.stringify(answer));
  });
});
