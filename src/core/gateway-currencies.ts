/**
 * Checks of a merchant's currency list for a gateway (the CLI's `merchant
 * currencies`): only gateways that offer a choice take one, and only
 * currencies among their choices.
 */
import { type CurrencyCode, isCurrencyCode } from '../domain/money.js';
import type { GatewayProfile } from '../providers/catalog.js';
import { providerCatalog } from '../providers/catalog.js';

export type CheckedCurrencies =
  { readonly ok: true; readonly gateway: GatewayProfile; readonly currencies: readonly CurrencyCode[] } | { readonly ok: false; readonly problem: string };

/** Gateways whose currencies a merchant chooses. */
export const configurableGateways = (): GatewayProfile[] => providerCatalog().gateways.filter((g) => g.currencyChoices !== undefined);

/** The gateway, if a merchant may choose its currencies; else why not. */
export function configurableGateway(
  gatewayCode: string,
): { readonly ok: true; readonly gateway: GatewayProfile } | { readonly ok: false; readonly problem: string } {
  const gateway = providerCatalog().gateway(gatewayCode);
  if (gateway?.currencyChoices) return { ok: true, gateway };
  const codes = configurableGateways().map((g) => g.code);
  return { ok: false, problem: `the currencies of ${gatewayCode} are not configurable; gateways that take a list: ${codes.join(', ')}` };
}

/** `list` is comma-separated ISO codes (any case, spaces allowed); duplicates are kept once. */
export function checkGatewayCurrencies(gatewayCode: string, list: string): CheckedCurrencies {
  const configurable = configurableGateway(gatewayCode);
  if (!configurable.ok) return configurable;
  const { gateway } = configurable;
  const choices = gateway.currencyChoices ?? [];
  const codes = [
    ...new Set(
      list
        .split(',')
        .map((c) => c.trim().toUpperCase())
        .filter(Boolean),
    ),
  ];
  if (codes.length === 0) return { ok: false, problem: `name at least one currency of ${choices.join(', ')}` };
  const refused = codes.filter((c) => !isCurrencyCode(c) || !choices.includes(c));
  if (refused.length > 0) return { ok: false, problem: `${gateway.code} cannot take ${refused.join(', ')}; choose among ${choices.join(', ')}` };
  return { ok: true, gateway, currencies: codes as CurrencyCode[] };
}
