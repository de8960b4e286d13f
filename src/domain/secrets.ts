/**
 * Secrets at rest: API keys are looked up by an HMAC (keyed by the master key)
 * and kept encrypted with AES-256-GCM because the CHOP IPN signature needs the
 * raw token. Customer auth codes are kept encrypted only until the sale is final.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export class SecretBox {
  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  }

  /** Deterministic keyed digest, for lookups and request fingerprints. */
  digest(value: string): string {
    return createHmac('sha256', this.masterKey).update(value).digest('hex');
  }

  /** AES-256-GCM; output is base64url of iv ‖ tag ‖ ciphertext. */
  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  decrypt(sealed: string): string {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 28) throw new Error('sealed value is too short');
    const decipher = createDecipheriv('aes-256-gcm', this.masterKey, raw.subarray(0, 12), { authTagLength: 16 });
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

/** API keys: `sk_test_…` / `sk_live_…` followed by 32 random base62-ish chars. */
export type KeyMode = 'test' | 'live';

export function generateApiKey(mode: KeyMode): string {
  return `sk_${mode}_${randomBytes(24).toString('base64url')}`;
}

/** What may be shown of a key after creation. */
export function keyPrefix(apiKey: string): string {
  return apiKey.slice(0, 12);
}
