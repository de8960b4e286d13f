/**
 * The CHOP payment methods (`payment_method`, and the Online API's `vendor`):
 * which provider serves each, in which currencies, and how the shopper pays.
 * Each provider's descriptor defines its methods (providers/<name>/descriptor.ts).
 */
import { providerCatalog } from '../providers/catalog.js';

import type { PaymentMethod } from '../providers/catalog.js';

export type { PaymentMethod } from '../providers/catalog.js';
export type { PaymentFlow } from '../providers/descriptor.js';

/** The Online API's `vendor` values (pay_qr draws a QR, so QR flows only): the real providers' methods marked for it. */
export const PAY_QR_VENDORS: readonly string[] = providerCatalog()
  .methods.filter((m) => m.payQrVendor === true)
  .map((m) => m.code);

export function paymentMethod(code: string): PaymentMethod | undefined {
  return providerCatalog().method(code);
}

export function paymentMethodCodes(): string[] {
  return providerCatalog().methods.map((m) => m.code);
}
