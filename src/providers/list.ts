/**
 * The providers CanCan knows, one line each. Everything else (gateway codes,
 * payment methods, the registry, live URL settings, credentials, simulators,
 * adapters, the words the dashboard and CLI show) derives from this list.
 * Adding a provider: a folder with its descriptor, and one line here.
 */
import { alipay } from './alipay/descriptor.js';
import { alipayplus } from './alipayplus/descriptor.js';
import { card } from './card/descriptor.js';
import type { ProviderList } from './descriptor.js';
import { linepay } from './linepay/descriptor.js';
import { unionpay } from './unionpay/descriptor.js';
import { wechatpay } from './wechatpay/descriptor.js';

export const PROVIDERS = [wechatpay, alipay, linepay, alipayplus, unionpay, card] as const;

// Every descriptor fits the one list (checked apart from the initializer, which the names below derive from).
const _fits: ProviderList = PROVIDERS;
void _fits;

type Descriptor = (typeof PROVIDERS)[number];

export type ProviderName = Descriptor['name'];
/** Providers that serve the POS API. */
export type PosProviderName = Extract<Descriptor, { readonly pos: object }>['name'];
/** Providers live keys can use (the merchant's sealed credentials, the live URL setting). */
export type LiveProviderName = Extract<Descriptor, { readonly live: object }>['name'];
