/**
 * Another CanCan server on the database (and data directory, so the same
 * master key) of a running test app: two processes of one deployment, run in
 * one test process. The first app drops the database when it closes.
 */
import { Writable } from 'node:stream';
import { type App, startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FAST_ENV, type TestApp } from './harness.js';

export interface PeerApp {
  readonly app: App;
  readonly url: string;
  /** Every log line this server wrote. */
  readonly logs: string[];
  close(): Promise<void>;
}

export async function startPeerApp(first: TestApp, env: Record<string, string> = {}): Promise<PeerApp> {
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const { database } = first;
  const config = loadConfig({
    ...FAST_ENV,
    ...env,
    PORT: '0',
    HOST: '127.0.0.1',
    CANCAN_DATA_DIR: database.dataDir,
    ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
  });
  const app = await startApp(config, { logStream });
  return { app, url: app.url, logs, close: () => app.close() };
}
