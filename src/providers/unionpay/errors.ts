/**
 * UnionPay acp response codes as data: how sure each answer is, and which
 * blueprint failure code each definite refusal becomes.
 *
 * Codes from UnionPay's "应答码" table in the acp platform specification
 * (part 5, appendix), as reproduced in the acp SDK demos: 00 success;
 * 03 communication timeout, 04 status unknown, 05 accepted / processing
 * ("query again later"); 01 failed, 02 closed, 06 busy; 10–14 message
 * errors (11 signature); 30–45 business refusals (34 no such transaction);
 * 60–7x card / cardholder refusals.
 */
import type { FailureCode } from '../../domain/failures.js';

/** respCode / origRespCode values that mean "not final yet, query again" (acp query demo: 03, 04, 05). */
const PROCESSING_CODES: ReadonlySet<string> = new Set(['03', '04', '05']);

/** "Try again later": the gateway did not take the request, but says nothing definite about it either. */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set(['02', '06']);

const RESP_SUCCESS = '00';
/** 查无此交易: the gateway has no transaction with this orderId and txnTime. */
export const RESP_NO_SUCH_TRANSACTION = '34';
/** 重复交易: this orderId (+ txnTime) was sent before. */
export const RESP_DUPLICATE = '12';

export type RespCodeClass = 'success' | 'processing' | 'unavailable' | 'refused';

export function classifyRespCode(code: string): RespCodeClass {
  if (code === RESP_SUCCESS) return 'success';
  if (PROCESSING_CODES.has(code)) return 'processing';
  if (UNAVAILABLE_CODES.has(code)) return 'unavailable';
  return 'refused';
}

/** Provider code (respCode or origRespCode) → blueprint failure code. */
const UNIONPAY_FAILURE_CODES: ReadonlyMap<string, FailureCode> = new Map<string, FailureCode>([
  // The cardholder's balance.
  ['64', 'customer_insufficient_balance_failure'], // 卡上的余额不足
  // The cardholder may not pay: card state, issuer refusal, risk, unsupported card.
  ['30', 'customer_not_allowed_to_pay_failure'], // 交易未通过，请尝试使用其他银联卡支付
  ['38', 'customer_not_allowed_to_pay_failure'], // 银联风险受限
  ['60', 'customer_not_allowed_to_pay_failure'], // 交易失败，详情请咨询您的发卡行
  ['61', 'card_failure'], // 输入的卡号无效
  ['62', 'customer_not_allowed_to_pay_failure'], // 发卡银行不支持该商户
  ['63', 'customer_not_allowed_to_pay_failure'], // 卡状态不正确
  ['68', 'customer_not_allowed_to_pay_failure'], // 您的银行卡暂不支持该业务
  // Password, expiry, CVN2 or verification errors.
  ['65', 'payment_password_failure'], // 输入的密码、有效期或CVN2有误
  ['66', 'payment_password_failure'], // 持卡人身份信息或手机号输入不正确
  ['67', 'payment_password_failure'], // 密码输入次数超限
  // The cardholder never completed the payment (still "processing" when given up on).
  ['05', 'payment_password_failure'],
  // The merchant's account or permissions.
  ['31', 'merchant_not_allowed_to_sell_failure'], // 商户状态不正确
  ['32', 'merchant_not_allowed_to_sell_failure'], // 无此交易权限
  ['43', 'merchant_not_allowed_to_sell_failure'], // 无此业务权限
  // Our own request was refused.
  ['10', 'payment_gateway_failure'], // 报文格式错误
  ['11', 'payment_gateway_failure'], // 验证签名失败
  ['13', 'payment_gateway_failure'], // 报文交易要素缺失
  ['12', 'transaction_id_failure'], // 重复交易
  ['36', 'transaction_id_failure'], // 与原交易信息不符
  // Refunds: 33 (交易金额超限) is what a refund above the refundable amount gets.
  ['33', 'refund_exceeds_sale_amount_failure'],
  ['35', 'refund_not_allowed_failure'], // 原交易不存在或状态不正确
  ['45', 'refund_not_allowed_failure'], // 原交易已被成功退货或已被成功撤销
  ['34', 'sale_not_found_failure'], // 查无此交易
]);

export function mapUnionPayFailure(code: string): FailureCode {
  return UNIONPAY_FAILURE_CODES.get(code) ?? 'unknown_failure';
}
