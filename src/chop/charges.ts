/**
 * Creating a CHOP charge (`/chop/chop`, `/payment/pay_qr`): checks, the
 * reference rule, then the charge row, its event and its first job in one
 * database transaction. Provider calls happen in the worker.
 */
import type { Caller } from '../core/create-transaction.js';
import type { CoreDeps } from '../core/deps.js';
import { newTransactionRef } from '../domain/ids.js';
import type { CurrencyCode } from '../domain/money.js';
import { currentRequestId } from '../observability/request-context.js';
import { transact } from '../observability/transact.js';
import { type TransactionRow, addEvent, enqueueJob, insertTransaction } from '../store/transactions.js';
import { newCharge } from '../store/transaction-factories.js';
import { chopClientId, EMPTY_CHECKOUT, serializeCheckout } from './checkout-data.js';
import type { PaymentMethod } from './methods.js';
import type { ChargeParams } from './params.js';
import { ChopError } from './params.js';
import { findCharge } from './refunds.js';
import { DestinationRefused, HostUnresolved, checkUrl, guardOf } from './url-guard.js';

export interface ChopCaller extends Caller {
  readonly keyId: string;
}

/** `ref`: the id the new charge gets; when a charge of this merchant already has it, that charge is the answer (a retry of the same request). */
export async function createCharge(
  deps: CoreDeps,
  caller: ChopCaller,
  params: ChargeParams,
  options: { ref?: string | undefined } = {},
): Promise<{ row: TransactionRow; created: boolean }> {
  const { method } = params;
  // Cached, current as of this request's authentication.
  if (!(await deps.lookups.isGatewayEnabled(caller.merchant.id, method.code))) {
    throw new ChopError(403, 'payment_method_not_enabled', `Payment method ${method.code} is not enabled for this merchant`);
  }
  await guardUrls(deps, params, caller.mode);
  if (caller.mode === 'live') await checkLiveAccess(deps, caller, method, params.currency);

  const result = await transact(deps, async (trx) => {
    if (deps.store.dialect === 'postgres') {
      // Serialises charges of one merchant so that two requests with one reference make one charge.
      await trx.selectFrom('merchants').select('id').where('id', '=', caller.merchant.id).forUpdate().executeTakeFirst();
    }
    if (options.ref !== undefined) {
      const made = await trx
        .selectFrom('transactions')
        .selectAll()
        .where('ref', '=', options.ref)
        .where('merchant_id', '=', caller.merchant.id)
        .executeTakeFirst();
      if (made) return { row: made, created: false };
    }
    if (!params.allowDuplicates) {
      const earlier = await findCharge(trx, caller, { reference: params.reference });
      if (earlier) return { row: sameCharge(earlier, params), created: false };
    }
    const now = deps.clock.now();
    const ref = options.ref ?? newTransactionRef();
    const wallet = method.flow !== 'card';
    const expiresAt = now + deps.config.checkoutExpiryMs;
    const ids = { ref, merchantId: caller.merchant.id, clientId: chopClientId(ref), mode: caller.mode, now, requestId: currentRequestId() };
    const row = await insertTransaction(
      trx,
      newCharge(ids, {
        apiKeyId: caller.keyId,
        paymentMethod: method.code,
        amount: params.amount,
        currency: params.currency,
        description: `${caller.merchant.name} ${params.reference}`.slice(0, 120),
        reference: params.reference,
        expiresAt,
        checkout: serializeCheckout({
          ...EMPTY_CHECKOUT,
          ipnUrl: params.ipnUrl,
          callbackUrlSuccess: params.callbackUrlSuccess,
          callbackUrlFail: params.callbackUrlFail,
          mobileResultUrl: params.mobileResultUrl,
          ext: params.ext,
          extras: params.extras,
        }),
        step: wallet ? 'create_order' : 'await_card',
      }),
    );
    await addEvent(trx, row.seq, now, 'created', {
      type: 'charge',
      payment_method: method.code,
      amount: params.amount,
      currency: params.currency,
      reference: params.reference,
    });
    // Wallets create the provider order at once; a card charge's job waits for the page to expire.
    await enqueueJob(trx, row.seq, wallet ? now : expiresAt, now);
    return { row, created: true };
  });
  if (result.created) deps.notifier.jobEnqueued();
  return result;
}

/** A reused reference answers the earlier charge only when it asks for the same payment (a retry); anything else is a mistake to refuse. */
function sameCharge(earlier: TransactionRow, params: ChargeParams): TransactionRow {
  const differs = [
    earlier.amount === null || Number(earlier.amount) !== params.amount ? `amount ${earlier.amount}` : null,
    earlier.currency !== params.currency ? `currency ${earlier.currency}` : null,
    earlier.payment_method !== params.method.code ? `payment method ${earlier.payment_method}` : null,
  ].filter((d) => d !== null);
  if (differs.length === 0) return earlier;
  throw new ChopError(
    409,
    'duplicate_reference',
    `reference ${params.reference} is already used by a charge with ${differs.join(', ')}; use a new reference, or allow_duplicates=yes for a second charge`,
  );
}

/** The SSRF guard, in every mode; only test mode accepts a host name that does not resolve now (delivery checks again). */
async function guardUrls(deps: CoreDeps, params: ChargeParams, mode: ChopCaller['mode']): Promise<void> {
  const urls = {
    ipn_url: params.ipnUrl,
    callback_url_success: params.callbackUrlSuccess,
    callback_url_fail: params.callbackUrlFail,
    mobile_result_url: params.mobileResultUrl,
  };
  for (const [name, url] of Object.entries(urls)) {
    if (url === null) continue;
    try {
      await checkUrl(url, guardOf(deps));
    } catch (error) {
      if (error instanceof HostUnresolved) {
        if (mode === 'test') continue;
        throw new ChopError(400, 'url_not_allowed', `${name} is not allowed in live mode: ${error.message}`);
      }
      if (error instanceof DestinationRefused) throw new ChopError(400, 'url_not_allowed', `${name}: ${error.message}`);
      throw error;
    }
  }
}

/** A live charge needs the merchant's credentials; a card account without multi-currency charges its own currency only. */
async function checkLiveAccess(deps: CoreDeps, caller: ChopCaller, method: PaymentMethod, currency: CurrencyCode): Promise<void> {
  const adapter =
    method.flow === 'card'
      ? await deps.adapters.cardAdapterFor(caller.mode, caller.merchant.id)
      : await deps.adapters.onlineAdapterFor(method, caller.mode, caller.merchant.id);
  if (!adapter)
    throw new ChopError(
      403,
      'payment_method_not_configured',
      `Live payments through ${method.code} are not configured for this merchant (no ${method.provider} credentials)`,
    );
  const refusal = 'currencyRefusal' in adapter ? (adapter.currencyRefusal?.(currency) ?? null) : null;
  if (refusal !== null) throw new ChopError(400, 'unsupported_currency', refusal);
}
