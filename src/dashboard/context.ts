/** What every signed-in dashboard request knows about its user. */
import type { KeyMode } from '../domain/secrets.js';
import type { Merchant } from '../store/merchants.js';
import type { Session, User } from './accounts.js';
import type { Lang } from './i18n.js';

export interface DashContext {
  readonly user: User;
  readonly session: Session;
  readonly csrfToken: string;
  readonly lang: Lang;
  readonly now: number;
  /** The merchant whose data the user sees; null for operators, who see every merchant. */
  readonly merchantId: string | null;
  /** That merchant's row, read once per request (its name, time zone, windows); null for operators. */
  readonly merchant: Merchant | null;
  /** The merchant's time zone; UTC for operators, who see many merchants at once. */
  readonly timeZone: string;
  readonly isOperator: boolean;
  /** Owners and operators may act (refund, void, keys…); staff only read. */
  readonly canAct: boolean;
  /** The one mode (test or live) every page shows and every action acts in. */
  readonly mode: KeyMode;
  /** Path and query of this request, for links back to it. */
  readonly path: string;
}
