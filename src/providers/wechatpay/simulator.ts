/**
 * WeChat Pay v2 simulator: the provider's side of micropay, unifiedorder
 * (trade_type=NATIVE), closeorder, orderquery, reverse, refund and
 * refundquery, speaking real signed XML. Register with
 * `prefix: '/_sim/wechatpay'`. Outcomes are chosen by the last two digits of
 * total_fee (docs/providers.md, "Simulator test values"); for Native orders
 * they apply when the sandbox wallet approves the scanned code. What the
 * simulator knows lives in the SimulatorLedger and is committed before it
 * answers.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import type { FastifyPluginAsync } from 'fastify';
import { testValue } from '../../simulators/test-values.js';
import type { SimOrder, SimOrderStatus, SimulatorLedger } from '../../simulators/ledger.js';
import { approveBehaviour, type SandboxWallet, type ScanAction, type ScanResult } from '../../simulators/wallet.js';
import type { WeChatPayCredentials } from './adapter.js';
import { chinaTime, parseChinaTime } from '../china-time.js';
import { CODE_URL_VALIDITY_MS, encodeNativeMemo, nativeMemoOf, newCodeUrl, newNativeMemo, newPrepayId, type NativeOrderMemo } from './simulator-qr.js';
import { parseSignType, verifyFields, withSignature } from './sign.js';
import { isWeChatAuthCode, type TradeState } from './transformers.js';
import { assertNever } from '../../domain/assert-never.js';
import { buildXml, field, parseXml, type WireFields } from './xml.js';
import { registerDownloadBill } from './statement-simulator.js';
import type { SimulatorNotifier } from '../../simulators/notify-sender.js';
import { isWeChatPayNotifyAck } from './notifications.js';

export interface WeChatPaySimulatorOptions {
  ledger: SimulatorLedger;
  credentials: WeChatPayCredentials[];
  /** How long a test-value-53 order waits for the customer before it is paid. */
  confirmDelayMs: number;
  /** How late the answer to a test-value-56 micropay comes. */
  slowResponseMs: number;
  /** The sandbox customer wallet that scans Native codes; without it nobody can pay them. */
  wallet?: SandboxWallet;
  /** Sends the payment result notifications of Native orders; without it none are sent. */
  notifier?: SimulatorNotifier;
  now?: () => number;
}

const PROVIDER = 'wechatpay';

/** Test-value behaviours, by the last two digits of total_fee. */
type PayBehaviour =
  | 'pay'
  | 'insufficient_balance'
  | 'auth_code_expired'
  | 'confirm_later'
  | 'never_confirm'
  | 'system_error_paid'
  | 'slow_answer_paid'
  | 'buyer_mismatch'
  | 'merchant_not_allowed'
  | 'refund_refused'
  | 'system_error_unpaid';

function behaviourFor(totalFee: number): PayBehaviour {
  switch (testValue(totalFee)) {
    case 51:
      return 'insufficient_balance';
    case 52:
      return 'auth_code_expired';
    case 53:
      return 'confirm_later';
    case 54:
      return 'never_confirm';
    case 55:
      return 'system_error_paid';
    case 56:
      return 'slow_answer_paid';
    case 57:
      return 'buyer_mismatch';
    case 58:
      return 'merchant_not_allowed';
    case 59:
      return 'refund_refused';
    case 61:
      return 'system_error_unpaid';
    default:
      return 'pay';
  }
}

/** The business layer of an answer; the envelope (return_code, appid, sign, ...) is added around it. */
type Answer =
  | { readonly result: 'SUCCESS'; readonly fields: Record<string, string> }
  | { readonly result: 'FAIL'; readonly errCode: string; readonly message: string; readonly fields: Record<string, string> };

const success = (fields: Record<string, string> = {}): Answer => ({ result: 'SUCCESS', fields });
const fail = (errCode: string, message: string, fields: Record<string, string> = {}): Answer => ({ result: 'FAIL', errCode, message, fields });

