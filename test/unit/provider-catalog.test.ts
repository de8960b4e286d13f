/** The provider list and what derives from it: lookups, live URL settings, credential checks. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { liveProviderNames, parseCredentials } from '../../src/providers/credentials.js';
import { PROVIDERS } from '../../src/providers/list.js';
import { gatewayProfile, providerRules } from '../../src/providers/registry.js';
import { paymentMethod } from '../../src/chop/methods.js';

describe('the provider list', () => {
  test('gateway codes and payment methods name their provider', () => {
    assert.deepEqual(gatewayProfile('linepay_tw_domestic'), {
      code: 'linepay_tw_domestic',
      currencies: ['TWD'],
      wholeUnitCurrencies: ['TWD'],
      partialRefunds: true,
      refundWindowMs: 365 * 86_400_000,
      region: 'TW',
      authCodeShape: { minDigits: 18, maxDigits: 18 },
      provider: 'linepay',
    });
    assert.equal(paymentMethod('kakaopay')?.provider, 'alipayplus');
    assert.equal(paymentMethod('cc')?.refundWindowMs, 180 * 86_400_000);
    assert.equal(gatewayProfile('kakaopay'), undefined);
  });

  test('a provider or a code listed twice is refused', () => {
    assert.throws(() => new ProviderCatalog([...PROVIDERS, PROVIDERS[0]]), /provider wechatpay is listed twice/);
    const copy = { ...PROVIDERS[2], name: 'linepay_copy' };
    assert.throws(() => new ProviderCatalog([...PROVIDERS, copy]), /code linepay_th_domestic is listed twice/);
  });

  test('the providers with live access are the ones whose credentials can be stored', () => {
    assert.deepEqual(liveProviderNames(), ['wechatpay', 'alipay', 'linepay', 'alipayplus', 'unionpay', 'card']);
    assert.deepEqual(parseCredentials('paypal', {}), { ok: false, problems: ['unknown provider paypal'] });
    assert.deepEqual(parseCredentials('linepay', []), { ok: false, problems: ['credentials must be a JSON object'] });
    assert.deepEqual(parseCredentials('wechatpay', { appId: 'wx1', signType: 'SHA1' }), {
      ok: false,
      problems: ['mchId is required (a non-empty string)', 'apiKey is required (a non-empty string)', 'signType must be one of MD5, HMAC-SHA256'],
    });
    assert.deepEqual(parseCredentials('linepay', { channelId: 'c', channelSecret: 's' }), {
      ok: true,
      value: { channelId: 'c', channelSecret: 's', authScheme: 'v4' },
    });
  });

  test('each live provider has its URL setting; trailing slashes go except where the URL names a file', () => {
    const config = loadConfig({ CANCAN_WECHATPAY_URL: 'http://127.0.0.1:9/wx//', CANCAN_ALIPAY_URL: 'http://127.0.0.1:9/gateway.do/' });
    assert.deepEqual(
      { ...config.liveUrls },
      {
        wechatpay: 'http://127.0.0.1:9/wx',
        alipay: 'http://127.0.0.1:9/gateway.do/',
        linepay: 'https://api-pay.line.me',
        alipayplus: 'https://open-sea-global.alipay.com',
        unionpay: 'https://gateway.95516.com',
        card: 'https://api.convergepay.com/VirtualMerchant',
      },
    );
  });

  test('timing rules come from the descriptor unless a setting overrides them', () => {
    const none = { confirmWindowMs: null, pollIntervalMs: null, providerTimeoutMs: null };
    assert.deepEqual(providerRules('card', none), { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 30_000 });
    assert.deepEqual(providerRules('card', { ...none, providerTimeoutMs: 1_234 }), { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 1_234 });
    assert.throws(() => providerRules('nobody', none), /provider nobody is not in the provider list/);
  });
});
