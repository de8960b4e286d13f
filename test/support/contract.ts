/**
 * The set-up and checks every provider contract test (test/contract) shares:
 * one provider simulator on a real HTTP port under /_sim/<provider>, with the
 * sandbox routes (GET /_sandbox/ledger, POST /_sandbox/wallet/scan) beside it;
 * order numbers, POS sales and refunds; and the trace check (every trace names
 * its call and carries no secret).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { money, type CurrencyCode } from '../../src/domain/money.js';
import type { OnlineAdapter, OrderRequest, PayRequest, ProviderData, RefundRequest, Traced } from '../../src/providers/contract.js';
import { SimulatorLedger, type LedgerEntry } from '../../src/simulators/ledger.js';
import { ledgerRoutes } from '../../src/simulators/routes.js';
import { SimulatorNotifier } from '../../src/simulators/notify-sender.js';
import { SandboxWallet } from '../../src/simulators/wallet.js';

/** The confirm delay the contract tests give their simulators: how long a "confirm later" (test value 53) payment stays unpaid. */
export const CONFIRM_DELAY_MS = 300;

/**
 * The timeout of every adapter whose test is not about a timeout: a guard
 * against a hung test, not a speed expectation (a loaded machine can take
 * seconds for an ordinary call to the in-process simulator).
 */
export const CALL_TIMEOUT_MS = 30_000;

/** The timeout of the adapters that test what a timeout does: short, so those tests end soon. */
export const IMPATIENT_TIMEOUT_MS = 300;

/**
 * How late the simulators answer the slow test value 56: well above
 * IMPATIENT_TIMEOUT_MS, so a loaded machine can only make the answer later,
 * never earlier than the timeout; and far below CALL_TIMEOUT_MS.
 */
export const SLOW_RESPONSE_MS = 1_500;

/** A fetch that never answers: the call ends only when the adapter's timeout aborts it. */
export const hangingFetch: typeof fetch = (_input, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
  });

/** What a provider simulator is built from. */
export interface SimulatorContext {
  /** A fresh temporary directory, removed after the file's tests. */
  readonly dir: string;
  readonly ledger: SimulatorLedger;
  readonly wallet: SandboxWallet;
  /** Sends the simulator's notifications (resends every 200 ms, doubling, five times at most). */
  readonly notifier: SimulatorNotifier;
}

export interface ScanAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** The running simulator: read its fields in tests, hooks and `started`, not while the file loads. */
export interface SimulatorServer extends SimulatorContext {
  readonly origin: string;
  /** `${origin}/_sim/<provider>`. */
  readonly baseUrl: string;
  /** The ledger's SQLite file, for a second connection. */
  readonly ledgerFile: string;
  /** Every entry GET /_sandbox/ledger reports, each checked for shape. */
  ledgerEntries(): Promise<LedgerEntry[]>;
  /** This provider's entry for an order, from GET /_sandbox/ledger. */
  ledgerEntry(orderNo: string): Promise<LedgerEntry | undefined>;
  /** The order has an entry, with these values. */
  assertLedger(orderNo: string, expected: Partial<LedgerEntry>): Promise<void>;
  /** The customer scans a code through POST /_sandbox/wallet/scan, as a person or a browser test would. */
  scanOverHttp(qrCode: string, action?: 'approve' | 'decline'): Promise<ScanAnswer>;
}

/**
 * Starts the simulator `simulator` builds (registered under /_sim/<provider>)
 * before the file's tests, then calls `started` (to make adapters, say); and
 * closes the server, the ledger and the directory after the tests. (Node 20
 * runs a file's top-level `before` hooks at once and side by side, so work
 * that needs the running server goes in `started`, not in another hook.)
 */
