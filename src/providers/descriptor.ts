/**
 * Everything CanCan knows about one provider, in one typed value: what it
 * sells (POS gateway codes, hosted-checkout payment methods), its timing
 * rules, its live credentials and URL, how its sandbox simulator mounts, and
 * how its adapters are built. Each provider folder exports one; the list in
 * providers/list.ts names them, and everything else derives from that list.
 *
 * `C` is the provider's credentials type. The functions that take credentials
 * are declared as methods so a descriptor of any `C` fits in the one list
 * (`ProviderDescriptor<object>`); inside its own file each is checked
 * against its own credentials type.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { CurrencyCode } from '../domain/money.js';
import type { SimulatorLedger } from '../simulators/ledger.js';
import type { SandboxWallet } from '../simulators/wallet.js';
import type { AmountRules } from './amount-rules.js';
import type { CardAdapter, OnlineAdapter, PosAdapter } from './contract.js';
import type { NotificationReceiver } from './notifications.js';
import type { StatementSource } from './statements.js';
import type { SimulatorNotifier } from '../simulators/notify-sender.js';

export interface ProviderRules {
  /** Query until this long after the pay call, then reverse. */
  readonly confirmWindowMs: number;
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  /**
   * The earliest a reversal may follow the pay call (WeChat: "not sooner than
   * 15 s after the micropay"); a void of a sale just sent waits until then.
   */
  readonly reverseNotBeforeMs?: number;
  /** How long after the pay call the provider still reverses (WeChat: 7 days); later voids are refused: refund instead. */
  readonly reverseWindowMs?: number;
}

export interface Words {
  readonly en: string;
  readonly zh: string;
}

/** A POS API gateway code (`payment_gateway`). Its amount rules (whole units, minimums) are checked when a sale is validated. */
export interface GatewayDefinition extends AmountRules {
  readonly code: string;
  /** What a sale may use; with `currencyChoices`, the default of the merchant's own list. */
  readonly currencies: readonly CurrencyCode[];
  /** The currencies a merchant may choose for its list (cross-border gateways; API.md's "configurable list"). */
  readonly currencyChoices?: readonly CurrencyCode[];
  readonly partialRefunds: boolean;
  /** How long after payment the provider accepts refunds. */
  readonly refundWindowMs: number;
  /** LINE Pay's one-time keys differ by region (TH 12 digits, TW 18). */
  readonly region: 'CN' | 'INTL' | 'TH' | 'TW';
  /**
   * The documented shape of the code the customer's wallet shows (the adapter's
   * own check uses the same value); `payment_gateway: "auto"` chooses by it.
   * Absent: "auto" never chooses this gateway.
   */
  readonly authCodeShape?: AuthCodeShape;
}

/** A payment code of digits only: how many, and (where documented) which first two digits. */
export interface AuthCodeShape {
  readonly minDigits: number;
  readonly maxDigits: number;
  /** The first two digits as a number range, inclusive (WeChat Pay: 10–15); absent: any. */
  readonly leadingTwoDigits?: { readonly from: number; readonly to: number };
}

export type PaymentFlow =
  /** The page shows a QR of the provider's merchant-presented code. */
  | 'qr'
  /** The page sends the shopper's browser on to the provider (UnionPay). */
  | 'redirect'
  /** The page shows a card form. */
  | 'card';

/** A hosted-checkout payment method (`payment_method`, and the Online API's `vendor`). Its amount rules are checked when a charge is validated. */
export interface PaymentMethodDefinition extends AmountRules {
  readonly code: string;
  readonly flow: PaymentFlow;
  readonly currencies: readonly CurrencyCode[];
  /** Citcon's cancel API serves Alipay and WeChat Pay only. */
  readonly cancellable: boolean;
  /** How long after payment the provider accepts refunds. */
  readonly refundWindowMs: number;
  readonly label: Words;
  /** Offered by the Online API's pay_qr (`vendor`), which draws a QR. */
  readonly payQrVendor?: boolean;
}

/** What an adapter factory is given: where to call, with which credentials, for how long. */
export interface AdapterContext<C> {
  /** The provider's base URL: the live URL setting, or the simulator's endpoint in test mode. */
  readonly endpoint: string;
  readonly credentials: C;
  readonly timeoutMs: number;
}

