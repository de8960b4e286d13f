/** The card acquirer (Converge-style): hosted-checkout card form, live credentials. */
import { DAY_MS, type ProviderServing } from '../descriptor.js';
import { SETTLEMENT_CURRENCIES } from '../settlement.js';
import { CARD_LIVE_BASE_URL, CARD_SANDBOX_CREDENTIALS, type CardCredentials, createCardAdapter } from './adapter.js';
import { CARD_CREDENTIAL_FIELDS, CARD_CREDENTIALS_USAGE, parseCardCredentials } from './credentials.js';
import { cardSimulator } from './simulator.js';
import { createCardStatementSource } from './statement.js';

export const card: ProviderServing<CardCredentials, 'card', 'card' | 'live'> = {
  name: 'card',
  label: { en: 'Card acquirer', zh: '银行卡收单' },
  // Card authorisations can take long at the issuer; Converge advises generous read timeouts.
  rules: { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 30_000 },
  card: {
    methods: [
      {
        code: 'cc',
        flow: 'card',
        currencies: SETTLEMENT_CURRENCIES,
        cancellable: false,
        refundWindowMs: 180 * DAY_MS,
        label: { en: 'Credit card', zh: '信用卡' },
      },
    ],
    adapter: ({ endpoint, credentials, timeoutMs }) => createCardAdapter({ baseUrl: endpoint, credentials, timeoutMs }),
  },
  sandbox: {
    credentials: () => CARD_SANDBOX_CREDENTIALS,
    simulator: ({ ledger, slowResponseMs }) => cardSimulator({ ledger, accounts: [CARD_SANDBOX_CREDENTIALS], slowResponseMs }),
  },
  // The day's settled batch, read with txnquery.
  statements: createCardStatementSource(),
  live: {
    urlSetting: 'CANCAN_CARD_URL',
    // Converge production (the adapter appends /processxml.do); Elavon's demo host is CARD_DEMO_BASE_URL.
    defaultUrl: CARD_LIVE_BASE_URL,
    trimTrailingSlash: true,
    credentialFields: CARD_CREDENTIAL_FIELDS,
    credentialsUsage: CARD_CREDENTIALS_USAGE,
    parseCredentials: parseCardCredentials,
  },
};
