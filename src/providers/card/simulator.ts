/**
 * Card acquirer simulator in the style of Elavon Converge: the provider's side
 * of `processxml.do` (ccsale, ccreturn, ccvoid, txnquery), reading the form
 * field `xmldata` and answering XML. Register with `prefix: '/_sim/card'`.
 *
 * Outcomes follow docs/providers.md, "Simulator test values": test cards (4111111111111111,
 * 5555555555554444, 378282246310005 approve; 4000000000000002 declines;
 * 4000000000009995 has insufficient funds), any past expiry declines, CVC 000
 * is a CVV2 mismatch; then the amount test values that make sense for cards
 * (51, 55, 56, 57, 58, 59, 61). Every write is committed to the shared
 * SimulatorLedger before the answer is sent.
 *
 * Books: one sale per invoice number (the ledger's order number) with its
 * Converge record (masked card, times, codes) as JSON in `providerState`;
 * returns are ledger refunds keyed by their own invoice number. The
 * simulator runs as if the merchant had Converge's "Duplicate Transaction"
 * pre-processing rule on: a second sale or return with a used invoice number
 * is declined "Declined - Transaction previously authorized".
 */
import { randomInt, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsync } from 'fastify';
import { fromMajorUnitString, isCurrencyCode, money, type CurrencyCode, type Money } from '../../domain/money.js';
import { testValue } from '../../simulators/test-values.js';
import type { SimOrder, SimRefund, SimulatorLedger } from '../../simulators/ledger.js';
import { isAmex, isExpired, luhnValid } from './card.js';
import { CONVERGE_ERRORS, type ConvergeError } from './errors.js';
import { amountField, formatTxnTime, INVOICE_NUMBER_MAX_CHARS, parseSearchDate, SEARCH_WINDOW_MAX_DAYS, type CardCredentials } from './transformers.js';
import { assertNever } from '../../domain/assert-never.js';
import { buildTxnListXml, buildTxnXml, field, parseConvergeXml, type WireFields } from './xml.js';
import { daysBetween, settleListing, type ListedTxn } from './statement-simulator.js';

export interface CardSimulatorOptions {
  ledger: SimulatorLedger;
  accounts: CardCredentials[];
  now?: () => number;
  /** How late the answer to a test-value-56 sale comes. */
  slowResponseMs?: number;
}

const PROVIDER = 'card';
const DAY_MS = 86_400_000;
const DUPLICATE = 'Declined - Transaction previously authorized';
/** Not in the sources found with a code; the message is Converge's, verbatim from a client's test. */
const BAD_SEARCH_DATES: ConvergeError = {
  code: '4009',
  name: 'Invalid Search Dates',
  message: 'Search dates must be formatted as MM/DD/YYYY, the end date must be greater than the start date and the range cannot be greater than 31 days.',
};

/** Amount test values (last two digits of the minor-unit amount) that mean something for cards. */
type SaleBehaviour =
  | 'approve'
  | 'insufficient_funds'
  | 'system_error_paid'
  | 'slow_answer_paid'
  | 'card_not_allowed'
  | 'merchant_not_allowed'
  | 'refund_refused'
  | 'system_error_unpaid';

function behaviourFor(amount: number): SaleBehaviour {
  switch (testValue(amount)) {
    case 51:
      return 'insufficient_funds';
    case 55:
      return 'system_error_paid';
    case 56:
      return 'slow_answer_paid';
    case 57:
      return 'card_not_allowed';
    case 58:
      return 'merchant_not_allowed';
    case 59:
      return 'refund_refused';
    case 61:
      return 'system_error_unpaid';
    default:
      return 'approve';
  }
}

/** What Converge remembers of a sale (only masked card data), kept as the ledger order's providerState. */
interface SaleRecord {
  readonly time: number;
  readonly invoice: string;
  readonly type: 'SALE' | 'VOID';
  readonly message: string;
  readonly approval: string;
  readonly cvv2: string;
  readonly avs: string;
  readonly masked: string;
  readonly brand: string;
  readonly exp: string;
  readonly first: string;
  readonly last: string;
}

type Answer = { readonly txn: WireFields } | { readonly list: readonly WireFields[] } | { readonly error: ConvergeError };

const txn = (fields: WireFields): Answer => ({ txn: fields });
const error = (converge: ConvergeError): Answer => ({ error: converge });

