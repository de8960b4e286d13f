/**
 * The files a newcomer starts from: .env.example names every setting
 * src/config.ts reads, with values that are the defaults (loading it changes
 * nothing); the Dockerfile and docker-compose.yml keep their essentials
 * (multi-stage, non-root, health check; PostgreSQL and Redis); the LICENSE is
 * the MIT licence package.json names. (These machines cannot pull base images,
 * so the images themselves are not built here.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseEnv } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { PROVIDERS } from '../../src/providers/list.js';

const repoFile = (name: string) => readFileSync(new URL(`../../../${name}`, import.meta.url), 'utf8');

/** The environment variables src/config.ts reads: `env.NAME`, `(env, 'NAME'`, and each live provider's URL setting. */
function settingsReadByConfig(): string[] {
  const source = repoFile('src/config.ts');
  const names = new Set<string>();
  for (const match of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) names.add(match[1] ?? '');
  for (const match of source.matchAll(/\(env, '([A-Z][A-Z0-9_]*)'/g)) names.add(match[1] ?? '');
  for (const provider of PROVIDERS) if (provider.live) names.add(provider.live.urlSetting);
  return [...names].sort();
}

test('.env.example lists every setting of src/config.ts, each after a comment line', () => {
  const text = repoFile('.env.example');
  const listed = Object.keys(parseEnv(text)).sort();
  const read = settingsReadByConfig();
  assert.ok(read.length >= 30, `found ${read.length} settings in src/config.ts`);
  assert.deepEqual(listed, read);
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (/^[A-Z]/.test(line)) assert.match(lines[index - 1] ?? '', /^# \S/, `${line} has a one-line comment above it`);
  }
});

test('.env.example holds the defaults: loading it gives the same configuration as an empty environment', () => {
  const fromExample = loadConfig(parseEnv(repoFile('.env.example')));
  const defaults = loadConfig({});
  assert.deepEqual(fromExample, defaults);
});

test('Dockerfile: multi-stage, runs as a non-root user, health check on /healthz, serves', () => {
  const text = repoFile('Dockerfile');
  const stages = [...text.matchAll(/^FROM\s+(\S+)\s+AS\s+(\S+)$/gm)].map((m) => m[2]);
  assert.deepEqual(stages, ['build', 'runtime']);
  assert.match(text, /^COPY --from=build .*\/app\/dist\/src /m, 'the runtime stage takes the compiled server from the build stage');
  const user = [...text.matchAll(/^USER\s+(\S+)$/gm)].map((m) => m[1]);
  assert.equal(user.length, 1);
  assert.notEqual(user[0], 'root');
  assert.ok(text.indexOf('USER node') > text.lastIndexOf('FROM '), 'USER is set in the final stage');
  assert.match(text, /^HEALTHCHECK .*\\\n\s+CMD .*\/healthz/m);
  assert.match(text, /^ENTRYPOINT \["node", "dist\/src\/cli\/main\.js"\]$/m);
  assert.match(text, /^CMD \["serve"\]$/m);
  assert.match(text, /HOST=0\.0\.0\.0/);
  assert.match(text, /CANCAN_METRICS_PORT=\d+/, 'on 0.0.0.0 /metrics needs a port or token of its own, or the server refuses to start');
});

test('docker-compose.yml: CanCan built here, with PostgreSQL and Redis it waits for', () => {
  const text = repoFile('docker-compose.yml');
  // Two-space keys: the services, then the named volumes.
  const keys = [...text.matchAll(/^ {2}([a-z-]+):$/gm)].map((m) => m[1]);
  assert.deepEqual(keys, ['cancan', 'postgres', 'redis', 'cancan-data', 'postgres-data']);
  assert.match(text, /^ {4}build: \.$/m);
  assert.match(text, /DATABASE_URL: postgres:\/\/cancan:cancan@postgres:5432\/cancan/);
  assert.match(text, /REDIS_URL: redis:\/\/redis:6379/);
  assert.match(text, /image: postgres:\d+/);
  assert.match(text, /image: redis:\d+/);
  assert.equal((text.match(/condition: service_healthy/g) ?? []).length, 2);
  assert.match(text, /['"]127\.0\.0\.1:8080:8080['"]/, 'published on loopback only');
});

test('LICENSE is the MIT licence package.json names, held by the CanCan contributors', () => {
  const pkg = JSON.parse(repoFile('package.json')) as { license: string; engines: { node: string } };
  assert.equal(pkg.license, 'MIT');
  const text = repoFile('LICENSE');
  assert.match(text, /^MIT License\n\nCopyright \(c\) \d{4} CanCan contributors\n/);
  assert.match(text, /THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/);
});

test('engines names the Node lines the dependencies support, and this Node is one of them', () => {
  const pkg = JSON.parse(repoFile('package.json')) as { engines: { node: string } };
  assert.equal(pkg.engines.node, '^20.19.0 || ^22.13.0 || >=24');
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  assert.ok((major === 20 && minor >= 19) || (major === 22 && minor >= 13) || major >= 24, process.versions.node);
});
