/**
 * The LINE Pay Offline API versions CanCan speaks, as LINE Pay documents them
 * (developers-pay.line.me, "Offline API v2" and "Offline API v4"). Each
 * version is whole: its own paths, its own authentication and its own pay
 * body. Nothing is mixed (v4 headers on v2 paths is neither).
 *
 * - v2: `/v2/payments/...`; `X-LINE-ChannelId` + `X-LINE-ChannelSecret`;
 *   pay body `productName, amount, currency, orderId, oneTimeKey, capture`.
 * - v4: `/v4/payments/...`; `X-LINE-ChannelId` + HMAC `X-LINE-Authorization`
 *   and `X-LINE-Authorization-Nonce`; pay body `amount, currency, orderId,
 *   oneTimeKey, packages[]` (the product name travels in packages[].products[]).
 *
 * LINE Pay documents no offline v3 (v3 is the online API), so there is none here.
 * Check, void, refund and payment details take the same bodies in both.
 */
export const LINEPAY_API_VERSIONS = ['v2', 'v4'] as const;
export type LinePayApiVersion = (typeof LINEPAY_API_VERSIONS)[number];

export type OrderAction = 'check' | 'void' | 'refund';

export function payPath(version: LinePayApiVersion): string {
  return `/${version}/payments/oneTimeKeys/pay`;
}

/** API path of an order call; the orderId is percent-encoded (a v4 signature covers the path as sent). */
export function orderPath(version: LinePayApiVersion, orderNo: string, action: OrderAction): string {
  return `/${version}/payments/orders/${encodeURIComponent(orderNo)}/${action}`;
}

/** Payment Details API (`GET /{version}/payments?orderId=`). */
export function detailsPath(version: LinePayApiVersion): string {
  return `/${version}/payments`;
}

/** The version an API path belongs to, from its first segment. */
export function versionOfPath(apiPath: string): LinePayApiVersion | null {
  const first = apiPath.split('/')[1];
  return LINEPAY_API_VERSIONS.find((version) => version === first) ?? null;
}
