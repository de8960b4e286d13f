/**
 * POST /api/v2/transactions: validate → load → persist the transaction, its
 * event and its job → answer. The write shares one commit with the creates
 * that arrive alongside it (store/group-commit.ts) and the answer follows
 * that commit. Provider calls happen later, in the worker.
 *
 * No idempotency pre-select: the insert skips a taken id (the unique
 * constraint decides) and only then is the existing row read, to answer its
 * replay or a 409.
 */
import type { Transaction } from 'kysely';
import { assertNever } from '../domain/assert-never.js';
import { ApiError, attributeError } from '../domain/errors.js';
import { type Failure, failure } from '../domain/failures.js';
import { newTransactionRef } from '../domain/ids.js';
import { isCurrencyCode } from '../domain/money.js';
import type { KeyMode } from '../domain/secrets.js';
import type { PosAdapter } from '../providers/contract.js';
import { gatewayCodes, gatewayProfile, providerRules, reversibleFrom } from '../providers/registry.js';
import type { Merchant } from '../store/merchants.js';
import { wakeTransactionJob } from '../jobs/queue.js';
import { currentRequestId } from '../observability/request-context.js';
import { transactGrouped } from '../observability/transact.js';
import type { Database } from '../store/schema.js';
import {
  type NewTransaction,
  type TransactionRow,
  addEvent,
  enqueueJob,
  findByClientId,
  insertTransactionIfNew,
  isUniqueViolation,
  lockByClientId,
  updateTransaction,
} from '../store/transactions.js';
import { refundableAmount } from '../domain/refund-rules.js';
import { wholeUnitBreach } from '../providers/amount-rules.js';
import { type NewRowIds, type PosRequestFields, newRefund, newSale, newVoid } from '../store/transaction-factories.js';
import { withinRefundWindow, withinVoidWindow } from '../domain/windows.js';
import { committedToPayment } from '../store/payment-sums.js';
import type { CoreDeps } from './deps.js';
import { refundWindowMsOf } from './refund-window.js';
import { AUTO_GATEWAY, withChosenGateway } from './auto-gateway.js';
import { type TransactionRequest, amountOverMaximum, canonicalJson } from './validate.js';

export interface Caller {
  readonly merchant: Merchant;
  readonly mode: KeyMode;
}

export interface CreateResult {
  readonly row: TransactionRow;
  /** True when an earlier request with the same id and body already created it. */
  readonly replayed: boolean;
}

/** Runs inside the database transaction that creates a row (the dashboard's audit entry lands with it or not at all). */
export type WithinCreation = (trx: Transaction<Database>, row: TransactionRow) => Promise<void>;

export async function createTransaction(deps: CoreDeps, caller: Caller, request: TransactionRequest, within?: WithinCreation): Promise<CreateResult> {
  const digest = deps.secrets.digest(canonicalJson(request));
  let row: TransactionRow | undefined;
  try {
    // "auto": the gateway is chosen now and stored as if named; the digest stays that of the request as sent, so a retry of it is its replay.
    const chosenByShape = request.type === 'sale' && request.attributes.payment_gateway === AUTO_GATEWAY;
    const concrete = request.type === 'sale' && chosenByShape ? await withChosenGateway(deps, caller, request) : request;
    const adapter = concrete.type === 'sale' ? await checkSaleAllowed(deps, caller, concrete) : null;
    row = await transactGrouped(deps, async (trx) => {
      const inserted = await insert(deps, trx, caller, concrete, digest, adapter, chosenByShape);
      if (inserted) await within?.(trx, inserted);
      return inserted;
    });
  } catch (error) {
    // A refusal speaks of a new transaction: the retry of one already made is its replay, whatever the checks say now.
    if (!(error instanceof ApiError) && !isUniqueViolation(error)) throw error;
    const existing = await findByClientId(deps.store.db, caller.merchant.id, caller.mode, request.id);
    if (!existing) throw error;
    return replay(existing, digest);
  }
  if (!row) {
    // The id was taken (committed earlier, or earlier in the same batch, which has committed now).
    const existing = await findByClientId(deps.store.db, caller.merchant.id, caller.mode, request.id);
    if (!existing) throw new Error(`transaction id ${request.id} is taken but its row is not found`);
    return replay(existing, digest);
  }
  deps.notifier.jobEnqueued();
  if (row.sale_seq !== null) deps.notifier.transactionChanged(row.sale_seq);
  return { row, replayed: false };
}

function replay(existing: TransactionRow, digest: string): CreateResult {
  if (existing.request_digest !== digest) {
    throw new ApiError(409, {
      code: 'conflict_error',
      detail: `Transaction ${existing.client_id} already exists with different attributes; use a new id for a new transaction`,
      pointer: '/data/id',
    });
  }
  return { row: existing, replayed: true };
}

