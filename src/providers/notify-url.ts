/**
 * Where a provider sends its asynchronous notifications: CanCan's own route
 * under its public URL (CANCAN_PUBLIC_URL, default the listening address).
 * One function, so every adapter names the same route.
 */
export function providerNotifyUrl(publicUrl: string, provider: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/notify/${encodeURIComponent(provider)}`;
}
