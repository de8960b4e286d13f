/** Operator commands that work on the database directly (same CANCAN_DATA_DIR / DATABASE_URL as the server). */
import { readFileSync } from 'node:fs';
import { errorCode } from './errors.js';
import { parseArgs } from 'node:util';
import { openMigratedStore } from '../app.js';
import { type Config, loadMasterKey } from '../config.js';
import { SecretBox } from '../domain/secrets.js';
import { credentialFields, isProviderName, liveProviderNames, parseCredentials } from '../providers/credentials.js';
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
import { BRANDING_OPTIONS, runBrandingCommand } from './branding.js';
import { runCurrenciesCommand } from './currencies.js';
import { runNotificationsCommand } from './provider-notifications.js';
import { createKey, listKeys, revokeKey } from './keys.js';
import { showMerchant } from './merchant-show.js';
import { createUserCommand, listUsers, resetPassword } from './users.js';
import { UsageError, findCommand, flagsOf } from './usage.js';
import { saveProviderCredentials } from '../store/credentials.js';
import type { Store } from '../store/db.js';
import { enableGateways, enabledGateways, findMerchant } from '../store/merchants.js';

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
  gateway: { type: 'string' },
  currencies: { type: 'string' },
  'forward-to': { type: 'string' },
  api: { type: 'string' },
  provider: { type: 'string' },
  refused: { type: 'boolean' },
  limit: { type: 'string' },
  ...BRANDING_OPTIONS,
} as const;

type Parsed = ReturnType<typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true }>>;

/** Parses a command's flags; a flag the command does not take (its synopsis does not name it) is a usage error. */
export function parseFlags(command: string, args: string[]): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(flagProblem(error));
  }
  const accepted = flagsOf(command);
  const stray = Object.keys(parsed.values).find((flag) => !accepted.has(flag));
  if (stray !== undefined) throw new UsageError(`${command} takes no --${stray}`);
  return parsed;
}

/** node:util's parse errors, shortened to the part that says what to fix. */
function flagProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (errorCode(error) === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${/'([^']+)'/.exec(message)?.[1] ?? message}`;
  return message.replace(/^Option '([^' ]+)[^']*' argument missing$/, '$1 needs a value');
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

export async function runAdminCommand(config: Config, command: string, args: string[]): Promise<string> {
  // Checked before the database is opened, or a typo would create one and its master key.
  if (!findCommand(command)) throw new UsageError(`unknown command: ${command}`);
  const { values, positionals } = parseFlags(command, args);
  const json = values.json === true;
  const store = await openMigratedStore(config);
  try {
    const secrets = new SecretBox(loadMasterKey(config));
    return await run(store, secrets, command, values, positionals, json);
  } finally {
    await store.close();
  }
}

/** The credentials' JSON from --file or standard input; an unreadable file is one line saying which and why. */
function readCredentials(file: string | undefined): string {
  if (file === undefined) return readFileSync(0, 'utf8');
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = errorCode(error);
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(error));
    throw new Error(`cannot read --file ${file}: ${why}`, { cause: error });
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
      if (!(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId} (cancan merchant list shows them)`);
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
    case 'merchant currencies':
      return runCurrenciesCommand(store, values, json, now, (message) => new UsageError(message));
    case 'provider notifications':
      return runNotificationsCommand(store, values, json, (message) => new UsageError(message));
    case 'merchant branding':
      return runBrandingCommand(store, values, json, now, (message) => new UsageError(message));
    case 'merchant show':
      return showMerchant(store, values.merchant, json);
    case 'key create':
      return createKey(store, secrets, values, json, now);
    case 'key list':
      return listKeys(store, values, json);
    case 'key revoke':
      return revokeKey(store, positionals, json, now);
    case 'provider set-credentials': {
      const merchantId = required(values.merchant, 'merchant');
      const provider = positionals[0];
      if (!provider || positionals.length > 1 || !isProviderName(provider)) throw new UsageError(`name one provider: ${liveProviderNames().join(', ')}`);
      if (!(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId} (cancan merchant list shows them)`);
      const text = readCredentials(values.file);
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
    case 'gateway disable': {
      const merchantId = required(values.merchant, 'merchant');
      if (positionals.length === 0) throw new UsageError('name at least one gateway code');
      const gateways = parseGateways(positionals);
      if (!(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId} (cancan merchant list shows them)`);
      await store.db.deleteFrom('merchant_gateways').where('merchant_id', '=', merchantId).where('gateway', 'in', gateways).execute();
      const enabled = await enabledGateways(store.db, merchantId);
      return json ? JSON.stringify({ merchant: merchantId, gateways: enabled }) : `Enabled for ${merchantId}: ${enabled.join(', ') || '(none)'}`;
    }
    case 'gateway enable': {
      const merchantId = required(values.merchant, 'merchant');
      if (positionals.length === 0) throw new UsageError('name at least one gateway code');
      const gateways = parseGateways(positionals);
      if (!(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId} (cancan merchant list shows them)`);
      await enableGateways(store.db, merchantId, gateways);
      const enabled = await enabledGateways(store.db, merchantId);
      return json ? JSON.stringify({ merchant: merchantId, gateways: enabled }) : `Enabled for ${merchantId}: ${enabled.join(', ')}`;
    }
    case 'user create':
      return createUserCommand(store, values, json, now);
    case 'user list':
      return listUsers(store, values, json);
    case 'user reset-password':
      return resetPassword(store, values, json, now);
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}
