/** A payment's refund window: its POS gateway's or its CHOP payment method's. */
import { paymentMethod } from '../chop/methods.js';
import { gatewayProfile } from '../providers/registry.js';

/** The window in ms, or undefined when the gateway or method is no longer known. */
export function refundWindowMsOf(payment: { readonly channel: 'pos' | 'chop'; readonly gateway: string | null }): number | undefined {
  if (payment.gateway === null) return undefined;
  return payment.channel === 'pos' ? gatewayProfile(payment.gateway)?.refundWindowMs : paymentMethod(payment.gateway)?.refundWindowMs;
}
