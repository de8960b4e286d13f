/**
 * The seed documents (the CANCAN v2 API Blueprint, Citcon's API reference) are not part of the
 * repository: CI keeps them in ../shared/seeds beside it, or wherever CANCAN_SEEDS_DIR points.
 * A test that checks CanCan against one skips, saying why, on a clone without them; with
 * CANCAN_REQUIRE_SEEDS=on (set by .ci/run) it runs and fails instead, so CI cannot lose it quietly.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

export const SEEDS_DIR = process.env.CANCAN_SEEDS_DIR ?? join(REPO, '..', 'shared', 'seeds');

export interface SeedDocument {
  readonly path: string;
  /** For node:test's `skip` option: false when the test must run, else the reason it did not. */
  readonly skip: false | string;
}

export function seedDocument(name: string): SeedDocument {
  const path = join(SEEDS_DIR, name);
  const required = process.env.CANCAN_REQUIRE_SEEDS === 'on';
  if (required || existsSync(path)) return { path, skip: false };
  return { path, skip: `did not run: seed document ${name} not found at ${path} (set CANCAN_SEEDS_DIR to the seeds folder; .ci/run requires it)` };
}
