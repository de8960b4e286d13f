/**
 * A merchant's checkout template: what it may hold and how it is checked.
 * Safe by construction: colours are `#rrggbb` values (the stylesheet is
 * written by CanCan from them, never taken as CSS), words are plain text
 * (escaped when shown), links are https URLs, the logo is an id of an image
 * CanCan checked and stores itself. Colour pairs must meet WCAG AA contrast;
 * a failing pair is refused with its ratio and a suggested colour.
 */
import { AA_NORMAL_TEXT, HEX_COLOUR, contrastRatio, formatRatio, suggestForeground } from './contrast.js';

export const CORNER_STYLES = ['square', 'rounded', 'pill'] as const;
export type CornerStyle = (typeof CORNER_STYLES)[number];

export interface FooterLink {
  readonly label: string;
  readonly url: string;
}

/** As stored (JSON) with the merchant, for its default or for one payment method. */
export interface Branding {
  /** Empty: the merchant's own name. */
  readonly displayName: string;
  /** sha256 of a logo in `checkout_logos`, or null. */
  readonly logoId: string | null;
  /** Buttons. */
  readonly brandColor: string;
  readonly buttonTextColor: string;
  /** The amount and links on the white cards. */
  readonly accentColor: string;
  /** The page behind the cards, and the header and footer text on it. */
  readonly backgroundColor: string;
  readonly backgroundTextColor: string;
  readonly corners: CornerStyle;
  readonly headerLine: string;
  readonly footerLinks: readonly FooterLink[];
  readonly supportEmail: string;
  readonly supportPhone: string;
  /** Empty: the shopper's browser decides. */
  readonly defaultLang: '' | 'en' | 'zh';
}

/** CanCan's own look, the starting point of every template. */
export const DEFAULT_BRANDING: Branding = {
  displayName: '',
  logoId: null,
  brandColor: '#1d4ed8',
  buttonTextColor: '#ffffff',
  accentColor: '#1d4ed8',
  backgroundColor: '#f3f4f6',
  backgroundTextColor: '#374151',
  corners: 'rounded',
  headerLine: '',
  footerLinks: [],
  supportEmail: '',
  supportPhone: '',
  defaultLang: '',
};

/** The cards the words sit on stay white, whatever the page background. */
export const CARD_COLOUR = '#ffffff';

export const MAX_DISPLAY_NAME = 60;
export const MAX_HEADER_LINE = 120;
export const MAX_LINK_LABEL = 40;
export const MAX_LINK_URL = 300;
export const MAX_FOOTER_LINKS = 3;

export type BrandingField =
  | 'display_name'
  | 'brand_color'
  | 'button_text_color'
  | 'accent_color'
  | 'background_color'
  | 'background_text_color'
  | 'corners'
  | 'header_line'
  | 'footer_links'
  | 'support_email'
  | 'support_phone'
  | 'default_lang'
  | 'logo'
  | 'method';

export const BRANDING_PROBLEM_TEXT = {
  colour: '{field} must be a colour written #rrggbb',
  too_long: '{field} must be at most {max} characters',
  control: '{field} must be plain text on one line',
  contrast: '{field} {fg} on {bg} has a contrast of {ratio}:1, below the 4.5:1 WCAG AA minimum; try {suggestion}',
  corners: '{field} must be one of square, rounded, pill',
  lang: '{field} must be en, zh or empty',
  links: '{field}: at most {max} links, each written "label|https://…" on its own line',
  email: '{field} must be an e-mail address',
  phone: '{field} may hold digits, spaces and + ( ) - only',
} as const;

export type BrandingProblemCode = keyof typeof BRANDING_PROBLEM_TEXT;

export interface BrandingProblem {
  readonly field: BrandingField;
  readonly code: BrandingProblemCode;
  readonly vars: Readonly<Record<string, string | number>>;
}

export function brandingProblemText(problem: BrandingProblem, fieldName: string): string {
  return BRANDING_PROBLEM_TEXT[problem.code].replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'field' ? fieldName : String(problem.vars[name] ?? '')));
}

