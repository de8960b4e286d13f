/** What the operator console reads: every merchant with its counts, and one merchant's settings, users and activity. */
import type { Kysely } from 'kysely';
import type { Merchant } from '../store/merchants.js';
import { enabledGateways, findMerchant } from '../store/merchants.js';
import type { Database, UserRole } from '../store/schema.js';
import { formatTime } from './html.js';

type Db = Kysely<Database>;

export interface MerchantSummary {
  readonly id: string;
  readonly name: string;
  readonly timezone: string;
  readonly createdAt: number;
  readonly gateways: number;
  readonly today: number;
}

/** UTC epoch of the last midnight in `zone` (day boundaries move with daylight saving). */
export function startOfDay(now: number, zone: string): number {
  // formatTime gives the wall-clock time in the zone; read it back as if it were UTC.
  const wallClock = (ms: number) => {
    const [y, mo, d, h, mi, s] = formatTime(ms, zone).split(/[- :]/).map(Number);
    return Date.UTC(y ?? 1970, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0);
  };
  const offset = (ms: number) => wallClock(ms) - Math.floor(ms / 1000) * 1000;
  const wall = wallClock(now);
  const midnightAsUtc = wall - (wall % 86_400_000);
  const guess = midnightAsUtc - offset(now);
  // Once more with the offset at that midnight, in case it differs from now's.
  return midnightAsUtc - offset(guess);
}

/** Every merchant, newest first, with the number of enabled gateways and of transactions since its own midnight. */
export async function listMerchants(db: Db, now: number): Promise<MerchantSummary[]> {
  const merchants = await db.selectFrom('merchants').select(['id', 'name', 'timezone', 'created_at']).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  const gatewayCounts = await db.selectFrom('merchant_gateways').select(['merchant_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('merchant_id').execute();
  const gateways = new Map(gatewayCounts.map((row) => [row.merchant_id, Number(row.n)]));
  return Promise.all(merchants.map(async (m) => {
    const today = await db.selectFrom('transactions').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('merchant_id', '=', m.id).where('created_at', '>=', startOfDay(now, m.timezone)).executeTakeFirstOrThrow();
    return { id: m.id, name: m.name, timezone: m.timezone, createdAt: Number(m.created_at), gateways: gateways.get(m.id) ?? 0, today: Number(today.n) };
  }));
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
  /** When each provider's credentials were last stored; the values are never read here. */
  readonly credentialsSetAt: ReadonlyMap<string, number>;
  readonly users: readonly MerchantUser[];
  readonly activity: readonly ActivityRow[];
}

export const ACTIVITY_LIMIT = 20;

export async function merchantDetail(db: Db, id: string): Promise<MerchantDetail | undefined> {
  const merchant = await findMerchant(db, id);
  if (!merchant) return undefined;
  const credentials = await db.selectFrom('provider_credentials').select(['provider', 'updated_at']).where('merchant_id', '=', id).execute();
  const users = await db.selectFrom('users').select(['email', 'role', 'last_sign_in_at']).where('merchant_id', '=', id).orderBy('created_at').execute();
  const activity = await db.selectFrom('audit_log').leftJoin('users', 'users.id', 'audit_log.user_id')
    .select(['audit_log.at', 'audit_log.action', 'audit_log.detail', 'users.email'])
    .where('audit_log.merchant_id', '=', id).orderBy('audit_log.id', 'desc').limit(ACTIVITY_LIMIT).execute();
  return {
    merchant: {
      ...merchant,
      void_window_ms: Number(merchant.void_window_ms), cancel_window_ms: Number(merchant.cancel_window_ms),
      refund_balance_exempt: Number(merchant.refund_balance_exempt), created_at: Number(merchant.created_at),
    },
    gateways: await enabledGateways(db, id),
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
