/**
 * The day's "statement" of a provider that publishes none (LINE Pay's
 * offline API; any provider whose descriptor declares no `statements`): each
 * of CanCan's payments and refunds of the day is asked about with the
 * provider's query API (query, refundQuery) through the same adapters the
 * engine uses, and the answers become statement lines.
 *
 * What this cannot do: find a payment CanCan never recorded
 * (missing_in_cancan), or compare amounts (the adapters' query answers carry
 * none): a line carries CanCan's amount. The run's summary says so.
 */
import type { KeyMode } from '../domain/secrets.js';
import { type Money, isCurrencyCode, money } from '../domain/money.js';
import type { AdapterSource } from '../providers/adapters.js';
import { providerCatalog } from '../providers/catalog.js';
import type { ProviderData, QueryOutcome, RefundQueryOutcome, RefundingAdapter, Traced } from '../providers/contract.js';
import type { StatementFetch, StatementLine } from '../providers/statements.js';
import type { BookPayment, BookRefund, Books } from './match.js';

export interface QuerySourceDeps {
  readonly adapters: AdapterSource;
  /** What the transaction's earlier provider calls left for later ones (store/attempts.ts). */
  readonly providerData: (seqs: readonly number[]) => Promise<ProviderData>;
  readonly now: () => number;
}

type QueryAdapter = RefundingAdapter & { query(orderNo: string, data?: ProviderData): Promise<Traced<QueryOutcome>> };

/** The adapter that served a gateway or payment method, for the merchant's mode; null where the mode cannot be served. */
async function adapterFor(adapters: AdapterSource, code: string, mode: KeyMode, merchantId: string): Promise<QueryAdapter | null> {
  const catalog = providerCatalog();
  const gateway = catalog.gateway(code);
  if (gateway) return adapters.adapterFor(gateway, mode, merchantId);
  const method = catalog.method(code);
  if (!method) throw new Error(`no gateway or payment method ${code}`);
  if (method.flow === 'card') return adapters.cardAdapterFor(mode, merchantId);
  return adapters.onlineAdapterFor(method, mode, merchantId);
}

class Unanswered extends Error {}

const moneyOfBook = (amount: number, currency: string): Money => {
  if (!isCurrencyCode(currency)) throw new Error(`unknown currency ${currency}`);
  return money(amount, currency);
};

/** Whether the query says money moved; null: the provider has no such payment (no line). */
function paymentAnswer(outcome: QueryOutcome): { settled: boolean; status: string } | null {
  switch (outcome.kind) {
    case 'paid':
      return { settled: true, status: 'PAID' };
    case 'closed':
      return { settled: false, status: outcome.code || 'CLOSED' };
    case 'awaiting_customer':
      return { settled: false, status: 'AWAITING_CUSTOMER' };
    case 'not_paid':
      return null;
    case 'unknown':
      throw new Unanswered(`query answered no outcome: ${outcome.reason}`);
    case 'rejected':
      throw new Unanswered(`query refused: ${outcome.code} ${outcome.message}`);
  }
}

function refundAnswer(outcome: RefundQueryOutcome): { settled: boolean; status: string } | null {
  switch (outcome.kind) {
    case 'succeeded':
      return { settled: true, status: 'REFUNDED' };
    case 'processing':
      return { settled: false, status: 'PROCESSING' };
    case 'failed':
      return { settled: false, status: outcome.code || 'FAILED' };
    case 'not_found':
      return null;
    case 'unknown':
      throw new Unanswered(`refund query answered no outcome: ${outcome.reason}`);
    case 'rejected':
      throw new Unanswered(`refund query refused: ${outcome.code} ${outcome.message}`);
  }
}

/**
 * Queries every payment and refund of the day (those CanCan shows as money
 * moved, and voided sales); any unanswered query makes the whole fetch
 * `failed`, to be retried.
 */
export async function fetchByQuery(deps: QuerySourceDeps, mode: KeyMode, books: Books): Promise<StatementFetch> {
  const lines: StatementLine[] = [];
  try {
    for (const payment of books.payments) {
      if (!payment.ofDay || payment.state !== 'succeeded') continue;
      const line = await queryPayment(deps, mode, payment);
      if (line !== null) lines.push(line);
    }
    for (const refund of books.refunds) {
      if (!refund.ofDay || refund.state !== 'succeeded') continue;
      const line = await queryRefund(deps, mode, refund, books);
      if (line !== null) lines.push(line);
    }
  } catch (error) {
    if (error instanceof Unanswered) return { kind: 'failed', reason: error.message };
    throw error;
  }
  return { kind: 'statement', statement: { lines, totals: [] } };
}

async function queryPayment(deps: QuerySourceDeps, mode: KeyMode, payment: BookPayment): Promise<StatementLine | null> {
  const adapter = await adapterFor(deps.adapters, payment.code, mode, payment.merchantId);
  if (adapter === null) throw new Unanswered(`no ${payment.code} adapter in ${mode} mode for ${payment.merchantId} (credentials missing)`);
  const orderNo = payment.orderNos[0] ?? '';
  const { outcome } = await adapter.query(orderNo, await deps.providerData([payment.seq]));
  const answer = paymentAnswer(outcome);
  if (answer === null) return null;
  return {
    kind: 'payment',
    orderNo,
    refundNo: null,
    providerTxnId: outcome.kind === 'paid' ? outcome.providerTxnId : null,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    feeMinor: null,
    netMinor: null,
    providerStatus: answer.status,
    settled: answer.settled,
    at: deps.now(),
  };
}

async function queryRefund(deps: QuerySourceDeps, mode: KeyMode, refund: BookRefund, books: Books): Promise<StatementLine | null> {
  const adapter = await adapterFor(deps.adapters, refund.code, mode, refund.merchantId);
  if (adapter === null) throw new Unanswered(`no ${refund.code} adapter in ${mode} mode for ${refund.merchantId} (credentials missing)`);
  const payment = books.payments.find((p) => p.orderNos.includes(refund.orderNo));
  if (payment === undefined) throw new Error(`refund ${refund.seq} has no payment in the books`);
  // As when it was sent: the payment's refunds that succeeded before this one (LINE Pay tells refunds apart by them).
  const earlier = books.refunds.filter((r) => r.orderNo === refund.orderNo && r.seq < refund.seq && r.state === 'succeeded');
  const { outcome } = await adapter.refundQuery({
    orderNo: refund.orderNo,
    refundNo: refund.refundNo,
    saleMoney: moneyOfBook(payment.amountMinor, payment.currency),
    refundMoney: moneyOfBook(refund.amountMinor, refund.currency),
    reason: null,
    settledRefunds: earlier.map((r) => moneyOfBook(r.amountMinor, r.currency)),
    providerData: await deps.providerData([payment.seq, refund.seq]),
  });
  const answer = refundAnswer(outcome);
  if (answer === null) return null;
  return {
    kind: 'refund',
    orderNo: refund.orderNo,
    refundNo: refund.refundNo,
    providerTxnId: null,
    amountMinor: refund.amountMinor,
    currency: refund.currency,
    feeMinor: null,
    netMinor: null,
    providerStatus: answer.status,
    settled: answer.settled,
    at: deps.now(),
  };
}
