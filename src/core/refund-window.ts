/** A payment's refund window: its POS gateway's or its CHOP payment method's. */
import { paymentMethod } from '../chop/methods.js';
import { gatewayProfile } from '../providers/registry.js';

/** The window in ms, or undefined when the gateway or method is no longer known. */
export function refundWindowMsOf(payment: {
  readonly channel: 'pos' | 'chop';
  readonly gateway: string | null;
  readonly payment_method: string | null;
}): number | undefined {
  const { gateway, payment_method: method } = payment;
  if (payment.channel === 'pos') return gateway === null ? undefined : gatewayProfile(gateway)?.refundWindowMs;
  return method === null ? undefined : paymentMethod(method)?.refundWindowMs;
}
