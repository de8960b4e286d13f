/** What a CHOP charge remembers besides its columns (the `checkout` JSON): URLs, ext, extras, the masked card result. */
import type { CardResult } from '../providers/contract.js';
import type { TransactionRow } from '../store/transactions.js';

export interface CheckoutData {
  readonly ipnUrl: string | null;
  readonly callbackUrlSuccess: string | null;
  readonly callbackUrlFail: string | null;
  readonly mobileResultUrl: string | null;
  readonly ext: string | null;
  readonly extras: Readonly<Record<string, string>>;
  /** Refunds and cancels: the merchant's reason (the inquire API's `note`). */
  readonly note: string | null;
  /** Cards: the acquirer's answer, masked (never the full number or the CVC). */
  readonly card: CardResult | null;
  /** Wallets: the provider's code when the payment was declined. */
  readonly declineCode: string | null;
  /** Cards: sales sent to the acquirer so far (each declined one let the shopper try again, see card-payment.ts). */
  readonly cardAttempts: number;
  /** Cards: the acquirer's code of the last declined attempt, while the shopper may try again; null otherwise. */
  readonly lastDecline: string | null;
}

export const EMPTY_CHECKOUT: CheckoutData = {
  ipnUrl: null,
  callbackUrlSuccess: null,
  callbackUrlFail: null,
  mobileResultUrl: null,
  ext: null,
  extras: {},
  note: null,
  card: null,
  declineCode: null,
  cardAttempts: 0,
  lastDecline: null,
};

export function checkoutOf(row: Pick<TransactionRow, 'checkout'>): CheckoutData {
  return row.checkout ? { ...EMPTY_CHECKOUT, ...(JSON.parse(row.checkout) as Partial<CheckoutData>) } : EMPTY_CHECKOUT;
}

export const serializeCheckout = (data: CheckoutData): string => JSON.stringify(data);

/** The seed's `yyyy-MM-dd HH:mm:ss`, in UTC. */
export function formatIpnTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 19);
}

/** The client-facing CHOP id: the internal reference (32 random hex characters). */
export const chopClientId = (ref: string): string => `#${ref}`;
