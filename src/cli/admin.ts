/** Operator commands that work on the database directly (same CANCAN_DATA_DIR / DATABASE_URL as the server). */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openMigratedStore } from '../app.js';
import { type Config, loadMasterKey } from '../config.js';
import { SecretBox } from '../domain/secrets.js';
import { credentialFields, isProviderName, liveProviderNames, parseCredentials } from '../providers/credentials.js';
import { providerCatalog } from '../providers/catalog.js';
import { gatewayCodes } from '../providers/registry.js';
import { paymentMethodCodes } from '../chop/methods.js';
import {
  type Checked,
  type SettingsField,
  allGatewayCodes,
  applySettings,
  checkGatewayCodes,
  checkNewMerchant,
  checkSettings,
  createMerchantWithTestKey,
  problemText,
} from '../core/merchant-settings.js';
import { AccountError, createUser } from '../dashboard/accounts.js';
import { BRANDING_OPTIONS, BRANDING_USAGE, runBrandingCommand } from './branding.js';
import { saveProviderCredentials } from '../store/credentials.js';
import type { Store } from '../store/db.js';
import { createApiKey, enableGateways, enabledGateways, findMerchant, revokeApiKey } from '../store/merchants.js';

export const USAGE = `Usage: cancan <command> [options]

  serve [--role api|worker|all]           run the server: HTTP API, job worker, or both (default; api and
                                          worker need PostgreSQL); in test mode the API serves the simulators
  simulators                              run only the provider simulators (on PORT)
  migrate [--json]                        apply database migrations
  merchant create --name NAME [--gateways CODE,CODE|all] [--timezone TZ] [--json]
  merchant list [--json]
  merchant settings --merchant ID [--timezone TZ] [--void-window 15m] [--cancel-window 24h]
                    [--refund-balance-exempt on|off] [--json]
${BRANDING_USAGE}  key create --merchant ID [--mode test|live] [--json]
  key revoke KEY_ID [--json]
  gateway enable --merchant ID CODE... [--json]
  user create (--merchant ID [--role owner|staff] | --operator) --email EMAIL --password-stdin [--json]
                                          a dashboard user; the password is read from standard input
  user list [--merchant ID] [--json]
  provider set-credentials --merchant ID PROVIDER [--file PATH] [--cert-p12 PATH] [--json]
                                          live-mode credentials as a JSON object, from PATH or
                                          standard input; stored sealed, never shown back
                                          (wechatpay: --cert-p12 adds apiclient_cert.p12 as certP12):
${credentialUsage()}

Gateways (POS API): ${gatewayCodes().join(', ')}
Payment methods (hosted checkout): ${paymentMethodCodes().join(', ')}
Environment: CANCAN_DATA_DIR, DATABASE_URL and the rest of the README's configuration table.
`;

/** One help line per provider that takes live credentials: the JSON shape it needs. */
function credentialUsage(): string {
  return providerCatalog()
    .liveProviders()
    .map((p) => `${' '.repeat(42)}${p.name}: ${p.live.credentialsUsage}`)
    .join('\n');
}

export class UsageError extends Error {}

/** `--cert-p12 PATH`: WeChat Pay's apiclient_cert.p12 as the file WeChat issues, put in the JSON as certP12 (base64). */
function withCertificateFile(provider: string, input: unknown, path: string): unknown {
  if (provider !== 'wechatpay') throw new UsageError('--cert-p12 is for wechatpay (its API certificate)');
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  return { ...input, certP12: readFileSync(path).toString('base64') };
}

const options = {
  json: { type: 'boolean' },
  name: { type: 'string' },
  gateways: { type: 'string' },
  timezone: { type: 'string' },
  merchant: { type: 'string' },
  mode: { type: 'string' },
  file: { type: 'string' },
  'cert-p12': { type: 'string' },
  'refund-balance-exempt': { type: 'string' },
  'cancel-window': { type: 'string' },
  'void-window': { type: 'string' },
  email: { type: 'string' },
  role: { type: 'string' },
  operator: { type: 'boolean' },
  'password-stdin': { type: 'boolean' },
  ...BRANDING_OPTIONS,
} as const;

type Parsed = ReturnType<typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true }>>;

function parse(args: string[]): Parsed {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`--${flag} is required`);
  return value;
}

/** The flag each checked field comes from, to name it in messages. */
const FLAGS: Record<SettingsField, string> = {
  name: '--name',
  timezone: '--timezone',
  gateways: '--gateways',
  void_window: '--void-window',
  cancel_window: '--cancel-window',
  refund_balance_exempt: '--refund-balance-exempt',
};

