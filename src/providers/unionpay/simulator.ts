/**
 * UnionPay online payments simulator (acp 5.1.0 gateway payment), playing
 * the gateway's side. Register with `prefix: '/_sim/unionpay'`; it serves:
 *
 * - `POST /gateway/api/frontTransReq.do`: the shopper's browser posts the
 *   merchant's signed front consume form; the answer is a payment page with
 *   Pay / Decline buttons (or an error page: bad signature, bad fields).
 * - `GET /gateway/api/frontTransReq.do?merId&orderId&txnTime`: the order's
 *   code URL (the adapter's qrCode) shows the same page once the form was posted.
 * - `POST /gateway/api/sandboxDecision.do`: the buttons. Records the result,
 *   posts the signed back notification to backUrl on success (fire and
 *   forget, like UnionPay, which notifies successful transactions only), and
 *   redirects the browser (303) to frontUrl with the signed front
 *   notification fields in the query string (UnionPay auto-posts them as a
 *   form; a query string keeps the simulator script-free).
 * - `POST /gateway/api/queryTrans.do`, `POST /gateway/api/backTransReq.do`
 *   (refund, txnType 04): signed raw `k=v&k=v` answers.
 *
 * The order exists at UnionPay only once the form is posted; until the
 * shopper decides, queries answer 34 (no such transaction), as the real
 * gateway does for an unpaid gateway order. Test values (docs/providers.md) apply
 * to "Pay" through `approveBehaviour`: 51 → declined (64 insufficient
 * balance), 53 → processing then paid after confirmDelayMs, 54 → processing
 * until payTimeout then failed, 57 → declined (63 card state); 58 → the form
 * is refused (32 no permission); 59 → every refund refused (35). 52, 55, 56
 * and 61 concern synchronous pay calls, which a front consume does not have.
 * State lives in the SimulatorLedger, committed before answering.
 */
import { randomInt } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isCurrencyCode, money, toMajorUnitString } from '../../domain/money.js';
import { testValue } from '../../simulators/test-values.js';
import type { SimOrder, SimulatorLedger } from '../../simulators/ledger.js';
import { approveBehaviour, type SandboxWallet, type ScanAction, type ScanResult } from '../../simulators/wallet.js';
import { chinaTime, parseChinaTime } from '../china-time.js';
import { errorPageHtml, paymentPageHtml } from './page.js';
import { formatAnswer, parseForm, signFields, verifyFields, type UnionPayFields } from './sign.js';
import { fileTransferAnswer } from './statement-simulator.js';
import {
  BIZ_TYPE_GATEWAY,
  currencyFromNumeric,
  isUnionPayOrderId,
  numericCurrencyCode,
  orderCodeUrl,
  parseTxnAmt,
  TXN_TYPES,
  UNIONPAY_ENCODING,
  UNIONPAY_PATHS,
  UNIONPAY_SIGN_METHOD,
  UNIONPAY_VERSION,
} from './transformers.js';
import { assertNever } from '../../domain/assert-never.js';

export interface UnionPaySimulatorOptions {
  ledger: SimulatorLedger;
  /** When given, the sandbox wallet can pay posted orders by their code URL. */
  wallet?: SandboxWallet;
  /** The merchants the gateway knows, with the public keys their requests are verified with. */
  merchants: Array<{ merId: string; publicKeyPem: string }>;
  /** The simulated UnionPay signing key: signs answers and notifications. */
  providerPrivateKeyPem: string;
  /**
   * A certificate of that key (PEM): sent as `signPubKeyCert` in every answer
   * and notification, as the live gateway does, so CanCan's live mode can
   * check it up to its configured root. Absent: no signPubKeyCert.
   */
  providerSigningCertPem?: string;
  /** How long a test-value-53 payment stays processing before it is paid. */
  confirmDelayMs: number;
  now?: () => number;
}

const PROVIDER = 'unionpay';
const DECISION_PATH = '/gateway/api/sandboxDecision.do';
/** Ledger code under which a consume's queryId is found again (refunds name the consume by it). */
const queryIdKey = (queryId: string): string => `unionpay:queryId:${queryId}`;