export function cardSimulator(options: CardSimulatorOptions): FastifyPluginAsync {
  const { ledger } = options;
  const now = options.now ?? Date.now;
  const slowResponseMs = options.slowResponseMs ?? 2_000;

  async function sale(request: WireFields, account: CardCredentials): Promise<Answer> {
    // Without ssl_transaction_currency a sale is in the account's own currency (single-currency terminals send none).
    const currencyText = field(request, 'ssl_transaction_currency') ?? account.currency;
    if (!isCurrencyCode(currencyText)) return error(CONVERGE_ERRORS.requiredField);
    const amount = parseAmount(field(request, 'ssl_amount'), currencyText);
    const number = field(request, 'ssl_card_number') ?? '';
    const exp = field(request, 'ssl_exp_date') ?? '';
    const cvv = field(request, 'ssl_cvv2cvc2') ?? '';
    const indicator = field(request, 'ssl_cvv2cvc2_indicator') ?? '';
    const invoice = field(request, 'ssl_invoice_number') ?? '';
    const first = field(request, 'ssl_first_name') ?? '';
    const last = field(request, 'ssl_last_name') ?? '';
    if (amount === 'missing' || number === '' || exp === '') return error(CONVERGE_ERRORS.requiredField);
    if (amount === 'invalid') return error(CONVERGE_ERRORS.amountInvalid);
    if (!/^\d{12,19}$/.test(number) || !luhnValid(number)) return error(CONVERGE_ERRORS.cardNumberInvalid);
    if (!/^(0[1-9]|1[0-2])\d{2}$/.test(exp)) return error(CONVERGE_ERRORS.expDateInvalid);
    if (cvv !== '' && indicator !== '1') return error(CONVERGE_ERRORS.cvv2NotRequested);
    if (cvv === '' && indicator === '1') return error(CONVERGE_ERRORS.cvv2NoData);
    if (cvv !== '' && !/^\d{3,4}$/.test(cvv)) return error(CONVERGE_ERRORS.cvv2Invalid);
    if (invoice.length > INVOICE_NUMBER_MAX_CHARS || Array.from(first).length > 20 || Array.from(last).length > 30) {
      return error(CONVERGE_ERRORS.fieldTooLong);
    }

    const behaviour = behaviourFor(amount.amount);
    // Refused before any authorisation: nothing is recorded.
    if (behaviour === 'merchant_not_allowed') return error(CONVERGE_ERRORS.permissionDenied);
    if (behaviour === 'system_error_unpaid') return error(CONVERGE_ERRORS.gatewayNotResponding);

    const time = now();
    const txnId = simTxnId(time);
    if (invoice !== '' && ledger.findOrder(PROVIDER, invoice) !== null)
      return txn({ ssl_result: '1', ssl_result_message: DUPLICATE, ssl_txn_time: formatTxnTime(time) });

    const decline = issuerDecline(number, exp, cvv, behaviour, time);
    const record: SaleRecord = {
      time,
      invoice,
      type: 'SALE',
      message: decline?.message ?? 'APPROVAL',
      approval: decline === null ? String(randomInt(100_000, 1_000_000)) : '',
      cvv2: cvv === '' ? '' : cvv === '000' ? 'N' : 'M',
      avs: field(request, 'ssl_avs_zip') ? 'Z' : '',
      masked: convergeMask(number),
      brand: brandOf(number),
      exp,
      first,
      last,
    };
    const order = ledger.insertOrder({
      provider: PROVIDER,
      orderNo: invoice === '' ? txnId : invoice,
      amount: amount.amount,
      currency: amount.currency,
      status: decline === null ? 'paid' : 'closed',
      providerTxnId: txnId,
      behaviour,
      providerState: JSON.stringify(record),
    });
    const answer = { ...saleFields(order, record), ssl_result: decline === null ? '0' : '1' };
    if (decline !== null) return txn(answer);
    switch (behaviour) {
      case 'system_error_paid':
        return error(CONVERGE_ERRORS.gatewayNotResponding); // the sale stands; only the answer is lost
      case 'slow_answer_paid':
        await sleep(slowResponseMs);
        return txn(answer);
      case 'approve':
      case 'refund_refused':
      case 'insufficient_funds':
      case 'card_not_allowed':
        return txn(answer);
      default:
        return assertNever(behaviour);
    }
  }

  function ccreturn(request: WireFields): Answer {
    const found = findSaleByTxnId(field(request, 'ssl_txn_id') ?? '');
    if (found === null || found.order.status === 'closed' || found.order.status === 'reversed') return error(CONVERGE_ERRORS.invalidTransactionId);
    const { order, record } = found;
    const remaining = order.amount - order.refundedAmount;
    const invoice = field(request, 'ssl_invoice_number') ?? '';
    if (invoice.length > INVOICE_NUMBER_MAX_CHARS) return error(CONVERGE_ERRORS.fieldTooLong);
    // ssl_amount is optional: without it the return is for what is left of the sale.
    const amountText = field(request, 'ssl_amount') ?? '';
    const parsed = amountText.trim() === '' ? null : parseAmount(amountText, currencyOf(order));
    if (parsed === 'missing' || parsed === 'invalid') return error(CONVERGE_ERRORS.amountInvalid);
    if (order.behaviour === 'refund_refused') return error(CONVERGE_ERRORS.notPermitted);
    const refundAmount = parsed === null ? remaining : parsed.amount;
    if (refundAmount <= 0 || refundAmount > remaining) return error(CONVERGE_ERRORS.refundExceedsSale);
    const time = now();
    if (invoice !== '' && ledger.findRefund(PROVIDER, invoice) !== null)
      return txn({ ssl_result: '1', ssl_result_message: DUPLICATE, ssl_txn_time: formatTxnTime(time) });

    const txnId = simTxnId(time);
    const refund = ledger.transaction(() => {
      const refundedAmount = order.refundedAmount + refundAmount;
      ledger.updateOrder(PROVIDER, order.orderNo, { refundedAmount, status: refundedAmount >= order.amount ? 'refunded' : 'partially_refunded' });
      return ledger.insertRefund({
        provider: PROVIDER,
        refundNo: invoice === '' ? txnId : invoice,
        orderNo: order.orderNo,
        amount: refundAmount,
        currency: order.currency,
        status: 'succeeded',
        providerRefundId: txnId,
      });
    });
    return txn({ ...returnFields(refund, order, record), ssl_result: '0' });
  }

  function ccvoid(request: WireFields): Answer {
    const found = findSaleByTxnId(field(request, 'ssl_txn_id') ?? '');
    if (found === null || found.order.status !== 'paid') return error(CONVERGE_ERRORS.invalidTransactionId);
    const record: SaleRecord = { ...found.record, type: 'VOID' };
    const order = ledger.updateOrder(PROVIDER, found.order.orderNo, { status: 'reversed', providerState: JSON.stringify(record) });
    return txn({ ...saleFields(order, record), ssl_result: '0', ssl_result_message: 'APPROVAL' });
  }

  function txnquery(request: WireFields, account: CardCredentials): Answer {
    const startMs = parseSearchDate(field(request, 'ssl_search_start_date') ?? '');
    const endMs = parseSearchDate(field(request, 'ssl_search_end_date') ?? '');
    // Settled batches (and the statement differences planted in them) show in every listing.
    const searchDays = startMs !== null && endMs !== null ? daysBetween(startMs, endMs) : [];
    const all = settleListing(everyTransaction(account), ledger, now(), searchDays, listFields(account));
    const txnId = field(request, 'ssl_txn_id') ?? '';
    if (txnId !== '') return { list: all.filter((entry) => entry.fields['ssl_txn_id'] === txnId).map((entry) => entry.fields) };
    const startText = field(request, 'ssl_search_start_date') ?? '';
    const endText = field(request, 'ssl_search_end_date') ?? '';
    if (startText === '' || endText === '') return error(CONVERGE_ERRORS.requiredField);
    const start = parseSearchDate(startText);
    const end = parseSearchDate(endText);
    if (start === null || end === null || end <= start || end - start > SEARCH_WINDOW_MAX_DAYS * DAY_MS) return error(BAD_SEARCH_DATES);
    // Both dates are whole days, the end day included; newest first, as Converge lists them.
    return {
      list: all
        .filter((entry) => entry.time >= start && entry.time < end + DAY_MS)
        .sort((a, b) => b.time - a.time)
        .map((entry) => entry.fields),
    };
  }

  /** Every sale and return the simulator holds, as txnquery lists them. */
  function everyTransaction(account: CardCredentials): ListedTxn[] {
    const entries: ListedTxn[] = [];
    for (const { provider, order_no: orderNo } of ledger.entries()) {
      if (provider !== PROVIDER) continue;
      const order = ledger.findOrder(PROVIDER, orderNo);
      const record = order === null ? null : readRecord(order);
      if (order === null || record === null) continue;
      entries.push({
        time: record.time,
        orderNo,
        fields: { ...listFields(account), ...saleFields(order, record), ssl_trans_status: order.status === 'closed' ? '' : 'OPN' },
      });
      for (const refund of ledger.refundsOf(PROVIDER, orderNo)) {
        entries.push({
          time: timeOfTxnId(refund.providerRefundId),
          orderNo,
          fields: { ...listFields(account), ...returnFields(refund, order, record), ssl_trans_status: 'OPN' },
        });
      }
    }
    return entries;
  }

  function findSaleByTxnId(txnId: string): { order: SimOrder; record: SaleRecord } | null {
    if (txnId === '') return null;
    for (const { provider, order_no: orderNo } of ledger.entries()) {
      if (provider !== PROVIDER) continue;
      const order = ledger.findOrder(PROVIDER, orderNo);
      const record = order === null ? null : readRecord(order);
      if (order !== null && record !== null && order.providerTxnId === txnId) return { order, record };
    }
    return null;
  }

  async function handle(request: WireFields): Promise<Answer> {
    const account = authenticate(request, options.accounts);
    if ('error' in account) return account;
    const type = (field(request, 'ssl_transaction_type') ?? '').toLowerCase();
    switch (type) {
      case 'ccsale':
        return sale(request, account);
      case 'ccreturn':
        return ccreturn(request);
      case 'ccvoid':
        return ccvoid(request);
      case 'txnquery':
        return txnquery(request, account);
      default:
        return error(CONVERGE_ERRORS.invalidTransactionType);
    }
  }

  return async (app) => {
    // Converge reads `xmldata` from a form post. The simulator reads raw form bodies: within this
    // (encapsulated) plugin, replace any parser the host server set for forms.
    if (app.hasContentTypeParser('application/x-www-form-urlencoded')) app.removeContentTypeParser('application/x-www-form-urlencoded');
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    app.post('/processxml.do', async (request, reply) => {
      const xmldata = xmlDataOf(request.body);
      let answer: Answer;
      try {
        const parsed = xmldata === null ? null : parseConvergeXml(xmldata);
        answer = parsed === null || parsed.kind !== 'txn' ? error(CONVERGE_ERRORS.invalidRequestFormat) : await handle(parsed.fields);
      } catch {
        answer = error(CONVERGE_ERRORS.invalidRequestFormat);
      }
      const xml =
        'list' in answer
          ? buildTxnListXml(answer.list)
          : 'error' in answer
            ? buildTxnXml({ errorCode: answer.error.code, errorName: answer.error.name, errorMessage: answer.error.message })
            : buildTxnXml(answer.txn);
      return reply.code(200).type('application/xml; charset=utf-8').send(`<?xml version="1.0" encoding="UTF-8"?>${xml}`);
    });
  };
}

