/** LINE Pay live credentials: the API version (authScheme), stored values read as before, the optional device pair. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { linepay } from '../../src/providers/linepay/descriptor.js';

const parse = (fields: Record<string, unknown>): ReturnType<typeof linepay.live.parseCredentials> => linepay.live.parseCredentials(fields);
const BASE = { channelId: '1654000000', channelSecret: 'secret' };

describe('LINE Pay credentials', () => {
  test('authScheme is the Offline API version: v4 by default; stored v4 and v2 read as they are', () => {
    assert.deepEqual(parse(BASE), { ok: true, value: { ...BASE, authScheme: 'v4' } });
    assert.deepEqual(parse({ ...BASE, authScheme: 'v4' }), { ok: true, value: { ...BASE, authScheme: 'v4' } });
    assert.deepEqual(parse({ ...BASE, authScheme: 'v2' }), { ok: true, value: { ...BASE, authScheme: 'v2' } });
  });

  test('a version LINE Pay does not document for offline payments is refused', () => {
    for (const authScheme of ['v3', 'V4', 'hmac', 4]) {
      const result = parse({ ...BASE, authScheme });
      assert.deepEqual(result, { ok: false, problems: ['authScheme must be one of v2, v4'] }, String(authScheme));
    }
  });

  test('device profile id and type: both or neither, printable ASCII up to 100 characters', () => {
    const device = { merchantDeviceProfileId: 'POS-0042', merchantDeviceType: 'CanCanPOS' };
    assert.deepEqual(parse({ ...BASE, ...device }), { ok: true, value: { ...BASE, authScheme: 'v4', ...device } });
    const refused = 'merchantDeviceProfileId and merchantDeviceType go together: both printable ASCII, at most 100 characters';
    assert.deepEqual(parse({ ...BASE, merchantDeviceProfileId: 'POS-0042' }), { ok: false, problems: [refused] });
    assert.deepEqual(parse({ ...BASE, merchantDeviceType: 'POS' }), { ok: false, problems: [refused] });
    assert.deepEqual(parse({ ...BASE, ...device, merchantDeviceType: 'POS\r\nX-Evil: 1' }), { ok: false, problems: [refused] });
    assert.deepEqual(parse({ ...BASE, ...device, merchantDeviceProfileId: 'x'.repeat(101) }), { ok: false, problems: [refused] });
    assert.deepEqual(parse({ ...BASE, ...device, merchantDeviceProfileId: '' }), { ok: false, problems: [refused] });
  });

  test('the read timeout rule is the documented 40 s', () => {
    assert.equal(linepay.rules.timeoutMs, 40_000);
  });
});
