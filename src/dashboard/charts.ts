/**
 * Server-side SVG charts for the dashboard: no library, no script and no
 * style attributes (the CSP allows neither), only presentation attributes.
 * Each chart is one accessible image (role="img", a <title> and a <desc>
 * carrying the numbers); pages put the same figures in a table as well.
 * The viewBox is sized for a phone and scales with `width="100%"`.
 */
import { type Raw, html } from './html.js';

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** The value as people read it (`12.00 CNY`, `3`). */
  readonly text: string;
  readonly fill?: string;
}

export interface ChartText {
  /** Unique in the page: the <title> and <desc> ids derive from it. */
  readonly id: string;
  readonly title: string;
  readonly desc: string;
}

const WIDTH = 360;
const FONT = 12;
const INK = '#57606a';
const LINE = '#d0d7de';
export const BAR_FILL = '#0a5bd3';

function frame(chart: ChartText, height: number, body: Raw): Raw {
  const titleId = `${chart.id}-title`;
  const descId = `${chart.id}-desc`;
  return html`<svg class="chart" id="${chart.id}" role="img" aria-labelledby="${titleId}" aria-describedby="${descId}" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">
<title id="${titleId}">${chart.title}</title>
<desc id="${descId}">${chart.desc}</desc>
${body}
</svg>`;
}

const round = (n: number): string => String(Math.round(n * 10) / 10);

/**
 * Vertical bars over time (one per day). `ticks` names the bars that get a
 * label under the axis (a phone has no room for thirty).
 */
export function columnChart(chart: ChartText & { bars: readonly Bar[]; ticks: readonly { index: number; text: string }[]; maxText: string }): Raw {
  const height = 180;
  const left = 4;
  const right = WIDTH - 4;
  const top = 22;
  const bottom = 150;
  const max = Math.max(0, ...chart.bars.map((b) => b.value));
  const slot = (right - left) / Math.max(chart.bars.length, 1);
  const barWidth = Math.max(slot * 0.7, 1);
  const bars = chart.bars.map((bar, i) => {
    if (bar.value <= 0 || max === 0) return '';
    // A small non-zero day stays visible.
    const h = Math.max(((bottom - top) * bar.value) / max, 1.5);
    const x = left + i * slot + (slot - barWidth) / 2;
    return html`<rect x="${round(x)}" y="${round(bottom - h)}" width="${round(barWidth)}" height="${round(h)}" fill="${bar.fill ?? BAR_FILL}"><title>${bar.label}: ${bar.text}</title></rect>`;
  });
  const ticks = chart.ticks.map((tick) => {
    const x = left + tick.index * slot + slot / 2;
    const anchor = tick.index === 0 ? 'start' : tick.index === chart.bars.length - 1 ? 'end' : 'middle';
    const at = anchor === 'start' ? left : anchor === 'end' ? right : x;
    return html`<text x="${round(at)}" y="${bottom + 16}" font-size="${FONT}" fill="${INK}" text-anchor="${anchor}">${tick.text}</text>`;
  });
  return frame(
    chart,
    height,
    html`<text x="${left}" y="${top - 8}" font-size="${FONT}" fill="${INK}">${chart.maxText}</text>
<line x1="${left}" y1="${top}" x2="${right}" y2="${top}" stroke="${LINE}" stroke-dasharray="3 3"/>
<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="${INK}"/>
${bars}
${ticks}`,
  );
}

/** Horizontal bars with the label on the left and the figure after the bar. */
export function barChart(chart: ChartText & { bars: readonly Bar[] }): Raw {
  const row = 26;
  const labelWidth = 160;
  const barMax = WIDTH - labelWidth - 56;
  const height = Math.max(chart.bars.length, 1) * row + 4;
  const max = Math.max(0, ...chart.bars.map((b) => b.value));
  const rows = chart.bars.map((bar, i) => {
    const y = i * row + 4;
    const w = max === 0 || bar.value <= 0 ? 0 : Math.max((barMax * bar.value) / max, 2);
    // Long codes are cut here; the full label is in the title, desc and table.
    const label = bar.label.length > 24 ? `${bar.label.slice(0, 23)}…` : bar.label;
    return html`<text x="0" y="${y + 14}" font-size="${FONT}" fill="#1b1f24">${label}</text>
<rect x="${labelWidth}" y="${y + 3}" width="${round(w)}" height="${row - 8}" fill="${bar.fill ?? BAR_FILL}"/>
<text x="${round(labelWidth + w + 4)}" y="${y + 14}" font-size="${FONT}" fill="${INK}">${bar.text}</text>`;
  });
  return frame(
    chart,
    height,
    html`<line x1="${labelWidth}" y1="0" x2="${labelWidth}" y2="${height}" stroke="${LINE}"/>
${rows}`,
  );
}
