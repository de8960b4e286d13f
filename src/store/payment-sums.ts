/**
 * Exact sums behind the refund rules (domain/refund-rules.ts): the rows are
 * chosen here with the rules' own lists, the arithmetic stays in the domain.
 */
import type { Kysely, Transaction } from 'kysely';
import { CLAIM_STATES, CLAIM_TYPES, CLAIM_WAITING_STEP, OPEN_BALANCE } from '../domain/refund-rules.js';
import type { KeyMode } from '../domain/secrets.js';
import { joinSum, sumParts } from './exact-sums.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** What a payment's refunds and cancels took or may take (see `countsAgainstPayment`). */
export async function committedToPayment(db: Db, paymentSeq: number): Promise<bigint> {
  const row = await db
    .selectFrom('transactions')
    .select((eb) => sumParts(eb.ref('amount'), 'total'))
    .where('sale_seq', '=', paymentSeq)
    .where('type', 'in', [...CLAIM_TYPES])
    .where('state', 'in', [...CLAIM_STATES])
    .where('step', '!=', CLAIM_WAITING_STEP)
    .executeTakeFirstOrThrow();
  return joinSum(row.total_hi, row.total_lo);
}

export interface BalanceScope {
  readonly merchantId: string;
  readonly mode: KeyMode;
  readonly currency: string;
  /** The start of the merchant's day. */
  readonly since: number;
}

/** The two sums of a CHOP open balance (see `OPEN_BALANCE`). */
export async function openBalanceSums(db: Db, scope: BalanceScope): Promise<{ credits: bigint; debits: bigint }> {
  const sum = async (part: (typeof OPEN_BALANCE)[keyof typeof OPEN_BALANCE]) => {
    const row = await db
      .selectFrom('transactions')
      .select((eb) => sumParts(eb.ref('amount'), 'total'))
      .where('merchant_id', '=', scope.merchantId)
      .where('mode', '=', scope.mode)
      .where('channel', '=', 'chop')
      .where('currency', '=', scope.currency)
      .where('type', 'in', [...part.types])
      .where('state', 'in', [...part.states])
      .where(part.since, '>=', scope.since)
      .executeTakeFirstOrThrow();
    return joinSum(row.total_hi, row.total_lo);
  };
  return { credits: await sum(OPEN_BALANCE.credits), debits: await sum(OPEN_BALANCE.debits) };
}
