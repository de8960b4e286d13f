/**
 * Sandbox RSA key pairs for test mode, one JSON file per provider in the data
 * directory: generated on first use, never committed, and the same for every
 * process sharing the directory. Each provider names its pairs (e.g. the test
 * merchant's, which CanCan signs with, and the simulated provider's, which
 * signs answers).
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RsaKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/**
 * The named key pairs stored in `dataDir/fileName`, created if there is none.
 * `label` names the file in errors ("an Alipay sandbox key file").
 */
export function loadOrCreateKeyPairs<K extends string>(dataDir: string, fileName: string, names: readonly K[], label: string): Record<K, RsaKeyPair> {
  const file = join(dataDir, fileName);
  const existing = readKeys(file, names, label);
  if (existing !== null) return existing;

  mkdirSync(dataDir, { recursive: true });
  const keys = Object.fromEntries(names.map((name) => [name, generateRsaKeyPair()])) as Record<K, RsaKeyPair>;
  // Written whole to a private temp file, then hard-linked into place: link() never replaces an
  // existing file, so of two processes racing here exactly one wins and both end up with its keys.
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, file);
  } catch (error) {
    if (!isErrorCode(error, 'EEXIST')) throw error;
  } finally {
    unlinkSync(temp);
  }
  const stored = readKeys(file, names, label);
  if (stored === null) throw new Error(`${file} vanished while it was being created`);
  return stored;
}

function generateRsaKeyPair(): RsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** The stored keys, null if there is no file yet; a file that is not a valid set of pairs is an error. */
function readKeys<K extends string>(file: string, names: readonly K[], label: string): Record<K, RsaKeyPair> | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || !names.every((name) => name in parsed)) throw new Error(`${file} is not ${label}`);
  const record = parsed as Record<string, unknown>;
  return Object.fromEntries(names.map((name) => [name, keyPair(record[name], `${file}: ${name}`)])) as Record<K, RsaKeyPair>;
}

function keyPair(value: unknown, where: string): RsaKeyPair {
  if (typeof value !== 'object' || value === null || !('privateKeyPem' in value) || !('publicKeyPem' in value)) {
    throw new Error(`${where} is not a key pair`);
  }
  const { privateKeyPem, publicKeyPem } = value;
  if (typeof privateKeyPem !== 'string' || typeof publicKeyPem !== 'string') throw new Error(`${where} is not a key pair`);
  // The halves must belong together, or every signature would fail in confusing ways later.
  const derived = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' });
  if (derived !== createPublicKey(publicKeyPem).export({ type: 'spki', format: 'pem' })) {
    throw new Error(`${where}: the public key does not match the private key`);
  }
  return { privateKeyPem, publicKeyPem };
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
