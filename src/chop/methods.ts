/**
 * The CHOP payment methods (`payment_method`, and the Online API's `vendor`):
 * which provider serves each, in which currencies, and how the shopper pays.
 */
import type { CurrencyCode } from '../domain/money.js';
import type { ProviderName } from '../providers/contract.js';

export type PaymentFlow =
  /** The page shows a QR of the provider's merchant-presented code. */
  | 'qr'
  /** The page sends the shopper's browser on to the provider (UnionPay). */
  | 'redirect'
  /** The page shows a card form. */
  | 'card';

export interface PaymentMethod {
  readonly code: string;
  readonly provider: ProviderName;
  readonly flow: PaymentFlow;
  readonly currencies: readonly CurrencyCode[];
  /** Citcon's cancel API serves Alipay and WeChat Pay only. */
  readonly cancellable: boolean;
  /** How long after payment the provider accepts refunds. */
  readonly refundWindowMs: number;
  readonly label: { readonly en: string; readonly zh: string };
}

const DAY = 86_400_000;
/** Cross-border wallet and card acquiring currencies CanCan settles. */
const SETTLEMENT: readonly CurrencyCode[] = ['USD', 'CAD', 'EUR', 'GBP', 'HKD', 'JPY', 'CNY', 'AUD', 'NZD', 'SGD'];

const METHODS: readonly PaymentMethod[] = [
  { code: 'alipay', provider: 'alipay', flow: 'qr', currencies: SETTLEMENT, cancellable: true, refundWindowMs: 365 * DAY, label: { en: 'Alipay', zh: '支付宝' } },
  { code: 'wechatpay', provider: 'wechatpay', flow: 'qr', currencies: SETTLEMENT, cancellable: true, refundWindowMs: 365 * DAY, label: { en: 'WeChat Pay', zh: '微信支付' } },
  { code: 'cc', provider: 'card', flow: 'card', currencies: SETTLEMENT, cancellable: false, refundWindowMs: 180 * DAY, label: { en: 'Credit card', zh: '信用卡' } },
  { code: 'upop', provider: 'unionpay', flow: 'redirect', currencies: SETTLEMENT, cancellable: false, refundWindowMs: 365 * DAY, label: { en: 'UnionPay', zh: '银联' } },
  { code: 'alipay_hk', provider: 'alipayplus', flow: 'qr', currencies: ['HKD'], cancellable: false, refundWindowMs: 365 * DAY, label: { en: 'AlipayHK', zh: '支付宝香港' } },
  { code: 'dana', provider: 'alipayplus', flow: 'qr', currencies: ['IDR'], cancellable: false, refundWindowMs: 365 * DAY, label: { en: 'DANA', zh: 'DANA' } },
  { code: 'gcash', provider: 'alipayplus', flow: 'qr', currencies: ['PHP'], cancellable: false, refundWindowMs: 365 * DAY, label: { en: 'GCash', zh: 'GCash' } },
  { code: 'kakaopay', provider: 'alipayplus', flow: 'qr', currencies: ['KRW'], cancellable: false, refundWindowMs: 365 * DAY, label: { en: 'Kakao Pay', zh: 'Kakao Pay' } },
  { code: 'jkopay', provider: 'alipayplus', flow: 'qr', currencies: ['TWD'], cancellable: false, refundWindowMs: 365 * DAY, label: { en: 'JKOPAY', zh: '街口支付' } },
];

/** The Online API's `vendor` values (pay_qr draws a QR, so QR flows only). */
export const PAY_QR_VENDORS = ['alipay', 'wechatpay', 'kakaopay', 'alipay_hk'] as const;

export function paymentMethod(code: string): PaymentMethod | undefined {
  return METHODS.find((m) => m.code === code);
}

export function paymentMethodCodes(): string[] {
  return METHODS.map((m) => m.code);
}
