/**
 * `payment_gateway: "auto"`: the code shapes in the descriptors (every
 * gateway, boundary lengths and prefixes), the adapters' checks agreeing with
 * them, and the choice among the gateways whose shape fits (one, none, several).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseGateway, gatewaysForCodeShape, knownShapes, type Standing } from '../../src/core/auto-gateway.js';
import { describeAuthCodeShape, fitsAuthCodeShape } from '../../src/providers/auth-code-shape.js';
import { providerCatalog } from '../../src/providers/catalog.js';
import type { GatewayProfile } from '../../src/providers/registry.js';
import { gatewayProfile } from '../../src/providers/registry.js';
import { isWeChatAuthCode } from '../../src/providers/wechatpay/transformers.js';
import { isAlipayAuthCode } from '../../src/providers/alipay/transformers.js';
import { isOneTimeKey } from '../../src/providers/linepay/transformers.js';

const digits = (first: string, length: number) => (first + '0'.repeat(length)).slice(0, length);
const shapeOf = (code: string) => gatewaysForCodeShape(code).map((g) => g.code);

const WECHAT = ['wechatpay_cn_domestic', 'wechatpay_international'];
const ALIPAY = ['alipay_cn_domestic', 'alipay_international'];

describe('payment code shapes (the descriptors)', () => {
  test('every POS gateway declares its shape, as PROVIDERS.md gives it', () => {
    const shapes = Object.fromEntries(providerCatalog().gateways.map((g) => [g.code, g.authCodeShape && describeAuthCodeShape(g.authCodeShape)]));
    assert.deepEqual(shapes, {
      wechatpay_cn_domestic: '18 digits starting 10–15',
      wechatpay_international: '18 digits starting 10–15',
      alipay_cn_domestic: '16–24 digits starting 25–30',
      alipay_international: '16–24 digits starting 25–30',
      linepay_th_domestic: '12 digits',
      linepay_tw_domestic: '18 digits',
    });
    assert.equal(
      knownShapes(),
      '18 digits starting 10–15 (wechatpay_cn_domestic, wechatpay_international); 16–24 digits starting 25–30 (alipay_cn_domestic, alipay_international); ' +
        '12 digits (linepay_th_domestic); 18 digits (linepay_tw_domestic)',
    );
  });

  test('WeChat Pay: 18 digits starting 10–15, also LINE Pay TW by length', () => {
    for (const prefix of ['10', '12', '15']) assert.deepEqual(shapeOf(digits(prefix, 18)), [...WECHAT, 'linepay_tw_domestic'], prefix);
    // Prefixes just outside 10–15: only LINE Pay TW's "any 18 digits" remains.
    for (const prefix of ['09', '16']) assert.deepEqual(shapeOf(digits(prefix, 18)), ['linepay_tw_domestic'], prefix);
    // One digit short or over.
    assert.deepEqual(shapeOf(digits('13', 17)), []);
    assert.deepEqual(shapeOf(digits('13', 19)), []);
  });

  test('Alipay: 16–24 digits starting 25–30; 18 of them are LINE Pay TW too', () => {
    for (const length of [16, 17, 19, 24]) {
      for (const prefix of ['25', '28', '30']) assert.deepEqual(shapeOf(digits(prefix, length)), ALIPAY, `${prefix}/${length}`);
    }
    assert.deepEqual(shapeOf(digits('28', 18)), [...ALIPAY, 'linepay_tw_domestic']);
    assert.deepEqual(shapeOf(digits('28', 15)), []);
    assert.deepEqual(shapeOf(digits('28', 25)), []);
    assert.deepEqual(shapeOf(digits('24', 16)), []);
    assert.deepEqual(shapeOf(digits('31', 16)), []);
  });

  test('LINE Pay: TH 12 digits, TW 18 digits, any first digits', () => {
    assert.deepEqual(shapeOf('081149423436'), ['linepay_th_domestic']);
    assert.deepEqual(shapeOf('999999999999'), ['linepay_th_domestic']);
    assert.deepEqual(shapeOf(digits('0', 11)), []);
    assert.deepEqual(shapeOf(digits('0', 13)), []);
    assert.deepEqual(shapeOf(digits('99', 18)), ['linepay_tw_domestic']);
  });

  test('only digits: signs, spaces, letters and the empty code fit nothing', () => {
    for (const code of ['', '13456789012345678a', ' 134567890123456789', '+34567890123456789', '1345678901234567.8', '１３４５６７８９０１２３４５６７８９']) {
      assert.deepEqual(shapeOf(code), [], JSON.stringify(code));
    }
  });

  test("the adapters' checks are the descriptors' shapes", () => {
    const samples = [digits('10', 18), digits('16', 18), digits('25', 16), digits('30', 24), digits('31', 20), '081149423436', digits('0', 13), '', 'abc'];
    const shapeOfGateway = (code: string) => {
      const shape = gatewayProfile(code)?.authCodeShape;
      if (!shape) throw new Error(`no shape for ${code}`);
      return shape;
    };
    for (const sample of samples) {
      assert.equal(isWeChatAuthCode(sample), fitsAuthCodeShape(shapeOfGateway('wechatpay_cn_domestic'), sample), sample);
      assert.equal(isAlipayAuthCode(sample), fitsAuthCodeShape(shapeOfGateway('alipay_international'), sample), sample);
      assert.equal(isOneTimeKey('TH', sample), fitsAuthCodeShape(shapeOfGateway('linepay_th_domestic'), sample), sample);
      assert.equal(isOneTimeKey('TW', sample), fitsAuthCodeShape(shapeOfGateway('linepay_tw_domestic'), sample), sample);
    }
  });

  test('shapes in words', () => {
    assert.equal(describeAuthCodeShape({ minDigits: 12, maxDigits: 12 }), '12 digits');
    assert.equal(describeAuthCodeShape({ minDigits: 8, maxDigits: 10, leadingTwoDigits: { from: 5, to: 5 } }), '8–10 digits starting 05');
  });
});

describe('choosing among the gateways whose shape fits', () => {
  const profile = (code: string): GatewayProfile => {
    const found = gatewayProfile(code);
    if (!found) throw new Error(`no gateway ${code}`);
    return found;
  };
  const standing = (code: string, refusal: string | null = null): Standing => ({ gateway: profile(code), refusal });
  const pointer = '/data/attributes/payment_gateway';

  test('exactly one able gateway is chosen, whatever the others', () => {
    const choice = chooseGateway('TWD', [
      standing('wechatpay_cn_domestic', 'does not sell in TWD (sells in CNY)'),
      standing('wechatpay_international', 'is not enabled for this merchant'),
      standing('linepay_tw_domestic'),
    ]);
    assert.deepEqual(choice, { ok: true, gateway: profile('linepay_tw_domestic') });
  });

  test('two able gateways: a 400 naming both', () => {
    assert.deepEqual(chooseGateway('CNY', [standing('wechatpay_cn_domestic'), standing('wechatpay_international'), standing('linepay_tw_domestic', 'x')]), {
      ok: false,
      error: {
        code: 'attribute_error',
        detail:
          '`payment_gateway` "auto" cannot choose: wechatpay_cn_domestic and wechatpay_international both take a payment code of this shape in CNY ' +
          'for this merchant; name the gateway in `payment_gateway`',
        pointer,
      },
    });
  });

  test('three able gateways (an 18-digit code starting 1x where WeChat Pay and LINE Pay TW would share a currency)', () => {
    const choice = chooseGateway('TWD', [standing('wechatpay_cn_domestic'), standing('wechatpay_international'), standing('linepay_tw_domestic')]);
    assert.equal(choice.ok, false);
    assert.equal(
      !choice.ok && choice.error.detail,
      '`payment_gateway` "auto" cannot choose: wechatpay_cn_domestic, wechatpay_international and linepay_tw_domestic all take a payment code of this shape ' +
        'in TWD for this merchant; name the gateway in `payment_gateway`',
    );
  });

  test('none able: a 400 naming each shaped gateway and why', () => {
    assert.deepEqual(
      chooseGateway('THB', [
        standing('wechatpay_cn_domestic', 'is not enabled for this merchant'),
        standing('wechatpay_international', 'does not sell in THB (sells in USD)'),
      ]),
      {
        ok: false,
        error: {
          code: 'attribute_error',
          detail:
            '`payment_gateway` "auto": no gateway enabled for this merchant takes a payment code of this shape in THB: ' +
            'wechatpay_cn_domestic is not enabled for this merchant and wechatpay_international does not sell in THB (sells in USD)',
          pointer,
        },
      },
    );
  });

  test('no shape fits: a 400 on the code, naming the shapes known (never the code)', () => {
    assert.deepEqual(chooseGateway('USD', []), {
      ok: false,
      error: {
        code: 'attribute_error',
        detail: `\`payment_gateway\` "auto": \`payment_auth_key\` has the shape of no gateway's payment code; the shapes known: ${knownShapes()}`,
        pointer: '/data/attributes/payment_auth_key',
      },
    });
  });
});
