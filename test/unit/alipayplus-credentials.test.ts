/**
 * Live Alipay+ (Antom) credentials: what the CLI and the operator console
 * accept (PEM or the Antom Dashboard's bare base64), what they refuse, and
 * that no refusal repeats key material.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { parseAlipayPlusCredentials } from '../../src/providers/alipayplus/credentials.js';
import { alipayplus } from '../../src/providers/alipayplus/descriptor.js';

const rsa = (modulusLength = 2048) =>
  generateKeyPairSync('rsa', { modulusLength, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const merchant = rsa();
const antom = rsa();
const bare = (pem: string): string => pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
const valid = { clientId: 'SANDBOX_5YCANCAN00000001', merchantPrivateKeyPem: merchant.privateKey, providerPublicKeyPem: antom.publicKey };

function problemsOf(fields: Record<string, unknown>): string[] {
  const parsed = parseAlipayPlusCredentials(fields);
  assert.ok(!parsed.ok, 'refused');
  return parsed.problems;
}

describe('Alipay+ live credentials', () => {
  test('PEM keys are accepted and stored as PEM; parsing the stored value again gives the same value', () => {
    const parsed = parseAlipayPlusCredentials(valid);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.clientId, valid.clientId);
    assert.equal(parsed.value.merchantPrivateKeyPem, merchant.privateKey);
    assert.equal(parsed.value.providerPublicKeyPem, antom.publicKey);
    assert.deepEqual(parseAlipayPlusCredentials({ ...parsed.value }), parsed);
  });

  test("the Antom Dashboard's bare base64 keys (PKCS#8 private, X.509 public) are accepted and stored as PEM", () => {
    const parsed = parseAlipayPlusCredentials({ ...valid, merchantPrivateKeyPem: bare(merchant.privateKey), providerPublicKeyPem: bare(antom.publicKey) });
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.equal(parsed.value.merchantPrivateKeyPem, merchant.privateKey);
    assert.equal(parsed.value.providerPublicKeyPem, antom.publicKey);
  });

  test('PKCS#1 PEM keys (BEGIN RSA PRIVATE/PUBLIC KEY) are accepted too', () => {
    const pkcs1 = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const parsed = parseAlipayPlusCredentials({ ...valid, merchantPrivateKeyPem: pkcs1.privateKey, providerPublicKeyPem: antom.publicKey });
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.match(parsed.value.merchantPrivateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
    const parsedPublic = parseAlipayPlusCredentials({ ...valid, merchantPrivateKeyPem: merchant.privateKey, providerPublicKeyPem: pkcs1.publicKey });
    assert.ok(parsedPublic.ok, JSON.stringify(parsedPublic));
    assert.match(parsedPublic.value.providerPublicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
  });

  test('missing fields are named', () => {
    assert.deepEqual(problemsOf({}), [
      'clientId is required (a non-empty string)',
      'merchantPrivateKeyPem is required (a non-empty string)',
      'providerPublicKeyPem is required (a non-empty string)',
    ]);
  });

  test('a private key where the public key belongs, and a public key where the private key belongs, are refused', () => {
    assert.deepEqual(problemsOf({ ...valid, providerPublicKeyPem: antom.privateKey }), [
      'providerPublicKeyPem is not an RSA public key (PEM, or base64 X.509 SubjectPublicKeyInfo)',
    ]);
    assert.deepEqual(problemsOf({ ...valid, merchantPrivateKeyPem: merchant.publicKey }), [
      'merchantPrivateKeyPem is not an RSA private key (PEM, or base64 PKCS#8 / PKCS#1)',
    ]);
  });

  test('text that is no key, a non-RSA key and a short RSA key are refused', () => {
    assert.deepEqual(problemsOf({ ...valid, providerPublicKeyPem: 'not a key at all!' }), [
      'providerPublicKeyPem is not an RSA public key (PEM, or base64 X.509 SubjectPublicKeyInfo)',
    ]);
    assert.deepEqual(problemsOf({ ...valid, providerPublicKeyPem: 'QUJDREVGRw==' }), [
      'providerPublicKeyPem is not an RSA public key (PEM, or base64 X.509 SubjectPublicKeyInfo)',
    ]);
    const ec = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    assert.deepEqual(problemsOf({ ...valid, providerPublicKeyPem: ec.publicKey }), ['providerPublicKeyPem must be an RSA key (Antom signs with RSA256)']);
    assert.deepEqual(problemsOf({ ...valid, merchantPrivateKeyPem: rsa(1024).privateKey }), ['merchantPrivateKeyPem must be an RSA key of at least 2048 bits']);
  });

  test("the merchant's own public key in place of Antom's is refused", () => {
    assert.deepEqual(problemsOf({ ...valid, providerPublicKeyPem: merchant.publicKey }), [
      "providerPublicKeyPem is the public half of merchantPrivateKeyPem: it must be Antom's public key",
    ]);
  });

  test('a client id with spaces or symbols is refused', () => {
    assert.deepEqual(problemsOf({ ...valid, clientId: 'SANDBOX 1' }), ['clientId must be letters, digits and _ (the Client ID Antom assigned)']);
  });

  test('no problem repeats key material', () => {
    const problems = problemsOf({ ...valid, merchantPrivateKeyPem: `${bare(merchant.privateKey)}!`, providerPublicKeyPem: antom.privateKey });
    const text = problems.join('\n');
    for (const secret of [bare(merchant.privateKey), bare(antom.privateKey)]) assert.ok(!text.includes(secret.slice(0, 24)), text);
  });

  test('the descriptor offers live access with the Asia host as default and CANCAN_ALIPAYPLUS_URL to change it', () => {
    assert.equal(alipayplus.live.urlSetting, 'CANCAN_ALIPAYPLUS_URL');
    assert.equal(alipayplus.live.defaultUrl, 'https://open-sea-global.alipay.com');
    assert.equal(alipayplus.live.parseCredentials, parseAlipayPlusCredentials);
  });
});
