/**
 * `cancan merchant branding`: shows or changes a merchant's checkout template
 * (the same checks and audit entry as the dashboard's "Checkout branding").
 * Without a change flag it shows the template; a refusal changes nothing.
 */
import { readFileSync } from 'node:fs';
import { type Branding, type BrandingField, type BrandingInput } from '../checkout/branding.js';
import { changeBranding, editableBranding, isBrandingScope, removeBranding } from '../core/checkout-branding.js';
import { DEFAULT_SCOPE, brandedScopes } from '../store/branding.js';
import type { Store } from '../store/db.js';
import { findMerchant } from '../store/merchants.js';

export const BRANDING_USAGE = `  merchant branding --merchant ID [--method CODE] [--display-name TEXT] [--logo PATH | --remove-logo]
                    [--brand-color #rrggbb] [--button-text-color #rrggbb] [--accent-color #rrggbb]
                    [--background-color #rrggbb] [--background-text-color #rrggbb] [--corners square|rounded|pill]
                    [--header-line TEXT] [--footer-link 'label|https://…']... [--support-email E] [--support-phone P]
                    [--default-lang en|zh|browser] [--remove] [--json]
                                          the checkout page template (PNG/JPEG logo; colours must pass WCAG AA)
`;

export const BRANDING_OPTIONS = {
  method: { type: 'string' },
  'display-name': { type: 'string' },
  logo: { type: 'string' },
  'remove-logo': { type: 'boolean' },
  'brand-color': { type: 'string' },
  'button-text-color': { type: 'string' },
  'accent-color': { type: 'string' },
  'background-color': { type: 'string' },
  'background-text-color': { type: 'string' },
  corners: { type: 'string' },
  'header-line': { type: 'string' },
  'footer-link': { type: 'string', multiple: true },
  'support-email': { type: 'string' },
  'support-phone': { type: 'string' },
  'default-lang': { type: 'string' },
  remove: { type: 'boolean' },
} as const;

export interface BrandingFlags {
  readonly merchant?: string | undefined;
  readonly method?: string | undefined;
  readonly 'display-name'?: string | undefined;
  readonly logo?: string | undefined;
  readonly 'remove-logo'?: boolean | undefined;
  readonly 'brand-color'?: string | undefined;
  readonly 'button-text-color'?: string | undefined;
  readonly 'accent-color'?: string | undefined;
  readonly 'background-color'?: string | undefined;
  readonly 'background-text-color'?: string | undefined;
  readonly corners?: string | undefined;
  readonly 'header-line'?: string | undefined;
  readonly 'footer-link'?: string[] | undefined;
  readonly 'support-email'?: string | undefined;
  readonly 'support-phone'?: string | undefined;
  readonly 'default-lang'?: string | undefined;
  readonly remove?: boolean | undefined;
}

const FLAG_OF: Record<BrandingField, string> = {
  display_name: '--display-name',
  brand_color: '--brand-color',
  button_text_color: '--button-text-color',
  accent_color: '--accent-color',
  background_color: '--background-color',
  background_text_color: '--background-text-color',
  corners: '--corners',
  header_line: '--header-line',
  footer_links: '--footer-link',
  support_email: '--support-email',
  support_phone: '--support-phone',
  default_lang: '--default-lang',
  logo: '--logo',
  method: '--method',
};

function describe(merchantId: string, method: string, b: Branding, own: boolean): string {
  return [
    `${merchantId} checkout template for ${method || 'all payment methods (default)'}${own ? '' : ' (not set: shown as inherited)'}`,
    `  display name: ${b.displayName || '(merchant name)'}`,
    `  logo: ${b.logoId ?? '(none)'}`,
    `  colours: button ${b.brandColor} / ${b.buttonTextColor}, accent ${b.accentColor}, background ${b.backgroundColor} / ${b.backgroundTextColor}`,
    `  corners: ${b.corners}`,
    `  header line: ${b.headerLine || '(none)'}`,
    `  footer links: ${b.footerLinks.map((l) => `${l.label} <${l.url}>`).join(', ') || '(none)'}`,
    `  support: ${[b.supportEmail, b.supportPhone].filter((s) => s !== '').join(', ') || '(none)'}`,
    `  language: ${b.defaultLang || "the shopper's browser"}`,
  ].join('\n');
}

/** Throws `usage(message)` for a flag problem; a refused template is an Error with every reason, one a line. */
export async function runBrandingCommand(store: Store, flags: BrandingFlags, json: boolean, now: number, usage: (message: string) => Error): Promise<string> {
  const merchantId = flags.merchant;
  if (merchantId === undefined || merchantId.trim() === '') throw usage('--merchant is required');
  if (!(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId}`);
  const method = flags.method ?? DEFAULT_SCOPE;
  if (!isBrandingScope(method)) throw usage(`--method must be a payment method code (or left out for the default template), got ${method}`);
  if (flags.logo !== undefined && flags['remove-logo'] === true) throw usage('--logo and --remove-logo cannot go together');

  if (flags.remove === true) {
    const removed = await removeBranding(store.db, { merchantId, method, actor: 'cli', now });
    return json ? JSON.stringify({ merchant: merchantId, method, removed }) : removed ? 'Template removed.' : 'No template to remove.';
  }
  const lang = flags['default-lang'];
  const input: BrandingInput = {
    displayName: flags['display-name'],
    brandColor: flags['brand-color'],
    buttonTextColor: flags['button-text-color'],
    accentColor: flags['accent-color'],
    backgroundColor: flags['background-color'],
    backgroundTextColor: flags['background-text-color'],
    corners: flags.corners,
    headerLine: flags['header-line'],
    footerLinks: flags['footer-link']?.join('\n'),
    supportEmail: flags['support-email'],
    supportPhone: flags['support-phone'],
    defaultLang: lang === 'browser' ? '' : lang,
  };
  const changing = Object.values(input).some((v) => v !== undefined) || flags.logo !== undefined || flags['remove-logo'] === true;
  if (!changing) {
    const own = (await brandedScopes(store.db, merchantId)).includes(method);
    const branding = await editableBranding(store.db, merchantId, method);
    return json ? JSON.stringify({ merchant: merchantId, method, own, template: branding }) : describe(merchantId, method, branding, own);
  }
  let logo: Buffer | 'remove' | undefined;
  if (flags.logo !== undefined) {
    try {
      logo = readFileSync(flags.logo);
    } catch (error) {
      throw new Error(`cannot read --logo ${flags.logo}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  } else if (flags['remove-logo'] === true) logo = 'remove';
  const result = await changeBranding(
    store.db,
    { merchantId, method, input, actor: 'cli', now, ...(logo === undefined ? {} : { logo }) },
    (field) => FLAG_OF[field],
  );
  if (!result.ok) throw new Error(`template refused, nothing changed:\n${result.problems.map((p) => `  ${p.message}`).join('\n')}`);
  if (json) return JSON.stringify({ merchant: merchantId, method, changed: result.changed, template: result.branding });
  return `${result.changed.length > 0 ? `Changed: ${result.changed.join(', ')}.` : 'Nothing changed.'}\n${describe(merchantId, method, result.branding, true)}`;
}
