import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { SecretBox, generateApiKey, keyPrefix } from '../../src/domain/secrets.js';

const KEY_A = Buffer.alloc(32, 0xa5);
const KEY_B = Buffer.alloc(32, 0x5a);

/** Flips one bit of the decoded sealed value at `index` and re-encodes it. */
function flipBit(sealed: string, index: number): string {
  const raw = Buffer.from(sealed, 'base64url');
  raw[index] = (raw[index] ?? 0) ^ 0x01;
  return raw.toString('base64url');
}

describe('SecretBox', () => {
  test('refuses a master key that is not 32 bytes', () => {
    for (const length of [0, 16, 31, 33, 64]) assert.throws(() => new SecretBox(Buffer.alloc(length)), Error, String(length));
    assert.doesNotThrow(() => new SecretBox(Buffer.alloc(32)));
  });

  test('encrypt/decrypt round trip', () => {
    const box = new SecretBox(KEY_A);
    for (const plain of ['', 'a', 'sk_test_abcdefghijklmnopqrstuvwxyz012345', '134567890123456789', 'ünïcødé 支付 😀', 'x'.repeat(10_000)]) {
      const sealed = box.encrypt(plain);
      assert.equal(box.decrypt(sealed), plain);
    }
  });

  test('sealed values are base64url of iv (12) ‖ tag (16) ‖ ciphertext, and do not contain the plaintext', () => {
    const box = new SecretBox(KEY_A);
    const plain = 'secret-auth-code-1234';
    const sealed = box.encrypt(plain);
    assert.match(sealed, /^[A-Za-z0-9_-]+$/);
    assert.equal(Buffer.from(sealed, 'base64url').length, 12 + 16 + Buffer.byteLength(plain));
    assert.ok(!sealed.includes(plain));
    assert.ok(!Buffer.from(sealed, 'base64url').includes(Buffer.from(plain)));
  });

  test('ciphertexts differ for the same plaintext', () => {
    const box = new SecretBox(KEY_A);
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(box.encrypt('same'));
    assert.equal(seen.size, 50);
    for (const sealed of seen) assert.equal(box.decrypt(sealed), 'same');
  });

  test('tampered ciphertext throws: any bit flipped in iv, tag or body', () => {
    const box = new SecretBox(KEY_A);
    const sealed = box.encrypt('pay 100 CNY');
    const length = Buffer.from(sealed, 'base64url').length;
    for (let index = 0; index < length; index++) {
      assert.throws(() => box.decrypt(flipBit(sealed, index)), Error, `byte ${index}`);
    }
  });

  test('appended or removed body bytes throw', () => {
    const box = new SecretBox(KEY_A);
    const raw = Buffer.from(box.encrypt('pay 100 CNY'), 'base64url');
    assert.throws(() => box.decrypt(Buffer.concat([raw, Buffer.from([0])]).toString('base64url')));
    assert.throws(() => box.decrypt(raw.subarray(0, raw.length - 1).toString('base64url')));
    assert.throws(() => box.decrypt(raw.subarray(0, 28).toString('base64url')));
  });

  test('garbage and values too short for an iv throw', () => {
    const box = new SecretBox(KEY_A);
    for (const sealed of ['', '!!!!', 'AAAA', Buffer.alloc(12).toString('base64url'), Buffer.alloc(40).toString('base64url')]) {
      assert.throws(() => box.decrypt(sealed), Error, JSON.stringify(sealed));
    }
  });

  // Node accepts GCM tags shorter than 16 bytes unless authTagLength is set: without the length check, the
  // sealed value of '' cut to 16 bytes (iv ‖ first 4 tag bytes) would decrypt to '' instead of throwing.
  test('a sealed value whose tag is truncated throws', () => {
    const box = new SecretBox(KEY_A);
    const raw = Buffer.from(box.encrypt(''), 'base64url');
    assert.equal(raw.length, 28);
    for (const length of [27, 24, 20, 16]) {
      assert.throws(() => box.decrypt(raw.subarray(0, length).toString('base64url')), Error, `${length} bytes`);
    }
  });

  test('wrong key throws', () => {
    const sealed = new SecretBox(KEY_A).encrypt('for A only');
    assert.throws(() => new SecretBox(KEY_B).decrypt(sealed));
    assert.equal(new SecretBox(Buffer.from(KEY_A)).decrypt(sealed), 'for A only');
  });

  test('digest is deterministic HMAC-SHA256 hex', () => {
    const box = new SecretBox(KEY_A);
    const d = box.digest('sk_test_abc');
    assert.match(d, /^[0-9a-f]{64}$/);
    assert.equal(box.digest('sk_test_abc'), d);
    assert.equal(new SecretBox(Buffer.from(KEY_A)).digest('sk_test_abc'), d);
    assert.equal(d, createHmac('sha256', KEY_A).update('sk_test_abc').digest('hex'));
    assert.notEqual(box.digest('sk_test_abd'), d);
    assert.notEqual(box.digest(''), d);
  });

  test('digest depends on the key', () => {
    assert.notEqual(new SecretBox(KEY_A).digest('same input'), new SecretBox(KEY_B).digest('same input'));
  });
});

describe('API keys', () => {
  test('generateApiKey prefixes by mode with 32 base64url characters', () => {
    const testKey = generateApiKey('test');
    const live = generateApiKey('live');
    assert.match(testKey, /^sk_test_[A-Za-z0-9_-]{32}$/);
    assert.match(live, /^sk_live_[A-Za-z0-9_-]{32}$/);
  });

  test('generated keys are unique', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 1_000; i++) keys.add(generateApiKey(i % 2 === 0 ? 'test' : 'live'));
    assert.equal(keys.size, 1_000);
  });

  test('keyPrefix shows the mode and 4 characters of the secret, no more', () => {
    const key = generateApiKey('live');
    const prefix = keyPrefix(key);
    assert.equal(prefix.length, 12);
    assert.ok(key.startsWith(prefix));
    assert.match(prefix, /^sk_live_[A-Za-z0-9_-]{4}$/);
    assert.equal(keyPrefix('sk_test_ABCDEFGH'), 'sk_test_ABCD');
    assert.equal(keyPrefix('short'), 'short');
  });
});
