/**
 * `cancan user create|list|reset-password`: dashboard users. Passwords come
 * from standard input only (never an argument: arguments are visible to
 * every user of the machine).
 */
import { readFileSync } from 'node:fs';
import { AccountError, audit, createUser, normalizeEmail } from '../dashboard/accounts.js';
import { hashPassword, passwordProblem } from '../dashboard/passwords.js';
import type { Store } from '../store/db.js';
import { findMerchant } from '../store/merchants.js';
import { isoTime } from './times.js';
import { UsageError } from './usage.js';

export interface UserFlags {
  readonly merchant?: string | undefined;
  readonly role?: string | undefined;
  readonly operator?: boolean | undefined;
  readonly email?: string | undefined;
  readonly 'password-stdin'?: boolean | undefined;
}

/** One line from standard input: the trailing newline of `echo` or a here-string is not part of it. */
const passwordFromStdin = (): string => readFileSync(0, 'utf8').replace(/\r?\n$/, '');

function emailOf(flags: UserFlags, command: string): string {
  const email = flags.email;
  if (email === undefined || email.trim() === '') throw new UsageError('--email is required', command);
  if (flags['password-stdin'] !== true) throw new UsageError('--password-stdin is required (passwords are never taken as arguments)', command);
  return email;
}

export async function createUserCommand(store: Store, flags: UserFlags, json: boolean, now: number): Promise<string> {
  const command = 'user create';
  if (flags.operator === true && (flags.merchant !== undefined || flags.role !== undefined))
    throw new UsageError('--operator takes no --merchant or --role', command);
  if (flags.operator !== true && flags.merchant === undefined) throw new UsageError("name the user's --merchant ID, or make an --operator", command);
  // Operators are made with --operator only: `--merchant M --role operator` is refused, not turned into an operator of no merchant.
  const merchantRole = flags.role ?? 'owner';
  if (flags.operator !== true && merchantRole !== 'owner' && merchantRole !== 'staff') throw new UsageError('--role must be owner or staff', command);
  const role = flags.operator === true ? 'operator' : (merchantRole as 'owner' | 'staff');
  const email = emailOf(flags, command);
  const merchantId = role === 'operator' ? null : (flags.merchant ?? '');
  if (merchantId !== null && !(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId} (cancan merchant list shows them)`);
  try {
    const user = await createUser(store.db, { email, password: passwordFromStdin(), role, merchantId, now });
    return json
      ? JSON.stringify({ user: { id: user.id, email: user.email, role, merchant: merchantId, created_at: isoTime(user.created_at) } })
      : `User ${user.id} (${user.email}, ${role}${merchantId ? ` of ${merchantId}` : ''}) created.`;
  } catch (error) {
    if (error instanceof AccountError) throw new Error(error.message, { cause: error });
    throw error;
  }
}

export async function listUsers(store: Store, flags: UserFlags, json: boolean): Promise<string> {
  let query = store.db.selectFrom('users').select(['id', 'email', 'role', 'merchant_id', 'created_at', 'last_sign_in_at']).orderBy('created_at');
  if (flags.merchant !== undefined) query = query.where('merchant_id', '=', flags.merchant);
  const users = (await query.execute()).map((u) => ({ ...u, created_at: isoTime(u.created_at), last_sign_in_at: isoTime(u.last_sign_in_at) }));
  if (json) return JSON.stringify({ users });
  return users.map((u) => `${u.id}\t${u.email}\t${u.role}\t${u.merchant_id ?? '-'}`).join('\n') || 'No users.';
}

/** A new password; the user's sessions end (a stolen session dies with the old password) and sign-in lockouts clear. */
export async function resetPassword(store: Store, flags: UserFlags, json: boolean, now: number): Promise<string> {
  const email = normalizeEmail(emailOf(flags, 'user reset-password'));
  const user = await store.db.selectFrom('users').select(['id', 'merchant_id']).where('email', '=', email).executeTakeFirst();
  if (!user) throw new Error(`no user with e-mail ${email} (cancan user list shows them)`);
  const password = passwordFromStdin();
  const problem = passwordProblem(password);
  if (problem) throw new Error(`${problem}; nothing changed`);
  const passwordHash = await hashPassword(password);
  const sessionsEnded = await store.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', user.id).execute();
    const ended = await trx.deleteFrom('sessions').where('user_id', '=', user.id).executeTakeFirst();
    await trx.deleteFrom('sign_in_failures').where('key', '=', `email:${email}`).execute();
    await audit(trx, { userId: user.id, merchantId: user.merchant_id, action: 'user.password_reset', target: user.id, detail: { by: 'cli' } }, now);
    return Number(ended.numDeletedRows);
  });
  if (json) return JSON.stringify({ user: { id: user.id, email }, password_reset: true, sessions_ended: sessionsEnded });
  return `Password of ${email} (${user.id}) reset; ${sessionsEnded} session${sessionsEnded === 1 ? '' : 's'} ended.`;
}
