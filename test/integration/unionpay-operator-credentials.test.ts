/**
 * UnionPay live credentials through the operator console: the form is there,
 * credentials whose certificate does not match certId (or whose key is not
 * the certificate's) are refused with the problems and nothing echoed, and
 * matching ones are stored sealed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { UNIONPAY_LIVE_CREDENTIAL_FIELDS } from '../../src/providers/unionpay/credentials.js';
import { HttpSession, csrfOf, useDashboardApp } from '../support/dashboard.js';
import { otherKeyPair, pemBody } from '../support/contract.js';
import { createTestCa, type TestCa } from '../contract/unionpay-ca.js';

describe('UnionPay live credentials in the operator console (sqlite)', () => {
  const fx = useDashboardApp('sqlite');
  let ca: TestCa;
  let credentials: Record<string, string>;
  before(() => {
    ca = createTestCa('Console CA');
    const { privateKey } = otherKeyPair();
    credentials = {
      merId: '898111453110482',
      certId: '4242424242',
      merchantPrivateKeyPem: privateKey,
      merchantCertPem: ca.issue({ privateKeyPem: privateKey, identity: '898111453110482', serial: 4242424242n }),
      rootCertPem: ca.rootCertPem,
      middleCertPem: ca.middleCertPem,
    };
  });
  after(() => ca.dispose());

  test('refused with the problems listed, then stored sealed', async () => {
    const operator = new HttpSession(fx().url);
    assert.equal(await operator.signIn(fx().operator), 303);
    const path = `/dashboard/merchants/${fx().merchant.id}`;
    const page = await operator.get(path);
    assert.match(page.text, /<textarea id="credentials-unionpay"/);
    assert.ok(page.text.includes(UNIONPAY_LIVE_CREDENTIAL_FIELDS.join(', ')), 'the form names the fields');
    const _csrf = csrfOf(page.text);

    const refused = await operator.post(`${path}/credentials/unionpay`, { _csrf, credentials: JSON.stringify({ ...credentials, certId: '4242424243' }) });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /<li>certId is not the serial number of merchantCertPem<\/li>/);
    assert.ok(!refused.text.includes(pemBody(credentials['merchantPrivateKeyPem'] ?? '')), 'the key is not echoed');
    const none = await fx().app.app.deps.store.db.selectFrom('provider_credentials').select('provider').where('provider', '=', 'unionpay').execute();
    assert.deepEqual(none, []);

    const stored = await operator.post(`${path}/credentials/unionpay`, { _csrf, credentials: JSON.stringify(credentials) });
    assert.equal(stored.status, 303);
    assert.equal(stored.headers.get('location'), `${path}?done=credentials-unionpay`);
    const row = await fx()
      .app.app.deps.store.db.selectFrom('provider_credentials')
      .selectAll()
      .where('merchant_id', '=', fx().merchant.id)
      .where('provider', '=', 'unionpay')
      .executeTakeFirstOrThrow();
    assert.ok(!row.sealed.includes('BEGIN'), 'sealed, not plaintext');
    assert.deepEqual(JSON.parse(fx().app.app.deps.secrets.decrypt(row.sealed)), credentials);
  });
});
