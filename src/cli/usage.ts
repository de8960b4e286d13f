/**
 * The CLI's help: one entry per command (its synopsis names every flag it
 * takes, so the synopsis is also the list of flags the command accepts),
 * `cancan --help`, per-group and per-command help, and usage errors that
 * fit on one line and say what to run next.
 */
import { readFileSync } from 'node:fs';
import { paymentMethodCodes } from '../chop/methods.js';
import { providerCatalog } from '../providers/catalog.js';
import { gatewayCodes } from '../providers/registry.js';
import { BRANDING_USAGE } from './branding.js';

/** A usage problem: exit code 2, one line, pointing at the command's help. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command the mistake was made in (`merchant create`), for the pointer to its help. */
    public command?: string,
  ) {
    super(message);
  }
}

export interface CommandHelp {
  readonly name: string;
  /** The command line after `cancan`, every flag named. */
  readonly synopsis: string;
  readonly about: string;
}

const ALIGN = ' '.repeat(42);

/** One help line per provider that takes live credentials: the JSON shape it needs. */
function credentialUsage(): string {
  return providerCatalog()
    .liveProviders()
    .map((p) => `  ${p.name}: ${p.live.credentialsUsage}`)
    .join('\n');
}

export const COMMANDS: readonly CommandHelp[] = [
  {
    name: 'serve',
    synopsis: 'serve [--role api|worker|all]',
    about:
      'run the server: HTTP API, job worker, or both (default: the worker in a thread of its own, see CANCAN_PROCESSING; api and worker need PostgreSQL); in test mode the API serves the simulators',
  },
  { name: 'simulators', synopsis: 'simulators', about: 'run only the provider simulators (on PORT)' },
  {
    name: 'listen',
    synopsis: 'listen --forward-to URL [--api URL] [--json]',
    about:
      "forward a merchant's test-mode IPNs to a local URL, signed as CanCan signs them; the test API key comes from CANCAN_API_KEY, the server from --api (default http://127.0.0.1:$PORT)",
  },
  { name: 'migrate', synopsis: 'migrate [--json]', about: 'apply database migrations' },
  {
    name: 'merchant create',
    synopsis: 'merchant create --name NAME [--gateways CODE,CODE|all] [--timezone TZ] [--json]',
    about: 'a merchant with the given gateways (default all) and a test API key (shown once)',
  },
  { name: 'merchant list', synopsis: 'merchant list [--json]', about: 'every merchant: id, name, time zone, gateways' },
  {
    name: 'merchant show',
    synopsis: 'merchant show --merchant ID [--json]',
    about: 'one merchant: settings, gateways, API keys, users and whether live credentials are stored',
  },
  {
    name: 'merchant settings',
    synopsis: 'merchant settings --merchant ID [--timezone TZ] [--void-window 15m] [--cancel-window 24h] [--refund-balance-exempt on|off] [--json]',
    about: "change (or, without a change, show) a merchant's settings",
  },
  {
    name: 'merchant currencies',
    synopsis: 'merchant currencies --merchant ID --gateway CODE [--currencies CODE,CODE] [--json]',
    about: 'the currencies a cross-border gateway sells in for the merchant (default USD); without --currencies, shows them',
  },
  {
    name: 'merchant branding',
    synopsis: BRANDING_USAGE.trim()
      .split('\n')
      .slice(0, -1)
      .map((line) => line.trim())
      .join(' '),
    about: 'the checkout page template (PNG/JPEG logo; colours must pass WCAG AA); without a change flag it is shown',
  },
  { name: 'key create', synopsis: 'key create --merchant ID [--mode test|live] [--json]', about: 'a new API key; its secret is shown once' },
  { name: 'key list', synopsis: 'key list [--merchant ID] [--json]', about: 'API keys (prefix, mode, created, last used, revoked), never their secrets' },
  { name: 'key revoke', synopsis: 'key revoke KEY_ID [--json]', about: 'revoke an API key at once (revoking a revoked key changes nothing and says so)' },
  { name: 'gateway enable', synopsis: 'gateway enable --merchant ID CODE... [--json]', about: 'let a merchant use gateways or payment methods' },
  {
    name: 'gateway disable',
    synopsis: 'gateway disable --merchant ID CODE... [--json]',
    about: 'stop a merchant using gateways or payment methods (past transactions stay)',
  },
  {
    name: 'user create',
    synopsis: 'user create (--merchant ID [--role owner|staff] | --operator) --email EMAIL --password-stdin [--json]',
    about: 'a dashboard user; the password is read from standard input',
  },
  { name: 'user list', synopsis: 'user list [--merchant ID] [--json]', about: 'dashboard users' },
  {
    name: 'user reset-password',
    synopsis: 'user reset-password --email EMAIL --password-stdin [--json]',
    about: "set a dashboard user's password (read from standard input); the user's sessions end and sign-in lockouts clear",
  },
  {
    name: 'provider set-credentials',
    synopsis: 'provider set-credentials --merchant ID PROVIDER [--file PATH] [--cert-p12 PATH] [--json]',
    about: `live-mode credentials as a JSON object, from PATH or standard input; stored sealed, never shown back (wechatpay: --cert-p12 adds apiclient_cert.p12 as certP12):\n${credentialUsage()}`,
  },
  {
    name: 'provider notifications',
    synopsis: 'provider notifications [--provider NAME] [--refused] [--limit N] [--json]',
    about: 'the notifications providers sent to /notify/<provider>, newest first (default 50): accepted ones with their resends, refused ones with the reason',
  },
  {
    name: 'reconcile',
    synopsis: 'reconcile --date YYYY-MM-DD [--provider P] [--mode test|live] [--merchant ID] [--json]',
    about:
      "reconcile a day now (re-running replaces it): each provider's statement against CanCan's books, per provider account (test: the sandbox account; live: each merchant with credentials, or --merchant); prints the figures per currency and every difference. Exit 0 clean, 3 differences found, 4 a statement not published yet or not fetched",
  },
];