/** The value, or a usage error naming the first problem (the checks are shared with the dashboard). */
function orUsageError<T>(checked: Checked<T>): T {
  if (checked.ok) return checked.value;
  const [first] = checked.problems;
  throw new UsageError(first ? problemText(first, FLAGS[first.field]) : 'invalid input');
}

/** `all` stands for every gateway and payment method. */
const expandAll = (list: string[]): string[] => (list.length === 1 && list[0] === 'all' ? allGatewayCodes() : list);
const parseGateways = (list: string[]): string[] => orUsageError(checkGatewayCodes(expandAll(list)));

/** The commands `run` knows (checked before the database is opened, or a typo would create one and its master key). */
const COMMANDS = new Set([
  'migrate',
  'merchant create',
  'merchant list',
  'merchant settings',
  'merchant branding',
  'key create',
  'key revoke',
  'provider set-credentials',
  'gateway enable',
  'user create',
  'user list',
]);

export async function runAdminCommand(config: Config, command: string, args: string[]): Promise<string> {
  const [sub, ...rest] = command === 'migrate' ? ['', ...args] : args;
  const name = `${command} ${sub ?? ''}`.trim();
  if (!COMMANDS.has(name)) throw new UsageError(`unknown command: ${name}`);
  const { values, positionals } = parse(rest);
  const json = values.json === true;
  const store = await openMigratedStore(config);
  try {
    const secrets = new SecretBox(loadMasterKey(config));
    return await run(store, secrets, name, values, positionals, json);
  } finally {
    await store.close();
  }
}