/** Each field as text, as a form or the CLI gives it; absent fields keep the current value. */
export interface BrandingInput {
  readonly displayName?: string;
  readonly brandColor?: string;
  readonly buttonTextColor?: string;
  readonly accentColor?: string;
  readonly backgroundColor?: string;
  readonly backgroundTextColor?: string;
  readonly corners?: string;
  readonly headerLine?: string;
  /** One link a line: `label|https://…`. */
  readonly footerLinks?: string;
  readonly supportEmail?: string;
  readonly supportPhone?: string;
  readonly defaultLang?: string;
}

export type CheckedBranding = { readonly ok: true; readonly value: Branding } | { readonly ok: false; readonly problems: readonly BrandingProblem[] };

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;

export function formatFooterLinks(links: readonly FooterLink[]): string {
  return links.map((l) => `${l.label}|${l.url}`).join('\n');
}

function parseFooterLinks(text: string): FooterLink[] | null {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length > MAX_FOOTER_LINKS) return null;
  const links: FooterLink[] = [];
  for (const line of lines) {
    const bar = line.indexOf('|');
    if (bar <= 0) return null;
    const label = line.slice(0, bar).trim();
    const url = line.slice(bar + 1).trim();
    if (label === '' || label.length > MAX_LINK_LABEL || CONTROL.test(label) || url.length > MAX_LINK_URL) return null;
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') return null;
    } catch {
      return null;
    }
    links.push({ label, url });
  }
  return links;
}

/** The pairs of colours shown as text on a background, each checked for AA contrast. */
export const CONTRAST_PAIRS = [
  { field: 'button_text_color', fg: 'buttonTextColor', bg: 'brandColor' },
  { field: 'accent_color', fg: 'accentColor', bg: null },
  { field: 'background_text_color', fg: 'backgroundTextColor', bg: 'backgroundColor' },
] as const;

/** `current` with `input` applied, or every problem in the order of the fields. */
export function checkBranding(current: Branding, input: BrandingInput): CheckedBranding {
  const problems: BrandingProblem[] = [];
  const push = (field: BrandingField, code: BrandingProblemCode, vars: Record<string, string | number> = {}) => problems.push({ field, code, vars });
  const next: { -readonly [K in keyof Branding]: Branding[K] } = { ...current };

  const text = (field: BrandingField, key: 'displayName' | 'headerLine', value: string | undefined, max: number) => {
    if (value === undefined) return;
    const trimmed = value.trim();
    if (trimmed.length > max) push(field, 'too_long', { max });
    else if (CONTROL.test(trimmed)) push(field, 'control');
    else next[key] = trimmed;
  };
  text('display_name', 'displayName', input.displayName, MAX_DISPLAY_NAME);

  const colours = [
    ['brand_color', 'brandColor'],
    ['button_text_color', 'buttonTextColor'],
    ['accent_color', 'accentColor'],
    ['background_color', 'backgroundColor'],
    ['background_text_color', 'backgroundTextColor'],
  ] as const;
  let coloursOk = true;
  for (const [field, key] of colours) {
    const value = input[key];
    if (value === undefined) continue;
    const colour = value.trim().toLowerCase();
    if (HEX_COLOUR.test(colour)) next[key] = colour;
    else {
      push(field, 'colour');
      coloursOk = false;
    }
  }
  if (input.corners !== undefined) {
    if ((CORNER_STYLES as readonly string[]).includes(input.corners)) next.corners = input.corners as CornerStyle;
    else push('corners', 'corners');
  }
  text('header_line', 'headerLine', input.headerLine, MAX_HEADER_LINE);
  if (input.footerLinks !== undefined) {
    const links = parseFooterLinks(input.footerLinks);
    if (links) next.footerLinks = links;
    else push('footer_links', 'links', { max: MAX_FOOTER_LINKS });
  }
  if (input.supportEmail !== undefined) {
    const email = input.supportEmail.trim();
    if (email !== '' && (email.length > 100 || !/^[^\s@<>"']+@[^\s@<>"']+\.[^\s@<>"']+$/.test(email))) push('support_email', 'email');
    else next.supportEmail = email;
  }
  if (input.supportPhone !== undefined) {
    const phone = input.supportPhone.trim();
    if (phone.length > 30 || !/^[0-9 +()-]*$/.test(phone)) push('support_phone', 'phone');
    else next.supportPhone = phone;
  }
  if (input.defaultLang !== undefined) {
    if (input.defaultLang === '' || input.defaultLang === 'en' || input.defaultLang === 'zh') next.defaultLang = input.defaultLang;
    else push('default_lang', 'lang');
  }
  // Contrast only means something once every colour is a colour.
  if (coloursOk) problems.push(...contrastProblems(next));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: next };
}

