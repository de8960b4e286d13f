/**
 * `payment_gateway: "auto"` (beyond the blueprint): the cashier scans a code
 * and CanCan picks the gateway by the code's documented shape (each gateway's
 * `authCodeShape`), among the gateways this merchant can sell through in the
 * sale's currency. Exactly one must remain; none or several is a 400 that
 * names the gateways concerned. The code itself is never named, logged or
 * echoed: only its shape is spoken of.
 */
import { ApiError, type ErrorItem, attributeError } from '../domain/errors.js';
import type { CurrencyCode } from '../domain/money.js';
import { fitsAuthCodeShape, describeAuthCodeShape } from '../providers/auth-code-shape.js';
import { type GatewayProfile, providerCatalog } from '../providers/catalog.js';
import { amountRuleBreach } from '../providers/amount-rules.js';
import type { Caller } from './create-transaction.js';
import type { CoreDeps } from './deps.js';
import type { TransactionRequest } from './validate.js';

/** The `payment_gateway` value that asks CanCan to choose. */
export const AUTO_GATEWAY = 'auto';

type SaleRequest = Extract<TransactionRequest, { type: 'sale' }>;

const GATEWAY_POINTER = '/data/attributes/payment_gateway';
const AUTH_KEY_POINTER = '/data/attributes/payment_auth_key';
const AUTO = '`payment_gateway` "auto"';

/** The gateways whose documented code shape the code fits, in the catalog's order. */
export function gatewaysForCodeShape(code: string, gateways: readonly GatewayProfile[] = providerCatalog().gateways): GatewayProfile[] {
  return gateways.filter((g) => g.authCodeShape !== undefined && fitsAuthCodeShape(g.authCodeShape, code));
}

/** A gateway whose shape fits, and why it cannot take this sale (null: it can). */
export interface Standing {
  readonly gateway: GatewayProfile;
  readonly refusal: string | null;
}

export type AutoChoice = { readonly ok: true; readonly gateway: GatewayProfile } | { readonly ok: false; readonly error: ErrorItem };

/** "a", "a and b", "a, b and c". */
function listed(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The shapes "auto" knows, each with its gateways: "18 digits starting 10–15 (wechatpay_cn_domestic, wechatpay_international)". */
export function knownShapes(gateways: readonly GatewayProfile[] = providerCatalog().gateways): string {
  const byShape = new Map<string, string[]>();
  for (const gateway of gateways) {
    if (!gateway.authCodeShape) continue;
    const shape = describeAuthCodeShape(gateway.authCodeShape);
    byShape.set(shape, [...(byShape.get(shape) ?? []), gateway.code]);
  }
  return [...byShape].map(([shape, codes]) => `${shape} (${codes.join(', ')})`).join('; ');
}

/**
 * The choice among the gateways whose shape fits (`shaped`, with why each cannot take the sale).
 * `gateways` is the whole list, for naming the known shapes when none fits.
 */
export function chooseGateway(
  currency: CurrencyCode,
  shaped: readonly Standing[],
  gateways: readonly GatewayProfile[] = providerCatalog().gateways,
): AutoChoice {
  if (shaped.length === 0) {
    return {
      ok: false,
      error: attributeError(
        `${AUTO}: \`payment_auth_key\` has the shape of no gateway's payment code; the shapes known: ${knownShapes(gateways)}`,
        AUTH_KEY_POINTER,
      ),
    };
  }
  const able = shaped.filter((s) => s.refusal === null).map((s) => s.gateway);
  const [only, ...others] = able;
  if (only && others.length === 0) return { ok: true, gateway: only };
  if (only) {
    const codes = listed(able.map((g) => g.code));
    return {
      ok: false,
      error: attributeError(
        `${AUTO} cannot choose: ${codes} ${able.length === 2 ? 'both' : 'all'} take a payment code of this shape in ${currency} for this merchant; name the gateway in \`payment_gateway\``,
        GATEWAY_POINTER,
      ),
    };
  }
  const reasons = shaped.map((s) => `${s.gateway.code} ${s.refusal ?? ''}`);
  return {
    ok: false,
    error: attributeError(
      `${AUTO}: no gateway enabled for this merchant takes a payment code of this shape in ${currency}: ${listed(reasons)}`,
      GATEWAY_POINTER,
    ),
  };
}

/** Why `gateway` cannot take a sale in `currency` for this caller (null: it can). */
async function refusalOf(
  deps: CoreDeps,
  caller: Caller,
  enabled: ReadonlySet<string>,
  gateway: GatewayProfile,
  currency: CurrencyCode,
): Promise<string | null> {
  if (!enabled.has(gateway.code)) return 'is not enabled for this merchant';
  const currencies = await deps.lookups.gatewayCurrencies(caller.merchant.id, gateway);
  if (!currencies.includes(currency)) return `does not sell in ${currency} (sells in ${currencies.join(', ')})`;
  // A live key sells only through providers the merchant has credentials for.
  if (caller.mode === 'live' && (await deps.adapters.adapterFor(gateway, caller.mode, caller.merchant.id)) === null) {
    return `has no live ${gateway.provider} credentials for this merchant`;
  }
  return null;
}

/**
 * The sale with "auto" replaced by the gateway chosen for it; a 400 when none
 * or several fit. The chosen gateway's amount rules (whole units, minimums)
 * are held to here, as validate.ts holds a named gateway's.
 */
export async function withChosenGateway(deps: CoreDeps, caller: Caller, sale: SaleRequest): Promise<SaleRequest> {
  const { payment_auth_key: code, currency, amount } = sale.attributes;
  const enabled = await deps.lookups.enabledGateways(caller.merchant.id);
  const shaped = await Promise.all(
    gatewaysForCodeShape(code).map(async (gateway) => ({ gateway, refusal: await refusalOf(deps, caller, enabled, gateway, currency) })),
  );
  const choice = chooseGateway(currency, shaped);
  if (!choice.ok) throw new ApiError(400, choice.error);
  const { gateway } = choice;
  const breach = amountRuleBreach(gateway.code, gateway, amount, currency, '`amount`');
  if (breach) throw new ApiError(400, attributeError(breach.message, '/data/attributes/amount'));
  return { ...sale, attributes: { ...sale.attributes, payment_gateway: gateway.code } };
}