function authenticate(request: WireFields, accounts: readonly CardCredentials[]): CardCredentials | { error: ConvergeError } {
  const merchantId = field(request, 'ssl_merchant_id') ?? '';
  const userId = field(request, 'ssl_user_id') ?? '';
  const pin = field(request, 'ssl_pin') ?? '';
  if (merchantId === '') return { error: CONVERGE_ERRORS.vidNotSupplied };
  if (userId === '') return { error: CONVERGE_ERRORS.userIdNotSupplied };
  if (pin === '') return { error: CONVERGE_ERRORS.pinNotSupplied };
  const account = accounts.find((candidate) => candidate.merchantId === merchantId && candidate.userId === userId && candidate.pin === pin);
  return account ?? { error: CONVERGE_ERRORS.invalidCredentials };
}

/** Card, expiry and CVV2 outcomes first (the card's own), then the amount test values that are declines. */
function issuerDecline(number: string, exp: string, cvv: string, behaviour: SaleBehaviour, nowMs: number): { message: string } | null {
  if (isExpired(exp, nowMs)) return { message: 'EXPIRED CARD' };
  if (number === '4000000000000002') return { message: 'DECLINED' };
  if (number === '4000000000009995' || behaviour === 'insufficient_funds') return { message: 'INSUFFICIENT FUNDS' };
  if (cvv === '000') return { message: 'DECLINED CVV2' };
  if (behaviour === 'card_not_allowed') return { message: 'SERV NOT ALLOWED' };
  return null;
}