export function useSimulatorServer(
  provider: string,
  simulator: (context: SimulatorContext) => FastifyPluginAsync,
  started: (server: SimulatorServer) => void | Promise<void> = () => {},
): SimulatorServer {
  let context: SimulatorContext | undefined;
  let app: FastifyInstance | undefined;
  let origin: string | undefined;

  const running = (): SimulatorContext & { origin: string } => {
    assert.ok(context !== undefined && origin !== undefined, `the ${provider} simulator is not running`);
    return { ...context, origin };
  };

  async function ledgerEntries(): Promise<LedgerEntry[]> {
    const response = await fetch(`${running().origin}/_sandbox/ledger`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const body: unknown = await response.json();
    assert.ok(typeof body === 'object' && body !== null && 'entries' in body && Array.isArray(body.entries), 'entries is an array');
    const entries: unknown[] = body.entries;
    return entries.map((entry) => {
      assert.ok(isLedgerEntry(entry), `not a ledger entry: ${JSON.stringify(entry)}`);
      return entry;
    });
  }

  async function ledgerEntry(orderNo: string): Promise<LedgerEntry | undefined> {
    return (await ledgerEntries()).find((entry) => entry.order_no === orderNo && entry.provider === provider);
  }

  const server: SimulatorServer = {
    get dir() {
      return running().dir;
    },
    get ledger() {
      return running().ledger;
    },
    get notifier() {
      return running().notifier;
    },
    get wallet() {
      return running().wallet;
    },
    get origin() {
      return running().origin;
    },
    get baseUrl() {
      return `${running().origin}/_sim/${provider}`;
    },
    get ledgerFile() {
      return join(running().dir, 'simulator.sqlite');
    },
    ledgerEntries,
    ledgerEntry,
    async assertLedger(orderNo, expected) {
      const entry = await ledgerEntry(orderNo);
      assert.ok(entry !== undefined, `no ledger entry for ${orderNo}`);
      assert.deepEqual({ ...entry, ...expected }, entry);
    },
    async scanOverHttp(qrCode, action = 'approve') {
      const response = await fetch(`${running().origin}/_sandbox/wallet/scan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ qr_code: qrCode, action }),
      });
      const body: unknown = await response.json();
      assert.ok(typeof body === 'object' && body !== null);
      return { status: response.status, body: Object.fromEntries(Object.entries(body)) };
    },
  };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), `cancan-${provider}-`));
    const ledger = SimulatorLedger.open(join(dir, 'simulator.sqlite'));
    const notifier = new SimulatorNotifier({ retryBaseMs: 200, maxAttempts: 5, publicUrl: null });
    context = { dir, ledger, wallet: new SandboxWallet(ledger), notifier };
    app = Fastify();
    await app.register(simulator(context), { prefix: `/_sim/${provider}` });
    await app.register(ledgerRoutes(context.ledger, context.wallet, context.notifier));
    origin = await app.listen({ host: '127.0.0.1', port: 0 });
    await started(server);
  });

  after(async () => {
    context?.notifier.close();
    await app?.close();
    context?.ledger.close();
    if (context !== undefined) rmSync(context.dir, { recursive: true, force: true });
  });

  return server;
}

const LEDGER_ENTRY_FIELDS = JSON.stringify(['amount', 'currency', 'order_no', 'provider', 'refunded_amount', 'status']);

function isLedgerEntry(value: unknown): value is LedgerEntry {
  return (
    typeof value === 'object' &&
    value !== null &&
    JSON.stringify(Object.keys(value).sort()) === LEDGER_ENTRY_FIELDS &&
    'provider' in value &&
    typeof value.provider === 'string' &&
    'order_no' in value &&
    typeof value.order_no === 'string' &&
    'amount' in value &&
    typeof value.amount === 'number' &&
    'currency' in value &&
    typeof value.currency === 'string' &&
    'status' in value &&
    typeof value.status === 'string' &&
    'refunded_amount' in value &&
    typeof value.refunded_amount === 'number'
  );
}

let sequence = 0;
/** An order (or refund) number unique in this process: the prefix, the time, a sequence number. */
export function newOrderNo(prefix = 'CT'): string {
  sequence += 1;
  return `${prefix}${Date.now()}${String(sequence).padStart(4, '0')}`;
}

/** Builds a provider's bar-code sales: `payRequest(amount, overrides?, currency?)`, each with a new order number. */
export function payRequestBuilder(defaults: { readonly currency: CurrencyCode; readonly authCode: string | ((currency: CurrencyCode) => string) }) {
  return (amount: number, overrides: Partial<PayRequest> = {}, currency: CurrencyCode = defaults.currency): PayRequest => ({
    orderNo: newOrderNo(),
    money: money(amount, currency),
    authCode: typeof defaults.authCode === 'string' ? defaults.authCode : defaults.authCode(currency),
    description: 'Contract test',
    ...overrides,
  });
}

/** Builds a provider's hosted-checkout orders: `orderRequest(amount, currency?, overrides?)`, each with a new order number. */
export function orderRequestBuilder(defaults: () => Omit<OrderRequest, 'orderNo' | 'money'>, defaultCurrency: CurrencyCode = 'CNY') {
  return (amount: number, currency: CurrencyCode = defaultCurrency, overrides: Partial<OrderRequest> = {}): OrderRequest => ({
    orderNo: newOrderNo(),
    money: money(amount, currency),
    ...defaults(),
    ...overrides,
  });
}

/** A refund of `amount` minor units of the sale's currency, with no refunds settled before it. */
export function refundRequest(sale: Pick<PayRequest, 'orderNo' | 'money'>, refundNo: string, amount: number, reason: string | null = 'test'): RefundRequest {
  return { orderNo: sale.orderNo, refundNo, saleMoney: sale.money, refundMoney: money(amount, sale.money.currency), reason, settledRefunds: [] };
}

/** Checks a trace and returns its outcome; `secrets` are more strings this trace must not carry. */
export type TraceCheck = <T>(result: Traced<T>, call: string, secrets?: readonly string[]) => T;

/** The trace check of one provider: every trace names the provider and the call, and carries none of `secrets()`. */
export function traceChecker(provider: string, secrets: () => readonly string[] = () => []): TraceCheck {
  return (result, call, more = []) => {
    assert.equal(result.trace.provider, provider);
    assert.equal(result.trace.call, call);
    assert.ok(result.trace.latencyMs >= 0);
    const text = JSON.stringify(result);
    for (const secret of [...secrets(), ...more]) assert.ok(!text.includes(secret), `trace leaks a secret: ${text}`);
    return result.outcome;
  };
}

/**
 * The first base64 line of a PEM key: what shows up in JSON if the key leaks
 * (the whole PEM never does, as JSON escapes its line breaks).
 */
export function pemBody(pem: string): string {
  return pem
    .replace(/-----[^-]+-----/g, '')
    .replace(/\s+/g, '')
    .slice(0, 64);
}

/** A fresh RSA-2048 key pair that neither side knows. */
export function otherKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/**
 * An online adapter that keeps the provider data its calls return and hands it
 * back on every later call, as the engine does with the attempts it stores.
 * Adapters sharing one `store` share what they learned (a restarted process
 * reading the same database).
 */
export function remembering(adapter: OnlineAdapter, store: Record<string, string> = {}): OnlineAdapter {
  const keep = <T>(traced: Traced<T>): Traced<T> => {
    Object.assign(store, traced.providerData ?? {});
    return traced;
  };
  const data = (): ProviderData => ({ ...store });
  return {
    provider: adapter.provider,
    mapFailure: (code) => adapter.mapFailure(code),
    createOrder: async (request) => keep(await adapter.createOrder({ ...request, providerData: { ...data(), ...request.providerData } })),
    query: async (orderNo, given) => keep(await adapter.query(orderNo, { ...data(), ...given })),
    close: async (orderNo, given) => keep(await adapter.close(orderNo, { ...data(), ...given })),
    refund: async (request) => keep(await adapter.refund({ ...request, providerData: { ...data(), ...request.providerData } })),
    refundQuery: async (request) => keep(await adapter.refundQuery({ ...request, providerData: { ...data(), ...request.providerData } })),
  };
}
