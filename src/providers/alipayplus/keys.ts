/**
 * Sandbox RSA keys for Alipay+ test mode: the test merchant's key pair
 * (CanCan signs requests with the private half, the simulator verifies with
 * the public half) and the simulated Antom key pair (the simulator signs
 * answers, CanCan verifies them). Generated on first use into the data
 * directory, never committed; every process sharing the directory gets the
 * same keys (same scheme as src/providers/alipay/keys.ts).
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The simulator knows this client id. Antom sandbox client ids start with
 * `SANDBOX_`, which makes clients call the `/ams/sandbox/api/...` paths
 * (global-open-sdk `adjust_sandbox_url`); the simulator serves both.
 */
export const ALIPAYPLUS_SANDBOX_CLIENT_ID = 'SANDBOX_5YCANCAN00000001';

export const ALIPAYPLUS_SANDBOX_KEYS_FILE = 'alipayplus-sandbox-keys.json';

export interface RsaKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

export interface AlipayPlusSandboxKeys {
  /** The test merchant's pair: signs requests. */
  merchant: RsaKeyPair;
  /** The simulated provider's pair: signs answers. */
  provider: RsaKeyPair;
}

export function loadOrCreateAlipayPlusSandboxKeys(dataDir: string): AlipayPlusSandboxKeys {
  const file = join(dataDir, ALIPAYPLUS_SANDBOX_KEYS_FILE);
  const existing = readKeys(file);
  if (existing !== null) return existing;

  mkdirSync(dataDir, { recursive: true });
  const keys: AlipayPlusSandboxKeys = { merchant: generateRsaKeyPair(), provider: generateRsaKeyPair() };
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

function generateRsaKeyPair(): RsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** The stored keys, null if there is no file yet; a file that is not a valid pair of pairs is an error. */
function readKeys(file: string): AlipayPlusSandboxKeys | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || !('merchant' in parsed) || !('provider' in parsed)) {
    throw new Error(`${file} is not an Alipay+ sandbox key file`);
  }
  return { merchant: keyPair(parsed.merchant, `${file}: merchant`), provider: keyPair(parsed.provider, `${file}: provider`) };
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
