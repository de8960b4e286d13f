/**
 * Dashboard accounts: users, server-side sessions, sign-in throttling and the
 * audit log. Sessions live in the database (any API process can serve any
 * request); the cookie holds a random secret, the table only its digest.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Kysely, PostgresAdapter, type Selectable, sql } from 'kysely';
import { randomHex } from '../domain/ids.js';
import type { Database, UserRole, UsersTable } from '../store/schema.js';
import { decoyHash, hashPassword, needsRehash, passwordProblem, verifyPassword } from './passwords.js';

export type User = Selectable<UsersTable>;
type Db = Kysely<Database>;

/** A session ends after this long without a request, and at the latest this long after sign-in. */
export const SESSION_IDLE_MS = 2 * 3_600_000;
export const SESSION_MAX_MS = 12 * 3_600_000;
/** Failed sign-ins (and those being checked) counted per e-mail and per client address over this window. */
export const THROTTLE_WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_IP = 20;

const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export class AccountError extends Error {}

export async function createUser(db: Db, input: { email: string; password: string; role: UserRole; merchantId: string | null; now: number }): Promise<User> {
  const email = normalizeEmail(input.email);
  if (!EMAIL_PATTERN.test(email)) throw new AccountError(`not an e-mail address: ${input.email}`);
  const problem = passwordProblem(input.password);
  if (problem) throw new AccountError(problem);
  if ((input.role === 'operator') !== (input.merchantId === null)) throw new AccountError('operators have no merchant; owners and staff need one');
  if (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst())
    throw new AccountError(`a user with e-mail ${email} already exists`);
  const user: User = {
    id: `usr_${randomHex(8)}`,
    email,
    password_hash: await hashPassword(input.password),
    role: input.role,
    merchant_id: input.merchantId,
    created_at: input.now,
    last_sign_in_at: null,
  };
  await db.insertInto('users').values(user).execute();
  return user;
}

export type SignInResult =
  | { readonly ok: true; readonly user: User }
  | { readonly ok: false; readonly reason: 'wrong' }
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfterMs: number };

/**
 * Checks a password. Wrong e-mail and wrong password look the same to the
 * caller (and take as long); too many recent failures refuse before checking.
 */
export async function signIn(db: Db, input: { email: string; password: string; ip: string; now: number }): Promise<SignInResult> {
  const email = normalizeEmail(input.email);
  const keys = { email: `email:${email}`, ip: `ip:${input.ip}` };
  const since = input.now - THROTTLE_WINDOW_MS;
  const claim = await claimAttempt(db, keys, input.now);
  if (!claim.ok) return claim;
  const user = EMAIL_PATTERN.test(email) ? await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst() : undefined;
  const good = await verifyPassword(input.password, user?.password_hash ?? (await decoyHash()));
  if (!user || !good) {
    // The claimed attempt stays: it is now a failure.
    await db.deleteFrom('sign_in_failures').where('at', '<', since).execute();
    return { ok: false, reason: 'wrong' };
  }
  // A success clears the e-mail's failures and takes back its claim on the address.
  await db
    .deleteFrom('sign_in_failures')
    .where((eb) => eb.or([eb('key', '=', keys.email), eb('id', '=', claim.ipClaim)]))
    .execute();
  const rehashed = needsRehash(user.password_hash) ? await hashPassword(input.password) : null;
  await db
    .updateTable('users')
    .set({ last_sign_in_at: input.now, ...(rehashed ? { password_hash: rehashed } : {}) })
    .where('id', '=', user.id)
    .execute();
  return { ok: true, user: rehashed ? { ...user, password_hash: rehashed } : user };
}

/**
 * Counts this attempt against the e-mail and the address before its password
 * is checked, atomically: it is recorded first (as a failure, until it
 * succeeds), then the window is counted in the same transaction, so of any
 * number of simultaneous attempts at most the limit get checked. PostgreSQL
 * serialises per key with advisory locks; SQLite's writer lock, taken by the
 * insert, serialises everything. An attempt over the limit takes its record
 * back, so refused attempts do not extend the block.
 */
