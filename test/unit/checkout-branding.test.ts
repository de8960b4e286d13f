/** Checkout templates: WCAG contrast, field checks, and the logo's bytes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_BRANDING,
  brandStylesheet,
  brandStylesheetHref,
  brandingProblemText,
  checkBranding,
  parseStoredBranding,
} from '../../src/checkout/branding.js';
import { contrastRatio, formatRatio, suggestForeground } from '../../src/checkout/contrast.js';
import { MAX_LOGO_BYTES, checkLogo, logoProblemText } from '../../src/checkout/logo.js';
import { jpegHead, png } from '../support/images.js';

test('contrast ratios match WCAG: black on white is 21:1, equal colours 1:1, #767676 on white just passes AA', () => {
  assert.equal(formatRatio(contrastRatio('#000000', '#ffffff')), '21.00');
  assert.equal(formatRatio(contrastRatio('#123456', '#123456')), '1.00');
  assert.equal(formatRatio(contrastRatio('#767676', '#ffffff')), '4.54');
  assert.ok(contrastRatio('#777777', '#ffffff') < 4.5);
});

test('a suggestion for a failing pair passes AA and stays close to the asked colour', () => {
  const suggestion = suggestForeground('#ffeb3b', '#ffffff');
  assert.match(suggestion, /^#[0-9a-f]{6}$/);
  assert.ok(contrastRatio(suggestion, '#ffffff') >= 4.5);
  assert.notEqual(suggestion, '#000000');
});

test('a low-contrast pair is refused with its ratio and a suggestion; a good one is accepted', () => {
  const refused = checkBranding(DEFAULT_BRANDING, { brandColor: '#ffeb3b', buttonTextColor: '#ffffff' });
  assert.equal(refused.ok, false);
  if (refused.ok) return;
  assert.equal(refused.problems.length, 1);
  const [problem] = refused.problems;
  assert.equal(problem?.field, 'button_text_color');
  const text = brandingProblemText(problem, 'Button text colour');
  assert.match(text, /^Button text colour #ffffff on #ffeb3b has a contrast of 1\.\d\d:1, below the 4\.5:1 WCAG AA minimum; try #[0-9a-f]{6}$/);
  const suggested = /try (#[0-9a-f]{6})$/.exec(text)?.[1] ?? '';
  const accepted = checkBranding(DEFAULT_BRANDING, { brandColor: '#ffeb3b', buttonTextColor: suggested });
  assert.equal(accepted.ok, true);
});

test('colours must be #rrggbb (CSS is refused), links https, words one line', () => {
  const checked = checkBranding(DEFAULT_BRANDING, {
    accentColor: 'red; background:url(https://evil.example/x)',
    footerLinks: 'Terms|javascript:alert(1)',
    headerLine: 'a\nb',
    corners: 'round',
  });
  assert.equal(checked.ok, false);
  if (checked.ok) return;
  assert.deepEqual(
    checked.problems.map((p) => `${p.field}:${p.code}`),
    ['accent_color:colour', 'corners:corners', 'header_line:control', 'footer_links:links'],
  );
  const ok = checkBranding(DEFAULT_BRANDING, { accentColor: '#0F766E', footerLinks: 'Terms|https://shop.example/terms\nPrivacy|https://shop.example/privacy' });
  assert.equal(ok.ok, true);
  if (!ok.ok) return;
  assert.equal(ok.value.accentColor, '#0f766e');
  assert.deepEqual(ok.value.footerLinks, [
    { label: 'Terms', url: 'https://shop.example/terms' },
    { label: 'Privacy', url: 'https://shop.example/privacy' },
  ]);
});

test('the stylesheet is written from its name only, and any other name is no stylesheet', () => {
  const href = brandStylesheetHref({ ...DEFAULT_BRANDING, brandColor: '#0f766e', corners: 'pill' });
  assert.equal(href, '/chop/assets/brand/0f766e-ffffff-1d4ed8-f3f4f6-374151-pill.css');
  const css = brandStylesheet(href.slice('/chop/assets/brand/'.length)) ?? '';
  assert.match(css, /\.card:not\(\.sandbox\) button,\.card:not\(\.sandbox\) \.button\{background:#0f766e;color:#ffffff;border-radius:999px\}/);
  assert.equal(brandStylesheet('0f766e-ffffff-1d4ed8-f3f4f6-374151-pill.css;x'), null);
  assert.equal(brandStylesheet('red-ffffff-1d4ed8-f3f4f6-374151-pill.css'), null);
});

test('a stored template that no longer passes falls back to the default colours, keeping a well-formed logo id', () => {
  const logoId = 'a'.repeat(64);
  const parsed = parseStoredBranding(JSON.stringify({ ...DEFAULT_BRANDING, brandColor: '#ffffff', logoId }));
  assert.equal(parsed.brandColor, DEFAULT_BRANDING.brandColor);
  assert.equal(parsed.logoId, logoId);
  assert.equal(parseStoredBranding(JSON.stringify({ ...DEFAULT_BRANDING, logoId: '../x' })).logoId, null);
});

test('logos: PNG and JPEG sizes are read from their headers', () => {
  assert.deepEqual(checkLogo(png(200, 80)), { ok: true, type: 'image/png', width: 200, height: 80 });
  assert.deepEqual(checkLogo(jpegHead(320, 100)), { ok: true, type: 'image/jpeg', width: 320, height: 100 });
});

test('logos: oversize, too many pixels, a non-image, an SVG with a script and a broken header are each refused with their reason', () => {
  const reason = (bytes: Buffer) => {
    const checked = checkLogo(bytes);
    assert.equal(checked.ok, false);
    return checked.ok ? '' : logoProblemText(checked);
  };
  const big = Buffer.concat([png(100, 100), Buffer.alloc(MAX_LOGO_BYTES)]);
  assert.equal(reason(big), `the logo is ${big.length} bytes; at most ${MAX_LOGO_BYTES} bytes are allowed`);
  assert.equal(reason(png(4000, 100)), 'the logo is 4000×100 pixels; at most 1024×1024 are allowed');
  assert.equal(reason(Buffer.from('just some text, not a picture')), 'the logo is not a PNG or JPEG image');
  assert.equal(
    reason(Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')),
    'SVG logos are refused (they may carry script); upload a PNG or JPEG',
  );
  assert.equal(reason(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])), 'the logo image is damaged: its size cannot be read');
  assert.equal(reason(Buffer.alloc(0)), 'the logo file is empty');
});
