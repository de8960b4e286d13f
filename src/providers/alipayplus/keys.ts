/**
 * Sandbox RSA keys for Alipay+ test mode: the test merchant's key pair
 * (CanCan signs requests with the private half, the simulator verifies with
 * the public half) and the simulated Antom key pair (the simulator signs
 * answers, CanCan verifies them). Generated on first use into the data
 * directory, never committed; every process sharing the directory gets the
 * same keys.
 */
import { type RsaKeyPair, loadOrCreateKeyPairs } from '../sandbox-keys.js';

export type { RsaKeyPair } from '../sandbox-keys.js';

/**
 * The simulator knows this client id. Antom sandbox client ids start with
 * `SANDBOX_`, which makes clients call the `/ams/sandbox/api/...` paths
 * (global-open-sdk `adjust_sandbox_url`); the simulator serves both.
 */
export const ALIPAYPLUS_SANDBOX_CLIENT_ID = 'SANDBOX_5YCANCAN00000001';

const ALIPAYPLUS_SANDBOX_KEYS_FILE = 'alipayplus-sandbox-keys.json';

export interface AlipayPlusSandboxKeys {
  /** The test merchant's pair: signs requests. */
  merchant: RsaKeyPair;
  /** The simulated provider's pair: signs answers. */
  provider: RsaKeyPair;
}

export function loadOrCreateAlipayPlusSandboxKeys(dataDir: string): AlipayPlusSandboxKeys {
  return loadOrCreateKeyPairs(dataDir, ALIPAYPLUS_SANDBOX_KEYS_FILE, ['merchant', 'provider'], 'an Alipay+ sandbox key file');
}
