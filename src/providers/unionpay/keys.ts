/**
 * Sandbox RSA keys for test mode: the test merchant's signing key pair
 * (CanCan signs with its private half, the simulator verifies with the public
 * half) and the simulated UnionPay signing key pair (the simulator signs
 * answers and notifications, CanCan verifies them). Generated on first use
 * into the data directory, never committed; every process sharing the
 * directory gets the same keys.
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UnionPayCredentials } from './adapter.js';

/** The test merchant number of UnionPay's own acp SDK demos (15 digits); the simulator knows it. */
export const UNIONPAY_SANDBOX_MER_ID = '777290058110097';

export const UNIONPAY_SANDBOX_KEYS_FILE = 'unionpay-sandbox-keys.json';

export interface RsaKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

export interface UnionPaySandboxKeys {
  merchant: RsaKeyPair;
  unionPay: RsaKeyPair;
}

export function loadOrCreateUnionPaySandboxKeys(dataDir: string): UnionPaySandboxKeys {
  const file = join(dataDir, UNIONPAY_SANDBOX_KEYS_FILE);
  const existing = readKeys(file);
  if (existing !== null) return existing;

  mkdirSync(dataDir, { recursive: true });
  const keys: UnionPaySandboxKeys = { merchant: generateRsaKeyPair(), unionPay: generateRsaKeyPair() };
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
  const stored = readKeys(file);
  if (stored === null) throw new Error(`${file} vanished while it was being created`);
  return stored;
}

/** What a test-mode adapter signs and verifies with. */
export function unionPaySandboxCredentials(keys: UnionPaySandboxKeys): UnionPayCredentials {
  return { merId: UNIONPAY_SANDBOX_MER_ID, merchantPrivateKeyPem: keys.merchant.privateKeyPem, unionPayPublicKeyPem: keys.unionPay.publicKeyPem };
}

function generateRsaKeyPair(): RsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** The stored keys, null if there is no file yet; a file that is not a valid pair of pairs is an error. */
function readKeys(file: string): UnionPaySandboxKeys | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || !('merchant' in parsed) || !('unionPay' in parsed)) {
    throw new Error(`${file} is not a UnionPay sandbox key file`);
  }
  return { merchant: keyPair(parsed.merchant, `${file}: merchant`), unionPay: keyPair(parsed.unionPay, `${file}: unionPay`) };
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