/** Checks that answer with an error status instead of recording a transaction. */
async function checkSaleAllowed(deps: CoreDeps, caller: Caller, request: Extract<TransactionRequest, { type: 'sale' }>): Promise<PosAdapter> {
  const { payment_gateway: code, currency } = request.attributes;
  const profile = gatewayProfile(code);
  if (!profile) {
    throw new ApiError(
      400,
      attributeError(
        `Unknown payment_gateway ${JSON.stringify(code)}; known gateways: ${gatewayCodes().join(', ')}, or ${AUTO_GATEWAY} to choose by the code`,
        '/data/attributes/payment_gateway',
      ),
    );
  }
  // Cached lookups, current as of this request's authentication.
  if (!(await deps.lookups.isGatewayEnabled(caller.merchant.id, code))) {
    throw new ApiError(403, {
      code: 'access_forbidden_error',
      detail: `Payment gateway ${code} is not enabled for this merchant`,
      pointer: '/data/attributes/payment_gateway',
    });
  }
  // Cross-border gateways sell in the merchant's own list (USD unless the operator set one).
  const allowed = await deps.lookups.gatewayCurrencies(caller.merchant.id, profile);
  if (!allowed.includes(currency)) {
    throw new ApiError(400, attributeError(`Currency ${currency} is not allowed for ${code}; allowed: ${allowed.join(', ')}`, '/data/attributes/currency'));
  }
  const adapter = await deps.adapters.adapterFor(profile, caller.mode, caller.merchant.id);
  if (!adapter) {
    throw new ApiError(403, {
      code: 'access_forbidden_error',
      detail: `Live payments through ${code} are not configured for this merchant (no ${profile.provider} credentials)`,
    });
  }
  return adapter;
}

async function insert(
  deps: CoreDeps,
  trx: Transaction<Database>,
  caller: Caller,
  request: TransactionRequest,
  digest: string,
  adapter: PosAdapter | null,
  chosenByShape: boolean,
): Promise<TransactionRow | undefined> {
  const now = deps.clock.now();
  const ref = newTransactionRef();
  const ids: NewRowIds = { ref, merchantId: caller.merchant.id, clientId: request.id, mode: caller.mode, now, requestId: currentRequestId() };
  const { attributes } = request;
  const pos: PosRequestFields = {
    requestDigest: digest,
    description: attributes.description,
    posId: attributes.pos_id,
    mchLevel1: attributes.mch_level_1,
    mchLevel2: attributes.mch_level_2,
    mchLevel3: attributes.mch_level_3,
  };
  switch (request.type) {
    case 'sale': {
      // `payment_auth_key` goes into the row sealed, never as given.
      const { payment_auth_key, payment_gateway, amount, currency } = request.attributes;
      if (!adapter) throw new Error(`no adapter for ${payment_gateway}`);
      const sale = { gateway: payment_gateway, amount, currency };
      if (!adapter.isWellFormedAuthCode(payment_auth_key)) {
        // Fails fast: a malformed code is never sent to the provider.
        const refused = newSale(ids, pos, { ...sale, authCodeSealed: null, step: 'done' });
        return insertFinal(trx, refused, now, failure('payment_auth_key_failure', `payment_auth_key is not a well-formed ${adapter.provider} code`));
      }
      const inserted = await insertTransactionIfNew(trx, newSale(ids, pos, { ...sale, authCodeSealed: deps.secrets.encrypt(payment_auth_key), step: 'pay' }));
      if (!inserted) return undefined;
      const chosen = chosenByShape ? { gateway_chosen_by: AUTO_GATEWAY } : {};
      await addEvent(trx, inserted.seq, now, 'created', { type: 'sale', gateway: payment_gateway, amount, currency, ...chosen });
      await enqueueJob(trx, inserted.seq, now, now);
      return inserted;
    }
    case 'void':
      return insertVoid(deps, trx, ids, pos, request.attributes.sale, Number(caller.merchant.void_window_ms));
    case 'refund':
      return insertRefund(deps, trx, ids, pos, request.attributes.sale, request.attributes.amount);
    default:
      return assertNever(request);
  }
}

/** Undefined, here and below: the id is taken, nothing was written. */
async function insertFinal(trx: Transaction<Database>, row: NewTransaction, now: number, why: Failure): Promise<TransactionRow | undefined> {
  const inserted = await insertTransactionIfNew(trx, {
    ...row,
    state: 'failed',
    step: 'done',
    failure_code: why.code,
    failure_detail: why.detail,
    finalized_at: now,
  });
  if (!inserted) return undefined;
  await addEvent(trx, inserted.seq, now, 'created', { type: row.type, sale: row.sale_client_id ?? undefined });
  await addEvent(trx, inserted.seq, now, 'state_changed', { from: 'pending', to: 'failed', failure_code: why.code, failure_detail: why.detail });
  return inserted;
}

