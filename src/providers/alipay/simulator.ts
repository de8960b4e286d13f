/**
 * Alipay Open Platform simulator: the gateway's side of alipay.trade.pay,
 * .precreate, .query, .cancel, .close, .refund and .fastpay.refund.query,
 * speaking real signed form requests and signed JSON answers. Register with
 * `prefix: '/_sim/alipay'`; it serves `POST /gateway.do`. Outcomes are chosen
 * by the last two digits of total_amount in minor units (docs/providers.md,
 * "Simulator test values"); for precreated orders they apply when the
 * sandbox wallet approves the scanned code. What the simulator knows lives in
 * the SimulatorLedger and is committed before it answers.
 *
 * Precreated orders behave like Alipay's: the trade exists only once a buyer
 * scans the code, so until then query and close answer ACQ.TRADE_NOT_EXIST
 * (close still locks the code, as field reports say Alipay does). A closed or
 * expired order reports TRADE_CLOSED, scanned or not (real Alipay may keep
 * answering ACQ.TRADE_NOT_EXIST for one nobody scanned; both read as "not paid").
 */
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsync } from 'fastify';
import { fromMajorUnitString, isCurrencyCode, money, toMajorUnitString, type Money } from '../../domain/money.js';
import { testValue } from '../../simulators/test-values.js';
import type { SimOrder, SimOrderStatus, SimulatorLedger } from '../../simulators/ledger.js';
import { approveBehaviour, type SandboxWallet, type ScanAction, type ScanResult } from '../../simulators/wallet.js';
import { beijingTimestamp } from '../china-time.js';
import { encodePrecreateMemo, newPrecreateMemo, newQrCode, precreateExpiry, precreateMemoOf } from './simulator-qr.js';
import { ERROR_RESPONSE_KEY, responseKeyFor, signedResponseBody, signingString, verifyParams } from './sign.js';
import { ALIPAY_METHODS, isAlipayAuthCode, type AlipayMethod, type TradeStatus } from './transformers.js';
import { assertNever } from '../../domain/assert-never.js';
import { ALIPAY_BILL_METHOD } from './statement.js';
import { alipayBillDownloads } from './statement-simulator.js';
import type { SimulatorNotifier } from '../../simulators/notify-sender.js';
import { isAlipayNotifyAck, signNotifyParams } from './notifications.js';

export interface AlipaySimulatorOptions {
  ledger: SimulatorLedger;
  /** The merchant apps the gateway knows, with the public keys their requests are verified with. */
  apps: Array<{ appId: string; appPublicKeyPem: string }>;
  /** The simulated platform's private key: signs every answer. */
  platformPrivateKeyPem: string;
  /** How long a test-value-53 trade waits for the customer before it is paid. */
  confirmDelayMs: number;
  /** How late the answer to a test-value-56 pay comes. */
  slowResponseMs: number;
  /** The sandbox customer wallet that scans precreated codes; without it nobody can pay them. */
  wallet?: SandboxWallet;
  /** Sends the asynchronous notifications of precreated trades; without it none are sent. */
  notifier?: SimulatorNotifier;
  now?: () => number;
}

const PROVIDER = 'alipay';

/** Test-value behaviours, by the last two digits of total_amount in minor units. */
type PayBehaviour =
  | 'pay'
  | 'insufficient_balance'
  | 'auth_code_invalid'
  | 'confirm_later'
  | 'never_confirm'
  | 'system_error_paid'
  | 'slow_answer_paid'
  | 'buyer_forbidden'
  | 'merchant_not_allowed'
  | 'refund_refused'
  | 'system_error_unpaid';