export function wechatPaySimulator(options: WeChatPaySimulatorOptions): FastifyPluginAsync {
  const { ledger, confirmDelayMs, slowResponseMs } = options;
  const now = options.now ?? Date.now;
  /** Confirm-later customers who finish on their own: their orders are read (and so paid) when the delay is up. */
  const confirmTimers = new Set<NodeJS.Timeout>();

  /**
   * Reads an order, first letting time act on it: a waiting customer whose
   * delay has passed confirms (if that was before the code expired), and an
   * unpaid Native order past its expiry closes.
   */
  function readOrder(orderNo: string): SimOrder | null {
    const order = ledger.findOrder(PROVIDER, orderNo);
    if (order === null || order.status !== 'unpaid') return order;
    const expiresAt = nativeMemoOf(order)?.expiresAt ?? null;
    if (order.confirmAt !== null && now() >= order.confirmAt && (expiresAt === null || order.confirmAt < expiresAt)) {
      const paid = ledger.updateOrder(PROVIDER, orderNo, {
        status: 'paid',
        providerState: 'SUCCESS',
        confirmAt: null,
        providerTxnId: order.providerTxnId ?? transactionId(now()),
      });
      notifyPaid(paid);
      return paid;
    }
    if (expiresAt !== null && now() >= expiresAt) {
      // Real WeChat keeps answering NOTPAY after time_expire until closeorder is called; the simulator
      // reports the order CLOSED so an expired code reads as "will never be paid" either way.
      return ledger.updateOrder(PROVIDER, orderNo, { status: 'closed', providerState: 'CLOSED', confirmAt: null });
    }
    return order;
  }

  /**
   * The payment result notification of a paid Native order, signed for the
   * merchant that created it, to the notify_url it gave ("支付结果通知";
   * WeChat notifies payments only, not closes).
   */
  function notifyPaid(order: SimOrder): void {
    const target = nativeMemoOf(order)?.notify ?? null;
    if (target === null || options.notifier === undefined) return;
    const merchant = options.credentials.find((candidate) => candidate.mchId === target.mchId && (candidate.subMchId ?? null) === target.subMchId);
    if (merchant === undefined) return;
    const fields: Record<string, string> = {
      return_code: 'SUCCESS',
      appid: merchant.appId,
      mch_id: merchant.mchId,
      nonce_str: randomBytes(16).toString('hex'),
      result_code: 'SUCCESS',
      ...paidFields(order),
      time_end: chinaTime(now()),
    };
    if (merchant.subMchId !== undefined) fields['sub_mch_id'] = merchant.subMchId;
    if (merchant.subAppId !== undefined) fields['sub_appid'] = merchant.subAppId;
    // sign_type is stated only when it is not the default MD5, as in WeChat's field list.
    if (merchant.signType === 'HMAC-SHA256') fields['sign_type'] = 'HMAC-SHA256';
    options.notifier.send({
      provider: PROVIDER,
      orderNo: order.orderNo,
      url: target.url,
      contentType: 'text/xml',
      body: buildXml(withSignature(fields, merchant.apiKey, merchant.signType)),
      acknowledged: isWeChatPayNotifyAck,
    });
  }

  /** Reads the order once its customer's confirmation is due, so it is paid (and notified) without anyone querying. */
  function confirmWhenDue(orderNo: string, delayMs: number): void {
    const timer = setTimeout(() => {
      confirmTimers.delete(timer);
      try {
        readOrder(orderNo);
      } catch {
        // the ledger closed under the timer: nothing to notify any more
      }
    }, delayMs);
    timer.unref();
    confirmTimers.add(timer);
  }

  function paidFields(order: SimOrder): Record<string, string> {
    return {
      out_trade_no: order.orderNo,
      transaction_id: order.providerTxnId ?? '',
      total_fee: String(order.amount),
      fee_type: order.currency,
      cash_fee: String(order.amount),
      openid: SANDBOX_OPENID,
      is_subscribe: 'N',
      trade_type: nativeMemoOf(order)?.tradeType ?? 'MICROPAY',
      bank_type: 'OTHERS',
    };
  }

  async function micropay(request: WireFields): Promise<Answer> {
    const orderNo = field(request, 'out_trade_no') ?? '';
    const totalFee = parseAmount(field(request, 'total_fee'));
    const currency = field(request, 'fee_type') ?? 'CNY';
    const authCode = field(request, 'auth_code') ?? '';
    if (!isOrderNo(orderNo) || totalFee === null || !/^[A-Z]{3}$/.test(currency) || !field(request, 'body') || !field(request, 'spbill_create_ip')) {
      return fail('PARAM_ERROR', 'out_trade_no, total_fee, fee_type, body or spbill_create_ip is missing or invalid');
    }
    if (!isWeChatAuthCode(authCode)) return fail('AUTH_CODE_INVALID', 'auth_code must be 18 digits starting 10-15');

    const existing = readOrder(orderNo);
    if (existing !== null) {
      if (existing.status === 'reversed') return fail('ORDERREVERSED', 'order has been reversed');
      if (existing.status === 'paid' || existing.status === 'refunded' || existing.status === 'partially_refunded') {
        return fail('ORDERPAID', 'order has already been paid');
      }
      return fail('OUT_TRADE_NO_USED', 'out_trade_no has already been used');
    }

    const behaviour = behaviourFor(totalFee);
    const record = (status: SimOrderStatus, providerState: TradeState, extra: { confirmAt?: number } = {}): SimOrder =>
      ledger.insertOrder({
        provider: PROVIDER,
        orderNo,
        amount: totalFee,
        currency,
        status,
        providerState,
        behaviour,
        ...extra,
        providerTxnId: status === 'paid' ? transactionId(now()) : null,
      });
    switch (behaviour) {
      case 'pay':
      case 'refund_refused':
        return success({ ...paidFields(record('paid', 'SUCCESS')), time_end: chinaTime(now()) });
      case 'insufficient_balance':
        record('closed', 'PAYERROR');
        return fail('NOTENOUGH', 'insufficient balance');
      case 'auth_code_expired':
        return fail('AUTHCODEEXPIRE', 'auth_code has expired');
      case 'confirm_later':
        record('unpaid', 'USERPAYING', { confirmAt: now() + confirmDelayMs });
        return fail('USERPAYING', 'waiting for the customer to enter the password');
      case 'never_confirm':
        record('unpaid', 'USERPAYING');
        return fail('USERPAYING', 'waiting for the customer to enter the password');
      case 'system_error_paid':
        record('paid', 'SUCCESS');
        return fail('SYSTEMERROR', 'system error, please query the order');
      case 'slow_answer_paid': {
        const order = record('paid', 'SUCCESS'); // committed before the (late) answer
        await sleep(slowResponseMs);
        return success({ ...paidFields(order), time_end: chinaTime(now()) });
      }
      case 'buyer_mismatch':
        return fail('BUYER_MISMATCH', 'the payer differs from the one of the previous attempt');
      case 'merchant_not_allowed':
        return fail('NOAUTH', 'merchant has no permission for this payment');
      case 'system_error_unpaid':
        record('unpaid', 'NOTPAY');
        return fail('SYSTEMERROR', 'system error, please query the order');
      default:
        return assertNever(behaviour);
    }
  }

  function orderQuery(request: WireFields): Answer {
    const orderNo = field(request, 'out_trade_no') ?? '';
    if (!isOrderNo(orderNo)) return fail('PARAM_ERROR', 'out_trade_no is missing or invalid');
    const order = readOrder(orderNo);
    if (order === null) return fail('ORDERNOTEXIST', 'order does not exist');
    const tradeState = tradeStateOf(order);
    const details = tradeState === 'SUCCESS' || tradeState === 'REFUND' ? paidFields(order) : { out_trade_no: orderNo };
    return success({ ...details, trade_state: tradeState, trade_state_desc: `trade state ${tradeState}` });
  }

  function reverse(request: WireFields): Answer {
    const orderNo = field(request, 'out_trade_no') ?? '';
    if (!isOrderNo(orderNo)) return fail('PARAM_ERROR', 'out_trade_no is missing or invalid', { recall: 'N' });
    const order = readOrder(orderNo);
    if (order === null) {
      // Tombstone: a micropay that arrives after its own reversal must not charge the customer.
      ledger.insertOrder({ provider: PROVIDER, orderNo, amount: 0, currency: '', status: 'reversed', providerState: 'REVOKED' });
      return success({ recall: 'N' });
    }
    switch (order.status) {
      case 'paid':
        if (ledger.refundsOf(PROVIDER, orderNo).some((refund) => refund.status !== 'failed')) {
          return fail('TRADE_ERROR', 'order has refunds; it can no longer be reversed', { recall: 'N' });
        }
        ledger.updateOrder(PROVIDER, orderNo, { status: 'reversed', providerState: 'REVOKED' }); // money back in full
        return success({ recall: 'N' });
      case 'unpaid':
        ledger.updateOrder(PROVIDER, orderNo, { status: 'reversed', providerState: 'REVOKED', confirmAt: null });
        return success({ recall: 'N' });
      case 'reversed':
      case 'closed': // nothing was paid, nothing to give back
        return success({ recall: 'N' });
      case 'refunded':
      case 'partially_refunded':
        return fail('TRADE_ERROR', 'order has refunds; it can no longer be reversed', { recall: 'N' });
      default:
        return assertNever(order.status);
    }
  }

  function refund(request: WireFields): Answer {
    const orderNo = field(request, 'out_trade_no') ?? '';
    const refundNo = field(request, 'out_refund_no') ?? '';
    const totalFee = parseAmount(field(request, 'total_fee'));
    const refundFee = parseAmount(field(request, 'refund_fee'));
    if (!isOrderNo(orderNo) || !isOrderNo(refundNo) || totalFee === null || refundFee === null) {
      return fail('PARAM_ERROR', 'out_trade_no, out_refund_no, total_fee or refund_fee is missing or invalid');
    }
    const order = readOrder(orderNo);
    if (order === null) return fail('ORDERNOTEXIST', 'order does not exist');

    const known = ledger.findRefund(PROVIDER, refundNo);
    if (known !== null) {
      // out_refund_no is the idempotency key: answer again, refund nothing more
      if (known.orderNo !== orderNo || known.amount !== refundFee) {
        return fail('PARAM_ERROR', 'out_refund_no was already used with other parameters');
      }
      return success(refundFields(order, known.refundNo, known.providerRefundId, known.amount));
    }

    if (totalFee !== order.amount) return fail('PARAM_ERROR', 'total_fee does not match the order');
    const currency = field(request, 'refund_fee_type') ?? order.currency;
    if (currency !== order.currency) return fail('PARAM_ERROR', 'refund_fee_type does not match the order');
    if (order.status !== 'paid' && order.status !== 'partially_refunded' && order.status !== 'refunded') {
      return fail('ERROR', `order is ${order.status}; only paid orders can be refunded`);
    }
    if (order.behaviour === 'refund_refused' || nativeMemoOf(order)?.refundsRefused === true) {
      return fail('TRADE_OVERDUE', 'order is past its refund period');
    }
    const committed = ledger
      .refundsOf(PROVIDER, orderNo)
      .filter((other) => other.status !== 'failed')
      .reduce((sum, other) => sum + other.amount, 0);
    if (refundFee > order.amount - committed) return fail('PARAM_ERROR', 'refund_fee exceeds the refundable amount');

    const created = ledger.insertRefund({
      provider: PROVIDER,
      refundNo,
      orderNo,
      amount: refundFee,
      currency,
      status: 'processing',
      providerRefundId: refundId(now()),
    });
    return success(refundFields(order, created.refundNo, created.providerRefundId, created.amount));
  }

  function refundQuery(request: WireFields): Answer {
    const refundNo = field(request, 'out_refund_no') ?? '';
    if (!isOrderNo(refundNo)) return fail('PARAM_ERROR', 'out_refund_no is missing or invalid');
    const known = ledger.findRefund(PROVIDER, refundNo);
    if (known === null) return fail('REFUNDNOTEXIST', 'refund does not exist');
    // Refunds settle on the first query: PROCESSING is only ever seen by the refund call itself.
    const settled =
      known.status !== 'processing'
        ? known
        : ledger.transaction(() => {
            const order = ledger.findOrder(PROVIDER, known.orderNo);
            if (order === null) throw new Error(`refund ${refundNo} has no order`);
            const refundedAmount = order.refundedAmount + known.amount;
            ledger.updateOrder(PROVIDER, order.orderNo, {
              refundedAmount,
              status: refundedAmount >= order.amount ? 'refunded' : 'partially_refunded',
              providerState: 'REFUND',
            });
            ledger.updateRefundStatus(PROVIDER, refundNo, 'succeeded');
            return { ...known, status: 'succeeded' as const };
          });
    const order = readOrder(settled.orderNo);
    const status = settled.status === 'succeeded' ? 'SUCCESS' : settled.status === 'failed' ? 'REFUNDCLOSE' : 'PROCESSING';
    return success({
      out_trade_no: settled.orderNo,
      transaction_id: order?.providerTxnId ?? '',
      total_fee: String(order?.amount ?? 0),
      refund_count: '1',
      out_refund_no_0: settled.refundNo,
      refund_id_0: settled.providerRefundId,
      refund_fee_0: String(settled.amount),
      refund_status_0: status,
    });
  }

  /** unifiedorder, Native only: records the order and issues its code_url (nobody has paid yet). */
  function unifiedOrder(request: WireFields): Answer {
    const orderNo = field(request, 'out_trade_no') ?? '';
    const required = ['body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'notify_url', 'trade_type'] as const;
    const absent = required.filter((name) => !field(request, name));
    if (absent.length > 0) return fail('LACK_PARAMS', `missing ${absent.join(', ')}`);
    if (field(request, 'trade_type') !== 'NATIVE') return fail('INVALID_REQUEST', 'the simulator serves trade_type=NATIVE only');
    if (!field(request, 'product_id')) return fail('LACK_PARAMS', 'product_id is required when trade_type=NATIVE');
    const totalFee = parseAmount(field(request, 'total_fee'));
    const currency = field(request, 'fee_type') ?? 'CNY';
    if (!isOrderNo(orderNo) || totalFee === null || !/^[A-Z]{3}$/.test(currency)) {
      return fail('INVALID_REQUEST', 'out_trade_no, total_fee or fee_type is invalid');
    }
    // Real WeChat wants time_expire at least a minute ahead; the sandbox takes any future time so tests can shrink windows.
    const timeExpire = field(request, 'time_expire');
    const requestedExpiry = timeExpire === undefined || timeExpire === '' ? null : parseChinaTime(timeExpire);
    if (requestedExpiry === null && timeExpire) return fail('INVALID_REQUEST', 'time_expire must be yyyyMMddHHmmss');
    if (requestedExpiry !== null && requestedExpiry <= now()) return fail('INVALID_REQUEST', 'time_expire has already passed');

    const existing = readOrder(orderNo);
    if (existing !== null) return unifiedOrderAgain(existing, totalFee, currency);

    const expiresAt = Math.min(requestedExpiry ?? Number.MAX_SAFE_INTEGER, now() + CODE_URL_VALIDITY_MS);
    const notify = { url: field(request, 'notify_url') ?? '', mchId: field(request, 'mch_id') ?? '', subMchId: field(request, 'sub_mch_id') || null };
    const memo = newNativeMemo(totalFee, unusedCodeUrl(), newPrepayId(chinaTime(now())), expiresAt, notify);
    ledger.transaction(() => {
      ledger.insertOrder({
        provider: PROVIDER,
        orderNo,
        amount: totalFee,
        currency,
        status: 'unpaid',
        providerState: 'NOTPAY',
        behaviour: encodeNativeMemo(memo),
      });
      ledger.registerQrCode(PROVIDER, orderNo, memo.codeUrl);
    });
    return success(prepayFields(memo));
  }

  /** A unifiedorder naming an out_trade_no WeChat has seen: the same order again answers the same code. */
  function unifiedOrderAgain(order: SimOrder, totalFee: number, currency: string): Answer {
    const memo = nativeMemoOf(order);
    switch (order.status) {
      case 'paid':
      case 'refunded':
      case 'partially_refunded':
        return fail('ORDERPAID', 'order has already been paid');
      case 'closed':
      case 'reversed':
        return fail('ORDERCLOSED', 'order has been closed');
      case 'unpaid':
        break;
      default:
        return assertNever(order.status);
    }
    if (memo === null) return fail('OUT_TRADE_NO_USED', 'out_trade_no has already been used');
    // "On re-entry the parameters must equal the original request's."
    if (order.amount !== totalFee || order.currency !== currency) return fail('INVALID_REQUEST', 'out_trade_no was used with other parameters');
    return success(prepayFields(memo));
  }

  function prepayFields(memo: NativeOrderMemo): Record<string, string> {
    return { trade_type: memo.tradeType, prepay_id: memo.prepayId, code_url: memo.codeUrl };
  }

  function unusedCodeUrl(): string {
    for (;;) {
      const codeUrl = newCodeUrl();
      if (ledger.findQrCode(codeUrl) === null) return codeUrl;
    }
  }

  /** closeorder: an unpaid order stops being payable (its code stops working). */
  function closeOrder(request: WireFields): Answer {
    const orderNo = field(request, 'out_trade_no') ?? '';
    if (!isOrderNo(orderNo)) return fail('INVALID_REQUEST', 'out_trade_no is missing or invalid');
    const order = readOrder(orderNo);
    if (order === null) return fail('ORDERNOTEXIST', 'order does not exist');
    switch (order.status) {
      case 'paid':
      case 'refunded':
      case 'partially_refunded':
        return fail('ORDERPAID', 'order has been paid; it cannot be closed, treat it as a normal paid order');
      case 'closed':
      case 'reversed':
        return fail('ORDERCLOSED', 'order has already been closed');
      case 'unpaid':
        // Real WeChat refuses to close an order within 5 minutes of creating it; the sandbox does not, so tests stay short.
        ledger.updateOrder(PROVIDER, orderNo, { status: 'closed', providerState: 'CLOSED', confirmAt: null });
        return success();
      default:
        return assertNever(order.status);
    }
  }

  /** The sandbox wallet scanned this order's code_url: the customer approves or declines it. */
  function scan(orderNo: string, action: ScanAction): ScanResult {
    const order = readOrder(orderNo);
    if (order === null || nativeMemoOf(order) === null || order.status !== 'unpaid' || order.providerState !== 'NOTPAY') {
      return { ok: false, error: 'not_payable', message: `order is ${order === null ? 'unknown' : tradeStateOf(order)}; it can no longer be paid` };
    }
    const result = (outcome: 'paid' | 'declined' | 'awaiting_confirmation', message: string): ScanResult => ({
      ok: true,
      provider: PROVIDER,
      orderNo,
      outcome,
      message,
    });
    const failed = (message: string): ScanResult => {
      ledger.updateOrder(PROVIDER, orderNo, { status: 'closed', providerState: 'PAYERROR' });
      return result('declined', message);
    };
    if (action === 'decline') return failed('the customer declined the payment');
    const behaviour = approveBehaviour(order.amount);
    switch (behaviour) {
      case 'pay':
        notifyPaid(ledger.updateOrder(PROVIDER, orderNo, { status: 'paid', providerState: 'SUCCESS', providerTxnId: transactionId(now()) }));
        return result('paid', 'payment succeeded');
      case 'insufficient_balance':
        return failed('insufficient balance (NOTENOUGH)');
      case 'not_allowed':
        return failed('the customer may not pay (BUYER_MISMATCH)');
      case 'confirm_later':
        ledger.updateOrder(PROVIDER, orderNo, { providerState: 'USERPAYING', confirmAt: now() + confirmDelayMs });
        confirmWhenDue(orderNo, confirmDelayMs);
        return result('awaiting_confirmation', 'the customer is entering the password');
      case 'never_confirm':
        ledger.updateOrder(PROVIDER, orderNo, { providerState: 'USERPAYING' });
        return result('awaiting_confirmation', 'the customer is entering the password (and never will finish)');
      default:
        return assertNever(behaviour);
    }
  }

  const routes: ReadonlyArray<readonly [string, (request: WireFields) => Answer | Promise<Answer>]> = [
    ['/pay/micropay', micropay],
    ['/pay/unifiedorder', unifiedOrder],
    ['/pay/closeorder', closeOrder],
    ['/pay/orderquery', orderQuery],
    ['/secapi/pay/reverse', reverse],
    ['/secapi/pay/refund', refund],
    ['/pay/refundquery', refundQuery],
  ];

  return async (app) => {
    options.wallet?.register(PROVIDER, scan);
    app.addHook('onClose', async () => {
      for (const timer of confirmTimers) clearTimeout(timer);
      confirmTimers.clear();
    });
    // Encapsulated: only this plugin's routes read text/xml.
    // WeChat Pay reads the body as XML whatever the content type says (some clients send form or none).
    const asText = (_request: unknown, body: string | Buffer, done: (error: null, body: string) => void) => done(null, body.toString());
    app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, asText);
    app.addContentTypeParser('*', { parseAs: 'string' }, asText);
    for (const [path, handle] of routes) {
      app.post(path, async (request, reply) => {
        const answer = await answerEnvelope(request.body, handle, options.credentials, path.startsWith('/secapi/') ? request.raw.socket : null);
        return reply.code(200).type('text/xml; charset=utf-8').send(answer);
      });
    }
    registerDownloadBill(app, { ledger, credentials: options.credentials, now });
  };
}

