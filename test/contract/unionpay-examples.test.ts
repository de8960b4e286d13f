/**
 * UnionPay's published examples (unionpay-examples.ts), checked against each
 * side on its own: there is no independent UnionPay implementation on npm,
 * so UnionPay's own signed messages stand in for one.
 *
 * - The adapter's side: the raw answer reader, the signing string, SHA-256
 *   hex and SHA256withRSA verification accept UnionPay's real signatures and
 *   refuse any change; the live chain checks refuse the test-environment
 *   certificate (expired, another CA, the test CN) with their reasons.
 * - The simulator's side: its front notification of a paid consume has the
 *   example's fields, in the example's formats.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createUnionPayAdapter, verifyUnionPayMessage } from '../../src/providers/unionpay/adapter.js';
import { certIdOf, checkSigningCert, cnIdentity } from '../../src/providers/unionpay/certs.js';
import {
  loadOrCreateUnionPaySandboxKeys,
  UNIONPAY_SANDBOX_MER_ID,
  unionPaySandboxCredentials,
  type UnionPaySandboxKeys,
} from '../../src/providers/unionpay/keys.js';
import { parseAnswer, verifyFields } from '../../src/providers/unionpay/sign.js';
import { unionPaySimulator } from '../../src/providers/unionpay/simulator.js';
import { CONFIRM_DELAY_MS, orderRequestBuilder, useSimulatorServer, CALL_TIMEOUT_MS } from '../support/contract.js';
import { createTestCa, type TestCa } from './unionpay-ca.js';
import { FRONT_NOTIFICATION_1, FRONT_NOTIFICATION_2, UNIONPAY_TEST_SIGN_CERT } from './unionpay-examples.js';

const EXAMPLES = [FRONT_NOTIFICATION_1, FRONT_NOTIFICATION_2];

function fieldsOf(text: string): Record<string, string> {
  const fields = parseAnswer(text);
  assert.ok(fields !== null, 'the example parses');
  return fields;
}

describe("UnionPay's signed examples against the adapter's reading and verification", () => {
  test('both examples parse and verify with the signPubKeyCert they carry', () => {
    for (const example of EXAMPLES) {
      const fields = fieldsOf(example);
      assert.equal(fields['signPubKeyCert'], UNIONPAY_TEST_SIGN_CERT);
      assert.equal(fields['respMsg'], '成功[0000000]');
      assert.equal(verifyFields(fields, UNIONPAY_TEST_SIGN_CERT), true);
    }
  });

  test('any change breaks the signature: a field, the certificate line breaks, the signature method', () => {
    const fields = fieldsOf(FRONT_NOTIFICATION_1);
    assert.equal(verifyFields({ ...fields, txnAmt: '100' }, UNIONPAY_TEST_SIGN_CERT), false);
    assert.equal(verifyFields({ ...fields, extra: '1' }, UNIONPAY_TEST_SIGN_CERT), false, 'an added field is signed too');
    const lf = UNIONPAY_TEST_SIGN_CERT.replace(/\r\n/g, '\n');
    assert.equal(verifyFields({ ...fields, signPubKeyCert: lf }, UNIONPAY_TEST_SIGN_CERT), false, 'the certificate is signed byte for byte');
    assert.equal(verifyFields({ ...fields, signMethod: '11' }, UNIONPAY_TEST_SIGN_CERT), false);
    const { signPubKeyCert: _cert, ...withoutCert } = fields;
    assert.equal(verifyFields(withoutCert, UNIONPAY_TEST_SIGN_CERT), false);
  });

  test('the test-environment certificate is not trusted by live mode, each check saying why', () => {
    const cert = new X509Certificate(UNIONPAY_TEST_SIGN_CERT);
    assert.equal(cnIdentity(cert), '00040000:SIGN', "the SDK's identity field of a test-environment certificate");
    assert.equal(certIdOf(cert), '68759585097');
    let ca: TestCa | undefined;
    try {
      ca = createTestCa('Anchor CA');
      const anchors = { rootCertPem: ca.rootCertPem, middleCertPem: ca.middleCertPem };
      const today = checkSigningCert(UNIONPAY_TEST_SIGN_CERT, anchors, Date.now());
      assert.ok(
        !today.ok && /^signPubKeyCert \(serial 68759585097\) is expired \(valid Dec {2}4 03:25:21 2015 GMT to Dec {2}4 03:25:21 2017 GMT\)$/.test(today.detail),
      );
      const then = Date.parse('2017-03-24T02:11:51Z');
      const foreign = checkSigningCert(UNIONPAY_TEST_SIGN_CERT, anchors, then);
      // Within its dates, the chain check refuses it: the anchors are not the CFCA test CA.
      assert.ok(!foreign.ok);
      assert.match(foreign.detail, /configured middle certificate \(its issuer: C=CN, O=China Financial Certification Authority, CN=CFCA TEST OCA1\)$/);
    } finally {
      ca?.dispose();
    }
  });
});

describe("the simulator's notifications have the examples' fields and formats", () => {
  let keys: UnionPaySandboxKeys;
  const sim = useSimulatorServer('unionpay', ({ dir, ledger, wallet }) => {
    keys = loadOrCreateUnionPaySandboxKeys(join(dir, 'data'));
    return unionPaySimulator({
      ledger,
      wallet,
      merchants: [{ merId: UNIONPAY_SANDBOX_MER_ID, publicKeyPem: keys.merchant.publicKeyPem }],
      providerPrivateKeyPem: keys.unionPay.privateKeyPem,
      confirmDelayMs: CONFIRM_DELAY_MS,
    });
  });
  const orderRequest = orderRequestBuilder(() => ({
    description: 'Example test',
    paymentMethod: 'upop',
    expiresAt: Date.now() + 15 * 60_000,
    returnUrl: 'http://127.0.0.1:9/return',
    notifyUrl: null,
  }));

  test('a paid consume: the front notification names what the example names, formatted alike', async () => {
    const credentials = unionPaySandboxCredentials(keys);
    const adapter = createUnionPayAdapter({ baseUrl: sim.baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS });
    const created = (await adapter.createOrder(orderRequest(1))).outcome;
    assert.ok(created.kind === 'created' && created.payForm !== null);
    const page = await fetch(created.payForm.action, { method: 'POST', body: new URLSearchParams(created.payForm.fields) });
    const html = await page.text();
    const form = new URLSearchParams();
    for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.append(match[1] ?? '', match[2] ?? '');
    form.append('decision', 'pay');
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '';
    const decided = await fetch(new URL(action, page.url), { method: 'POST', body: form, redirect: 'manual' });
    const ours = Object.fromEntries(new URL(decided.headers.get('location') ?? '').searchParams);
    assert.equal(verifyUnionPayMessage(ours, credentials, Date.now()).ok, true);

    const example = fieldsOf(FRONT_NOTIFICATION_1);
    // accNo comes back only when the merchant is configured for it; signPubKeyCert only from a simulator given a certificate.
    const expected = Object.keys(example)
      .filter((name) => name !== 'accNo' && name !== 'signPubKeyCert')
      .sort();
    assert.deepEqual(Object.keys(ours).sort(), expected);
    const formats: Record<string, RegExp> = {
      accessType: /^0$/,
      bizType: /^000201$/,
      currencyCode: /^156$/,
      settleCurrencyCode: /^156$/,
      encoding: /^UTF-8$/,
      merId: /^\d{15}$/,
      queryId: /^\d{21}$/,
      respCode: /^00$/,
      settleAmt: /^1$/,
      txnAmt: /^1$/,
      settleDate: /^\d{4}$/,
      signMethod: /^01$/,
      traceNo: /^\d{6}$/,
      traceTime: /^\d{10}$/,
      txnSubType: /^01$/,
      txnTime: /^\d{14}$/,
      txnType: /^01$/,
      version: /^5\.1\.0$/,
    };
    for (const [name, format] of Object.entries(formats)) {
      assert.match(example[name] ?? '', format, `the example's ${name}`);
      assert.match(ours[name] ?? '', format, `the simulator's ${name}`);
    }
    assert.equal(ours['traceTime'], ours['txnTime']?.slice(4), 'traceTime is txnTime without the year, as in the example');
    assert.equal(example['traceTime'], example['txnTime']?.slice(4));
  });
});