function behaviourFor(amount: number): PayBehaviour {
  switch (testValue(amount)) {
    case 51:
      return 'insufficient_balance';
    case 52:
      return 'auth_code_invalid';
    case 53:
      return 'confirm_later';
    case 54:
      return 'never_confirm';
    case 55:
      return 'system_error_paid';
    case 56:
      return 'slow_answer_paid';
    case 57:
      return 'buyer_forbidden';
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

/**
 * `providerState` in the ledger: the trade_status of a live trade, null for an
 * order Alipay never created a trade for (test value 61, tombstones), and for
 * a cancelled order the `action` its cancel took.
 */
type CancelAction = 'close' | 'refund';

/** The inner object of an answer, in the order it is written. */
type Fields = Record<string, string>;

/** Alipay's gateway code for an app without permission for the method. */
const PERMISSION_REFUSED = '40006';
type Biz = Readonly<Record<string, string>>;

const success = (fields: Fields = {}): Fields => ({ code: '10000', msg: 'Success', ...fields });
const fail = (subCode: string, subMsg: string, fields: Fields = {}): Fields => ({
  code: '40004',
  msg: 'Business Failed',
  sub_code: subCode,
  sub_msg: subMsg,
  ...fields,
});
const unavailable = (subCode: string, subMsg: string, fields: Fields = {}): Fields => ({
  code: '20000',
  msg: 'Service Currently Unavailable',
  sub_code: subCode,
  sub_msg: subMsg,
  ...fields,
});
const missing = (subCode: string, subMsg: string): Fields => ({ code: '40001', msg: 'Missing Required Arguments', sub_code: subCode, sub_msg: subMsg });
const invalid = (subCode: string, subMsg: string): Fields => ({ code: '40002', msg: 'Invalid Arguments', sub_code: subCode, sub_msg: subMsg });
const badParameter = (what: string): Fields => fail('ACQ.INVALID_PARAMETER', `invalid parameter: ${what}`);

export function alipaySimulator(options: AlipaySimulatorOptions): FastifyPluginAsync {
  const { ledger, confirmDelayMs, slowResponseMs, platformPrivateKeyPem } = options;
  const now = options.now ?? Date.now;
  const billDownloads = alipayBillDownloads({ ledger, secret: platformPrivateKeyPem, now });
  /** Confirm-later customers who finish on their own: their trades are read (and so paid) when the delay is up. */
  const confirmTimers = new Set<NodeJS.Timeout>();

  /**
   * Reads an order, first letting time act on it: a waiting customer whose
   * delay has passed confirms (if that was before the code expired), and an
   * unpaid precreated order past its expiry closes.
   */
  function readOrder(orderNo: string): SimOrder | null {
    const order = ledger.findOrder(PROVIDER, orderNo);
    if (order === null || order.status !== 'unpaid') return order;
    const expiresAt = precreateMemoOf(order)?.expiresAt ?? null;
    if (order.confirmAt !== null && now() >= order.confirmAt && (expiresAt === null || order.confirmAt < expiresAt)) {
      return notifyTrade(ledger.updateOrder(PROVIDER, orderNo, { status: 'paid', providerState: 'TRADE_SUCCESS', confirmAt: null }));
    }
    if (expiresAt !== null && now() >= expiresAt) {
      const closed = ledger.updateOrder(PROVIDER, orderNo, { status: 'closed', providerState: 'TRADE_CLOSED', confirmAt: null });
      // Only a trade that exists (someone scanned the code) has a status to notify.
      return order.providerState === null ? closed : notifyTrade(closed);
    }
    return order;
  }

  /**
   * The trade_status_sync notification of a precreated trade that was paid
   * or closed, signed with the platform key, to the notify_url given at
   * precreate (Alipay does not notify WAIT_BUYER_PAY by default). Returns
   * the order, so callers can notify in passing.
   */
  function notifyTrade(order: SimOrder): SimOrder {
    const target = precreateMemoOf(order)?.notify ?? null;
    const tradeStatus = tradeStatusOf(order);
    if (target === null || options.notifier === undefined || order.providerTxnId === null) return order;
    if (tradeStatus !== 'TRADE_SUCCESS' && tradeStatus !== 'TRADE_CLOSED') return order;
    const at = beijingTimestamp(now());
    const total = amountFields(order);
    const params: Record<string, string> = {
      notify_time: at,
      notify_type: 'trade_status_sync',
      notify_id: notifyId(now()),
      app_id: target.appId,
      auth_app_id: target.appId,
      charset: 'utf-8',
      version: '1.0',
      trade_no: order.providerTxnId,
      out_trade_no: order.orderNo,
      trade_status: tradeStatus,
      ...total,
      buyer_id: SANDBOX_BUYER_USER_ID,
      buyer_logon_id: SANDBOX_BUYER_LOGON_ID,
      seller_id: SANDBOX_SELLER_ID,
    };
    const amount = total['total_amount'] ?? '0';
    if (tradeStatus === 'TRADE_SUCCESS') {
      Object.assign(params, {
        receipt_amount: amount,
        buyer_pay_amount: amount,
        invoice_amount: amount,
        point_amount: '0.00',
        gmt_payment: at,
        fund_bill_list: JSON.stringify([{ amount, fundChannel: 'ALIPAYACCOUNT' }]),
      });
    } else {
      params['gmt_close'] = at;
    }
    options.notifier.send({
      provider: PROVIDER,
      orderNo: order.orderNo,
      url: target.url,
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      body: new URLSearchParams(signNotifyParams(params, platformPrivateKeyPem)).toString(),
      acknowledged: isAlipayNotifyAck,
    });
    return order;
  }

  /** Reads the trade once its customer's confirmation is due, so it is paid (and notified) without anyone querying. */
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

  function tradeFields(order: SimOrder): Fields {
    const tradeNoField: Fields = order.providerTxnId === null ? {} : { trade_no: order.providerTxnId };
    return { ...tradeNoField, out_trade_no: order.orderNo, buyer_logon_id: SANDBOX_BUYER_LOGON_ID };
  }

  function amountFields(order: SimOrder): Fields {
    if (!isCurrencyCode(order.currency)) return {};
    const fields: Fields = { total_amount: toMajorUnitString(money(order.amount, order.currency)) };
    if (order.currency !== 'CNY') fields['trans_currency'] = order.currency;
    return fields;
  }

  async function pay(biz: Biz): Promise<Fields> {
    const orderNo = biz['out_trade_no'] ?? '';
    const currency = biz['trans_currency'] ?? 'CNY'; // total_amount is in trans_currency, CNY by default
    const amount = parseAmount(biz['total_amount'], currency);
    if (!isOrderNo(orderNo)) return badParameter('out_trade_no');
    if (amount === null || amount.amount === 0) return badParameter('total_amount or trans_currency');
    if (biz['scene'] !== 'bar_code' && biz['scene'] !== 'wave_code') return badParameter('scene');
    if (!biz['subject'] || Array.from(biz['subject']).length > 256) return badParameter('subject');
    if (biz['settle_currency'] !== undefined && !isCurrencyCode(biz['settle_currency'])) return badParameter('settle_currency');
    const echo: Fields = { out_trade_no: orderNo };
    if (!isAlipayAuthCode(biz['auth_code'] ?? '')) return fail('ACQ.PAYMENT_AUTH_CODE_INVALID', 'payment code is invalid or expired', echo);

    const existing = readOrder(orderNo);
    if (existing !== null && precreateMemoOf(existing) !== null) {
      return fail('ACQ.CONTEXT_INCONSISTENT', 'out_trade_no belongs to a precreated (QR) trade', echo);
    }
    if (existing !== null) return payAgain(existing, amount);

    const behaviour = behaviourFor(amount.amount);
    const record = (status: SimOrderStatus, providerState: TradeStatus | null, confirmAt: number | null = null): SimOrder =>
      ledger.insertOrder({
        provider: PROVIDER,
        orderNo,
        amount: amount.amount,
        currency: amount.currency,
        status,
        providerState,
        behaviour,
        confirmAt,
        providerTxnId: providerState === null ? null : tradeNo(now()),
      });
    const paid = (order: SimOrder): Fields => success({ ...tradeFields(order), ...paymentFields(order), ...currencyEcho(biz) });
    switch (behaviour) {
      case 'pay':
      case 'refund_refused':
        return paid(record('paid', 'TRADE_SUCCESS'));
      case 'insufficient_balance':
        record('closed', 'TRADE_CLOSED');
        return fail('ACQ.BUYER_BALANCE_NOT_ENOUGH', 'the buyer balance is not enough', echo);
      case 'auth_code_invalid':
        return fail('ACQ.PAYMENT_AUTH_CODE_INVALID', 'payment code is invalid or expired', echo);
      case 'confirm_later':
        return waiting(record('unpaid', 'WAIT_BUYER_PAY', now() + confirmDelayMs));
      case 'never_confirm':
        return waiting(record('unpaid', 'WAIT_BUYER_PAY'));
      case 'system_error_paid':
        record('paid', 'TRADE_SUCCESS');
        return unavailable('ACQ.SYSTEM_ERROR', 'system error, please query the trade', echo);
      case 'slow_answer_paid': {
        const order = record('paid', 'TRADE_SUCCESS'); // committed before the (late) answer
        await sleep(slowResponseMs);
        return paid(order);
      }
      case 'buyer_forbidden':
        return fail('ACQ.BUYER_ENABLE_STATUS_FORBID', 'the buyer account may not pay', echo);
      case 'merchant_not_allowed':
        return {
          code: PERMISSION_REFUSED,
          msg: 'Insufficient Permissions',
          sub_code: 'isv.insufficient-isv-permissions',
          sub_msg: 'the app has no permission for this payment',
        };
      case 'system_error_unpaid':
        record('unpaid', null); // no trade was created: queries say ACQ.TRADE_NOT_EXIST
        return unavailable('ACQ.SYSTEM_ERROR', 'system error, please query the trade', echo);
      default:
        return assertNever(behaviour);
    }
  }

  /** A pay call naming an out_trade_no Alipay has seen before. */
  function payAgain(order: SimOrder, amount: Money): Fields {
    const echo: Fields = { out_trade_no: order.orderNo };
    switch (order.status) {
      case 'closed':
      case 'reversed':
      case 'refunded': // refunded in full: the trade is TRADE_CLOSED
        return fail('ACQ.TRADE_HAS_CLOSE', 'the trade has been closed', echo);
      case 'paid':
      case 'partially_refunded':
      case 'unpaid':
        break;
      default:
        return assertNever(order.status);
    }
    if (order.amount !== amount.amount || order.currency !== amount.currency) {
      return fail('ACQ.CONTEXT_INCONSISTENT', 'out_trade_no was used with other trade details', echo);
    }
    if (order.status !== 'unpaid') return fail('ACQ.TRADE_HAS_SUCCESS', 'the trade has already been paid', echo);
    if (order.providerState === null) return unavailable('ACQ.SYSTEM_ERROR', 'system error, please query the trade', echo);
    return waiting(order);
  }

  function waiting(order: SimOrder): Fields {
    return { code: '10003', msg: 'order success pay inprocess', ...tradeFields(order), ...amountFields(order) };
  }

  function paymentFields(order: SimOrder): Fields {
    const total = amountFields(order)['total_amount'] ?? '0';
    return {
      total_amount: total,
      receipt_amount: total,
      buyer_pay_amount: total,
      gmt_payment: beijingTimestamp(now()),
      buyer_user_id: SANDBOX_BUYER_USER_ID,
    };
  }

  function query(biz: Biz): Fields {
    const orderNo = biz['out_trade_no'] ?? '';
    if (!isOrderNo(orderNo)) return badParameter('out_trade_no');
    const order = readOrder(orderNo);
    const tradeStatus = order === null ? null : tradeStatusOf(order);
    if (order === null || tradeStatus === null) return fail('ACQ.TRADE_NOT_EXIST', 'the trade does not exist', { out_trade_no: orderNo });
    return success({ ...tradeFields(order), trade_status: tradeStatus, ...amountFields(order) });
  }

  function cancel(biz: Biz): Fields {
    const orderNo = biz['out_trade_no'] ?? '';
    if (!isOrderNo(orderNo)) return { ...badParameter('out_trade_no'), retry_flag: 'N' };
    const order = readOrder(orderNo);
    const cancelled = (action: CancelAction | null, from: SimOrder | null): Fields => {
      const fields: Fields = { ...(from === null ? { out_trade_no: orderNo } : tradeFields(from)), retry_flag: 'N' };
      if (action !== null) fields['action'] = action;
      return success(fields);
    };
    if (order === null) {
      // Tombstone: a pay that arrives after its own cancel must not charge the customer.
      ledger.insertOrder({ provider: PROVIDER, orderNo, amount: 0, currency: '', status: 'reversed', providerState: null });
      return cancelled(null, null);
    }
    switch (order.status) {
      case 'paid': // money goes back in full
        return cancelled('refund', ledger.updateOrder(PROVIDER, orderNo, { status: 'reversed', providerState: 'refund' }));
      case 'unpaid':
        return cancelled('close', ledger.updateOrder(PROVIDER, orderNo, { status: 'reversed', providerState: 'close', confirmAt: null }));
      case 'reversed': // cancel is idempotent: the same answer again
        return cancelled(order.providerState === 'refund' || order.providerState === 'close' ? order.providerState : null, order);
      case 'closed':
        return cancelled('close', order);
      case 'refunded':
      case 'partially_refunded':
        return fail('ACQ.TRADE_STATUS_ERROR', 'the trade has refunds and can no longer be cancelled', { out_trade_no: orderNo, retry_flag: 'N' });
      default:
        return assertNever(order.status);
    }
  }

  function refund(biz: Biz): Fields {
    const orderNo = biz['out_trade_no'] ?? '';
    const refundNo = biz['out_request_no'] ?? orderNo; // absent: the refund of the whole trade
    if (!isOrderNo(orderNo) || !isOrderNo(refundNo)) return badParameter('out_trade_no or out_request_no');
    const order = readOrder(orderNo);
    if (order === null) return fail('ACQ.TRADE_NOT_EXIST', 'the trade does not exist', { out_trade_no: orderNo });
    const refundCurrency = biz['refund_currency'] ?? order.currency;
    if (refundCurrency !== order.currency) return badParameter('refund_currency');
    const amount = parseAmount(biz['refund_amount'], order.currency);
    if (amount === null) return badParameter('refund_amount');
    if (amount.amount === 0) return fail('ACQ.REASON_TRADE_REFUND_FEE_ERR', 'the refund amount is invalid', { out_trade_no: orderNo });

    const refunded = (current: SimOrder, fundChange: 'Y' | 'N'): Fields => {
      const fields: Fields = {
        ...tradeFields(current),
        fund_change: fundChange,
        refund_fee: major(current.refundedAmount, current.currency),
        gmt_refund_pay: beijingTimestamp(now()),
      };
      if (current.currency !== 'CNY') fields['refund_currency'] = current.currency;
      return success(fields);
    };
    const known = ledger.findRefund(PROVIDER, refundNo);
    if (known !== null) {
      // out_request_no is the idempotency key: answer again, move no money (fund_change N)
      if (known.orderNo !== orderNo || known.amount !== amount.amount) {
        return fail('ACQ.DISCORDANT_REPEAT_REQUEST', 'out_request_no was used with other refund details', { out_trade_no: orderNo });
      }
      return refunded(order, 'N');
    }
    if (order.behaviour === 'refund_refused' || precreateMemoOf(order)?.refundsRefused === true)
      return fail('ACQ.TRADE_NOT_ALLOW_REFUND', 'the trade does not allow refunds', { out_trade_no: orderNo });
    switch (order.status) {
      case 'paid':
      case 'partially_refunded':
      case 'refunded': // nothing left: the amount check refuses it
        break;
      case 'closed':
      case 'reversed':
        return fail('ACQ.TRADE_HAS_CLOSE', 'the trade has been closed', { out_trade_no: orderNo });
      case 'unpaid':
        return fail('ACQ.TRADE_STATUS_ERROR', 'the trade has not been paid', { out_trade_no: orderNo });
      default:
        return assertNever(order.status);
    }
    if (amount.amount > order.amount - order.refundedAmount) {
      return fail('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', 'the refund amount exceeds what is left to refund', { out_trade_no: orderNo });
    }
    // Synchronous refunds: the money moves before the answer (fund_change Y).
    const updated = ledger.transaction(() => {
      ledger.insertRefund({
        provider: PROVIDER,
        refundNo,
        orderNo,
        amount: amount.amount,
        currency: order.currency,
        status: 'succeeded',
        providerRefundId: tradeNo(now()),
      });
      const refundedAmount = order.refundedAmount + amount.amount;
      return ledger.updateOrder(PROVIDER, orderNo, { refundedAmount, status: refundedAmount >= order.amount ? 'refunded' : 'partially_refunded' });
    });
    return refunded(updated, 'Y');
  }

  function refundQuery(biz: Biz): Fields {
    const orderNo = biz['out_trade_no'] ?? '';
    const refundNo = biz['out_request_no'] ?? orderNo;
    if (!isOrderNo(orderNo) || !isOrderNo(refundNo)) return badParameter('out_trade_no or out_request_no');
    const order = readOrder(orderNo);
    if (order === null) return fail('ACQ.TRADE_NOT_EXIST', 'the trade does not exist', { out_trade_no: orderNo });
    const known = ledger.findRefund(PROVIDER, refundNo);
    // No refund data in a 10000 answer: Alipay never received (or refused) this refund.
    if (known === null || known.orderNo !== orderNo || known.status !== 'succeeded') return success();
    return success({
      ...tradeFields(order),
      out_request_no: known.refundNo,
      total_amount: major(order.amount, order.currency),
      refund_amount: major(known.amount, known.currency),
      refund_status: 'REFUND_SUCCESS',
    });
  }

  /** alipay.trade.precreate: records the order and issues its qr_code. No trade exists until a buyer scans it. */
  function precreate(biz: Biz, common: ReadonlyMap<string, string>): Fields {
    const orderNo = biz['out_trade_no'] ?? '';
    const currency = biz['trans_currency'] ?? 'CNY'; // total_amount is in trans_currency, CNY by default
    const amount = parseAmount(biz['total_amount'], currency);
    if (!isOrderNo(orderNo)) return badParameter('out_trade_no');
    if (amount === null || amount.amount === 0) return badParameter('total_amount or trans_currency');
    if (!biz['subject'] || Array.from(biz['subject']).length > 256) return badParameter('subject');
    if (biz['settle_currency'] !== undefined && !isCurrencyCode(biz['settle_currency'])) return badParameter('settle_currency');
    const expiresAt = precreateExpiry(biz['time_expire'], biz['timeout_express'], now());
    if (expiresAt === null) return badParameter('time_expire or timeout_express');

    const existing = readOrder(orderNo);
    if (existing !== null) return precreateAgain(existing, amount);
    const notifyUrl = common.get('notify_url') ?? '';
    const notify = notifyUrl === '' ? null : { url: notifyUrl, appId: common.get('app_id') ?? '' };
    const memo = newPrecreateMemo(amount.amount, unusedQrCode(), expiresAt, notify);
    ledger.transaction(() => {
      ledger.insertOrder({
        provider: PROVIDER,
        orderNo,
        amount: amount.amount,
        currency: amount.currency,
        status: 'unpaid',
        providerState: null,
        behaviour: encodePrecreateMemo(memo),
      });
      ledger.registerQrCode(PROVIDER, orderNo, memo.qrCode);
    });
    return success({ out_trade_no: orderNo, qr_code: memo.qrCode });
  }

  /** A precreate naming an out_trade_no Alipay has seen: the same unpaid order again answers the same code. */
  function precreateAgain(order: SimOrder, amount: Money): Fields {
    const echo: Fields = { out_trade_no: order.orderNo };
    switch (order.status) {
      case 'paid':
      case 'partially_refunded':
        return fail('ACQ.TRADE_HAS_SUCCESS', 'the trade has already been paid', echo);
      case 'closed':
      case 'reversed':
      case 'refunded':
        return fail('ACQ.TRADE_HAS_CLOSE', 'the trade has been closed', echo);
      case 'unpaid':
        break;
      default:
        return assertNever(order.status);
    }
    const memo = precreateMemoOf(order);
    if (memo === null || order.amount !== amount.amount || order.currency !== amount.currency) {
      return fail('ACQ.CONTEXT_INCONSISTENT', 'out_trade_no was used with other trade details', echo);
    }
    return success({ out_trade_no: order.orderNo, qr_code: memo.qrCode });
  }

  function unusedQrCode(): string {
    for (;;) {
      const qrCode = newQrCode();
      if (ledger.findQrCode(qrCode) === null) return qrCode;
    }
  }

  /** alipay.trade.close: only a trade waiting for the buyer can be closed. */
  function close(biz: Biz): Fields {
    const orderNo = biz['out_trade_no'] ?? '';
    if (!isOrderNo(orderNo)) return badParameter('out_trade_no');
    const order = readOrder(orderNo);
    const notExist = fail('ACQ.TRADE_NOT_EXIST', 'the trade does not exist', { out_trade_no: orderNo });
    if (order === null) return notExist;
    switch (order.status) {
      case 'unpaid':
        if (order.providerState === null) {
          // Nobody scanned it, so there is no trade to close; the code stops working all the same.
          if (precreateMemoOf(order) !== null) ledger.updateOrder(PROVIDER, orderNo, { status: 'closed', providerState: 'TRADE_CLOSED' });
          return notExist;
        }
        return success(tradeFields(notifyTrade(ledger.updateOrder(PROVIDER, orderNo, { status: 'closed', providerState: 'TRADE_CLOSED', confirmAt: null }))));
      case 'paid':
      case 'partially_refunded':
      case 'refunded':
      case 'closed':
      case 'reversed':
        return fail('ACQ.TRADE_STATUS_ERROR', 'only a trade waiting for the buyer can be closed', { out_trade_no: orderNo });
      default:
        return assertNever(order.status);
    }
  }

  /** The sandbox wallet scanned this order's qr_code: the trade is created, and the customer approves or declines it. */
  function scan(orderNo: string, action: ScanAction): ScanResult {
    const order = readOrder(orderNo);
    if (order === null || precreateMemoOf(order) === null || order.status !== 'unpaid' || order.providerState !== null) {
      const state = order === null ? 'unknown' : (tradeStatusOf(order) ?? 'not scanned');
      return { ok: false, error: 'not_payable', message: `the trade is ${state}; it can no longer be paid` };
    }
    const providerTxnId = tradeNo(now()); // the trade comes into being with the scan
    const result = (outcome: 'paid' | 'declined' | 'awaiting_confirmation', message: string): ScanResult => ({
      ok: true,
      provider: PROVIDER,
      orderNo,
      outcome,
      message,
    });
    const failed = (message: string): ScanResult => {
      notifyTrade(ledger.updateOrder(PROVIDER, orderNo, { status: 'closed', providerState: 'TRADE_CLOSED', providerTxnId }));
      return result('declined', message);
    };
    if (action === 'decline') return failed('the customer declined the payment');
    const behaviour = approveBehaviour(order.amount);
    switch (behaviour) {
      case 'pay':
        notifyTrade(ledger.updateOrder(PROVIDER, orderNo, { status: 'paid', providerState: 'TRADE_SUCCESS', providerTxnId }));
        return result('paid', 'payment succeeded');
      case 'insufficient_balance':
        return failed('the buyer balance is not enough (ACQ.BUYER_BALANCE_NOT_ENOUGH)');
      case 'not_allowed':
        return failed('the buyer account may not pay (ACQ.BUYER_ENABLE_STATUS_FORBID)');
      case 'confirm_later':
        ledger.updateOrder(PROVIDER, orderNo, { providerState: 'WAIT_BUYER_PAY', providerTxnId, confirmAt: now() + confirmDelayMs });
        confirmWhenDue(orderNo, confirmDelayMs);
        return result('awaiting_confirmation', 'the customer is confirming the payment');
      case 'never_confirm':
        ledger.updateOrder(PROVIDER, orderNo, { providerState: 'WAIT_BUYER_PAY', providerTxnId });
        return result('awaiting_confirmation', 'the customer is confirming the payment (and never will finish)');
      default:
        return assertNever(behaviour);
    }
  }

  /** Handlers get the business fields, and the common parameters (notify_url, app_id) for those that need them. */
  const handlers: Record<AlipayMethod, (biz: Biz, common: ReadonlyMap<string, string>) => Fields | Promise<Fields>> = {
    [ALIPAY_METHODS.pay]: pay,
    [ALIPAY_METHODS.query]: query,
    [ALIPAY_METHODS.cancel]: cancel,
    [ALIPAY_METHODS.refund]: refund,
    [ALIPAY_METHODS.refundQuery]: refundQuery,
    [ALIPAY_METHODS.precreate]: precreate,
    [ALIPAY_METHODS.close]: close,
  };

  /**
   * The gateway layer (method, app, common params, signature), then the
   * method's handler. Like Alipay, the gateway answers its own refusals (and a
   * permission refusal, 40006) unsigned, in `error_response`: it cannot sign
   * for an app it does not know. A signature that does not verify, and
   * business answers, are signed.
   */
  async function answer(params: ReadonlyMap<string, string> | null, baseUrl: string): Promise<{ key: string; fields: Fields; signed: boolean }> {
    const refused = (fields: Fields): { key: string; fields: Fields; signed: boolean } => ({ key: ERROR_RESPONSE_KEY, fields, signed: false });
    if (params === null) return refused(invalid('isv.invalid-parameter', 'a parameter was sent twice'));
    const method = params.get('method');
    if (method === undefined || method === '') return refused(missing('isv.missing-method', 'method is missing'));
    const handler = isMethod(method) ? handlers[method] : method === ALIPAY_BILL_METHOD ? (biz: Biz) => billDownloads.answer(biz, baseUrl) : undefined;
    if (handler === undefined) return refused(invalid('isv.invalid-method', `no such method: ${method}`));
    const key = responseKeyFor(method);
    const refusal = checkCommonParams(params, options.apps);
    // A signature that fails comes back signed under the method's key, as in the answer alipay-sdk's source quotes.
    if (refusal !== null) return refusal['sub_code'] === 'isv.invalid-signature' ? { key, fields: refusal, signed: true } : refused(refusal);
    let biz: Biz | null;
    try {
      biz = bizFields(JSON.parse(params.get('biz_content') ?? '{}'));
    } catch {
      biz = null;
    }
    if (biz === null) return { key, fields: badParameter('biz_content is not a JSON object'), signed: true };
    const fields = await handler(biz, params);
    return fields['code'] === PERMISSION_REFUSED ? refused(fields) : { key, fields, signed: true };
  }

  return async (app) => {
    options.wallet?.register(PROVIDER, scan);
    app.addHook('onClose', async () => {
      for (const timer of confirmTimers) clearTimeout(timer);
      confirmTimers.clear();
    });
    // Encapsulated: only this plugin's routes read form bodies.
    // The simulator reads raw form bodies: replace any parser the host server set for forms.
    if (app.hasContentTypeParser('application/x-www-form-urlencoded')) app.removeContentTypeParser('application/x-www-form-urlencoded');
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, body);
    });
    billDownloads.register(app);
    app.post('/gateway.do', async (request, reply) => {
      // The bill URL points back at this mount, as the caller reached it.
      const { key, fields, signed } = await answer(receivedParams(request.url, request.body), `${request.protocol}://${request.host}${app.prefix}`);
      // Signed over the very text written, as Alipay does; gateway refusals are not signed at all.
      const body = signed ? signedResponseBody(key, JSON.stringify(fields), platformPrivateKeyPem) : `{${JSON.stringify(key)}:${JSON.stringify(fields)}}`;
      return reply.code(200).type('application/json;charset=utf-8').send(body);
    });
  };
}

