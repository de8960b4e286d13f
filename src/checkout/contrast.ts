/**
 * WCAG 2.x contrast: relative luminance of sRGB colours and their ratio.
 * AA asks 4.5:1 for normal text. A failing pair gets a suggestion: the
 * nearest foreground (mixed towards black or white) that passes.
 */
export const AA_NORMAL_TEXT = 4.5;

/** `#rrggbb`, lower case: the only colour form a template accepts. */
export const HEX_COLOUR = /^#[0-9a-f]{6}$/;

function channels(hex: string): [number, number, number] {
  return [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16)) as [number, number, number];
}

function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Ratios are shown rounded down to two decimals, so a shown 4.50 always passes. */
export const formatRatio = (ratio: number): string => (Math.floor(ratio * 100) / 100).toFixed(2);

function toHex(rgb: readonly number[]): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** The smallest step of `foreground` towards black or white that reaches `minimum` against `background`. */
export function suggestForeground(foreground: string, background: string, minimum = AA_NORMAL_TEXT): string {
  const from = channels(foreground);
  let best: string | null = null;
  for (let step = 1; step <= 20 && best === null; step++) {
    for (const target of [0, 255]) {
      const candidate = toHex(from.map((c) => c + (target - c) * (step / 20)));
      if (contrastRatio(candidate, background) >= minimum) {
        best = candidate;
        break;
      }
    }
  }
  return best ?? '#000000';
}
