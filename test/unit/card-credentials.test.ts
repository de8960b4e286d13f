/** Live card (Converge) credentials: defaults, multi-currency, the account currency, and refusals that never repeat the PIN. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCardCredentials } from '../../src/providers/card/credentials.js';
import { card } from '../../src/providers/card/descriptor.js';

const PIN = 'V1K9QK3NVG2ZJ6X0YDRHWKQ3Y0BS2E5J3X8P1E4W8O3G7CBL4W1XQ5W2R9T6U0A';

describe('card live credentials', () => {
  test('merchant id, user id and PIN; single-currency USD by default', () => {
    assert.deepEqual(parseCardCredentials({ merchantId: '0099001', userId: 'apiuser', pin: PIN }), {
      ok: true,
      value: { merchantId: '0099001', userId: 'apiuser', pin: PIN, multiCurrency: false, currency: 'USD' },
    });
  });

  test('a multi-currency account and an account in another currency; the stored value parses to itself', () => {
    const parsed = parseCardCredentials({ merchantId: '0099001', userId: 'apiuser', pin: PIN, multiCurrency: true, currency: 'CAD' });
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, { merchantId: '0099001', userId: 'apiuser', pin: PIN, multiCurrency: true, currency: 'CAD' });
    assert.deepEqual(parseCardCredentials({ ...parsed.value }), parsed);
  });

  test('refusals name the field and never repeat the PIN', () => {
    const parsed = parseCardCredentials({ merchantId: '', userId: 'api user', pin: 'secret pin', multiCurrency: 'true', currency: 'XYZ' });
    assert.deepEqual(parsed, {
      ok: false,
      problems: [
        'merchantId is required (a non-empty string)',
        'userId must be 1 to 64 printable characters without spaces',
        'pin must be 1 to 64 printable characters without spaces',
        'multiCurrency must be true or false',
        'currency must be one of USD, CAD, EUR, GBP, HKD, JPY, CNY, AUD, NZD, SGD',
      ],
    });
    assert.ok(!parsed.problems.join('\n').includes('secret pin'));
  });

  test('the descriptor offers live access with Converge production as default and CANCAN_CARD_URL to change it', () => {
    assert.equal(card.live.urlSetting, 'CANCAN_CARD_URL');
    assert.equal(card.live.defaultUrl, 'https://api.convergepay.com/VirtualMerchant');
    assert.equal(card.live.parseCredentials, parseCardCredentials);
  });
});
