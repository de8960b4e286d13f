/**
 * A card decline in the shopper's words: what the acquirer's answer means
 * and what to do next. The codes are Converge's `ssl_result_message` texts
 * and error codes (providers/card/errors.ts); anything else is a plain decline.
 */
import type { Lang } from './i18n.js';

type Reason = 'declined' | 'funds' | 'expired' | 'cvc' | 'details' | 'notAllowed';

const REASON_OF: Readonly<Record<string, Reason>> = {
  'INSUFFICIENT FUNDS': 'funds',
  'EXPIRED CARD': 'expired',
  'DECLINED CVV2': 'cvc',
  'SERV NOT ALLOWED': 'notAllowed',
  '5000': 'details',
  '5001': 'details',
  '5021': 'details',
};

const WORDS: Readonly<Record<Lang, Readonly<Record<Reason, string>>>> = {
  en: {
    declined: 'Your bank declined this card. Try another card, or ask your bank why.',
    funds: 'The card does not have enough funds for this payment. Try another card.',
    expired: 'The bank says this card has expired. Check the expiry date, or use another card.',
    cvc: 'The security code (CVC) did not match. Check the 3 or 4 digits and try again.',
    details: 'The bank could not accept the card details. Check them and try again.',
    notAllowed: 'This card cannot be used for this kind of payment. Try another card.',
  },
  zh: {
    declined: '发卡行拒绝了这张卡。请换一张卡，或向发卡行询问原因。',
    funds: '该卡余额不足以支付这笔款项。请换一张卡。',
    expired: '发卡行表示该卡已过期。请检查有效期，或换一张卡。',
    cvc: '安全码 (CVC) 不正确。请核对 3 或 4 位数字后重试。',
    details: '发卡行无法接受所填的卡片信息。请检查后重试。',
    notAllowed: '该卡不能用于此类支付。请换一张卡。',
  },
};

/** The reason for a declined card, in plain words. */
export function declineText(lang: Lang, code: string): string {
  return WORDS[lang][REASON_OF[code] ?? 'declined'];
}
