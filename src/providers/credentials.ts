/**
 * Live-mode provider credentials: their shape per provider (its descriptor's
 * live access), checked before they are stored (sealed) and parsed when a
 * live adapter is built.
 */
import { providerCatalog } from './catalog.js';

/** The providers live keys can use, which take stored credentials. */
export const liveProviderNames = (): string[] =>
  providerCatalog()
    .liveProviders()
    .map((p) => p.name);

export function isProviderName(value: string): boolean {
  return liveProviderNames().includes(value);
}

/** The fields a provider needs, for error messages and `--help`. */
export function credentialFields(provider: string): readonly string[] {
  return providerCatalog().provider(provider)?.live?.credentialFields ?? [];
}

/** Checks a provider's credentials; returns the problems found (empty when valid). */
export function parseCredentials(provider: string, input: unknown): { ok: true; value: object } | { ok: false; problems: string[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, problems: ['credentials must be a JSON object'] };
  const live = providerCatalog().provider(provider)?.live;
  if (!live) return { ok: false, problems: [`unknown provider ${provider}`] };
  return live.parseCredentials(input as Readonly<Record<string, unknown>>);
}
