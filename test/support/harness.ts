/** Starts a real CanCan server (real HTTP, real database, in-process simulators) for tests. */
import { Writable } from 'node:stream';
import { type App, type AppOptions, startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { gatewayCodes } from '../../src/providers/registry.js';
import { createApiKey, createMerchant } from '../../src/store/merchants.js';
import { type DbKind, type TestDatabase, createTestDatabase } from './databases.js';

/** Short provider windows so the unhappy paths finish in seconds. */
export const FAST_ENV = {
  // The window must outlast a timed-out pay call (amounts ending in 56 answer a second after the timeout) and a query.
  CANCAN_CONFIRM_WINDOW_MS: '6000',
  CANCAN_POLL_INTERVAL_MS: '100',
  // Providers notify only some outcomes (WeChat Pay no declines): tests that prove the slower cadence set it themselves.
  CANCAN_NOTIFIED_POLL_MS: '100',
  // The daily reconciliation fetches statements for live credentials: tests that reconcile start it themselves.
  CANCAN_RECONCILE_EVERY_MS: '0',
  // Long enough for a signed answer on a loaded 2-core machine (the browser tests run alongside).
  CANCAN_PROVIDER_TIMEOUT_MS: '2500',
  CANCAN_SIM_CONFIRM_DELAY_MS: '300',
  CANCAN_JOB_LEASE_MS: '8000',
  // A test that runs the CLI synchronously blocks this process for seconds: a connection its fetch keeps for the next
  // request must not be closed by the server meanwhile (the request would meet a closing socket).
  CANCAN_KEEP_ALIVE_TIMEOUT_MS: '600000',
  LOG_LEVEL: 'info',
  // The tests' IPN receivers and callback pages listen on 127.0.0.1; tests of the SSRF guard turn this off.
  CANCAN_ALLOW_PRIVATE_URLS: 'on',
};

export interface TestMerchant {
  readonly id: string;
  readonly apiKey: string;
}

export interface TestApp {
  readonly app: App;
  readonly url: string;
  readonly database: TestDatabase;
  /** Every log line the server wrote. */
  readonly logs: string[];
  merchant(gateways?: readonly string[]): Promise<TestMerchant>;
  close(): Promise<void>;
}

export async function startTestApp(
  kind: DbKind,
  env: Record<string, string> = {},
  options: Pick<AppOptions, 'resolveHost' | 'providers'> = {},
): Promise<TestApp> {
  const database = await createTestDatabase(kind);
  const { app, logs } = await startAppOn(database, env, options);
  return {
    app,
    url: app.url,
    database,
    logs,
    async merchant(gateways = gatewayCodes()) {
      const now = Date.now();
      const merchant = await createMerchant(app.deps.store.db, { name: 'Test Shop', timezone: 'UTC', gateways, now });
      const key = await createApiKey(app.deps.store.db, app.deps.secrets, { merchantId: merchant.id, mode: 'test', now });
      return { id: merchant.id, apiKey: key.apiKey };
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

/** A server on an existing test database (and its data directory, so its master key), collecting its log lines. */
export async function startAppOn(
  database: TestDatabase,
  env: Record<string, string> = {},
  options: Pick<AppOptions, 'resolveHost' | 'providers' | 'worker'> = {},
): Promise<{ app: App; logs: string[] }> {
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const config = loadConfig({
    ...FAST_ENV,
    ...env,
    PORT: '0',
    HOST: '127.0.0.1',
    CANCAN_DATA_DIR: database.dataDir,
    ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
  });
  const app = await startApp(config, { ...options, logStream });
  return { app, logs };
}