/** Checks the communication layer (XML, merchant, signature), runs the handler, signs its answer. */
async function answerEnvelope(
  body: unknown,
  handle: (request: WireFields) => Answer | Promise<Answer>,
  credentials: readonly WeChatPayCredentials[],
  secapiSocket: Socket | null,
): Promise<string> {
  const refuse = (message: string): string => buildXml({ return_code: 'FAIL', return_msg: message });
  if (typeof body !== 'string') return refuse('XML format error');
  let request: WireFields;
  try {
    request = parseXml(body);
  } catch {
    return refuse('XML format error');
  }
  const ofMchId = credentials.filter((candidate) => candidate.mchId === field(request, 'mch_id'));
  if (ofMchId.length === 0) return refuse('mch_id does not exist');
  const subMchId = field(request, 'sub_mch_id') ?? '';
  const merchant = ofMchId.find((candidate) => (candidate.subMchId ?? '') === subMchId);
  if (merchant === undefined) return refuse(subMchId === '' ? 'sub_mch_id is required for this mch_id' : 'sub_mch_id is not a sub-merchant of mch_id');
  if (merchant.appId !== field(request, 'appid')) return refuse('appid and mch_id do not match');
  if ((merchant.subAppId ?? '') !== (field(request, 'sub_appid') ?? '')) return refuse('sub_appid and sub_mch_id do not match');
  const certificateProblem = secapiSocket === null ? null : clientCertificateProblem(secapiSocket, merchant.mchId);
  if (certificateProblem !== null) return refuse(certificateProblem);
  const signType = parseSignType(field(request, 'sign_type'));
  if (signType === null) return refuse('sign_type is invalid');
  if (!verifyFields(request, merchant.apiKey, signType)) return refuse('signature error');
  if (!field(request, 'nonce_str')) return refuse('nonce_str is missing');

  const answer = await handle(request);
  const envelope: Record<string, string> = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: merchant.appId,
    mch_id: merchant.mchId,
    nonce_str: randomBytes(16).toString('hex'),
    result_code: answer.result,
  };
  // Sub-merchant fields come back as sent.
  if (merchant.subMchId !== undefined) envelope['sub_mch_id'] = merchant.subMchId;
  if (merchant.subAppId !== undefined) envelope['sub_appid'] = merchant.subAppId;
  if (answer.result === 'FAIL') {
    envelope['err_code'] = answer.errCode;
    envelope['err_code_des'] = answer.message;
  }
  // Answers are signed with the request's sign_type (WeChat does the same).
  return buildXml(withSignature({ ...envelope, ...answer.fields }, merchant.apiKey, signType));
}

