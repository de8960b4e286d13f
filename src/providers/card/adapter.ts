/**
 * Card acquirer adapter in the style of Elavon Converge: HTTP plumbing around
 * the pure transformers. Every call POSTs `xmldata=<txn>…</txn>` to
 * `processxml.do` (ActiveMerchant elavon.rb; Converge "XML API"). Card data
 * travels in the POST body only, never in a URL.
 *
 * Anything that leaves CanCan unsure whether money moved — timeout,
 * connection error, non-2xx, unparsable body, a 3xxx gateway error, a
 * duplicate-sale decline — is `unknown`, never a decline.
 *
 * Converge has no idempotency key, so:
 * - sale: never resend after `unknown`; `query(orderNo)` first. It finds the
 *   sale by its `ssl_invoice_number` (our order number) in a txnquery date
 *   range search, since txnquery cannot search by invoice number.
 * - refund: `ccreturn` needs the sale's `ssl_txn_id`, so the adapter searches
 *   first; the same search shows whether a return carrying this refund
 *   number (as its `ssl_invoice_number`) already exists, in which case that
 *   return is the answer and nothing is sent again.
 *
 * The card number, CVC and PIN are redacted from every trace, even if an
 * answer or a transport error echoed them.
 */
import { performance } from 'node:perf_hooks';
import { describeCallError } from '../call-errors.js';
import { providerFetch, type ProviderFetch } from '../http-client.js';
import type { CardAdapter, ProviderTrace, RefundOutcome, Traced } from '../contract.js';
import { mapCardFailure, SALE_NOT_FOUND } from './errors.js';
import {
  cardCurrencyRule,
  existingReturnOutcome,
  findApprovedSale,
  findReturn,
  returnFields,
  saleFields,
  searchFields,
  searchWindows,
  toQueryOutcome,
  toRefundOutcome,
  toRefundQueryOutcome,
  toSaleOutcome,
  traceCode,
  traceMessage,
  txnsOf,
  type CardCredentials,
  type SearchWindow,
} from './transformers.js';
import { assertNever } from '../../domain/assert-never.js';
import { buildTxnXml, ConvergeXmlError, field, parseConvergeXml, type ConvergeAnswer, type WireFields } from './xml.js';

export type { CardCredentials } from './transformers.js';

/** The rejection code of a sale in a currency the account does not enable. */
export const CURRENCY_NOT_ENABLED = 'currency_not_enabled';

/** Fixed, public test credentials: good only against the simulator. */
export const CARD_SANDBOX_CREDENTIALS: CardCredentials = {
  merchantId: '0099001',
  userId: 'cancanapi',
  pin: 'CANCANSANDBOX0CONVERGE0TERMINAL0PIN0000000000000000000000000064',
  // The simulator's account takes every settlement currency.
  multiCurrency: true,
  currency: 'USD',
};

/** Production; the adapter appends `/processxml.do`. */
export const CARD_LIVE_BASE_URL = 'https://api.convergepay.com/VirtualMerchant';
/** Elavon's own demo environment. */
export const CARD_DEMO_BASE_URL = 'https://api.demo.convergepay.com/VirtualMerchantDemo';

export interface CardAdapterOptions {
  baseUrl: string;
  credentials: CardCredentials;
  timeoutMs: number;
  fetch?: ProviderFetch;
  now?: () => number;
  /** How far back query/refund look for a sale (each 30 days is one txnquery). Default 30. */
  searchDays?: number;
}

type CallResult =
  | { readonly ok: true; readonly answer: ConvergeAnswer; readonly httpStatus: number; readonly latencyMs: number }
  | { readonly ok: false; readonly reason: string; readonly httpStatus: number | null; readonly latencyMs: number };

/** The transactions of a date-range search, or why the search failed. */
type SearchResult =
  | { readonly ok: true; readonly txns: readonly WireFields[]; readonly trace: ProviderTrace }
  | { readonly ok: false; readonly reason: string; readonly trace: ProviderTrace };

const PROVIDER = 'card' as const;

