/**
 * The simulated UnionPay payment pages: plain HTML forms, no script, no
 * external assets, so they work in any browser and in tests that drive them
 * with fetch.
 */
import { escapeHtml } from '../../checkout/page.js';

export interface PaymentPage {
  readonly merId: string;
  readonly orderId: string;
  readonly txnTime: string;
  /** Already formatted, e.g. "12.34 CNY". */
  readonly amount: string;
  /** Where the Pay / Decline buttons post (relative to the page). */
  readonly decisionAction: string;
}

export function paymentPageHtml(page: PaymentPage): string {
  const hidden = (name: string, value: string): string => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  return layout(
    'UnionPay online payment (sandbox) 银联在线支付（模拟）',
    `
<h1>UnionPay online payment 银联在线支付</h1>
<p>Sandbox simulator: no card is charged. 模拟环境，不会真实扣款。</p>
<dl>
  <dt>Merchant 商户号</dt><dd id="merId">${escapeHtml(page.merId)}</dd>
  <dt>Order 订单号</dt><dd id="orderId">${escapeHtml(page.orderId)}</dd>
  <dt>Amount 金额</dt><dd id="amount">${escapeHtml(page.amount)}</dd>
</dl>
<form method="post" action="${escapeHtml(page.decisionAction)}">
  ${hidden('merId', page.merId)}
  ${hidden('orderId', page.orderId)}
  ${hidden('txnTime', page.txnTime)}
  <button type="submit" name="decision" value="pay">Pay 支付</button>
  <button type="submit" name="decision" value="decline">Decline 取消</button>
</form>`,
  );
}

/** What UnionPay shows instead of the payment page when it refuses the request. */
export function errorPageHtml(respCode: string, respMsg: string): string {
  return layout(
    'UnionPay: request refused 交易失败',
    `
<h1>Payment request refused 交易失败</h1>
<p>respCode <code id="respCode">${escapeHtml(respCode)}</code>: <span id="respMsg">${escapeHtml(respMsg)}</span></p>`,
  );
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
</head>
<body>${body}
</body>
</html>
`;
}
