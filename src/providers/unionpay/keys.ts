/**
 * Sandbox RSA keys for test mode: the test merchant's signing key pair
 * (CanCan signs with its private half, the simulator verifies with the public
 * half) and the simulated UnionPay signing key pair (the simulator signs
 * answers and notifications, CanCan verifies them). Generated on first use
 * into the data directory, never committed; every process sharing the
 * directory gets the same keys.
 */
import { type RsaKeyPair, loadOrCreateKeyPairs } from '../sandbox-keys.js';
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