/** What the simulator keeps per consume, in the ledger's opaque providerState. */
interface ConsumeState {
  readonly merId: string;
  readonly txnTime: string;
  readonly payTimeoutAt: number | null;
  readonly frontUrl: string;
  readonly backUrl: string;
  readonly channelType: string;
  /** null while the shopper has not decided (queries say 34); then the consume's result code. */
  readonly origRespCode: string | null;
  readonly origRespMsg: string;
  /** refund orderId → its txnTime (queries name refunds by both). */
  readonly refundTxnTimes: Readonly<Record<string, string>>;
}

type Fields = Record<string, string>;
interface Refusal {
  readonly respCode: string;
  readonly respMsg: string;
}

const PAID_MSG = 'Success!';

export function unionPaySimulator(options: UnionPaySimulatorOptions): FastifyPluginAsync {
  const { ledger, confirmDelayMs, providerPrivateKeyPem } = options;
  const now = options.now ?? Date.now;
  const signPubKeyCert = options.providerSigningCertPem;
  const sign = (fields: Fields): Fields => signFields(signPubKeyCert === undefined ? fields : { ...fields, signPubKeyCert }, providerPrivateKeyPem);

  // ------------------------------------------------------------ state

  function stateOf(order: SimOrder): ConsumeState {
    return JSON.parse(order.providerState ?? 'null') as ConsumeState;
  }

  function save(orderNo: string, state: ConsumeState, changes: Parameters<SimulatorLedger['updateOrder']>[2] = {}): SimOrder {
    return ledger.updateOrder(PROVIDER, orderNo, { ...changes, providerState: JSON.stringify(state) });
  }

  /** Reads a consume, first settling a processing payment whose time has come (and notifying it). */
  function readOrder(orderNo: string): SimOrder | null {
    const order = ledger.findOrder(PROVIDER, orderNo);
    if (order === null || order.status !== 'unpaid') return order;
    const state = stateOf(order);
    if (state.origRespCode !== '05') return order;
    if (order.confirmAt !== null && now() >= order.confirmAt) {
      const paid = save(orderNo, { ...state, origRespCode: '00', origRespMsg: PAID_MSG }, { status: 'paid', confirmAt: null });
      notify(paid);
      return paid;
    }
    if (order.confirmAt === null && state.payTimeoutAt !== null && now() > state.payTimeoutAt) {
      return save(
        orderNo,
        { ...state, origRespCode: '01', origRespMsg: 'the cardholder did not complete the payment before payTimeout' },
        { status: 'closed' },
      );
    }
    return order;
  }

  // ------------------------------------------------------------ messages

  /** The fields UnionPay reports about a consume (answers, notifications). */
  function consumeFields(order: SimOrder, state: ConsumeState): Fields {
    const fields: Fields = {
      version: UNIONPAY_VERSION,
      encoding: UNIONPAY_ENCODING,
      signMethod: UNIONPAY_SIGN_METHOD,
      txnType: TXN_TYPES.consume,
      txnSubType: '01',
      bizType: BIZ_TYPE_GATEWAY,
      accessType: '0',
      channelType: state.channelType,
      merId: state.merId,
      orderId: order.orderNo,
      txnTime: state.txnTime,
      txnAmt: String(order.amount),
      currencyCode: isCurrencyCode(order.currency) ? numericCurrencyCode(order.currency) : '',
    };
    if (order.providerTxnId !== null) {
      fields['queryId'] = order.providerTxnId;
      fields['traceNo'] = order.providerTxnId.slice(-6);
      fields['traceTime'] = state.txnTime.slice(4);
    }
    if (state.origRespCode === '00') {
      fields['settleAmt'] = String(order.amount);
      fields['settleCurrencyCode'] = fields['currencyCode'] ?? '';
      fields['settleDate'] = chinaTime(now()).slice(4, 8);
    }
    return fields;
  }

  /** A consume as notifications report it: UnionPay's published notification examples carry no channelType. */
  function notificationFields(order: SimOrder, state: ConsumeState): Fields {
    const { channelType: _channelType, ...fields } = consumeFields(order, state);
    return fields;
  }

  /** The back notification of a successful consume (UnionPay notifies successes only). */
  function notify(order: SimOrder): void {
    const state = stateOf(order);
    post(state.backUrl, sign({ ...notificationFields(order, state), respCode: '00', respMsg: PAID_MSG }));
  }

  /** Fire and forget: the merchant's answer (or its absence) changes nothing here. */
  function post(url: string, fields: Fields): void {
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: new URLSearchParams(fields).toString(),
      signal: AbortSignal.timeout(5_000),
    })
      .then(
        (response) => response.body?.cancel(),
        () => undefined,
      )
      .catch(() => undefined);
  }

  /** Version, merchant and signature: what every request must get right. */
  function checkRequest(fields: UnionPayFields): Refusal | { merId: string } {
    if (fields['version'] !== UNIONPAY_VERSION) return { respCode: '10', respMsg: `version must be ${UNIONPAY_VERSION}` };
    if ((fields['encoding'] ?? '').toUpperCase() !== UNIONPAY_ENCODING) return { respCode: '10', respMsg: 'encoding must be UTF-8' };
    if (fields['signMethod'] !== UNIONPAY_SIGN_METHOD) return { respCode: '10', respMsg: 'signMethod must be 01' };
    const merchant = options.merchants.find((candidate) => candidate.merId === fields['merId']);
    if (merchant === undefined) return { respCode: '31', respMsg: 'unknown merId' };
    if (!fields['signature']) return { respCode: '13', respMsg: 'signature is missing' };
    if (!verifyFields(fields, merchant.publicKeyPem)) return { respCode: '11', respMsg: 'signature verification failed' };
    if (fields['accessType'] !== '0') return { respCode: '10', respMsg: 'accessType must be 0' };
    return { merId: merchant.merId };
  }

  const isRefusal = (value: Refusal | { merId: string }): value is Refusal => 'respCode' in value;

  // ------------------------------------------------------------ front consume

  type FrontResult = { readonly order: SimOrder } | { readonly refusal: Refusal; readonly status: number };

  function frontConsume(fields: Fields | null, frontAction: string): FrontResult {
    const refuse = (respCode: string, respMsg: string, status = 400): FrontResult => ({ refusal: { respCode, respMsg }, status });
    if (fields === null) return refuse('10', 'a field was sent twice');
    const checked = checkRequest(fields);
    if (isRefusal(checked)) return { refusal: checked, status: 400 };
    if (fields['txnType'] !== TXN_TYPES.consume || fields['txnSubType'] !== '01') return refuse('10', 'the front gateway takes txnType 01, txnSubType 01');
    if (fields['bizType'] !== BIZ_TYPE_GATEWAY) return refuse('10', `bizType must be ${BIZ_TYPE_GATEWAY}`);
    const channelType = fields['channelType'] ?? '';
    if (channelType !== '07' && channelType !== '08') return refuse('10', 'channelType must be 07 or 08');
    const orderId = fields['orderId'] ?? '';
    const txnTime = fields['txnTime'] ?? '';
    const amount = parseTxnAmt(fields['txnAmt']);
    const currency = currencyFromNumeric(fields['currencyCode'] ?? '');
    const frontUrl = fields['frontUrl'] ?? '';
    const backUrl = fields['backUrl'] ?? '';
    const payTimeout = fields['payTimeout'];
    if (!isUnionPayOrderId(orderId)) return refuse('10', 'orderId must be 8-40 letters and digits');
    if (parseChinaTime(txnTime) === null) return refuse('10', 'txnTime must be yyyyMMddHHmmss');
    if (amount === null || amount === 0) return refuse('10', 'txnAmt must be a positive amount in minor units');
    if (currency === null) return refuse('10', 'unknown currencyCode');
    if (!isHttpUrl(frontUrl) || !isHttpUrl(backUrl)) return refuse('13', 'frontUrl and backUrl must be http(s) URLs');
    const payTimeoutAt = payTimeout === undefined ? null : parseChinaTime(payTimeout);
    if (payTimeout !== undefined && payTimeoutAt === null) return refuse('10', 'payTimeout must be yyyyMMddHHmmss');
    if (payTimeoutAt !== null && now() > payTimeoutAt) return refuse('39', 'the order is past its payTimeout');

    const existing = readOrder(orderId);
    if (existing !== null) {
      const state = stateOf(existing);
      const same = state.merId === checked.merId && state.txnTime === txnTime && existing.amount === amount && existing.currency === currency;
      if (!same) return refuse('12', 'duplicate orderId');
      if (state.origRespCode !== null) return refuse('12', 'this order was already processed', 409);
      return { order: existing };
    }
    if (testValue(amount) === 58) return refuse('32', 'the merchant has no permission for this transaction', 403);
    const state: ConsumeState = {
      merId: checked.merId,
      txnTime,
      payTimeoutAt,
      frontUrl,
      backUrl,
      channelType,
      origRespCode: null,
      origRespMsg: '',
      refundTxnTimes: {},
    };
    const order = ledger.transaction(() => {
      const inserted = ledger.insertOrder({
        provider: PROVIDER,
        orderNo: orderId,
        amount,
        currency,
        status: 'unpaid',
        behaviour: testValue(amount) === 59 ? 'refund_refused' : null,
        providerState: JSON.stringify(state),
      });
      // The code the adapter handed out as qrCode: now the sandbox wallet can pay this order by it.
      ledger.registerQrCode(PROVIDER, orderId, orderCodeUrl(frontAction, checked.merId, orderId, txnTime));
      return inserted;
    });
    return { order };
  }

  function pageFor(order: SimOrder): string {
    const state = stateOf(order);
    const amount = isCurrencyCode(order.currency) ? `${toMajorUnitString(money(order.amount, order.currency))} ${order.currency}` : String(order.amount);
    return paymentPageHtml({
      merId: state.merId,
      orderId: order.orderNo,
      txnTime: state.txnTime,
      amount,
      decisionAction: DECISION_PATH.split('/').pop() ?? '',
    });
  }

  // ------------------------------------------------------------ the shopper decides

  type Decision =
    | { readonly ok: true; readonly order: SimOrder; readonly outcome: 'paid' | 'declined' | 'awaiting_confirmation'; readonly message: string }
    | { readonly ok: false; readonly error: 'unknown_code' | 'not_payable'; readonly message: string };

  function decide(orderNo: string, action: ScanAction): Decision {
    const order = readOrder(orderNo);
    if (order === null) return { ok: false, error: 'unknown_code', message: 'UnionPay has no such order' };
    const state = stateOf(order);
    if (state.origRespCode !== null) return { ok: false, error: 'not_payable', message: 'the order was already processed' };
    if (state.payTimeoutAt !== null && now() > state.payTimeoutAt) return { ok: false, error: 'not_payable', message: 'the order is past its payTimeout' };
    const queryId = newQueryId(now());
    const settle = (origRespCode: string, origRespMsg: string, changes: Parameters<SimulatorLedger['updateOrder']>[2]): SimOrder =>
      ledger.transaction(() => {
        ledger.registerQrCode(PROVIDER, orderNo, queryIdKey(queryId));
        return save(orderNo, { ...state, origRespCode, origRespMsg }, { ...changes, providerTxnId: queryId });
      });
    const declined = (code: string, message: string): Decision => ({
      ok: true,
      order: settle(code, message, { status: 'closed' }),
      outcome: 'declined',
      message,
    });
    if (action === 'decline') return declined('01', 'the cardholder cancelled the payment');
    const behaviour = approveBehaviour(order.amount);
    switch (behaviour) {
      case 'pay': {
        const paid = settle('00', PAID_MSG, { status: 'paid' });
        notify(paid);
        return { ok: true, order: paid, outcome: 'paid', message: 'paid' };
      }
      case 'insufficient_balance':
        return declined('64', 'insufficient balance on the card');
      case 'not_allowed':
        return declined('63', 'the card may not be used for this payment');
      case 'confirm_later': {
        const waiting = settle('05', 'processing', { confirmAt: now() + confirmDelayMs });
        // Settles (and notifies) on time even if nobody queries; queries settle it too.
        setTimeout(() => {
          try {
            readOrder(orderNo);
          } catch {
            // the ledger may be closed by then (shutdown): the next query settles it
          }
        }, confirmDelayMs + 10).unref();
        return { ok: true, order: waiting, outcome: 'awaiting_confirmation', message: 'the cardholder confirms shortly' };
      }
      case 'never_confirm':
        return { ok: true, order: settle('05', 'processing', {}), outcome: 'awaiting_confirmation', message: 'the cardholder never confirms' };
      default:
        return assertNever(behaviour);
    }
  }

  function walletScan(orderNo: string, action: ScanAction): ScanResult {
    const decision = decide(orderNo, action);
    if (!decision.ok) return decision;
    return { ok: true, provider: PROVIDER, orderNo, outcome: decision.outcome, message: decision.message };
  }

  /** Where the browser goes after deciding: frontUrl plus the signed front notification. */
  function frontRedirect(order: SimOrder): string {
    const state = stateOf(order);
    const fields = sign({ ...notificationFields(order, state), respCode: state.origRespCode ?? '', respMsg: state.origRespMsg });
    const url = new URL(state.frontUrl);
    for (const [name, value] of Object.entries(fields)) url.searchParams.append(name, value);
    return url.href;
  }

  // ------------------------------------------------------------ back end: query and refund

  function answer(request: UnionPayFields, fields: Fields): Fields {
    return sign({
      version: UNIONPAY_VERSION,
      encoding: UNIONPAY_ENCODING,
      signMethod: UNIONPAY_SIGN_METHOD,
      ...pick(request, ['txnType', 'txnSubType', 'bizType', 'accessType', 'merId', 'orderId', 'txnTime']),
      ...fields,
    });
  }

  function queryTrans(fields: Fields | null): Fields {
    if (fields === null) return sign({ respCode: '10', respMsg: 'a field was sent twice' });
    const refused = (refusal: Refusal): Fields => answer(fields, { ...refusal });
    const checked = checkRequest(fields);
    if (isRefusal(checked)) return refused(checked);
    if (fields['txnType'] !== TXN_TYPES.query || fields['txnSubType'] !== '00')
      return refused({ respCode: '10', respMsg: 'txnType 00, txnSubType 00 expected' });
    const orderId = fields['orderId'] ?? '';
    const txnTime = fields['txnTime'] ?? '';
    if (!isUnionPayOrderId(orderId) || parseChinaTime(txnTime) === null) return refused({ respCode: '10', respMsg: 'orderId and txnTime are required' });
    const none = refused({ respCode: '34', respMsg: 'no such transaction' });

    const order = readOrder(orderId);
    if (order !== null) {
      const state = stateOf(order);
      if (state.merId !== checked.merId || state.txnTime !== txnTime || state.origRespCode === null) return none;
      return sign({ ...consumeFields(order, state), respCode: '00', respMsg: PAID_MSG, origRespCode: state.origRespCode, origRespMsg: state.origRespMsg });
    }
    const refund = ledger.findRefund(PROVIDER, orderId);
    const parent = refund === null ? null : ledger.findOrder(PROVIDER, refund.orderNo);
    if (refund === null || parent === null) return none;
    const parentState = stateOf(parent);
    if (parentState.merId !== checked.merId || parentState.refundTxnTimes[orderId] !== txnTime) return none;
    const origRespCode = refund.status === 'succeeded' ? '00' : refund.status === 'processing' ? '05' : '01';
    return sign({
      version: UNIONPAY_VERSION,
      encoding: UNIONPAY_ENCODING,
      signMethod: UNIONPAY_SIGN_METHOD,
      txnType: TXN_TYPES.refund,
      txnSubType: '00',
      bizType: BIZ_TYPE_GATEWAY,
      accessType: '0',
      merId: checked.merId,
      orderId,
      txnTime,
      txnAmt: String(refund.amount),
      currencyCode: isCurrencyCode(refund.currency) ? numericCurrencyCode(refund.currency) : '',
      queryId: refund.providerRefundId,
      origQryId: parent.providerTxnId ?? '',
      respCode: '00',
      respMsg: PAID_MSG,
      origRespCode,
      origRespMsg: origRespCode === '00' ? PAID_MSG : 'refund failed',
    });
  }

  function backTrans(fields: Fields | null): Fields {
    if (fields === null) return sign({ respCode: '10', respMsg: 'a field was sent twice' });
    const refused = (respCode: string, respMsg: string): Fields => answer(fields, { respCode, respMsg });
    const checked = checkRequest(fields);
    if (isRefusal(checked)) return refused(checked.respCode, checked.respMsg);
    if (fields['txnType'] !== TXN_TYPES.refund) return refused('32', 'the simulator serves refunds (txnType 04) only');
    if (fields['txnSubType'] !== '00' || fields['bizType'] !== BIZ_TYPE_GATEWAY) return refused('10', `txnSubType 00 and bizType ${BIZ_TYPE_GATEWAY} expected`);
    const orderId = fields['orderId'] ?? '';
    const txnTime = fields['txnTime'] ?? '';
    const amount = parseTxnAmt(fields['txnAmt']);
    const origQryId = fields['origQryId'] ?? '';
    if (!isUnionPayOrderId(orderId) || parseChinaTime(txnTime) === null) return refused('10', 'orderId and txnTime are required');
    if (amount === null || amount === 0) return refused('10', 'txnAmt must be a positive amount in minor units');
    if (origQryId === '') return refused('13', 'origQryId is required');
    if (!isHttpUrl(fields['backUrl'] ?? '')) return refused('13', 'backUrl must be an http(s) URL');
    if (ledger.findRefund(PROVIDER, orderId) !== null || ledger.findOrder(PROVIDER, orderId) !== null) return refused('12', 'duplicate orderId');

    const found = ledger.findQrCode(queryIdKey(origQryId));
    const original = found === null ? null : readOrder(found.orderNo);
    if (original === null || stateOf(original).merId !== checked.merId) return refused('35', 'the original transaction does not exist');
    if (original.behaviour === 'refund_refused') return refused('35', 'the original transaction may not be refunded');
    switch (original.status) {
      case 'paid':
      case 'partially_refunded':
      case 'refunded': // nothing left: the amount check refuses it
        break;
      case 'unpaid':
      case 'closed':
      case 'reversed':
        return refused('35', 'the original transaction was not paid');
      default:
        return assertNever(original.status);
    }
    if (amount > original.amount - original.refundedAmount) return refused('33', 'the refund exceeds what is left to refund');

    const queryId = newQueryId(now());
    ledger.transaction(() => {
      ledger.insertRefund({
        provider: PROVIDER,
        refundNo: orderId,
        orderNo: original.orderNo,
        amount,
        currency: original.currency,
        status: 'succeeded',
        providerRefundId: queryId,
      });
      const state = stateOf(original);
      const refundedAmount = original.refundedAmount + amount;
      save(
        original.orderNo,
        { ...state, refundTxnTimes: { ...state.refundTxnTimes, [orderId]: txnTime } },
        { refundedAmount, status: refundedAmount >= original.amount ? 'refunded' : 'partially_refunded' },
      );
    });
    const accepted = answer(fields, { txnAmt: String(amount), origQryId, queryId, respCode: '00', respMsg: PAID_MSG });
    post(fields['backUrl'] ?? '', accepted); // the refund's result notification
    return accepted;
  }

  // ------------------------------------------------------------ routes

  options.wallet?.register(PROVIDER, walletScan);

  return async (app) => {
    // Encapsulated: only this plugin's routes read form bodies as strings.
    // The simulator reads raw form bodies: replace any parser the host server set for forms.
    if (app.hasContentTypeParser('application/x-www-form-urlencoded')) app.removeContentTypeParser('application/x-www-form-urlencoded');
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, body);
    });
    const formOf = (request: FastifyRequest): Fields | null => parseForm(typeof request.body === 'string' ? request.body : '');
    const html = (reply: FastifyReply, status: number, body: string): FastifyReply => reply.code(status).type('text/html; charset=utf-8').send(body);
    const kv = (reply: FastifyReply, fields: Fields): FastifyReply => reply.code(200).type('text/plain; charset=utf-8').send(formatAnswer(fields));
    /** The front URL as the browser addressed it: the base the adapter built the code URL from. */
    const frontActionOf = (request: FastifyRequest): string => new URL(request.url.split('?')[0] ?? '', `${request.protocol}://${request.host}`).href;

    app.post(UNIONPAY_PATHS.front, async (request, reply) => {
      const result = frontConsume(formOf(request), frontActionOf(request));
      if ('refusal' in result) return html(reply, result.status, errorPageHtml(result.refusal.respCode, result.refusal.respMsg));
      return html(reply, 200, pageFor(result.order));
    });

    app.get(UNIONPAY_PATHS.front, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const orderId = typeof query['orderId'] === 'string' ? query['orderId'] : '';
      const order = isUnionPayOrderId(orderId) ? readOrder(orderId) : null;
      const state = order === null ? null : stateOf(order);
      if (order === null || state === null || state.merId !== query['merId'] || state.txnTime !== query['txnTime']) {
        return html(reply, 404, errorPageHtml('34', 'no such order: the payment form was not submitted yet'));
      }
      if (state.origRespCode !== null) return html(reply, 409, errorPageHtml('12', 'this order was already processed'));
      return html(reply, 200, pageFor(order));
    });

    app.post(DECISION_PATH, async (request, reply) => {
      const fields = formOf(request) ?? {};
      const orderId = fields['orderId'] ?? '';
      const order = isUnionPayOrderId(orderId) ? readOrder(orderId) : null;
      if (order === null || stateOf(order).merId !== fields['merId'] || stateOf(order).txnTime !== fields['txnTime']) {
        return html(reply, 404, errorPageHtml('34', 'no such order'));
      }
      const action = fields['decision'] === 'pay' ? 'approve' : fields['decision'] === 'decline' ? 'decline' : null;
      if (action === null) return html(reply, 400, errorPageHtml('10', 'decision must be pay or decline'));
      const decision = decide(orderId, action);
      if (!decision.ok) return html(reply, 409, errorPageHtml('12', decision.message));
      return reply.code(303).header('location', frontRedirect(decision.order)).send();
    });

    app.post(UNIONPAY_PATHS.query, async (request, reply) => kv(reply, queryTrans(formOf(request))));
    app.post(UNIONPAY_PATHS.back, async (request, reply) => kv(reply, backTrans(formOf(request))));
    // File transfer (txnType 76): the day's reconciliation files, served where UnionPay's filedownload host would be.
    app.post('/filedownload/', async (request, reply) => kv(reply, fileTransferAnswer(formOf(request), { ledger, now, check: checkRequest, sign })));
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function pick(fields: UnionPayFields, names: readonly string[]): Fields {
  const picked: Fields = {};
  for (const name of names) {
    const value = fields[name];
    if (value !== undefined && value !== '') picked[name] = value;
  }
  return picked;
}

/** 21 digits like UnionPay's queryId: China time yyMMddHHmmss + 9 random digits. */
function newQueryId(epochMs: number): string {
  return `${chinaTime(epochMs).slice(2)}${Array.from({ length: 9 }, () => String(randomInt(10))).join('')}`;
}
