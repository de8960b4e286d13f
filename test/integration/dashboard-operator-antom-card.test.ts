/**
 * The operator console takes live Alipay+ (Antom) and card credentials like
 * the others: refused with the problems listed and nothing echoed, stored
 * sealed (Antom's bare-base64 keys kept as PEM), never shown back.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { HttpSession, csrfOf, useDashboardApp } from '../support/dashboard.js';

const rsa = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const bare = (pem: string): string => pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');

describe('operator console: Alipay+ and card live credentials', () => {
  const fx = useDashboardApp('sqlite');

  async function merchantPage(): Promise<{ operator: HttpSession; path: string; csrf: string; text: string }> {
    const operator = new HttpSession(fx().url);
    assert.equal(await operator.signIn(fx().operator), 303);
    const path = `/dashboard/merchants/${fx().merchant.id}`;
    const page = await operator.get(path);
    assert.equal(page.status, 200);
    return { operator, path, csrf: csrfOf(page.text), text: page.text };
  }

  test('both providers have a credentials form naming their fields', async () => {
    const { text } = await merchantPage();
    assert.match(text, /id="credentials-alipayplus-form"/);
    assert.match(text, /id="credentials-card-form"/);
    assert.match(text, /clientId, merchantPrivateKeyPem/);
    assert.match(text, /merchantId, userId, pin, multiCurrency/);
  });

  test("Antom's private key where its public key belongs is refused, listed, and not echoed", async () => {
    const { operator, path, csrf } = await merchantPage();
    const merchant = rsa();
    const antom = rsa();
    const refused = await operator.post(`${path}/credentials/alipayplus`, {
      _csrf: csrf,
      credentials: JSON.stringify({ clientId: 'SANDBOX_5YCANCAN00000001', merchantPrivateKeyPem: merchant.privateKey, providerPublicKeyPem: antom.privateKey }),
    });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /providerPublicKeyPem is not an RSA public key/);
    for (const key of [merchant.privateKey, antom.privateKey]) assert.ok(!refused.text.includes(bare(key).slice(0, 32)), 'no key material on the page');
  });

  test('valid Antom keys in bare base64 are stored sealed as PEM; card credentials with their defaults', async () => {
    const { operator, path, csrf } = await merchantPage();
    const merchant = rsa();
    const antom = rsa();
    const stored = await operator.post(`${path}/credentials/alipayplus`, {
      _csrf: csrf,
      credentials: JSON.stringify({
        clientId: '2188120000000001',
        merchantPrivateKeyPem: bare(merchant.privateKey),
        providerPublicKeyPem: bare(antom.publicKey),
      }),
    });
    assert.equal(stored.status, 303, stored.text);
    assert.equal(stored.headers.get('location'), `${path}?done=credentials-alipayplus`);
    const card = await operator.post(`${path}/credentials/card`, {
      _csrf: csrf,
      credentials: JSON.stringify({ merchantId: '0099001', userId: 'apiuser', pin: 'PIN0123456789' }),
    });
    assert.equal(card.status, 303, card.text);

    const db = fx().app.app.deps.store.db;
    const rows = await db.selectFrom('provider_credentials').selectAll().where('merchant_id', '=', fx().merchant.id).execute();
    const sealed = (provider: string): unknown => {
      const row = rows.find((r) => r.provider === provider);
      assert.ok(row, `${provider} stored`);
      assert.ok(!row.sealed.includes('BEGIN') && !row.sealed.includes('PIN0123456789'), 'sealed, not plaintext');
      return JSON.parse(fx().app.app.deps.secrets.decrypt(row.sealed));
    };
    assert.deepEqual(sealed('alipayplus'), { clientId: '2188120000000001', merchantPrivateKeyPem: merchant.privateKey, providerPublicKeyPem: antom.publicKey });
    assert.deepEqual(sealed('card'), { merchantId: '0099001', userId: 'apiuser', pin: 'PIN0123456789', multiCurrency: false, currency: 'USD' });

    const after = await operator.get(path);
    assert.match(after.text, /id="credentials-alipayplus-form"[\s\S]*?data-credentials-status="set"/);
    assert.ok(!after.text.includes('PIN0123456789') && !after.text.includes(bare(merchant.privateKey).slice(0, 32)), 'never shown back');
  });
});