/**
 * Request parameters from the query string and the form body together (SDKs
 * put the common parameters in the URL). Null when a name appears twice.
 */
function receivedParams(url: string, body: unknown): ReadonlyMap<string, string> | null {
  const queryAt = url.indexOf('?');
  const sources = [queryAt < 0 ? '' : url.slice(queryAt + 1), typeof body === 'string' ? body : ''];
  const params = new Map<string, string>();
  for (const source of sources) {
    for (const [name, value] of new URLSearchParams(source)) {
      if (params.has(name)) return null;
      params.set(name, value);
    }
  }
  return params;
}

/** The common parameters and the signature; null when they are acceptable. */
function checkCommonParams(params: ReadonlyMap<string, string>, apps: AlipaySimulatorOptions['apps']): Fields | null {
  const appId = params.get('app_id');
  if (!appId) return missing('isv.missing-app-id', 'app_id is missing');
  const app = apps.find((candidate) => candidate.appId === appId);
  if (app === undefined) return invalid('isv.invalid-app-id', 'app_id does not exist');
  const signType = params.get('sign_type');
  if (!signType) return missing('isv.missing-signature-type', 'sign_type is missing');
  if (signType !== 'RSA2') return invalid('isv.invalid-signature-type', 'only RSA2 is supported');
  if (!params.get('sign')) return missing('isv.missing-signature', 'sign is missing');
  const timestamp = params.get('timestamp');
  if (!timestamp) return missing('isv.missing-timestamp', 'timestamp is missing');
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(timestamp)) return invalid('isv.invalid-timestamp', 'timestamp must be yyyy-MM-dd HH:mm:ss');
  if (params.get('version') !== '1.0') return invalid('isv.invalid-version', 'version must be 1.0');
  const charset = params.get('charset');
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') return invalid('isv.invalid-charset', 'charset must be utf-8');
  const format = params.get('format');
  if (format !== undefined && format.toUpperCase() !== 'JSON') return invalid('isv.invalid-format', 'format must be JSON');
  const signed = Object.fromEntries(params);
  if (!verifyParams(signed, app.appPublicKeyPem)) {
    // Alipay's own wording shows the string it verified; tests check the adapter keeps it out of traces.
    return invalid('isv.invalid-signature', `signature check failed; the gateway verified the string: ${signingString(signed)}`);
  }
  return null;
}

