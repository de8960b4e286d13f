/**
 * Live card acquirer (Converge) credentials, checked before they are stored:
 * the account's merchant id, the API user id and its terminal PIN, whether
 * the account is set up for multi-currency, and the account's own currency.
 * Problems name fields, never their values: the PIN must not end up in an error.
 */
import { type Fields, choice, parsed, text } from '../credential-fields.js';
import type { ParsedCredentials } from '../descriptor.js';
import { SETTLEMENT_CURRENCIES } from '../settlement.js';
import type { CardCredentials } from './transformers.js';

export const CARD_CREDENTIAL_FIELDS = [
  'merchantId',
  'userId',
  'pin',
  'multiCurrency (true | false, default false: whether the Converge account is set up for multi-currency)',
  `currency (the account's currency, default USD: ${SETTLEMENT_CURRENCIES.join(' | ')})`,
] as const;

export const CARD_CREDENTIALS_USAGE = '{"merchantId","userId","pin","multiCurrency":false|true,"currency":"USD"}';

/** Converge ids and PINs are plain ASCII without spaces; anything else is a paste gone wrong. */
const TOKEN = /^[\x21-\x7e]{1,64}$/;

export function parseCardCredentials(fields: Fields): ParsedCredentials<CardCredentials> {
  const problems: string[] = [];
  const merchantId = token(fields, 'merchantId', problems);
  const userId = token(fields, 'userId', problems);
  const pin = token(fields, 'pin', problems);
  const multiCurrency = fields['multiCurrency'] ?? false;
  if (typeof multiCurrency !== 'boolean') problems.push('multiCurrency must be true or false');
  const currency = choice(fields, 'currency', SETTLEMENT_CURRENCIES, 'USD', problems);
  return parsed({ merchantId, userId, pin, multiCurrency: multiCurrency === true, currency }, problems);
}

function token(fields: Fields, name: string, problems: string[]): string {
  const value = text(fields, name, problems);
  if (value !== '' && !TOKEN.test(value)) problems.push(`${name} must be 1 to 64 printable characters without spaces`);
  return value;
}
