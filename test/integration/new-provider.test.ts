/**
 * Adding a provider takes its folder and one line in the provider list. A
 * throwaway provider defined in the test tree (test/support/throwaway-provider/)
 * is added to the list the app is built from; a POS sale, a refund and a
 * hosted-checkout charge run through it end to end, against its own
 * simulator over real HTTP, on both databases. Then the source tree is
 * checked: outside a provider's folder, only the list refers to it.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { paymentMethodCodes } from '../../src/chop/methods.js';
import { providerName } from '../../src/dashboard/operator-words.js';
import { PROVIDERS } from '../../src/providers/list.js';
import { gatewayCodes } from '../../src/providers/registry.js';
import { chop, idFromUrl, waitFor, waitInquire } from '../support/chop.js';
import { call, refundBody, saleBody, uniqueId, waitFinal } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import type { TestApp, TestMerchant } from '../support/harness.js';
import { installProviders } from '../../src/providers/catalog.js';
import { throwaway } from '../support/throwaway-provider/descriptor.js';

const WITH_THROWAWAY = [...PROVIDERS, throwaway];
// The request schemas take their enums from the installed list when their modules load, so the list
// is installed before the app's modules are (the app installs it again when it starts).
installProviders(WITH_THROWAWAY);
const { startTestApp } = await import('../support/harness.js');

interface SimulatedOrder {
  orderNo: string;
  amount: number;
  currency: string;
  status: string;
  refunds: string[];
}

for (const kind of DB_KINDS) {
  describe(`a provider added by its folder and one list line (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind, {}, { providers: WITH_THROWAWAY });
      m = await t.merchant(['throwaway_domestic', 'throwaway_qr']);
    });
    after(() => t.close());

    const simulated = async (): Promise<{ orders: SimulatedOrder[]; calls: string[] }> =>
      (await call(t.url, 'GET', '/_sim/throwaway/orders')).body as { orders: SimulatedOrder[]; calls: string[] };

    const sale = (id: string, authCode: string) =>
      call(t.url, 'POST', '/api/v2/transactions', {
        key: m.apiKey,
        body: saleBody(id, 1000, { payment_gateway: 'throwaway_domestic', payment_auth_key: authCode, currency: 'USD' }),
        headers: { prefer: 'wait=10' },
      });

    test('its gateway and payment method are known wherever the list is read', () => {
      assert.deepEqual(gatewayCodes().slice(-1), ['throwaway_domestic']);
      assert.deepEqual(paymentMethodCodes().slice(-1), ['throwaway_qr']);
      assert.equal(providerName('zh', 'throwaway'), '一次性支付');
    });

    test('a POS sale is paid at its simulator, and refunded there', async () => {
      const id = uniqueId('sale');
      const created = await sale(id, '12345678');
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.data.attributes.state, 'succeeded');
      assert.equal(created.body.data.attributes.payment_gateway, 'throwaway_domestic');
      const paid = (await simulated()).orders.filter((o) => o.status === 'paid' && o.amount === 1000 && o.currency === 'USD');
      assert.equal(paid.length, 1);

      const refundId = uniqueId('refund');
      const refund = await call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: refundBody(refundId, id, 400), headers: { prefer: 'wait=10' } });
      assert.equal(refund.status, 201, refund.text);
      assert.equal(refund.body.data.attributes.state, 'succeeded');
      const after = await waitFinal(t.url, m.apiKey, id);
      assert.equal(after.body.data.attributes.refunded_amount, 400);
      const order = (await simulated()).orders.find((o) => o.orderNo === paid[0]!.orderNo);
      assert.equal(order?.refunds.length, 1);
    });

    test('a refusal at its simulator fails the sale with its mapped failure code', async () => {
      const created = await sale(uniqueId('sale'), '12340000');
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.data.attributes.state, 'failed');
      assert.equal(created.body.data.attributes.failure_code, 'customer_insufficient_balance_failure');
    });

    test('a hosted-checkout charge is paid when the shopper approves at its simulator', async () => {
      const created = await chop(t.url, '/chop/chop', m.apiKey, {
        payment_method: 'throwaway_qr',
        amount: 1500,
        currency: 'USD',
        reference: uniqueId('order'),
      });
      assert.equal(created.status, 200, created.text);
      const id = idFromUrl(String(created.body.url));
      const order = await waitFor(async () => (await simulated()).orders.find((o) => o.amount === 1500 && o.status === 'created'));
      assert.equal((await call(t.url, 'POST', '/_sim/throwaway/approve', { body: { orderNo: order.orderNo } })).status, 200);
      const paid = await waitInquire(t.url, m.apiKey, id, (b) => b.notify_result !== null);
      assert.equal(paid.notify_result, 'success');
      assert.equal(paid.payment_method, 'throwaway_qr');
      assert.equal(paid.amount, 1500);
    });
  });
}

describe('the files a new provider needs', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const sourceFiles = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
    );

  test('the throwaway provider is its folder, and the list given to the app differs by one entry', () => {
    assert.deepEqual(readdirSync(join(root, 'test/support/throwaway-provider')).sort(), ['adapter.ts', 'descriptor.ts', 'simulator.ts']);
    assert.deepEqual(WITH_THROWAWAY.slice(0, -1), [...PROVIDERS]);
    // Nothing in the test tree but this test and the folder itself names it
    const namers = sourceFiles('test').filter((file) => readFileSync(join(root, file), 'utf8').includes('throwaway-provider/'));
    // (and the test of the notification route, which gives it a receiver)
    assert.deepEqual(namers.sort(), ['test/integration/new-provider.test.ts', 'test/integration/provider-notify.test.ts']);
  });

  test("outside a provider's folder only the list imports from it, and nothing switches over provider names", () => {
    const files = sourceFiles('src');
    for (const provider of PROVIDERS) {
      const folder = `src/providers/${provider.name}/`;
      const outside = files.filter((file) => !file.startsWith(folder));
      const importers = outside.filter((file) => new RegExp(`from '[./]*(providers/)?${provider.name}/`).test(readFileSync(join(root, file), 'utf8')));
      // The checkout's card form checks card numbers with the acquirer's own rules.
      const expected = provider.name === 'card' ? ['src/http/routes/checkout.ts', 'src/providers/list.ts'] : ['src/providers/list.ts'];
      assert.deepEqual(importers.sort(), expected, provider.name);
      const switches = outside.filter((file) => readFileSync(join(root, file), 'utf8').includes(`case '${provider.name}':`));
      assert.deepEqual(switches, [], provider.name);
    }
  });
});
