/**
 * Fee checks of matched lines (`fee_only`). CanCan stores no merchant fee
 * rate, so a fee is questioned when it disagrees with the line's own net, or
 * with the rate that explains most of the day's payment lines in its
 * currency (rounded to minor units: a line agrees when its fee is within half
 * a minor unit of amount × rate).
 */
import type { Statement, StatementLine } from '../providers/statements.js';

/** A problem with a settled line's fee, or null. */
export type FeeCheck = (line: StatementLine) => string | null;

export function feeProblem(line: StatementLine, check: FeeCheck): string | null {
  if (line.feeMinor === null) return null;
  if (line.kind === 'payment' && line.netMinor !== null && line.amountMinor - line.feeMinor !== line.netMinor) {
    return `the provider's net ${line.netMinor} is not its amount ${line.amountMinor} less its fee ${line.feeMinor}`;
  }
  return check(line);
}

interface RateWindow {
  readonly low: number;
  readonly high: number;
}

/** The rates that round to the line's fee. */
function windowOf(line: StatementLine & { feeMinor: number }): RateWindow {
  return { low: (line.feeMinor - 0.5) / line.amountMinor, high: (line.feeMinor + 0.5) / line.amountMinor };
}

/**
 * The rate inside the most lines' windows (a sweep over the window edges),
 * and how many windows hold it.
 */
function commonRate(windows: readonly RateWindow[]): { rate: number; support: number } | null {
  const edges = windows.flatMap((w) => [
    { at: w.low, step: 1 },
    { at: w.high, step: -1 },
  ]);
  // Opening edges first at a tie: windows that touch share the rate.
  edges.sort((a, b) => a.at - b.at || b.step - a.step);
  let open = 0;
  let best: { rate: number; support: number } | null = null;
  edges.forEach((edge, index) => {
    open += edge.step;
    // The middle of the stretch up to the next edge: every window open here holds it.
    const until = edges[index + 1]?.at ?? edge.at;
    if (edge.step === 1 && (best === null || open > best.support)) best = { rate: (edge.at + until) / 2, support: open };
  });
  return best;
}

/**
 * The check of a day's statement: per currency, the rate most payment lines
 * agree on; a line outside it is questioned. Without a majority (fewer than
 * three lines with fees, or no rate shared by more than half) nothing is.
 */
export function dayRateCheck(statement: Statement): FeeCheck {
  const byCurrency = new Map<string, RateWindow[]>();
  for (const line of statement.lines) {
    if (line.kind !== 'payment' || !line.settled || line.feeMinor === null || line.amountMinor <= 0) continue;
    const windows = byCurrency.get(line.currency) ?? [];
    windows.push(windowOf({ ...line, feeMinor: line.feeMinor }));
    byCurrency.set(line.currency, windows);
  }
  const rates = new Map<string, number>();
  for (const [currency, windows] of byCurrency) {
    const common = commonRate(windows);
    if (common !== null && windows.length >= 3 && common.support * 2 > windows.length) rates.set(currency, common.rate);
  }
  return (line) => {
    const rate = rates.get(line.currency);
    if (line.kind !== 'payment' || rate === undefined || line.feeMinor === null || line.amountMinor <= 0) return null;
    const window = windowOf({ ...line, feeMinor: line.feeMinor });
    if (rate >= window.low - 1e-12 && rate <= window.high + 1e-12) return null;
    const expected = Math.round(line.amountMinor * rate);
    return `the provider's fee ${line.feeMinor} is not the day's rate (about ${(rate * 100).toFixed(2)}%: ${expected})`;
  };
}