async function run(store: Store, secrets: SecretBox, command: string, values: Parsed['values'], positionals: string[], json: boolean): Promise<string> {
  const now = Date.now();
  switch (command) {
    case 'migrate':
      return json ? JSON.stringify({ migrated: true, database: store.dialect }) : `Database (${store.dialect}) is up to date.`;
    case 'merchant create': {
      const list = (values.gateways ?? 'all')
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean);
      const input = orUsageError(checkNewMerchant({ name: values.name ?? '', timezone: values.timezone ?? 'UTC', gateways: expandAll(list) }));
      const { merchant, apiKey } = await createMerchantWithTestKey(store.db, secrets, input, now);
      const { timezone, gateways } = input;
      if (json) return JSON.stringify({ merchant: { id: merchant.id, name: merchant.name, timezone, gateways }, api_key: apiKey });
      return `Merchant ${merchant.id} (${merchant.name}) created with gateways ${gateways.join(', ') || '(none)'}.\nTest API key (shown once): ${apiKey}`;
    }
    case 'merchant list': {
      const merchants = await store.db.selectFrom('merchants').selectAll().orderBy('created_at').execute();
      const rows = await Promise.all(
        merchants.map(async (m) => ({ id: m.id, name: m.name, timezone: m.timezone, gateways: await enabledGateways(store.db, m.id) })),
      );
      if (json) return JSON.stringify({ merchants: rows });
      return rows.map((m) => `${m.id}\t${m.name}\t${m.timezone}\t${m.gateways.join(',')}`).join('\n') || 'No merchants.';
    }
    case 'merchant settings': {
      const merchantId = required(values.merchant, 'merchant');
      if (!(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId}`);
      const changes = orUsageError(
        checkSettings({
          timezone: values.timezone,
          voidWindow: values['void-window'],
          cancelWindow: values['cancel-window'],
          refundBalanceExempt: values['refund-balance-exempt'],
        }),
      );
      await applySettings(store.db, merchantId, changes);
      const m = await store.db.selectFrom('merchants').selectAll().where('id', '=', merchantId).executeTakeFirstOrThrow();
      const settings = {
        id: m.id,
        timezone: m.timezone,
        void_window_ms: Number(m.void_window_ms),
        cancel_window_ms: Number(m.cancel_window_ms),
        refund_balance_exempt: Number(m.refund_balance_exempt) === 1,
      };
      if (json) return JSON.stringify({ merchant: settings });
      return `${m.id}: time zone ${settings.timezone}, void window ${settings.void_window_ms / 60_000} min, cancel window ${settings.cancel_window_ms / 3_600_000} h, refund balance exemption ${settings.refund_balance_exempt ? 'on' : 'off'}`;
    }
    case 'merchant branding':
      return runBrandingCommand(store, values, json, now, (message) => new UsageError(message));
    case 'key create': {
      const merchantId = required(values.merchant, 'merchant');
      const mode = values.mode ?? 'test';
      if (mode !== 'test' && mode !== 'live') throw new UsageError('--mode must be test or live');
      if (!(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId}`);
      const key = await createApiKey(store.db, secrets, { merchantId, mode, now });
      if (json) return JSON.stringify({ id: key.id, api_key: key.apiKey, mode });
      return `Key ${key.id} (${mode}) created. Secret (shown once): ${key.apiKey}`;
    }
    case 'key revoke': {
      const keyId = positionals[0];
      if (!keyId || positionals.length > 1) throw new UsageError('key revoke takes one KEY_ID');
      if (!(await revokeApiKey(store.db, keyId, now))) throw new Error(`no key ${keyId}`);
      return json ? JSON.stringify({ id: keyId, revoked: true }) : `Key ${keyId} revoked.`;
    }
    case 'provider set-credentials': {
      const merchantId = required(values.merchant, 'merchant');
      const provider = positionals[0];
      if (!provider || positionals.length > 1 || !isProviderName(provider)) throw new UsageError(`name one provider: ${liveProviderNames().join(', ')}`);
      if (!(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId}`);
      const text = values.file ? readFileSync(values.file, 'utf8') : readFileSync(0, 'utf8');
      let input: unknown;
      try {
        input = JSON.parse(text);
      } catch {
        throw new Error('credentials must be a JSON object');
      }
      if (values['cert-p12'] !== undefined) input = withCertificateFile(provider, input, values['cert-p12']);
      const parsed = parseCredentials(provider, input);
      if (!parsed.ok) throw new Error(`invalid ${provider} credentials: ${parsed.problems.join('; ')} (fields: ${credentialFields(provider).join(', ')})`);
      await saveProviderCredentials(store.db, secrets, merchantId, provider, parsed.value, now);
      return json ? JSON.stringify({ merchant: merchantId, provider, stored: true }) : `Live ${provider} credentials stored (sealed) for ${merchantId}.`;
    }
    case 'gateway enable': {
      const merchantId = required(values.merchant, 'merchant');
      if (positionals.length === 0) throw new UsageError('name at least one gateway code');
      const gateways = parseGateways(positionals);
      if (!(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId}`);
      await enableGateways(store.db, merchantId, gateways);
      const enabled = await enabledGateways(store.db, merchantId);
      return json ? JSON.stringify({ merchant: merchantId, gateways: enabled }) : `Enabled for ${merchantId}: ${enabled.join(', ')}`;
    }
    case 'user create': {
      const email = required(values.email, 'email');
      if (values.operator === true && (values.merchant !== undefined || values.role !== undefined))
        throw new UsageError('--operator takes no --merchant or --role');
      if (values.operator !== true && values.merchant === undefined) throw new UsageError("name the user's --merchant ID, or make an --operator");
      // Operators are made with --operator only: `--merchant M --role operator` is refused, not turned into an operator of no merchant.
      const merchantRole = values.role ?? 'owner';
      if (values.operator !== true && merchantRole !== 'owner' && merchantRole !== 'staff') throw new UsageError('--role must be owner or staff');
      const role = values.operator === true ? 'operator' : (merchantRole as 'owner' | 'staff');
      if (values['password-stdin'] !== true) throw new UsageError('--password-stdin is required (passwords are never taken as arguments)');
      const merchantId = role === 'operator' ? null : required(values.merchant, 'merchant');
      if (merchantId !== null && !(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId}`);
      // One line from standard input: the trailing newline of `echo` or a here-string is not part of it.
      const password = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
      try {
        const user = await createUser(store.db, { email, password, role, merchantId, now });
        return json
          ? JSON.stringify({ user: { id: user.id, email: user.email, role, merchant: merchantId } })
          : `User ${user.id} (${user.email}, ${role}${merchantId ? ` of ${merchantId}` : ''}) created.`;
      } catch (error) {
        if (error instanceof AccountError) throw new Error(error.message, { cause: error });
        throw error;
      }
    }
    case 'user list': {
      let query = store.db.selectFrom('users').select(['id', 'email', 'role', 'merchant_id', 'created_at', 'last_sign_in_at']).orderBy('created_at');
      if (values.merchant !== undefined) query = query.where('merchant_id', '=', values.merchant);
      const users = (await query.execute()).map((u) => ({
        ...u,
        created_at: Number(u.created_at),
        last_sign_in_at: u.last_sign_in_at === null ? null : Number(u.last_sign_in_at),
      }));
      if (json) return JSON.stringify({ users });
      return users.map((u) => `${u.id}\t${u.email}\t${u.role}\t${u.merchant_id ?? '-'}`).join('\n') || 'No users.';
    }
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}
