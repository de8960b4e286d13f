/**
 * Another CanCan server on the database (and data directory, so the same
 * master key) of a running test app: two processes of one deployment, run in
 * one test process. The first app drops the database when it closes.
 */
import type { App } from '../../src/app.js';
import { type TestApp, startAppOn } from './harness.js';

export interface PeerApp {
  readonly app: App;
  readonly url: string;
  /** Every log line this server wrote. */
  readonly logs: string[];
  close(): Promise<void>;
}

export async function startPeerApp(first: TestApp, env: Record<string, string> = {}): Promise<PeerApp> {
  const { app, logs } = await startAppOn(first.database, env);
  return { app, url: app.url, logs, close: () => app.close() };
}