/**
 * secapi over TLS wants the merchant's API certificate, verified by the CA the
 * server trusts and issued to this mch_id. Plain HTTP is the sandbox's: no
 * certificate there, as test mode never had one.
 */
function clientCertificateProblem(socket: Socket, mchId: string): string | null {
  if (!(socket instanceof TLSSocket)) return null;
  const peer = socket.getPeerCertificate();
  if (peer === null || Object.keys(peer).length === 0) return 'secapi needs the merchant API certificate: no client certificate was presented';
  if (!socket.authorized) return `secapi needs the merchant API certificate: the client certificate is not trusted (${String(socket.authorizationError)})`;
  const cn = peer.subject?.CN;
  if (cn !== mchId) return `secapi needs the merchant API certificate: the client certificate belongs to ${String(cn)}, not to mch_id ${mchId}`;
  return null;
}

function refundFields(order: SimOrder, refundNo: string, providerRefundId: string, amount: number): Record<string, string> {
  return {
    out_trade_no: order.orderNo,
    transaction_id: order.providerTxnId ?? '',
    out_refund_no: refundNo,
    refund_id: providerRefundId,
    refund_fee: String(amount),
    total_fee: String(order.amount),
    cash_fee: String(order.amount),
    cash_refund_fee: String(amount),
  };
}