/** Words that take a subcommand: `merchant`, `key`, … */
const GROUPS = [...new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0] ?? ''))];

export const isGroup = (word: string): boolean => GROUPS.includes(word);
export const findCommand = (name: string): CommandHelp | undefined => COMMANDS.find((c) => c.name === name);
export const subcommandsOf = (group: string): string[] => COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.slice(group.length + 1));

/** The flags a command accepts: those its synopsis names. */
export function flagsOf(command: string): Set<string> {
  return new Set((findCommand(command)?.synopsis.match(/--[a-z][a-z0-9-]*/g) ?? []).map((flag) => flag.slice(2)));
}

export function version(): string {
  // dist/src/cli/usage.js and src/cli/usage.ts are both three levels below the package.
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The synopsis on lines of at most `width`, never breaking inside [...] or (...). */
function wrapSynopsis(synopsis: string, width = 100): string {
  const tokens = synopsis.match(/\[[^\]]*\](?:\.\.\.)?|\([^)]*\)|\S+/g) ?? [];
  const lines: string[] = [];
  let line = '';
  for (const token of tokens) {
    if (line !== '' && line.length + token.length + 1 > width) {
      lines.push(line);
      line = `    ${token}`;
    } else line = line === '' ? token : `${line} ${token}`;
  }
  lines.push(line);
  return lines.map((l) => `  ${l}`).join('\n');
}

function entry(command: CommandHelp): string {
  const about = command.about
    .split('\n')
    .map((line) => `${ALIGN}${line}`)
    .join('\n');
  return `${wrapSynopsis(`cancan ${command.synopsis}`)}\n${about}\n`;
}

export function usageText(): string {
  return `Usage: cancan <command> [options]    (cancan <command> --help for one command)

${COMMANDS.map(entry).join('')}
  cancan --version                        the version of CanCan

Gateways (POS API): ${gatewayCodes().join(', ')}
Payment methods (hosted checkout): ${paymentMethodCodes().join(', ')}
Environment: CANCAN_DATA_DIR, DATABASE_URL and the rest of the README's configuration table.
`;
}

/** Help for `cancan <words> --help`: a command, or every command of a group; null when the words name neither. */
export function helpFor(words: readonly string[]): string | null {
  const name = words.join(' ');
  const command = findCommand(name);
  if (command) return `Usage:\n${entry(command)}`;
  if (words.length === 1 && isGroup(name))
    return `Usage:\n${COMMANDS.filter((c) => c.name.startsWith(`${name} `))
      .map(entry)
      .join('')}`;
  return null;
}

/** The one line a usage error prints. */
export function usageLine(error: UsageError): string {
  const help = error.command && (findCommand(error.command) || isGroup(error.command)) ? `cancan ${error.command} --help` : 'cancan --help';
  return `cancan: ${error.message} (see ${help})`;
}

/**
 * The command the words name (`merchant create`) and the arguments after it.
 * A group without (or with an unknown) subcommand is a usage error listing the group's subcommands.
 */
export function resolveCommand(argv: readonly string[]): { name: string; rest: string[] } {
  const [first = '', second, ...after] = argv;
  if (!isGroup(first)) {
    if (!findCommand(first)) throw new UsageError(`unknown command: ${first}`);
    return { name: first, rest: argv.slice(1) };
  }
  const choices = subcommandsOf(first).join(', ');
  if (second === undefined || second.startsWith('-')) throw new UsageError(`${first} needs a subcommand: ${choices}`, first);
  const name = `${first} ${second}`;
  if (!findCommand(name)) throw new UsageError(`unknown command: ${name}; ${first} has ${choices}`, first);
  return { name, rest: after };
}
