/**
 * UnionPay live mode: certId and the certificate chain. A CA the test makes
 * with openssl (root → middle → signing certificates) stands in for
 * UnionPay's; the simulator signs with a certificate from it and sends it as
 * signPubKeyCert. The adapter with live credentials trusts answers and
 * notifications only through that chain: a foreign root, an expired
 * certificate or another CN is a definite refusal with its reason, never a
 * payment taken as paid.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { OnlineAdapter, OrderRequest, PayForm } from '../../src/providers/contract.js';
import {
  createUnionPayAdapter,
  LOST_REFUND_TXN_TIME,
  UNTRUSTED_CERT,
  unionPayTxnTimeData,
  verifyUnionPayMessage,
  verifyUnionPayNotification,
} from '../../src/providers/unionpay/adapter.js';
import { checkSigningCert, UNIONPAY_CN_NAME, type UnionPayTrustAnchors } from '../../src/providers/unionpay/certs.js';
import { parseUnionPayLiveCredentials, type UnionPayLiveCredentials } from '../../src/providers/unionpay/credentials.js';
import { loadOrCreateUnionPaySandboxKeys, UNIONPAY_SANDBOX_MER_ID, type UnionPaySandboxKeys } from '../../src/providers/unionpay/keys.js';
import { unionPaySimulator } from '../../src/providers/unionpay/simulator.js';
import {
  CONFIRM_DELAY_MS,
  newOrderNo,
  orderRequestBuilder,
  otherKeyPair,
  pemBody,
  refundRequest,
  remembering,
  traceChecker,
  useSimulatorServer,
  CALL_TIMEOUT_MS,
} from '../support/contract.js';
import { createTestCa, type TestCa } from './unionpay-ca.js';

const TIMEOUT_MS = CALL_TIMEOUT_MS;
const MERCHANT_CERT_SERIAL = 73_914_216_447n;

let keys: UnionPaySandboxKeys;
let ca: TestCa;
let foreignCa: TestCa;
let signingCert = '';
let live: UnionPayLiveCredentials;

const sim = useSimulatorServer('unionpay', ({ dir, ledger, wallet }) => {
  keys = loadOrCreateUnionPaySandboxKeys(join(dir, 'data'));
  ca = createTestCa('Test UnionPay CA');
  foreignCa = createTestCa('Foreign CA');
  signingCert = ca.issue({ privateKeyPem: keys.unionPay.privateKeyPem });
  live = {
    merId: UNIONPAY_SANDBOX_MER_ID,
    certId: MERCHANT_CERT_SERIAL.toString(),
    merchantPrivateKeyPem: keys.merchant.privateKeyPem,
    merchantCertPem: ca.issue({ privateKeyPem: keys.merchant.privateKeyPem, identity: UNIONPAY_SANDBOX_MER_ID, serial: MERCHANT_CERT_SERIAL }),
    rootCertPem: ca.rootCertPem,
    middleCertPem: ca.middleCertPem,
  };
  return unionPaySimulator({
    ledger,
    wallet,
    merchants: [{ merId: UNIONPAY_SANDBOX_MER_ID, publicKeyPem: keys.merchant.publicKeyPem }],
    providerPrivateKeyPem: keys.unionPay.privateKeyPem,
    providerSigningCertPem: signingCert,
    confirmDelayMs: CONFIRM_DELAY_MS,
  });
});

after(() => {
  ca?.dispose();
  foreignCa?.dispose();
});

const orderRequest = orderRequestBuilder(() => ({
  description: 'Certificate test',
  paymentMethod: 'upop',
  expiresAt: Date.now() + 15 * 60_000,
  returnUrl: 'http://127.0.0.1:9/return',
  notifyUrl: null,
}));

const checkTrace = traceChecker('unionpay', () => [pemBody(keys.merchant.privateKeyPem), pemBody(keys.unionPay.privateKeyPem)]);

function liveAdapter(credentials: UnionPayLiveCredentials = live, now?: () => number): OnlineAdapter {
  return createUnionPayAdapter({ baseUrl: sim.baseUrl, credentials, timeoutMs: TIMEOUT_MS, ...(now ? { now } : {}) });
}

/** The shopper posts the form and presses Pay: the signed front notification the browser brings back. */
async function pay(adapter: OnlineAdapter, request: OrderRequest): Promise<{ form: PayForm; front: Record<string, string> }> {
  const created = checkTrace(await adapter.createOrder(request), 'frontTransReq');
  assert.ok(created.kind === 'created' && created.payForm !== null, JSON.stringify(created));
  const form = created.payForm;
  const page = await fetch(form.action, { method: 'POST', body: new URLSearchParams(form.fields) });
  const html = await page.text();
  assert.equal(page.status, 200, html);
  const fields = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.append(match[1] ?? '', match[2] ?? '');
  fields.append('decision', 'pay');
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '';
  const decided = await fetch(new URL(action, page.url), { method: 'POST', body: fields, redirect: 'manual' });
  assert.equal(decided.status, 303);
  const back = new URL(decided.headers.get('location') ?? '');
  return { form, front: Object.fromEntries(back.searchParams) };
}