async function insertVoid(
  deps: CoreDeps,
  trx: Transaction<Database>,
  ids: NewRowIds,
  pos: PosRequestFields,
  saleId: string,
  voidWindowMs: number,
): Promise<TransactionRow | undefined> {
  const { now } = ids;
  const sale = await lockByClientId(trx, deps.store.dialect, ids.merchantId, ids.mode, saleId);
  if (!sale || sale.type !== 'sale') {
    return insertFinal(
      trx,
      newVoid(ids, pos, { saleClientId: saleId, sale: null, step: 'done' }),
      now,
      failure('sale_not_found_failure', `No sale with id ${saleId}`),
    );
  }
  const linked = newVoid(ids, pos, { saleClientId: saleId, sale, step: 'done' });
  const notAllowed = (detail: string) => insertFinal(trx, linked, now, failure('void_not_allowed_failure', detail));

  if (sale.voided === 1 || sale.void_seq !== null) return notAllowed('The sale is already voided or being voided');
  if (sale.state === 'failed') return notAllowed('The sale failed; there is nothing to void');
  if (sale.state === 'succeeded') {
    if (!withinVoidWindow(sale, voidWindowMs, now)) {
      return notAllowed(`The void window (${Math.round(voidWindowMs / 60_000)} min after success) has passed; refund the sale instead`);
    }
    if ((await committedToPayment(trx, sale.seq)) > 0n) return notAllowed('The sale has refunds; refund the rest instead of voiding');
  }
  // A pending sale is reversed by its own job; a succeeded one by the void's job.
  const inserted = await insertTransactionIfNew(
    trx,
    newVoid(ids, pos, { saleClientId: saleId, sale, step: sale.state === 'pending' ? 'await_sale' : 'reverse_sale' }),
  );
  if (!inserted) return undefined;
  await addEvent(trx, inserted.seq, now, 'created', { type: 'void', sale: saleId });
  await updateTransaction(trx, sale, now, { void_seq: inserted.seq });
  await addEvent(trx, sale.seq, now, 'void_requested', { void: inserted.client_id });
  if (sale.state === 'pending') {
    await wakeTransactionJob(trx, sale.seq, now);
  } else {
    // The provider may want a wait after the pay call before a reversal (WeChat: 15 s): the void's job starts then.
    const profile = sale.gateway === null ? undefined : gatewayProfile(sale.gateway);
    const runAt = profile === undefined ? now : reversibleFrom(providerRules(profile.provider, deps.config), sale, now);
    await enqueueJob(trx, inserted.seq, runAt, now);
  }
  return inserted;
}

async function insertRefund(
  deps: CoreDeps,
  trx: Transaction<Database>,
  ids: NewRowIds,
  pos: PosRequestFields,
  saleId: string,
  amount: number,
): Promise<TransactionRow | undefined> {
  const { now } = ids;
  const sale = await lockByClientId(trx, deps.store.dialect, ids.merchantId, ids.mode, saleId);
  if (!sale || sale.type !== 'sale') {
    const unlinked = newRefund(ids, pos, { saleClientId: saleId, sale: null, amount, step: 'done' });
    return insertFinal(trx, unlinked, now, failure('sale_not_found_failure', `No sale with id ${saleId}`));
  }
  // Bad input, like any amount validate.ts refuses: answered 400, nothing stored (the transaction rolls back).
  const overMaximum = sale.currency && isCurrencyCode(sale.currency) ? amountOverMaximum(amount, sale.currency, deps.config.maxAmountMajor) : null;
  if (overMaximum) throw new ApiError(400, attributeError(overMaximum, '/data/attributes/amount'));
  const linked = newRefund(ids, pos, { saleClientId: saleId, sale, amount, step: 'done' });
  const notAllowed = (detail: string) => insertFinal(trx, linked, now, failure('refund_not_allowed_failure', detail));

  if (sale.state !== 'succeeded') return notAllowed(`The sale is ${sale.state}; only a succeeded sale can be refunded`);
  if (sale.voided === 1 || sale.void_seq !== null) return notAllowed('The sale is voided or being voided');
  const profile = sale.gateway ? gatewayProfile(sale.gateway) : undefined;
  const windowMs = refundWindowMsOf(sale);
  if (!profile || windowMs === undefined) return notAllowed(`Gateway ${sale.gateway} is no longer available`);
  if (!withinRefundWindow(sale, windowMs, now)) {
    return notAllowed(`${profile.code} accepts refunds for ${Math.round(windowMs / 86_400_000)} days after payment`);
  }
  const partial = sale.currency && isCurrencyCode(sale.currency) ? wholeUnitBreach(profile.code, profile, amount, sale.currency, '`amount`') : null;
  if (partial) throw new ApiError(400, attributeError(partial.message, '/data/attributes/amount'));
  const saleAmount = sale.amount ?? 0;
  if (!profile.partialRefunds && amount !== saleAmount) return notAllowed(`${profile.code} only allows refunds of the full amount (${saleAmount})`);
  const left = refundableAmount(sale.amount, await committedToPayment(trx, sale.seq));
  if (BigInt(amount) > left) {
    return insertFinal(trx, linked, now, failure('refund_exceeds_sale_amount_failure', `At most ${left} ${sale.currency} is left to refund on this sale`));
  }
  const inserted = await insertTransactionIfNew(trx, newRefund(ids, pos, { saleClientId: saleId, sale, amount, step: 'refund' }));
  if (!inserted) return undefined;
  await addEvent(trx, inserted.seq, now, 'created', { type: 'refund', sale: saleId, amount });
  await enqueueJob(trx, inserted.seq, now, now);
  return inserted;
}
