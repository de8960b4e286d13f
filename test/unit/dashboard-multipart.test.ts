/** The dashboard's multipart reader: fields, a binary file kept byte for byte, an empty file input, malformed bodies. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FILES_KEY, boundaryOf, parseMultipart, uploadedFile } from '../../src/dashboard/multipart.js';

const CRLF = '\r\n';

function body(boundary: string, parts: { name: string; filename?: string; content: Buffer | string }[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`;
    chunks.push(
      Buffer.from(
        `--${boundary}${CRLF}Content-Disposition: ${disposition}${CRLF}${part.filename !== undefined ? `Content-Type: application/octet-stream${CRLF}` : ''}${CRLF}`,
      ),
    );
    chunks.push(Buffer.isBuffer(part.content) ? part.content : Buffer.from(part.content));
    chunks.push(Buffer.from(CRLF));
  }
  chunks.push(Buffer.from(`--${boundary}--${CRLF}`));
  return Buffer.concat(chunks);
}

test('fields are text, files keep every byte (CR LF and NUL included), the first of a repeated name wins', () => {
  const bytes = Buffer.from([0x89, 0x50, 0x0d, 0x0a, 0x00, 0xff, 0x2d, 0x2d]);
  const parsed = parseMultipart(
    body('XyZ', [
      { name: '_csrf', content: 'token' },
      { name: 'header_line', content: '茶 & <tea>' },
      { name: 'header_line', content: 'second' },
      { name: 'logo', filename: 'logo.png', content: bytes },
      { name: 'empty', filename: '', content: '' },
    ]),
    'XyZ',
  );
  assert.ok(parsed);
  assert.equal(parsed._csrf, 'token');
  assert.equal(parsed.header_line, '茶 & <tea>');
  assert.deepEqual(uploadedFile(parsed, 'logo'), { filename: 'logo.png', bytes });
  assert.equal(uploadedFile(parsed, 'empty'), undefined, 'a file input left empty is no upload');
  assert.deepEqual(Object.keys(parsed[FILES_KEY] as object), ['logo']);
});

test('the boundary comes from the content type; a body without it or cut short is malformed', () => {
  assert.equal(boundaryOf('multipart/form-data; boundary=----WebKitFormBoundaryabc'), '----WebKitFormBoundaryabc');
  assert.equal(boundaryOf('multipart/form-data; boundary="quoted b"'), 'quoted b');
  assert.equal(boundaryOf('multipart/form-data'), null);
  assert.equal(parseMultipart(Buffer.from('no parts here'), 'XyZ'), null);
  const whole = body('XyZ', [{ name: 'a', content: 'b' }]);
  assert.equal(parseMultipart(whole.subarray(0, whole.length - 12), 'XyZ'), null);
});