describe('live credentials are checked when set', () => {
  test('the merchant certificate, its key, certId and the root and middle certificates belong together', () => {
    assert.deepEqual(parseUnionPayLiveCredentials({ ...live }), { ok: true, value: live });
    const problems = (fields: Record<string, unknown>): string[] => {
      const parsed = parseUnionPayLiveCredentials(fields);
      assert.equal(parsed.ok, false, JSON.stringify(fields));
      return parsed.ok ? [] : parsed.problems;
    };
    const { certId: _certId, ...withoutCertId } = live;
    assert.deepEqual(problems(withoutCertId), ['certId is required (a non-empty string)']);
    assert.deepEqual(problems({ ...live, certId: '73914216448' }), ['certId is not the serial number of merchantCertPem']);
    assert.deepEqual(problems({ ...live, certId: '0x11' }), ['certId must be the decimal serial number of the signing certificate']);
    assert.deepEqual(problems({ ...live, merId: '12345' }), ['merId must be 15 digits']);
    assert.deepEqual(problems({ ...live, merchantPrivateKeyPem: otherKeyPair().privateKey }), ['merchantPrivateKeyPem is not the key of merchantCertPem']);
    assert.deepEqual(problems({ ...live, merchantCertPem: 'not a certificate' }), ['merchantCertPem must be PEM (CERTIFICATE)']);
    assert.deepEqual(problems({ ...live, merchantCertPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }), [
      'merchantCertPem is not a PEM X.509 certificate',
    ]);
    assert.deepEqual(problems({ ...live, middleCertPem: foreignCa.middleCertPem }), ['middleCertPem is not a CA certificate issued by rootCertPem']);
    assert.deepEqual(problems({ ...live, rootCertPem: live.merchantCertPem }), ['rootCertPem is not a self-signed CA certificate']);
    const refused = problems({ ...live, merchantPrivateKeyPem: otherKeyPair().privateKey, certId: '1' });
    for (const pem of [live.merchantPrivateKeyPem, live.merchantCertPem, live.rootCertPem]) {
      assert.ok(!JSON.stringify(refused).includes(pemBody(pem)), 'problems never repeat a value');
    }
  });
});

describe("UnionPay's signing certificate is checked as the acp SDK does", () => {
  test('dates, chain, CA flag and CN each fail with their own detail', () => {
    const now = Date.now();
    assert.deepEqual(checkSigningCert(signingCert, live, now), { ok: true, certPem: signingCert });
    const detail = (cert: string | undefined, at = Date.now(), anchors: UnionPayTrustAnchors = live): string => {
      const checked = checkSigningCert(cert, anchors, at);
      assert.equal(checked.ok, false);
      return checked.ok ? '' : checked.detail;
    };
    assert.equal(detail(undefined), 'the message carries no signPubKeyCert');
    assert.equal(detail('garbage'), 'signPubKeyCert is not a PEM X.509 certificate');
    const validTo = Date.parse(new X509Certificate(signingCert).validTo);
    assert.match(detail(signingCert, validTo + 86_400_000), /^signPubKeyCert \(serial \d+\) is expired \(valid .+ to .+\)$/);
    assert.match(detail(signingCert, now - 86_400_000), /is not yet valid/);
    const foreign = foreignCa.issue({ privateKeyPem: keys.unionPay.privateKeyPem });
    assert.match(
      detail(foreign),
      /^signPubKeyCert is not issued by the configured middle certificate \(its issuer: C=CN, O=Foreign CA, CN=Foreign CA Middle\)$/,
    );
    assert.match(
      detail(signingCert, now, { rootCertPem: foreignCa.rootCertPem, middleCertPem: foreignCa.middleCertPem }),
      /not issued by the configured middle/,
    );
    assert.equal(detail(ca.middleCertPem), 'signPubKeyCert is a CA certificate, not a signing certificate');
    const testEnvironmentCn = ca.issue({ privateKeyPem: keys.unionPay.privateKeyPem, identity: '00040000:SIGN' });
    assert.equal(detail(testEnvironmentCn), `signPubKeyCert's CN does not name ${UNIONPAY_CN_NAME} (found "00040000:SIGN")`);
    assert.equal(
      detail(signingCert, now, { rootCertPem: ca.rootCertPem, middleCertPem: foreignCa.middleCertPem }),
      'the configured certificates are unusable: middleCertPem is not a CA certificate issued by rootCertPem',
    );
  });
});