function saleFields(order: SimOrder, record: SaleRecord): Record<string, string> {
  return {
    ssl_txn_id: order.providerTxnId ?? '',
    ssl_transaction_type: record.type,
    ssl_card_type: 'CREDITCARD',
    ssl_card_short_description: record.brand,
    ssl_card_number: record.masked,
    ssl_exp_date: record.exp,
    ssl_amount: amountField(moneyOf(order, order.amount)),
    ssl_transaction_currency: order.currency,
    ssl_invoice_number: record.invoice,
    ssl_first_name: record.first,
    ssl_last_name: record.last,
    ssl_result_message: record.message,
    ssl_approval_code: record.approval,
    ssl_cvv2_response: record.cvv2,
    ssl_avs_response: record.avs,
    ssl_txn_time: formatTxnTime(record.time),
    ssl_entry_mode: 'K',
  };
}

function returnFields(refund: SimRefund, order: SimOrder, record: SaleRecord): Record<string, string> {
  return {
    ssl_txn_id: refund.providerRefundId,
    ssl_transaction_type: 'RETURN',
    ssl_card_type: 'CREDITCARD',
    ssl_card_short_description: record.brand,
    ssl_card_number: record.masked,
    ssl_exp_date: record.exp,
    ssl_amount: amountField(moneyOf(order, refund.amount)),
    ssl_transaction_currency: refund.currency,
    ssl_invoice_number: refund.refundNo === refund.providerRefundId ? '' : refund.refundNo,
    ssl_result_message: 'APPROVAL',
    ssl_txn_time: formatTxnTime(timeOfTxnId(refund.providerRefundId)),
    ssl_entry_mode: 'K',
  };
}