export function contrastProblems(branding: Branding): BrandingProblem[] {
  const problems: BrandingProblem[] = [];
  for (const pair of CONTRAST_PAIRS) {
    const fg = branding[pair.fg];
    const bg = pair.bg === null ? CARD_COLOUR : branding[pair.bg];
    const ratio = contrastRatio(fg, bg);
    if (ratio < AA_NORMAL_TEXT) {
      problems.push({ field: pair.field, code: 'contrast', vars: { fg, bg, ratio: formatRatio(ratio), suggestion: suggestForeground(fg, bg) } });
    }
  }
  return problems;
}

/** A stored template (JSON), read defensively: anything unexpected falls back to CanCan's default for that field. */
export function parseStoredBranding(json: string): Branding {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return DEFAULT_BRANDING;
  }
  const str = (key: string) => (typeof raw[key] === 'string' ? raw[key] : undefined);
  const links = Array.isArray(raw.footerLinks) ? formatFooterLinks(raw.footerLinks as FooterLink[]) : undefined;
  const checked = checkBranding(DEFAULT_BRANDING, {
    displayName: str('displayName'),
    brandColor: str('brandColor'),
    buttonTextColor: str('buttonTextColor'),
    accentColor: str('accentColor'),
    backgroundColor: str('backgroundColor'),
    backgroundTextColor: str('backgroundTextColor'),
    corners: str('corners'),
    headerLine: str('headerLine'),
    footerLinks: links,
    supportEmail: str('supportEmail'),
    supportPhone: str('supportPhone'),
    defaultLang: str('defaultLang'),
  });
  const logoId = typeof raw.logoId === 'string' && /^[0-9a-f]{64}$/.test(raw.logoId) ? raw.logoId : null;
  return { ...(checked.ok ? checked.value : DEFAULT_BRANDING), logoId };
}

const RADIUS: Readonly<Record<CornerStyle, { card: string; control: string }>> = {
  square: { card: '0', control: '0' },
  rounded: { card: '12px', control: '8px' },
  pill: { card: '20px', control: '999px' },
};

/**
 * Where the page finds its template's stylesheet: every value is in the
 * path, so the stylesheet is a pure function of checked values, served by
 * CanCan (the CSP's style-src 'self' is enough) and cacheable for ever.
 */
export function brandStylesheetHref(b: Branding): string {
  const colours = [b.brandColor, b.buttonTextColor, b.accentColor, b.backgroundColor, b.backgroundTextColor].map((c) => c.slice(1)).join('-');
  return `/chop/assets/brand/${colours}-${b.corners}.css`;
}

export const BRAND_STYLESHEET_NAME = /^([0-9a-f]{6})-([0-9a-f]{6})-([0-9a-f]{6})-([0-9a-f]{6})-([0-9a-f]{6})-(square|rounded|pill)\.css$/;

/** The stylesheet a `brandStylesheetHref` name stands for, or null. Sandbox controls keep CanCan's colours. */
export function brandStylesheet(name: string): string | null {
  const match = BRAND_STYLESHEET_NAME.exec(name);
  if (!match) return null;
  const [, brand, buttonText, accent, background, backgroundText, corners] = match as unknown as [string, string, string, string, string, string, CornerStyle];
  const radius = RADIUS[corners];
  return `body{background:#${background}}
.brand-head,.brand-head h1,.brand-head .lang,.brand-line,.brand-foot,.brand-foot a{color:#${backgroundText}}
.card{border-radius:${radius.card}}
.card:not(.sandbox) .amount,.card:not(.sandbox) a:not(.button){color:#${accent}}
.card:not(.sandbox) button,.card:not(.sandbox) .button{background:#${brand};color:#${buttonText};border-radius:${radius.control}}
.card:not(.sandbox) input{border-radius:${radius.control}}
`;
}
