/**
 * CanCan's books of one provider account and day, as matching needs them:
 * the payments (sales, charges) and refunds (refunds, cancels that refund a
 * paid charge) finalised within the day, plus any the statement names that
 * were finalised on another day (a payment settled just before midnight that
 * CanCan confirmed just after).
 */
import type { Kysely, Selectable } from 'kysely';
import type { KeyMode } from '../domain/secrets.js';
import { providerCatalog } from '../providers/catalog.js';
import type { Database, TransactionsTable } from '../store/schema.js';
import type { BookPayment, BookRefund, Books } from './match.js';

export interface BooksScope {
  readonly provider: string;
  readonly mode: KeyMode;
  /** Live mode: the merchant whose account this is; test mode: null (the shared sandbox account). */
  readonly merchantId: string | null;
  readonly fromMs: number;
  readonly toMs: number;
}

type Row = Pick<
  Selectable<TransactionsTable>,
  'merchant_id' | 'type' | 'state' | 'amount' | 'currency' | 'provider_order_no' | 'ref' | 'voided' | 'finalized_at' | 'payment_method' | 'sale_seq' | 'gateway'
> & { seq: number };

const COLUMNS = [
  'seq',
  'merchant_id',
  'type',
  'state',
  'amount',
  'currency',
  'provider_order_no',
  'ref',
  'voided',
  'finalized_at',
  'payment_method',
  'sale_seq',
  'gateway',
] as const;
const PAYMENT_TYPES = ['sale', 'charge'] as const;
const REFUND_TYPES = ['refund', 'cancel'] as const;
/** Keeps `in (...)` lists well under every database's parameter limit. */
const CHUNK = 500;

/** The gateway and payment method codes a provider serves. */
function codesOf(provider: string): { gateways: string[]; methods: string[] } {
  const catalog = providerCatalog();
  return {
    gateways: catalog.gateways.filter((g) => g.provider === provider).map((g) => g.code),
    methods: catalog.methods.filter((m) => m.provider === provider).map((m) => m.code),
  };
}

function scoped(db: Kysely<Database>, scope: BooksScope) {
  const { gateways, methods } = codesOf(scope.provider);
  let query = db
    .selectFrom('transactions')
    .select([...COLUMNS])
    .where('mode', '=', scope.mode)
    .where('provider_order_no', 'is not', null)
    .where((eb) =>
      eb.or([
        ...(gateways.length > 0 ? [eb('gateway', 'in', gateways)] : []),
        ...(methods.length > 0 ? [eb('payment_method', 'in', methods)] : []),
        eb.lit(false),
      ]),
    );
  if (scope.merchantId !== null) query = query.where('merchant_id', '=', scope.merchantId);
  return query;
}

export async function loadBooks(db: Kysely<Database>, scope: BooksScope, named: { orderNos: readonly string[]; refundNos: readonly string[] }): Promise<Books> {
  const ofDay = await scoped(db, scope)
    .where('type', 'in', [...PAYMENT_TYPES, ...REFUND_TYPES])
    .where('finalized_at', '>=', scope.fromMs)
    .where('finalized_at', '<', scope.toMs)
    .orderBy('seq')
    .execute();
  const rows = new Map<number, Row>(ofDay.map((row) => [Number(row.seq), { ...row, seq: Number(row.seq) }]));
  const dayRows = new Set(rows.keys());
  const numbers = [...new Set([...named.orderNos, ...named.refundNos])];
  for (let i = 0; i < numbers.length; i += CHUNK) {
    const found = await scoped(db, scope)
      .where('provider_order_no', 'in', numbers.slice(i, i + CHUNK))
      .execute();
    for (const row of found) rows.set(Number(row.seq), { ...row, seq: Number(row.seq) });
  }
  // A refund needs its payment's order number; a payment its refunds (lines without a refund number match by order).
  const refundParents = [...rows.values()].filter((r) => isRefund(r) && r.sale_seq !== null && !rows.has(Number(r.sale_seq))).map((r) => Number(r.sale_seq));
  for (let i = 0; i < refundParents.length; i += CHUNK) {
    const found = await scoped(db, scope)
      .where('seq', 'in', refundParents.slice(i, i + CHUNK))
      .execute();
    for (const row of found) rows.set(Number(row.seq), { ...row, seq: Number(row.seq) });
  }
  const paymentSeqs = [...rows.values()].filter((r) => isPayment(r)).map((r) => r.seq);
  for (let i = 0; i < paymentSeqs.length; i += CHUNK) {
    const found = await scoped(db, scope)
      .where('type', 'in', [...REFUND_TYPES])
      .where('sale_seq', 'in', paymentSeqs.slice(i, i + CHUNK))
      .execute();
    for (const row of found) if (!rows.has(Number(row.seq))) rows.set(Number(row.seq), { ...row, seq: Number(row.seq) });
  }

  const payments: BookPayment[] = [];
  const refunds: BookRefund[] = [];
  for (const row of [...rows.values()].sort((a, b) => a.seq - b.seq)) {
    const inDay = dayRows.has(row.seq);
    if (isPayment(row)) payments.push(toPayment(row, inDay));
    else if (isRefund(row) && Number(row.amount ?? 0) > 0) {
      const parent = row.sale_seq === null ? undefined : rows.get(Number(row.sale_seq));
      refunds.push({
        seq: row.seq,
        merchantId: row.merchant_id,
        refundNo: row.provider_order_no ?? '',
        orderNo: parent?.provider_order_no ?? '',
        amountMinor: Number(row.amount ?? 0),
        currency: row.currency ?? '',
        state: row.state,
        ofDay: inDay,
        code: codeOf(row),
      });
    }
  }
  return { payments, refunds };
}

const codeOf = (row: Row): string => row.gateway ?? row.payment_method ?? '';
const isPayment = (row: Row): boolean => (PAYMENT_TYPES as readonly string[]).includes(row.type);
const isRefund = (row: Row): boolean => (REFUND_TYPES as readonly string[]).includes(row.type);

function toPayment(row: Row, ofDay: boolean): BookPayment {
  const current = row.provider_order_no ?? row.ref;
  // A card charge retried after a decline has a new order number per attempt; its first was its ref.
  const orderNos = current === row.ref ? [current] : [current, row.ref];
  return {
    seq: row.seq,
    merchantId: row.merchant_id,
    orderNos,
    amountMinor: Number(row.amount ?? 0),
    currency: row.currency ?? '',
    state: row.state,
    voided: Number(row.voided) === 1,
    ofDay,
    code: codeOf(row),
  };
}

/** The books with their order and refund numbers as the provider keeps them (StatementSource.providerNumber). */
export function inProviderNumbers(books: Books, providerNumber: (ourNumber: string) => string): Books {
  return {
    payments: books.payments.map((payment) => ({ ...payment, orderNos: payment.orderNos.map(providerNumber) })),
    refunds: books.refunds.map((refund) => ({ ...refund, refundNo: providerNumber(refund.refundNo), orderNo: providerNumber(refund.orderNo) })),
  };
}
