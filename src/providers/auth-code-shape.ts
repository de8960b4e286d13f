/**
 * Payment codes by shape: whether a code fits a gateway's documented shape
 * (the descriptors' `authCodeShape`), and the shape in words for messages.
 * The adapters' well-formedness checks and `payment_gateway: "auto"` both
 * answer from here, so the two never disagree.
 */
import type { AuthCodeShape } from './descriptor.js';

export function fitsAuthCodeShape(shape: AuthCodeShape, code: string): boolean {
  if (code.length < shape.minDigits || code.length > shape.maxDigits || !/^\d+$/.test(code)) return false;
  const leading = shape.leadingTwoDigits;
  if (!leading) return true;
  const firstTwo = Number(code.slice(0, 2));
  return code.length >= 2 && firstTwo >= leading.from && firstTwo <= leading.to;
}

const twoDigits = (n: number) => String(n).padStart(2, '0');

/** "18 digits starting 10–15", "16–24 digits starting 25–30", "12 digits". */
export function describeAuthCodeShape(shape: AuthCodeShape): string {
  const length = shape.minDigits === shape.maxDigits ? `${shape.minDigits}` : `${shape.minDigits}–${shape.maxDigits}`;
  const leading = shape.leadingTwoDigits;
  if (!leading) return `${length} digits`;
  const start = leading.from === leading.to ? twoDigits(leading.from) : `${twoDigits(leading.from)}–${twoDigits(leading.to)}`;
  return `${length} digits starting ${start}`;
}
