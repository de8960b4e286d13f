/** What the operator console reads: every merchant with its counts, and one merchant's settings, users and activity. */
import { configurableGateways } from '../core/gateway-currencies.js';
import { merchantGatewayCurrencies } from '../store/gateway-currencies.js';
import type { Kysely } from 'kysely';
import { startOfDay } from '../chop/time.js';
import type { KeyMode } from '../domain/secrets.js';
import { type Merchant, enabledGateways, findMerchant } from '../store/merchants.js';
import type { Database, UserRole } from '../store/schema.js';

type Db = Kysely<Database>;

export interface MerchantSummary {
  readonly id: string;
  readonly name: string;
  readonly timezone: string;
  readonly createdAt: number;
  readonly gateways: number;
  readonly today: number;
}

/** Every merchant, newest first, with the number of enabled gateways and of transactions of `mode` since its own midnight. */
export async function listMerchants(db: Db, mode: KeyMode, now: number): Promise<MerchantSummary[]> {
  const merchants = await db
    .selectFrom('merchants')
    .select(['id', 'name', 'timezone', 'created_at'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const gatewayCounts = await db
    .selectFrom('merchant_gateways')
    .select(['merchant_id', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('merchant_id')
    .execute();
  const gateways = new Map(gatewayCounts.map((row) => [row.merchant_id, Number(row.n)]));
  return Promise.all(
    merchants.map(async (m) => {
      const today = await db
        .selectFrom('transactions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('merchant_id', '=', m.id)
        .where('mode', '=', mode)
        .where('created_at', '>=', startOfDay(m.timezone, now))
        .executeTakeFirstOrThrow();
      return { id: m.id, name: m.name, timezone: m.timezone, createdAt: Number(m.created_at), gateways: gateways.get(m.id) ?? 0, today: Number(today.n) };
    }),
  );
}

export interface MerchantUser {
  readonly email: string;
  readonly role: UserRole;
  readonly lastSignInAt: number | null;
}

export interface ActivityRow {
  readonly at: number;
  readonly email: string | null;
  readonly action: string;
  readonly detail: Record<string, unknown>;
}

export interface MerchantDetail {
  readonly merchant: Merchant;
  readonly gateways: readonly string[];
  /** The merchant's currency list of each cross-border gateway (`cancan merchant currencies`). */
  readonly gatewayCurrencies: ReadonlyMap<string, readonly string[]>;
  /** When each provider's credentials were last stored; the values are never read here. */
  readonly credentialsSetAt: ReadonlyMap<string, number>;
  readonly users: readonly MerchantUser[];
  readonly activity: readonly ActivityRow[];
}

export const ACTIVITY_LIMIT = 20;

/** `mode`: activity on transactions is shown for that mode only (other entries, on settings and keys, always). */
export async function merchantDetail(db: Db, id: string, mode: KeyMode): Promise<MerchantDetail | undefined> {
  const merchant = await findMerchant(db, id);
  if (!merchant) return undefined;
  const credentials = await db.selectFrom('provider_credentials').select(['provider', 'updated_at']).where('merchant_id', '=', id).execute();
  const users = await db.selectFrom('users').select(['email', 'role', 'last_sign_in_at']).where('merchant_id', '=', id).orderBy('created_at').execute();
  // An entry's mode is its target transaction's (entries on keys and settings have none).
  const activity = await db
    .selectFrom('audit_log')
    .leftJoin('users', 'users.id', 'audit_log.user_id')
    .leftJoin('transactions', (join) => join.onRef('transactions.ref', '=', 'audit_log.target').onRef('transactions.merchant_id', '=', 'audit_log.merchant_id'))
    .select(['audit_log.at', 'audit_log.action', 'audit_log.detail', 'users.email'])
    .where('audit_log.merchant_id', '=', id)
    .where((eb) => eb.or([eb('transactions.mode', 'is', null), eb('transactions.mode', '=', mode)]))
    .orderBy('audit_log.id', 'desc')
    .limit(ACTIVITY_LIMIT)
    .execute();
  return {
    merchant: {
      ...merchant,
      void_window_ms: Number(merchant.void_window_ms),
      cancel_window_ms: Number(merchant.cancel_window_ms),
      refund_balance_exempt: Number(merchant.refund_balance_exempt),
      created_at: Number(merchant.created_at),
    },
    gateways: await enabledGateways(db, id),
    gatewayCurrencies: new Map(await Promise.all(configurableGateways().map(async (g) => [g.code, await merchantGatewayCurrencies(db, id, g)] as const))),
    credentialsSetAt: new Map(credentials.map((c) => [c.provider, Number(c.updated_at)])),
    users: users.map((u) => ({ email: u.email, role: u.role, lastSignInAt: u.last_sign_in_at === null ? null : Number(u.last_sign_in_at) })),
    activity: activity.map((a) => ({ at: Number(a.at), email: a.email, action: a.action, detail: parseDetail(a.detail) })),
  };
}

function parseDetail(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