export function createCardAdapter(options: CardAdapterOptions): CardAdapter {
  const { credentials, timeoutMs } = options;
  const doFetch = options.fetch ?? providerFetch('card');
  const now = options.now ?? Date.now;
  const searchDays = options.searchDays ?? 30;
  const endpoint = `${options.baseUrl.replace(/\/+$/, '')}/processxml.do`;

  /** Removes every secret from text bound for a trace; digits next to a short secret keep it from matching inside longer numbers. */
  function redact(text: string | null, secrets: readonly string[]): string | null {
    if (text === null) return null;
    let result = text;
    for (const secret of [credentials.pin, ...secrets]) {
      if (secret === '') continue;
      const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      result = result.replace(new RegExp(`(?<!\\d)${escaped}(?!\\d)`, 'g'), '[redacted]');
    }
    return result;
  }

  async function call(fields: WireFields): Promise<CallResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let httpStatus: number | null = null;
    try {
      const response = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/xml' },
        body: new URLSearchParams({ xmldata: buildTxnXml(fields) }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      httpStatus = response.status;
      const body = await response.text();
      if (!response.ok) return { ok: false, reason: `HTTP ${response.status}`, httpStatus, latencyMs: elapsed() };
      return { ok: true, answer: parseConvergeXml(body), httpStatus, latencyMs: elapsed() };
    } catch (error) {
      return { ok: false, reason: describeCallError(error, timeoutMs, ConvergeXmlError), httpStatus, latencyMs: elapsed() };
    }
  }

  function traceOf(callName: string, result: CallResult, secrets: readonly string[], latencyMs = result.latencyMs): ProviderTrace {
    const base = { provider: PROVIDER, call: callName, latencyMs, httpStatus: result.httpStatus } as const;
    if (!result.ok) return { ...base, code: null, message: redact(result.reason, secrets) };
    return { ...base, code: redact(traceCode(result.answer), secrets), message: redact(traceMessage(result.answer), secrets) };
  }

  /** Searches date windows, newest first, until `enough` says the wanted transactions are in. */
  async function search(enough: (txns: readonly WireFields[]) => boolean): Promise<SearchResult> {
    const windows: SearchWindow[] = searchWindows(now(), searchDays);
    const txns: WireFields[] = [];
    let latencyMs = 0;
    let last: ProviderTrace | null = null;
    for (const window of windows) {
      const result = await call(searchFields(credentials, window));
      latencyMs += result.latencyMs;
      last = traceOf('txnquery', result, [], latencyMs);
      if (!result.ok) return { ok: false, reason: last.message ?? 'txnquery failed', trace: last };
      const listed = txnsOf(result.answer);
      if (!listed.ok) return { ok: false, reason: redact(listed.reason, []) ?? '', trace: last };
      txns.push(...listed.txns);
      if (enough(txns)) break;
    }
    const trace = last ?? { provider: PROVIDER, call: 'txnquery', latencyMs: 0, httpStatus: null, code: null, message: 'no search window' };
    return { ok: true, txns, trace };
  }

  return {
    provider: PROVIDER,

    currencyRefusal: (currency) => cardCurrencyRule(credentials, currency),

    async sale(request) {
      const refusal = cardCurrencyRule(credentials, request.money.currency);
      if (refusal !== null) {
        // Never sent: a single-currency account would charge the amount in its own currency.
        const trace = { provider: PROVIDER, call: 'ccsale', latencyMs: 0, httpStatus: null, code: CURRENCY_NOT_ENABLED, message: `not sent: ${refusal}` };
        return { outcome: { kind: 'rejected', code: CURRENCY_NOT_ENABLED, message: refusal }, trace };
      }
      const secrets = [request.card.number, request.card.cvc];
      const result = await call(saleFields(credentials, request));
      const trace = traceOf('ccsale', result, secrets);
      if (!result.ok) return { outcome: { kind: 'unknown', reason: trace.message ?? 'ccsale failed' }, trace };
      const outcome = toSaleOutcome(result.answer, request);
      const scrub = (text: string): string => redact(text, secrets) ?? '';
      switch (outcome.kind) {
        case 'unknown':
          return { outcome: { ...outcome, reason: scrub(outcome.reason) }, trace };
        case 'declined':
          return {
            outcome: {
              ...outcome,
              code: scrub(outcome.code),
              message: scrub(outcome.message),
              card: { ...outcome.card, resultMessage: scrub(outcome.card.resultMessage) },
            },
            trace,
          };
        case 'approved':
          return { outcome: { ...outcome, card: { ...outcome.card, resultMessage: scrub(outcome.card.resultMessage) } }, trace };
        case 'rejected':
          return { outcome: { ...outcome, message: scrub(outcome.message) }, trace };
        default:
          return assertNever(outcome);
      }
    },

    async query(orderNo) {
      const found = await search((txns) => findApprovedSale(txns, orderNo) !== null);
      if (!found.ok) return { outcome: { kind: 'unknown', reason: found.reason }, trace: found.trace };
      return { outcome: toQueryOutcome(found.txns, orderNo), trace: found.trace };
    },

    async refund(request): Promise<Traced<RefundOutcome>> {
      const found = await search((txns) => findApprovedSale(txns, request.orderNo) !== null);
      if (!found.ok) return { outcome: { kind: 'unknown', reason: found.reason }, trace: found.trace };
      const earlier = findReturn(found.txns, request.refundNo);
      if (earlier !== null) {
        return { outcome: existingReturnOutcome(earlier), trace: { ...found.trace, message: 'return with this refund number already at Converge' } };
      }
      const sale = findApprovedSale(found.txns, request.orderNo);
      const saleTxnId = sale === null ? '' : (field(sale, 'ssl_txn_id') ?? '');
      if (saleTxnId === '') {
        return {
          outcome: { kind: 'declined', code: SALE_NOT_FOUND, message: 'no approved sale carries this order number' },
          trace: { ...found.trace, code: SALE_NOT_FOUND },
        };
      }
      const result = await call(returnFields(credentials, saleTxnId, request));
      const trace = traceOf('ccreturn', result, [], found.trace.latencyMs + result.latencyMs);
      if (!result.ok) return { outcome: { kind: 'unknown', reason: trace.message ?? 'ccreturn failed' }, trace };
      return { outcome: toRefundOutcome(result.answer), trace };
    },

    async refundQuery(request) {
      const found = await search((txns) => findReturn(txns, request.refundNo) !== null);
      if (!found.ok) return { outcome: { kind: 'unknown', reason: found.reason }, trace: found.trace };
      return { outcome: toRefundQueryOutcome(found.txns, request.refundNo), trace: found.trace };
    },

    mapFailure: mapCardFailure,
  };
}
