import { randomBytes } from 'node:crypto';

/** Random identifiers. Hex keeps them valid as provider order numbers (WeChat ≤ 32 chars). */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Internal transaction reference: 32 hex chars, also the provider order number. */
export const newTransactionRef = (): string => randomHex(16);
export const newMerchantId = (): string => `mch_${randomHex(8)}`;
export const newKeyId = (): string => `key_${randomHex(8)}`;

/** The POS-provided transaction id: 1–64 chars of [A-Za-z0-9._:-]. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
