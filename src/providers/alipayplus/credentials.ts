/**
 * Live Alipay+ (Antom) credentials, checked before they are stored: the
 * Client-Id, the merchant's RSA private key and Antom's RSA public key. The
 * Antom Dashboard shows keys as bare base64 (no PEM armour), which the SDKs
 * take as they are; both forms are accepted here and stored as PEM.
 *
 * Problems name fields, never their values: a key must not end up in an error.
 */
import { type KeyObject, createPrivateKey, createPublicKey } from 'node:crypto';
import { type Fields, parsed, text } from '../credential-fields.js';
import type { ParsedCredentials } from '../descriptor.js';
import type { AlipayPlusCredentials } from './adapter.js';

export const ALIPAYPLUS_CREDENTIAL_FIELDS = [
  'clientId',
  'merchantPrivateKeyPem (your RSA private key: PEM, or the bare base64 the Antom Dashboard shows)',
  'providerPublicKeyPem (Antom public key: PEM or bare base64)',
] as const;

export const ALIPAYPLUS_CREDENTIALS_USAGE = '{"clientId","merchantPrivateKeyPem","providerPublicKeyPem"}';

/** Antom signs with RSA2048 (SHA256withRSA); shorter keys are refused. */
const MIN_RSA_BITS = 2048;
const CLIENT_ID_PATTERN = /^[A-Za-z0-9_]{1,64}$/;

export function parseAlipayPlusCredentials(fields: Fields): ParsedCredentials<AlipayPlusCredentials> {
  const problems: string[] = [];
  const clientId = text(fields, 'clientId', problems).trim();
  if (clientId !== '' && !CLIENT_ID_PATTERN.test(clientId)) problems.push('clientId must be letters, digits and _ (the Client ID Antom assigned)');

  const privateKey = readKey(fields, 'merchantPrivateKeyPem', 'private', problems);
  const publicKey = readKey(fields, 'providerPublicKeyPem', 'public', problems);
  if (privateKey !== null && publicKey !== null && samePublicKey(createPublicKey(privateKey), publicKey)) {
    // The most common mix-up: the merchant's own public key pasted where Antom's belongs.
    problems.push("providerPublicKeyPem is the public half of merchantPrivateKeyPem: it must be Antom's public key");
  }
  return parsed(
    {
      clientId,
      merchantPrivateKeyPem: privateKey === null ? '' : privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      providerPublicKeyPem: publicKey === null ? '' : publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
    problems,
  );
}

/** The field's RSA key of the given kind, or null (with a problem recorded). */
function readKey(fields: Fields, name: string, kind: 'private' | 'public', problems: string[]): KeyObject | null {
  const raw = text(fields, name, problems).trim();
  if (raw === '') return null;
  const key = kind === 'private' ? loadPrivateKey(raw) : loadPublicKey(raw);
  if (key === null) {
    problems.push(`${name} is not an RSA ${kind} key (PEM, or base64 ${kind === 'private' ? 'PKCS#8 / PKCS#1' : 'X.509 SubjectPublicKeyInfo'})`);
    return null;
  }
  if (key.asymmetricKeyType !== 'rsa') {
    problems.push(`${name} must be an RSA key (Antom signs with RSA256)`);
    return null;
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    problems.push(`${name} must be an RSA key of at least ${MIN_RSA_BITS} bits`);
    return null;
  }
  return key;
}

function loadPrivateKey(raw: string): KeyObject | null {
  if (raw.includes('-----BEGIN')) {
    // A public key or certificate in this field is not a private key, whatever node:crypto would make of it.
    if (!/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(raw)) return null;
    return attempt(() => createPrivateKey(raw));
  }
  const der = base64Der(raw);
  if (der === null) return null;
  return (
    attempt(() => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })) ?? attempt(() => createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }))
  );
}

function loadPublicKey(raw: string): KeyObject | null {
  if (raw.includes('-----BEGIN')) {
    // createPublicKey would derive a public key from a private one; a private key here is a mistake, not Antom's key.
    if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(raw)) return null;
    return attempt(() => createPublicKey(raw));
  }
  const der = base64Der(raw);
  if (der === null) return null;
  return (
    attempt(() => createPublicKey({ key: der, format: 'der', type: 'spki' })) ?? attempt(() => createPublicKey({ key: der, format: 'der', type: 'pkcs1' }))
  );
}

/** Bare base64 (line breaks allowed) decoded, or null when it is not base64. */
function base64Der(raw: string): Buffer | null {
  const compact = raw.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return null;
  return Buffer.from(compact, 'base64');
}

function attempt(load: () => KeyObject): KeyObject | null {
  try {
    return load();
  } catch {
    return null;
  }
}

function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
}