async function claimAttempt(
  db: Db,
  keys: { email: string; ip: string },
  now: number,
): Promise<{ ok: true; ipClaim: number } | Extract<SignInResult, { reason: 'throttled' }>> {
  const since = now - THROTTLE_WINDOW_MS;
  return db.transaction().execute(async (trx) => {
    if (trx.getExecutor().adapter instanceof PostgresAdapter) {
      // Sorted, so two attempts never wait on each other's locks in opposite order.
      for (const key of [keys.email, keys.ip].sort()) await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
    }
    const claims = await trx
      .insertInto('sign_in_failures')
      .values([
        { key: keys.email, at: now },
        { key: keys.ip, at: now },
      ])
      .returning(['id', 'key'])
      .execute();
    const mine = new Set(claims.map((c) => Number(c.id)));
    const rows = await trx
      .selectFrom('sign_in_failures')
      .select(['id', 'key', 'at'])
      .where('key', 'in', [keys.email, keys.ip])
      .where('at', '>', since)
      .orderBy('at')
      .orderBy('id')
      .execute();
    const earlier = rows.filter((r) => !mine.has(Number(r.id)));
    const byEmail = earlier.filter((r) => r.key === keys.email);
    const byIp = earlier.filter((r) => r.key === keys.ip);
    const blockedBy =
      byEmail.length >= MAX_FAILURES_PER_EMAIL
        ? { rows: byEmail, max: MAX_FAILURES_PER_EMAIL }
        : byIp.length >= MAX_FAILURES_PER_IP
          ? { rows: byIp, max: MAX_FAILURES_PER_IP }
          : null;
    if (blockedBy) {
      await trx
        .deleteFrom('sign_in_failures')
        .where('id', 'in', [...mine])
        .execute();
      // Free again when the oldest failure that counts leaves the window.
      const oldest = Number(blockedBy.rows[blockedBy.rows.length - blockedBy.max]?.at ?? now);
      return { ok: false, reason: 'throttled', retryAfterMs: Math.max(1000, oldest + THROTTLE_WINDOW_MS - now) } as const;
    }
    const ipClaim = claims.find((c) => c.key === keys.ip);
    return { ok: true, ipClaim: Number(ipClaim?.id) } as const;
  });
}

export interface Session {
  readonly idDigest: string;
  readonly user: User;
  readonly csrfToken: string;
}

const digest = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Starts a session; answers the cookie's secret. */
export async function startSession(db: Db, user: User, now: number): Promise<string> {
  const secret = randomBytes(32).toString('base64url');
  // Sessions nobody came back to are swept here rather than by a timer.
  await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - SESSION_IDLE_MS)]))
    .execute();
  await db
    .insertInto('sessions')
    .values({
      id_digest: digest(secret),
      user_id: user.id,
      csrf_token: randomBytes(24).toString('base64url'),
      created_at: now,
      last_seen_at: now,
      expires_at: now + SESSION_MAX_MS,
    })
    .execute();
  return secret;
}

/** The live session a cookie names (sliding idle expiry), or null when absent, unknown or expired. */
export async function loadSession(db: Db, secret: string | undefined, now: number): Promise<Session | null> {
  if (!secret || secret.length > 100) return null;
  const idDigest = digest(secret);
  // The session and its user in one read (users has no column of these three names).
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select(['sessions.csrf_token', 'sessions.last_seen_at', 'sessions.expires_at'])
    .where('sessions.id_digest', '=', idDigest)
    .executeTakeFirst();
  if (!row) return null;
  const { csrf_token: csrfToken, last_seen_at: lastSeenAt, expires_at: expiresAt, ...user } = row;
  if (Number(expiresAt) <= now || Number(lastSeenAt) + SESSION_IDLE_MS <= now) {
    await db.deleteFrom('sessions').where('id_digest', '=', idDigest).execute();
    return null;
  }
  // One write a minute at most keeps reading pages cheap.
  if (now - Number(lastSeenAt) > 60_000) await db.updateTable('sessions').set({ last_seen_at: now }).where('id_digest', '=', idDigest).execute();
  return { idDigest, user, csrfToken };
}

export async function endSession(db: Db, idDigest: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_digest', '=', idDigest).execute();
}

export interface AuditEntry {
  readonly userId: string;
  readonly merchantId: string | null;
  readonly action: string;
  readonly target: string | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Records who did what; pass the transaction that made the change, so both land or neither. */
export async function audit(db: Db, entry: AuditEntry, now: number): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: now,
      user_id: entry.userId,
      merchant_id: entry.merchantId,
      action: entry.action,
      target: entry.target,
      detail: JSON.stringify(entry.detail ?? {}),
    })
    .execute();
}

/** Audit entries about one target, newest first, with the acting user's e-mail. */
export async function auditTrail(db: Db, target: string): Promise<{ at: number; email: string; action: string; detail: Record<string, unknown> }[]> {
  const rows = await db
    .selectFrom('audit_log')
    .leftJoin('users', 'users.id', 'audit_log.user_id')
    .select(['audit_log.at', 'audit_log.action', 'audit_log.detail', 'users.email'])
    .where('audit_log.target', '=', target)
    .orderBy('audit_log.id', 'desc')
    .execute();
  return rows.map((r) => ({ at: Number(r.at), email: r.email ?? '(deleted user)', action: r.action, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}