function listFields(account: CardCredentials): Record<string, string> {
  return { ssl_user_id: account.userId };
}

function readRecord(order: SimOrder): SaleRecord | null {
  try {
    const parsed: unknown = JSON.parse(order.providerState ?? '');
    return typeof parsed === 'object' && parsed !== null && 'time' in parsed ? (parsed as SaleRecord) : null;
  } catch {
    return null;
  }
}

function currencyOf(order: SimOrder): CurrencyCode {
  if (!isCurrencyCode(order.currency)) throw new Error(`simulator order ${order.orderNo} has currency ${order.currency}`);
  return order.currency;
}

function moneyOf(order: SimOrder, amount: number): Money {
  return money(amount, currencyOf(order));
}

function parseAmount(text: string | undefined, currency: CurrencyCode): Money | 'missing' | 'invalid' {
  if (text === undefined || text.trim() === '') return 'missing';
  try {
    const value = fromMajorUnitString(text.trim(), currency);
    return value.amount > 0 ? value : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** Converge masks as first two, asterisks, last four: 41**********1111. */
function convergeMask(number: string): string {
  return `${number.slice(0, 2)}${'*'.repeat(number.length - 6)}${number.slice(-4)}`;
}

function brandOf(number: string): string {
  if (isAmex(number)) return 'AMEX';
  if (number.startsWith('4')) return 'VISA';
  if (/^(5[1-5]|2[2-7])/.test(number)) return 'MC';
  return 'CREDITCARD';
}

/**
 * Converge ids start with the day (DDMMYY), e.g. 180820AD3-27AEE6EF-…; ours
 * carry the epoch time too, so a return's time can be read back from its id.
 */
function simTxnId(ms: number): string {
  const date = new Date(ms);
  const day = `${String(date.getUTCDate()).padStart(2, '0')}${String(date.getUTCMonth() + 1).padStart(2, '0')}${String(date.getUTCFullYear() % 100).padStart(2, '0')}`;
  return `${day}C${ms.toString(36).toUpperCase()}-${randomUUID().toUpperCase()}`;
}

function timeOfTxnId(txnId: string): number {
  const head = txnId.split('-')[0] ?? '';
  const time = parseInt(head.slice(7), 36);
  return Number.isSafeInteger(time) ? time : 0;
}

function xmlDataOf(body: unknown): string | null {
  if (typeof body === 'string') return new URLSearchParams(body).get('xmldata');
  if (typeof body === 'object' && body !== null && 'xmldata' in body) {
    const value: unknown = body.xmldata;
    return typeof value === 'string' ? value : null;
  }
  return null;
}