describe('the live adapter against the simulator signing with the test CA', () => {
  test('pay, query, refund and refund query: every answer carries signPubKeyCert and verifies through the chain', async () => {
    const adapter = remembering(liveAdapter());
    const sale = orderRequest(1200);
    const { form, front } = await pay(adapter, sale);
    assert.equal(form.fields['certId'], live.certId, 'requests name the signing certificate');
    assert.equal(front['signPubKeyCert'], signingCert);
    assert.equal(verifyUnionPayNotification(front, live), true);
    assert.equal(verifyUnionPayNotification({ ...front, txnAmt: '1' }, live), false, 'tampered');
    const swapped = ca.issue({ privateKeyPem: otherKeyPair().privateKey });
    assert.deepEqual(verifyUnionPayMessage({ ...front, signPubKeyCert: swapped }, live, Date.now()), {
      ok: false,
      untrustedCert: false,
      detail: 'signature does not verify',
    });

    const paid = checkTrace(await adapter.query(sale.orderNo), 'queryTrans');
    assert.ok(paid.kind === 'paid' && paid.providerTxnId === front['queryId'], JSON.stringify(paid));
    const refund = refundRequest(sale, newOrderNo('RF'), 500);
    assert.deepEqual(checkTrace(await adapter.refund(refund), 'backTransReq'), { kind: 'processing' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(refund), 'queryTrans'), { kind: 'succeeded' });
    await sim.assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 500 });
  });

  test('a foreign root, an expired certificate: queries are refused with the reason, never paid', async () => {
    const sale = orderRequest(1300);
    const store: Record<string, string> = {};
    await pay(remembering(liveAdapter(), store), sale);
    const data = { ...store };

    const foreign = liveAdapter({ ...live, rootCertPem: foreignCa.rootCertPem, middleCertPem: foreignCa.middleCertPem });
    const refused = await foreign.query(sale.orderNo, data);
    assert.deepEqual(checkTrace(refused, 'queryTrans'), {
      kind: 'rejected',
      code: UNTRUSTED_CERT,
      message: 'answer signPubKeyCert is not issued by the configured middle certificate (its issuer: C=CN, O=Test UnionPay CA, CN=Test UnionPay CA Middle)',
    });
    assert.equal(refused.trace.code, UNTRUSTED_CERT);
    assert.equal((await foreign.close(sale.orderNo, data)).outcome.kind, 'rejected');
    const refund = refundRequest(sale, newOrderNo('RF'), 100);
    const refundQueried = await foreign.refundQuery({ ...refund, providerData: { ...data, ...unionPayTxnTimeData(refund.refundNo, '20261204120000') } });
    assert.equal(refundQueried.outcome.kind, 'rejected');
    // A refund first queries the sale: its untrusted answer stops the refund before it is sent.
    const notSent = await foreign.refund({ ...refund, providerData: data });
    assert.ok(notSent.outcome.kind === 'rejected' && /signPubKeyCert is not issued/.test(notSent.outcome.message), JSON.stringify(notSent.outcome));
    assert.equal(notSent.trace.call, 'queryTrans', 'no backTransReq was sent');
    await sim.assertLedger(sale.orderNo, { status: 'paid', refunded_amount: 0 });

    const validTo = Date.parse(new X509Certificate(signingCert).validTo);
    const later = liveAdapter(live, () => validTo + 86_400_000);
    const expired = checkTrace(await later.query(sale.orderNo, data), 'queryTrans');
    assert.ok(expired.kind === 'rejected' && /^answer signPubKeyCert \(serial \d+\) is expired/.test(expired.message), JSON.stringify(expired));
  });

  test('a refund whose txnTime was lost after it reached UnionPay is never failed nor re-dated', async () => {
    const sale = orderRequest(1400);
    const store: Record<string, string> = {};
    const adapter = remembering(liveAdapter(), store);
    await pay(adapter, sale);
    const saleData = { ...store };
    const refund = refundRequest(sale, newOrderNo('RF'), 400);
    const first = await liveAdapter().refund({ ...refund, providerData: saleData });
    assert.deepEqual(first.outcome, { kind: 'processing' });
    assert.ok(first.providerData !== undefined);

    // A crash between the call and its record: the next attempt knows only the sale's data.
    const again = await liveAdapter().refund({ ...refund, providerData: saleData });
    assert.deepEqual(again.outcome, { kind: 'unknown', reason: LOST_REFUND_TXN_TIME });
    assert.equal(again.trace.code, '12');
    assert.equal(again.providerData, undefined, 'the new txnTime is not kept: it names no refund at UnionPay');
    // With the recorded txnTime the refund settles as usual.
    const resent = await liveAdapter().refund({ ...refund, providerData: { ...saleData, ...first.providerData } });
    assert.deepEqual(resent.outcome, { kind: 'processing' });
    await sim.assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 400 });
  });
});
