/**
 * Sandbox RSA keys for test mode: the test merchant's signing key pair
 * (CanCan signs with its private half, the simulator verifies with the public
 * half) and the simulated UnionPay signing key pair (the simulator signs
 * answers and notifications, CanCan verifies them). Generated on first use
 * into the data directory, never committed; every process sharing the
 * directory gets the same keys.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RsaKeyPair, loadOrCreateKeyPairs } from '../sandbox-keys.js';
import { loadCertificate } from './certs.js';
import type { UnionPayCredentials } from './adapter.js';

export type { RsaKeyPair } from '../sandbox-keys.js';

/** The test merchant number of UnionPay's own acp SDK demos (15 digits); the simulator knows it. */
export const UNIONPAY_SANDBOX_MER_ID = '777290058110097';

const UNIONPAY_SANDBOX_KEYS_FILE = 'unionpay-sandbox-keys.json';

export interface UnionPaySandboxKeys {
  merchant: RsaKeyPair;
  unionPay: RsaKeyPair;
}

export function loadOrCreateUnionPaySandboxKeys(dataDir: string): UnionPaySandboxKeys {
  return loadOrCreateKeyPairs(dataDir, UNIONPAY_SANDBOX_KEYS_FILE, ['merchant', 'unionPay'], 'a UnionPay sandbox key file');
}

/** What a test-mode adapter signs and verifies with. */
export function unionPaySandboxCredentials(keys: UnionPaySandboxKeys): UnionPayCredentials {
  return { merId: UNIONPAY_SANDBOX_MER_ID, merchantPrivateKeyPem: keys.merchant.privateKeyPem, unionPayPublicKeyPem: keys.unionPay.publicKeyPem };
}

/**
 * The simulator's signing certificate, when one is placed in its data
 * directory as `unionpay-signing-cert.pem` (a certificate of the sandbox
 * UnionPay key, from a CA of one's own): the simulator then sends it as
 * signPubKeyCert, and a CanCan in live mode that trusts that CA can use the
 * simulator as its UnionPay gateway. Null when there is no such file; a file
 * that is not a certificate of the sandbox key is an error.
 */
export const UNIONPAY_SIGNING_CERT_FILE = 'unionpay-signing-cert.pem';

export function loadUnionPaySimulatorCert(dataDir: string, keys: UnionPaySandboxKeys): string | null {
  const file = join(dataDir, UNIONPAY_SIGNING_CERT_FILE);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const cert = loadCertificate(pem);
  if (cert === null) throw new Error(`${file} is not a PEM X.509 certificate`);
  const sandboxKey = createPublicKey(keys.unionPay.publicKeyPem);
  if (!cert.publicKey.equals(sandboxKey)) throw new Error(`${file} does not certify the sandbox UnionPay key of ${UNIONPAY_SANDBOX_KEYS_FILE}`);
  return pem;
}