export interface PosAdapterContext<C> extends AdapterContext<C> {
  readonly gateway: GatewayDefinition;
}

export type ParsedCredentials<C> = { readonly ok: true; readonly value: C } | { readonly ok: false; readonly problems: string[] };

/** Live mode: the merchant's own credentials (stored sealed) and the provider's URL setting. */
export interface LiveAccess<C> {
  /** Environment variable that overrides the live URL (tests point it at a simulator). */
  readonly urlSetting: string;
  readonly defaultUrl: string;
  /** Whether trailing slashes are cut from the setting (not where the URL names a file, like Alipay's gateway.do). */
  readonly trimTrailingSlash: boolean;
  /** The fields the credentials need, for error messages and the operator console. */
  readonly credentialFields: readonly string[];
  /** The JSON shape the CLI's help shows. */
  readonly credentialsUsage: string;
  parseCredentials(fields: Readonly<Record<string, unknown>>): ParsedCredentials<C>;
}

/** What every simulator is mounted with (under /_sim/<provider>). */
export interface SimulatorContext {
  readonly ledger: SimulatorLedger;
  readonly wallet: SandboxWallet;
  readonly dataDir: string;
  /** How long the simulated customer takes to confirm (amounts ending in 53). */
  readonly confirmDelayMs: number;
  /** Amounts ending in 56: the answer comes after the adapter has given up waiting. */
  readonly slowResponseMs: number;
  /** Sends the simulator's asynchronous notifications, resending until acknowledged. */
  readonly notifier: SimulatorNotifier;
}

export interface Sandbox<C> {
  /** The credentials test-mode adapters use and the simulator accepts (key files live in the data dir). */
  credentials(dataDir: string): C;
  /** The adapter's endpoint under the simulator's mount point (default: the mount point itself). */
  endpoint?(simulatorRoot: string): string;
  simulator(context: SimulatorContext): FastifyPluginAsync;
}

export interface ProviderDescriptor<C extends object, N extends string = string> {
  readonly name: N;
  /** The provider's name as the dashboard, operator console and CLI show it. */
  readonly label: Words;
  readonly rules: ProviderRules;
  /** The provider's refusal codes that mean "past the refund period" (a CHOP refund answers 4074). */
  readonly refundPeriodOverCodes?: readonly string[];
  /** POS API: gateway codes and the wallet adapter that serves them. */
  readonly pos?: {
    readonly gateways: readonly GatewayDefinition[];
    adapter(context: PosAdapterContext<C>): PosAdapter;
  };
  /** Hosted checkout: wallet payment methods (QR or redirect flows). */
  readonly online?: {
    readonly methods: readonly PaymentMethodDefinition[];
    adapter(context: AdapterContext<C>): OnlineAdapter;
  };
  /** Hosted checkout: the card acquirer's payment method (card form). */
  readonly card?: {
    readonly methods: readonly PaymentMethodDefinition[];
    adapter(context: AdapterContext<C>): CardAdapter;
  };
  readonly sandbox: Sandbox<C>;
  /** The provider's asynchronous payment notifications, received at /notify/<name>. */
  readonly notifications?: NotificationReceiver<C>;
  /** The provider's daily statement, for reconciliation; absent: reconciled from its query API. */
  readonly statements?: StatementSource<C>;
  /** Absent: live keys cannot use this provider yet (the adapter source answers null). */
  readonly live?: LiveAccess<C>;
}

/** What a provider's file declares it serves: the compiler then requires each of those parts. */
export type ProviderServing<C extends object, N extends string, K extends 'pos' | 'online' | 'card' | 'live'> = ProviderDescriptor<C, N> & {
  readonly [P in K]-?: NonNullable<ProviderDescriptor<C, N>[P]>;
};

/** A descriptor of any credentials type, as the provider list holds them. */
export type AnyProviderDescriptor = ProviderDescriptor<object>;

/** A provider list: what the app, the adapter source and the simulators are built from. */
export type ProviderList = readonly AnyProviderDescriptor[];

export const DAY_MS = 86_400_000;
