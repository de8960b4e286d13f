/** A merchant's own currency list for a cross-border gateway; without one the gateway's default list applies. */
import type { Kysely } from 'kysely';
import { type CurrencyCode, isCurrencyCode } from '../domain/money.js';
import type { GatewayProfile } from '../providers/catalog.js';
import type { Database } from './schema.js';

/** The currencies the merchant may sell in through `gateway`. */
export async function merchantGatewayCurrencies(db: Kysely<Database>, merchantId: string, gateway: GatewayProfile): Promise<readonly CurrencyCode[]> {
  if (!gateway.currencyChoices) return gateway.currencies;
  const row = await db
    .selectFrom('merchant_gateway_currencies')
    .select('currencies')
    .where('merchant_id', '=', merchantId)
    .where('gateway', '=', gateway.code)
    .executeTakeFirst();
  if (!row) return gateway.currencies;
  // A code the gateway no longer offers is dropped rather than sold in.
  const stored = row.currencies.split(',').filter((c): c is CurrencyCode => isCurrencyCode(c) && (gateway.currencyChoices ?? []).includes(c));
  return stored.length > 0 ? stored : gateway.currencies;
}

export async function setMerchantGatewayCurrencies(
  db: Kysely<Database>,
  merchantId: string,
  gateway: string,
  currencies: readonly CurrencyCode[],
  now: number,
): Promise<void> {
  const row = { merchant_id: merchantId, gateway, currencies: currencies.join(','), updated_at: now };
  await db
    .insertInto('merchant_gateway_currencies')
    .values(row)
    .onConflict((oc) => oc.columns(['merchant_id', 'gateway']).doUpdateSet({ currencies: row.currencies, updated_at: now }))
    .execute();
}
