/**
 * Card data helpers for the hosted card form and the card adapter: Luhn,
 * masking, expiry parsing and the form validator. Card numbers and CVCs only
 * pass through here: nothing is stored, logged or echoed in a message.
 */
import type { CardDetails } from '../contract.js';

/** What the shopper typed into the hosted card form. */
export interface CardFormInput {
  readonly number: string;
  readonly expiry: string;
  readonly cvc: string;
  readonly name: string;
  readonly postalCode: string;
}

export type CardFormField = keyof CardFormInput;

export interface CardFormProblem {
  readonly field: CardFormField;
  readonly message: string;
}

export type CardFormResult = { readonly ok: true; readonly card: CardDetails } | { readonly ok: false; readonly problems: readonly CardFormProblem[] };

/** PAN lengths the card schemes issue (ISO/IEC 7812: up to 19 digits; none shorter than 12 in use). */
const PAN = /^\d{12,19}$/;
/** Converge's own limits: ssl_first_name 20 + ssl_last_name 30 (ActiveMerchant elavon.rb truncates to these). */
const NAME_MAX_CHARS = 50;
/** Converge ssl_avs_zip: up to 9 characters (letters and digits; ActiveMerchant strips the rest). */
const POSTAL_CODE = /^[A-Za-z0-9][A-Za-z0-9 -]{0,9}$/;

/** Digits only: shoppers type spaces and dashes between digit groups. */
export function cardDigits(number: string): string {
  return number.replace(/[\s-]/g, '');
}

/** The Luhn (mod 10) check every card number carries in its last digit. */
export function luhnValid(number: string): boolean {
  if (!/^\d+$/.test(number)) return false;
  let sum = 0;
  let double = false;
  for (let index = number.length - 1; index >= 0; index -= 1) {
    let digit = number.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * 4111111111111111 → 4111xxxxxxxx1111 (the seed's format: first four, last
 * four). Anything too short to mask safely is masked entirely.
 */
export function maskCardNumber(number: string): string {
  const digits = cardDigits(number);
  if (digits.length < 12) return 'x'.repeat(digits.length);
  return `${digits.slice(0, 4)}${'x'.repeat(digits.length - 8)}${digits.slice(-4)}`;
}

/** `MM/YY`, `MM / YY` or `MMYY` → `MMYY`; null when it is not a real month. */
export function normaliseExpiry(expiry: string): string | null {
  const match = /^\s*(\d{2})\s*\/?\s*(\d{2})\s*$/.exec(expiry);
  if (match === null) return null;
  const month = Number(match[1]);
  if (month < 1 || month > 12) return null;
  return `${match[1]}${match[2]}`;
}

/** A card is valid through the last day of its expiry month (UTC here). */
export function isExpired(mmyy: string, nowMs: number): boolean {
  const month = Number(mmyy.slice(0, 2));
  const year = 2000 + Number(mmyy.slice(2, 4));
  const firstDayAfter = Date.UTC(year, month, 1); // month is 1-based, so this is the next month
  return nowMs >= firstDayAfter;
}

/** American Express numbers start 34 or 37 (15 digits). */
export function isAmex(number: string): boolean {
  return /^3[47]\d{13}$/.test(number);
}

/**
 * Checks the card form before anything is sent to the acquirer. A past
 * expiry passes here on purpose: the acquirer declines it (a sandbox test
 * value), as a real issuer would. Messages never quote what was typed.
 */
export function validateCardForm(input: CardFormInput): CardFormResult {
  const problems: CardFormProblem[] = [];
  const number = cardDigits(input.number);
  if (number === '') problems.push({ field: 'number', message: 'Enter the card number.' });
  else if (!PAN.test(number)) problems.push({ field: 'number', message: 'A card number has 12 to 19 digits.' });
  else if (!luhnValid(number)) problems.push({ field: 'number', message: 'This card number is not valid. Check it for typing mistakes.' });

  const expiry = normaliseExpiry(input.expiry);
  if (input.expiry.trim() === '') problems.push({ field: 'expiry', message: 'Enter the expiry date (MM/YY).' });
  else if (expiry === null) problems.push({ field: 'expiry', message: 'Write the expiry date as MM/YY, with a month from 01 to 12.' });

  const cvc = input.cvc.trim();
  if (cvc === '') problems.push({ field: 'cvc', message: 'Enter the security code (CVC).' });
  else if (!/^\d{3,4}$/.test(cvc)) problems.push({ field: 'cvc', message: 'The security code has 3 or 4 digits.' });

  const name = input.name.trim().replace(/\s+/g, ' ');
  if (name === '') problems.push({ field: 'name', message: 'Enter the name on the card.' });
  else if (Array.from(name).length > NAME_MAX_CHARS) problems.push({ field: 'name', message: `The name can have at most ${NAME_MAX_CHARS} characters.` });
  else if (/\p{Cc}/u.test(name)) problems.push({ field: 'name', message: 'The name contains characters that cannot be sent.' });

  const postalCode = input.postalCode.trim();
  if (postalCode !== '' && !POSTAL_CODE.test(postalCode)) {
    problems.push({ field: 'postalCode', message: 'The postal code can have up to 10 letters, digits, spaces or dashes.' });
  }

  if (problems.length > 0 || expiry === null) return { ok: false, problems };
  return { ok: true, card: { number, expiry, cvc, name, postalCode } };
}