function isMethod(method: string): method is AlipayMethod {
  return Object.values(ALIPAY_METHODS).some((known) => known === method);
}

/** biz_content's scalar members as strings (some clients send amounts as JSON numbers). */
function bizFields(value: unknown): Biz | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const fields: Record<string, string> = {};
  for (const [name, member] of Object.entries(value)) {
    if (typeof member === 'string') fields[name] = member;
    else if (typeof member === 'number' && Number.isFinite(member)) fields[name] = String(member);
  }
  return fields;
}

/** A decimal amount in major units of `currency` (never floating point), or null. */
function parseAmount(text: string | undefined, currency: string): Money | null {
  if (text === undefined || !isCurrencyCode(currency)) return null;
  try {
    return fromMajorUnitString(text, currency);
  } catch {
    return null;
  }
}

function major(amount: number, currency: string): string {
  return isCurrencyCode(currency) ? toMajorUnitString(money(amount, currency)) : String(amount);
}

/** out_trade_no / out_request_no: up to 64 letters, digits and underscores. */
function isOrderNo(text: string): boolean {
  return /^[A-Za-z0-9_]{1,64}$/.test(text);
}

/** The trade_status a query shows; null when Alipay has no trade for the order. */
function tradeStatusOf(order: SimOrder): TradeStatus | null {
  switch (order.status) {
    case 'paid':
    case 'partially_refunded':
      return 'TRADE_SUCCESS';
    case 'refunded': // refunded in full: Alipay closes the trade
    case 'reversed':
    case 'closed':
      return 'TRADE_CLOSED';
    case 'unpaid':
      return order.providerState === null ? null : 'WAIT_BUYER_PAY';
    default:
      return assertNever(order.status);
  }
}

