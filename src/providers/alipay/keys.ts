/**
 * Sandbox RSA keys for Alipay test mode: the test merchant's app key pair
 * (CanCan signs with its private half, the simulator verifies with the public
 * half) and the simulated Alipay platform key pair (the simulator signs
 * answers, CanCan verifies them).
 */
import { type RsaKeyPair, loadOrCreateKeyPairs } from '../sandbox-keys.js';
import type { AlipayCredentials } from './adapter.js';

export type { RsaKeyPair } from '../sandbox-keys.js';

/** Any fixed value: the simulator knows this app id. */
export const ALIPAY_SANDBOX_APP_ID = '2021000000000000';

export const ALIPAY_SANDBOX_KEYS_FILE = 'alipay-sandbox-keys.json';

export interface AlipaySandboxKeys {
  app: RsaKeyPair;
  platform: RsaKeyPair;
}

export function loadOrCreateAlipaySandboxKeys(dataDir: string): AlipaySandboxKeys {
  return loadOrCreateKeyPairs(dataDir, ALIPAY_SANDBOX_KEYS_FILE, ['app', 'platform'], 'an Alipay sandbox key file');
}

/** What a test-mode adapter signs and verifies with. */
export function alipaySandboxCredentials(keys: AlipaySandboxKeys): AlipayCredentials {
  return { appId: ALIPAY_SANDBOX_APP_ID, appPrivateKeyPem: keys.app.privateKeyPem, alipayPublicKeyPem: keys.platform.publicKeyPem };
}
