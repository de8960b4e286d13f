import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WeChatXmlError, buildXml, field, parseXml } from '../../src/providers/wechatpay/xml.js';

describe('WeChat Pay XML', () => {
  test('build wraps every value in CDATA under one <xml> root', () => {
    assert.equal(
      buildXml({ return_code: 'SUCCESS', total_fee: '1' }),
      '<xml><return_code><![CDATA[SUCCESS]]></return_code><total_fee><![CDATA[1]]></total_fee></xml>',
    );
  });

  test('round trip keeps every value exactly, as strings', () => {
    const fields = {
      auth_code: '134567890123456789', // 18 digits: above Number.MAX_SAFE_INTEGER
      transaction_id: '4200001234202401011234567890', // 28 digits
      total_fee: '0012', // leading zeros survive (no number coercion)
      body: 'Café <b>&amp; "quotes"</b> 咖啡',
      tricky: 'a]]>b]]>',
      spaced: '  padded  ',
      empty: '',
      exponent: '1e5',
    };
    const parsed = parseXml(buildXml(fields));
    assert.deepEqual(parsed, fields);
    for (const value of Object.values(parsed)) assert.equal(typeof value, 'string');
  });

  test('parses plain text values and decodes the predefined entities', () => {
    const parsed = parseXml(
      '<xml><return_code>SUCCESS</return_code><transaction_id>1009660380201506130728806387</transaction_id><msg>a &amp; b &lt;c&gt;</msg></xml>',
    );
    assert.deepEqual(parsed, { return_code: 'SUCCESS', transaction_id: '1009660380201506130728806387', msg: 'a & b <c>' });
  });

  test('tolerates an XML declaration, pretty-printing and empty elements', () => {
    const parsed = parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  <a><![CDATA[1]]></a>\n  <b/>\n  <c></c>\n</xml>\n');
    assert.deepEqual(parsed, { a: '1', b: '', c: '' });
  });

  const malformed: ReadonlyArray<readonly [string, string]> = [
    ['empty input', ''],
    ['not XML at all', 'return_code=SUCCESS'],
    ['JSON', '{"return_code":"SUCCESS"}'],
    ['an unclosed element', '<xml><a>1</xml>'],
    ['a nested element', '<xml><a><b>1</b></a></xml>'],
    ['mixed content in a field', '<xml><a>1<b>2</b></a></xml>'],
    ['a duplicate field', '<xml><a>1</a><a>2</a></xml>'],
    ['another root name', '<root><a>1</a></root>'],
    ['two roots', '<xml><a>1</a></xml><xml><b>2</b></xml>'],
    ['text directly in the root', '<xml>loose<a>1</a></xml>'],
    ['a DOCTYPE (entity expansion)', '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e "boom">]><xml><a>&e;</a></xml>'],
  ];
  for (const [name, text] of malformed) {
    test(`rejects ${name}`, () => {
      assert.throws(() => parseXml(text), WeChatXmlError);
    });
  }

  test('build refuses field names that are not plain identifiers', () => {
    for (const name of ['a b', '1a', '#text', '@_attr', 'a<b', '']) {
      assert.throws(() => buildXml({ [name]: 'x' }), WeChatXmlError, name);
    }
  });

  test('build refuses characters XML cannot carry', () => {
    assert.throws(() => buildXml({ body: 'bell\u0007' }), WeChatXmlError);
  });

  test('field() reads own fields only', () => {
    const parsed = parseXml('<xml><a>1</a></xml>');
    assert.equal(field(parsed, 'a'), '1');
    assert.equal(field(parsed, 'toString'), undefined);
    assert.equal(field(parsed, 'constructor'), undefined);
  });
});