function currencyEcho(biz: Biz): Fields {
  const fields: Fields = {};
  if (biz['trans_currency'] !== undefined) fields['trans_currency'] = biz['trans_currency'];
  if (biz['settle_currency'] !== undefined) fields['settle_currency'] = biz['settle_currency'];
  return fields;
}

/** Buyer identities from Alipay's documentation examples. */
const SANDBOX_BUYER_LOGON_ID = '159****5620';
const SANDBOX_BUYER_USER_ID = '2088202954065786';
/** The sandbox seller's partner id (any 2088… id: the simulator has one seller). */
const SANDBOX_SELLER_ID = '2088102119685838';

/** Like Alipay's notify_id: date, "00222", random digits (34 in all). */
function notifyId(epochMs: number): string {
  const date = beijingTimestamp(epochMs).slice(0, 10).replace(/-/g, '');
  return `${date}00222${Array.from({ length: 21 }, () => String(randomInt(10))).join('')}`;
}

/** 28 digits like Alipay's: date + "22" + random digits (too long for a JS number on purpose). */
function tradeNo(epochMs: number): string {
  const date = beijingTimestamp(epochMs).slice(0, 10).replace(/-/g, '');
  return `${date}22${Array.from({ length: 18 }, () => String(randomInt(10))).join('')}`;
}
