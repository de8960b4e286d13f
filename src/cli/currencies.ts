/**
 * `cancan merchant currencies`: shows or sets the currencies a cross-border
 * gateway (wechatpay_international, alipay_international) sells in for one
 * merchant. A sale in any other currency is refused with 400; without a list
 * the gateway's default (USD) applies.
 */
import { checkGatewayCurrencies, configurableGateway } from '../core/gateway-currencies.js';
import type { Store } from '../store/db.js';
import { merchantGatewayCurrencies, setMerchantGatewayCurrencies } from '../store/gateway-currencies.js';
import { findMerchant } from '../store/merchants.js';

export interface CurrenciesFlags {
  readonly merchant?: string | undefined;
  readonly gateway?: string | undefined;
  readonly currencies?: string | undefined;
}

export async function runCurrenciesCommand(
  store: Store,
  flags: CurrenciesFlags,
  json: boolean,
  now: number,
  usageError: (message: string) => Error,
): Promise<string> {
  const merchantId = flags.merchant?.trim();
  if (!merchantId) throw usageError('--merchant is required');
  if (!flags.gateway?.trim()) throw usageError('--gateway is required');
  const configurable = configurableGateway(flags.gateway.trim());
  if (!configurable.ok) throw usageError(`--gateway: ${configurable.problem}`);
  const { gateway } = configurable;
  // Checked before any change: a refusal stores nothing.
  const checked = flags.currencies === undefined ? null : checkGatewayCurrencies(gateway.code, flags.currencies);
  if (checked && !checked.ok) throw usageError(`--currencies: ${checked.problem}`);
  if (!(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId}`);
  if (checked?.ok) await setMerchantGatewayCurrencies(store.db, merchantId, gateway.code, checked.currencies, now);
  const currencies = await merchantGatewayCurrencies(store.db, merchantId, gateway);
  if (json) return JSON.stringify({ merchant: merchantId, gateway: gateway.code, currencies });
  return `${merchantId}: ${gateway.code} sells in ${currencies.join(', ')}`;
}
