/**
 * The POS API reads JSON only: a body declared as form fields (what curl -d
 * sends without a Content-Type header) or any other non-JSON type is a 415
 * naming the header to send; JSON types and a body without a type are read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { call, saleBody, uniqueId } from '../support/client.js';

const refusal = (sent: string) => ({
  errors: [
    {
      status: '415',
      code: 'unsupported_media_type_error',
      detail: `The POS API reads JSON bodies only: send the header Content-Type: application/json (this request sent ${sent})`,
    },
  ],
});

describe('POS API media types', () => {
  let t: TestApp;
  let m: TestMerchant;
  before(async () => {
    t = await startTestApp('sqlite');
    m = await t.merchant();
  });
  after(() => t.close());

  const send = (raw: string, headers: Record<string, string>) => call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, raw, headers });
  const countOf = async (clientId: string) =>
    (await t.app.deps.store.db.selectFrom('transactions').select('seq').where('client_id', '=', clientId).execute()).length;

  test('a JSON sale sent as form fields (curl -d without Content-Type) is a 415 naming the header, and writes nothing', async () => {
    const id = uniqueId('sale');
    const response = await send(JSON.stringify(saleBody(id, 1000)), { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(response.status, 415);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(response.body, refusal('application/x-www-form-urlencoded'));
    assert.equal(await countOf(id), 0);
  });

  test('text/plain, XML and multipart are 415 too; the parameters of the type are not echoed', async () => {
    for (const [type, sent] of [
      ['text/plain; charset=utf-8', 'text/plain'],
      ['application/xml', 'application/xml'],
      ['multipart/form-data; boundary=x', 'multipart/form-data'],
    ] as const) {
      const response = await send(JSON.stringify(saleBody(uniqueId('sale'), 1000)), { 'content-type': type });
      assert.equal(response.status, 415, type);
      assert.deepEqual(response.body, refusal(sent), type);
    }
  });

  test('application/json with a charset, application/vnd.api+json and a body without a type are read as JSON', async () => {
    const typed: Record<string, string>[] = [{ 'content-type': 'application/json; charset=utf-8' }, { 'content-type': 'application/vnd.api+json' }, {}];
    for (const headers of typed) {
      const id = uniqueId('sale');
      // fetch labels a string body text/plain unless told otherwise: a Blob without a type sends no Content-Type at all.
      const response = await fetch(`${t.url}/api/v2/transactions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${m.apiKey}`, ...headers },
        body: new Blob([JSON.stringify(saleBody(id, 1000))]),
      });
      const body = (await response.json()) as { data: { id: string; type: string } };
      assert.equal(response.status, 201, JSON.stringify(headers));
      assert.equal(body.data.id, id);
      assert.equal(body.data.type, 'sale');
    }
  });

  test('the CHOP API still reads form fields', async () => {
    const response = await call(t.url, 'POST', '/chop/inquire', {
      key: m.apiKey,
      raw: 'q=nothing-here',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(response.status, 404);
    assert.deepEqual(response.body, { result: 'fail', error: 'No transaction with this id or reference', code: 'not_found' });
  });
});