/** A minor-unit amount as WeChat sends it: a positive integer without leading zeros. */
function parseAmount(text: string | undefined): number | null {
  if (text === undefined || !/^[1-9]\d{0,14}$/.test(text)) return null;
  return Number(text);
}

/** out_trade_no / out_refund_no: up to 32 letters, digits, `_-|*@`. */
function isOrderNo(text: string): boolean {
  return /^[A-Za-z0-9_\-|*@]{1,32}$/.test(text);
}

function tradeStateOf(order: SimOrder): TradeState {
  switch (order.status) {
    case 'paid':
      return 'SUCCESS';
    case 'refunded':
    case 'partially_refunded':
      return 'REFUND';
    case 'reversed':
      return 'REVOKED';
    case 'closed':
      return order.providerState === 'PAYERROR' ? 'PAYERROR' : 'CLOSED';
    case 'unpaid':
      return order.providerState === 'USERPAYING' ? 'USERPAYING' : 'NOTPAY';
    default:
      return assertNever(order.status);
  }
}

/** The openid from WeChat's own documentation examples. */
const SANDBOX_OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';

function randomDigits(count: number): string {
  return Array.from({ length: count }, () => String(randomInt(10))).join('');
}

/** 28 digits like WeChat's: "4200" + date + random digits (too long for a JS number on purpose). */
function transactionId(epochMs: number): string {
  return `4200${chinaTime(epochMs).slice(0, 8)}${randomDigits(16)}`;
}

function refundId(epochMs: number): string {
  return `5030${chinaTime(epochMs).slice(0, 8)}${randomDigits(17)}`;
}
