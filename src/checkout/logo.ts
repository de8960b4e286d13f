/**
 * Checks an uploaded logo before anything is stored: PNG or JPEG only, read
 * from the bytes (never the file name or the browser's content type), with
 * size and pixel limits taken from the image header. SVG is refused: it can
 * carry script and external references, and CanCan does not sanitise it.
 */
export const MAX_LOGO_BYTES = 256 * 1024;
export const MAX_LOGO_PIXELS = 1024;

export type LogoType = 'image/png' | 'image/jpeg';

export type LogoCheck =
  | { readonly ok: true; readonly type: LogoType; readonly width: number; readonly height: number }
  | { readonly ok: false; readonly code: LogoProblem; readonly vars: Readonly<Record<string, string | number>> };

export type LogoProblem = 'empty' | 'too_large' | 'svg' | 'not_image' | 'bad_header' | 'too_many_pixels';

export const LOGO_PROBLEM_TEXT: Readonly<Record<LogoProblem, string>> = {
  empty: 'the logo file is empty',
  too_large: 'the logo is {size} bytes; at most {max} bytes are allowed',
  svg: 'SVG logos are refused (they may carry script); upload a PNG or JPEG',
  not_image: 'the logo is not a PNG or JPEG image',
  bad_header: 'the logo image is damaged: its size cannot be read',
  too_many_pixels: 'the logo is {width}×{height} pixels; at most {max}×{max} are allowed',
};

export function logoProblemText(check: Extract<LogoCheck, { ok: false }>): string {
  return LOGO_PROBLEM_TEXT[check.code].replace(/\{(\w+)\}/g, (_m, name: string) => String(check.vars[name] ?? ''));
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(bytes: Buffer): { width: number; height: number } | null {
  // The first chunk must be IHDR: width and height as big-endian 32-bit numbers.
  if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Walks the JPEG segments to the first start-of-frame marker, which holds the size. */
function jpegSize(bytes: Buffer): { width: number; height: number } | null {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1] as number;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    const length = bytes.readUInt16BE(at + 2);
    if (length < 2) return null;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (at + 9 > bytes.length) return null;
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  return null;
}

function looksLikeSvg(bytes: Buffer): boolean {
  const head = bytes
    .subarray(0, 1024)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  return head.startsWith('<svg') || ((head.startsWith('<?xml') || head.startsWith('<!doctype') || head.startsWith('<!--')) && head.includes('<svg'));
}

export function checkLogo(bytes: Buffer): LogoCheck {
  const refuse = (code: LogoProblem, vars: Record<string, string | number> = {}): LogoCheck => ({ ok: false, code, vars });
  if (bytes.length === 0) return refuse('empty');
  if (bytes.length > MAX_LOGO_BYTES) return refuse('too_large', { size: bytes.length, max: MAX_LOGO_BYTES });
  let type: LogoType;
  let size: { width: number; height: number } | null;
  if (bytes.subarray(0, 8).equals(PNG_SIGNATURE)) {
    type = 'image/png';
    size = pngSize(bytes);
  } else if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    type = 'image/jpeg';
    size = jpegSize(bytes);
  } else {
    return looksLikeSvg(bytes) ? refuse('svg') : refuse('not_image');
  }
  if (!size || size.width === 0 || size.height === 0) return refuse('bad_header');
  if (size.width > MAX_LOGO_PIXELS || size.height > MAX_LOGO_PIXELS) return refuse('too_many_pixels', { ...size, max: MAX_LOGO_PIXELS });
  return { ok: true, type, ...size };
}
