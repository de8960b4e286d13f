/**
 * SSRF guard for merchant-supplied URLs (IPN and callbacks), in every mode: a
 * merchant must not make CanCan call into its own network. Checked when a
 * charge is created (`checkUrl`) and again at each IPN delivery, where
 * `guardedLookup` is the http(s) connection's resolver: the addresses it
 * checks are the ones the socket connects to, so a DNS answer that changes
 * between check and connect (rebinding) cannot slip through.
 */
import { lookup } from 'node:dns/promises';
import { type LookupFunction, isIP } from 'node:net';
import { refusalOf } from './addresses.js';

/** Every address of a host name (A and AAAA); rejects when it has none. Injectable for tests. */
export type HostResolver = (host: string) => Promise<readonly string[]>;

export interface GuardOptions {
  /** CANCAN_ALLOW_PRIVATE_URLS: loopback and private ranges allowed (never link-local or metadata). */
  readonly allowPrivate: boolean;
  readonly resolve: HostResolver;
}

/** The URL must not be called. `permanent`: it never can be (a literal address, credentials), whatever DNS says later. */
export class DestinationRefused extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/** The host name has no address now (a test-mode charge may still use it: delivery checks again). */
export class HostUnresolved extends Error {}

export const systemResolver: HostResolver = async (host) => {
  // RFC 6761: these never resolve; answering here keeps documentation examples off the network.
  if (/(^|\.)(example|invalid)\.?$/i.test(host)) throw new Error(`${host} is a reserved name (ENOTFOUND)`);
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
};

/** Names that mean this machine or its network, refused before DNS unless CANCAN_ALLOW_PRIVATE_URLS. */
const LOCAL_NAME = /(^|\.)(localhost|local|internal|home\.arpa)$/i;

const unbracket = (host: string) => host.replace(/^\[|\]$/g, '');

/** A URL's host as an IP address literal (URL parsing already turned 0x7f.1 or 2130706433 into 127.0.0.1), or null for a name. */
export function literalAddress(url: URL): string | null {
  const host = unbracket(url.hostname);
  return isIP(host) ? host : null;
}

/** The checks that need no DNS: scheme, credentials, literal addresses, local names. */
export function checkWithoutDns(url: URL, allowPrivate: boolean): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DestinationRefused('only http and https URLs are allowed', true);
  if (url.username || url.password) throw new DestinationRefused('credentials (user:password@) are not allowed in the URL', true);
  if (literalAddress(url)) {
    const refused = refusalOf(url.hostname, allowPrivate);
    if (refused) throw new DestinationRefused(refused, true);
  } else if (!allowPrivate && LOCAL_NAME.test(url.hostname.replace(/\.$/, ''))) {
    throw new DestinationRefused(`${url.hostname} is a local host name (CANCAN_ALLOW_PRIVATE_URLS is off)`, false);
  }
}

async function checkedAddresses(host: string, options: GuardOptions): Promise<readonly string[]> {
  let addresses: readonly string[];
  try {
    addresses = await options.resolve(host);
  } catch (error) {
    throw new HostUnresolved(`${host} cannot be resolved (${error instanceof Error ? error.message : String(error)})`);
  }
  if (addresses.length === 0) throw new HostUnresolved(`${host} has no address`);
  for (const address of addresses) {
    const refused = refusalOf(address, options.allowPrivate);
    if (refused) throw new DestinationRefused(`${host} resolves to ${refused}`, false);
  }
  return addresses;
}

/** Refuses (DestinationRefused) a URL CanCan must not call; HostUnresolved when its host name has no address now. */
export async function checkUrl(raw: string, options: GuardOptions): Promise<void> {
  const url = new URL(raw);
  checkWithoutDns(url, options.allowPrivate);
  if (!literalAddress(url)) await checkedAddresses(url.hostname, options);
}

/**
 * A `lookup` for http(s).request: resolves once, refuses when any address is
 * not allowed, and hands the socket only checked addresses.
 */
export function guardedLookup(options: GuardOptions): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    checkedAddresses(hostname, options).then(
      (addresses) => {
        const wanted =
          lookupOptions.family === 4 || lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 6 || lookupOptions.family === 'IPv6' ? 6 : 0;
        const usable = addresses.filter((address) => wanted === 0 || isIP(address) === wanted);
        const first = usable[0];
        if (first === undefined) return callback(Object.assign(new Error(`${hostname} has no IPv${wanted} address`), { code: 'ENOTFOUND' }), '');
        if (lookupOptions.all)
          return callback(
            null,
            usable.map((address) => ({ address, family: isIP(address) })),
          );
        return callback(null, first, isIP(first));
      },
      (error: Error) => callback(error, ''),
    );
  };
}

/** The guard as the running server configures it. */
export function guardOf(deps: { readonly config: { readonly allowPrivateUrls: boolean }; readonly resolveHost: HostResolver }): GuardOptions {
  return { allowPrivate: deps.config.allowPrivateUrls, resolve: deps.resolveHost };
}
