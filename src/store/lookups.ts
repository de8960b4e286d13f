/**
 * The cached lookups of the API path (see lookup-cache.ts for how a change
 * reaches every process): the key and merchant behind a token, a merchant's
 * enabled gateways and currency lists (adapters.ts keeps live credentials in
 * the same cache). Callers `refresh()` once per request before using them.
 */
import { type Kysely, sql } from 'kysely';
import type { CurrencyCode } from '../domain/money.js';
import type { SecretBox } from '../domain/secrets.js';
import type { GatewayProfile } from '../providers/catalog.js';
import { merchantGatewayCurrencies } from './gateway-currencies.js';
import { type AuthenticatedKey, type Merchant, authenticate, enabledGateways, touchApiKey } from './merchants.js';
import type { Database } from './schema.js';
import { LookupCache } from './lookup-cache.js';

/** How often a key's last use is written (an approximate "last used", not an audit trail). */
const TOUCH_EVERY_MS = 60_000;

export interface Authenticated {
  readonly key: AuthenticatedKey;
  readonly merchant: Merchant;
}

interface KeyEntry extends Authenticated {
  /** When this process last wrote (or read) the key's last use. */
  touchedAt: number | null;
}

/** Reads the generation with a statement compiled once. */
function generationReader(db: Kysely<Database>): () => Promise<number> {
  const query = sql<{ generation: number | string }>`select generation from cache_generation where id = 1`.compile(db);
  return async () => {
    const { rows } = await db.executeQuery(query);
    // No row (a database not yet migrated): NaN equals nothing, so the cache keeps nothing from one request to the next.
    return rows[0] === undefined ? Number.NaN : Number(rows[0].generation);
  };
}

export class Lookups {
  readonly cache: LookupCache;

  constructor(
    private readonly db: Kysely<Database>,
    options: { readonly maxEntries?: number } = {},
  ) {
    this.cache = new LookupCache(generationReader(db), options.maxEntries);
  }

  /** Sees every change committed before this call (one small shared read). */
  refresh(): Promise<void> {
    return this.cache.refresh();
  }

  /** The active key behind a presented token, with its merchant; a refusal is never cached (the next try reads again). */
  async authenticate(secrets: SecretBox, presented: string): Promise<Authenticated | undefined> {
    const digest = secrets.digest(presented);
    const entry = await this.cache.get<KeyEntry | undefined>(
      `key:${digest}`,
      async () => {
        const found = await authenticate(this.db, secrets, presented);
        return found && { ...found, touchedAt: found.key.last_used_at };
      },
      (found) => found !== undefined,
    );
    return entry;
  }

  /** Records a key's use at most once a minute per process (the time is kept here, so authentication stays a read). */
  async touch(found: Authenticated, now: number): Promise<void> {
    const entry = found as KeyEntry;
    const last = entry.touchedAt ?? null;
    if (last !== null && now - last < TOUCH_EVERY_MS) return;
    entry.touchedAt = now;
    await touchApiKey(this.db, { id: found.key.id, last_used_at: last }, now);
  }

  /** The gateways a merchant may sell through. */
  enabledGateways(merchantId: string): Promise<ReadonlySet<string>> {
    return this.cache.get(`gateways:${merchantId}`, async () => new Set(await enabledGateways(this.db, merchantId)));
  }

  async isGatewayEnabled(merchantId: string, gateway: string): Promise<boolean> {
    return (await this.enabledGateways(merchantId)).has(gateway);
  }

  /** The currencies a merchant may sell in through a gateway. */
  gatewayCurrencies(merchantId: string, gateway: GatewayProfile): Promise<readonly CurrencyCode[]> {
    if (!gateway.currencyChoices) return Promise.resolve(gateway.currencies);
    return this.cache.get(`currencies:${merchantId}:${gateway.code}`, () => merchantGatewayCurrencies(this.db, merchantId, gateway));
  }
}
