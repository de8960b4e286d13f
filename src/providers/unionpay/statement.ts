/**
 * UnionPay's daily statement for reconciliation: the file transfer
 * interface (文件传输类交易, txnType 76, txnSubType 01 对账文件下载, bizType
 * 000000, fileType 00, settleDate MMDD), signed like every acp request and
 * posted to UnionPay's file download host (filedownload.95516.com; the
 * simulator serves it at `<endpoint>/filedownload/`). The answer is verified
 * as the adapter verifies every answer (the sandbox key, or live the
 * signPubKeyCert chain), then its fileContent is unpacked (statement-file.ts)
 * and the general transaction file (ZM) read.
 *
 * respCode 98 (文件不存在: no file for that date yet) is `not_ready`; a file
 * without lines is `empty`. The day is a calendar day in China time; note
 * that UnionPay's clearing day (清算日) ends at its 23:00 cut-off, so a live
 * file also holds the previous evening's last hour.
 */
import { describeCallError } from '../call-errors.js';
import { providerFetch, type ProviderFetch } from '../http-client.js';
import { chinaTime } from '../china-time.js';
import type { AdapterContext } from '../descriptor.js';
import type { StatementFetch, StatementSource } from '../statements.js';
import { isPublished, statementDayBounds } from '../statement-day.js';
import { UNIONPAY_LIVE_BASE_URL, verifyUnionPayMessage, type UnionPayCredentials } from './adapter.js';
import { parseAnswer, signFields } from './sign.js';
import { parseZmFile, unpackFileContent, zmFileName } from './statement-file.js';
import { UNIONPAY_ENCODING, UNIONPAY_SIGN_METHOD, UNIONPAY_VERSION } from './transformers.js';

export const UNIONPAY_STATEMENT_UTC_OFFSET_HOURS = 8;
export const UNIONPAY_STATEMENT_PUBLICATION = { timeZone: 'Asia/Shanghai', hoursAfterDay: 10 } as const;

export const FILE_TRANSFER = { txnType: '76', txnSubType: '01', bizType: '000000', fileType: '00' } as const;
/** respCode of "no such file (yet)". */
export const RESP_FILE_NOT_FOUND = '98';

/** Where the file transfer request goes: UnionPay's own download hosts, or (simulator, any other URL) `<endpoint>/filedownload/`. */
export function fileTransferUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  if (base === UNIONPAY_LIVE_BASE_URL) return 'https://filedownload.95516.com/';
  if (base === 'https://gateway.test.95516.com') return 'https://filedownload.test.95516.com/';
  return `${base}/filedownload/`;
}

/** The request fields (unsigned) for a day's files. */
export function fileTransferFields(credentials: UnionPayCredentials, day: string, nowMs: number): Record<string, string> {
  const fields: Record<string, string> = {
    version: UNIONPAY_VERSION,
    encoding: UNIONPAY_ENCODING,
    signMethod: UNIONPAY_SIGN_METHOD,
    ...FILE_TRANSFER,
    accessType: '0',
    merId: credentials.merId,
    settleDate: day.slice(5, 7) + day.slice(8, 10),
    txnTime: chinaTime(nowMs),
  };
  if (credentials.certId !== undefined && credentials.certId !== '') fields['certId'] = credentials.certId;
  return fields;
}

export interface UnionPayStatementOptions {
  fetch?: ProviderFetch;
  now?: () => number;
}

export function createUnionPayStatementSource(options: UnionPayStatementOptions = {}): StatementSource<UnionPayCredentials> {
  const doFetch = options.fetch ?? providerFetch('unionpay');
  const now = options.now ?? Date.now;
  return {
    publication: UNIONPAY_STATEMENT_PUBLICATION,
    async fetch(context: AdapterContext<UnionPayCredentials>, day: string): Promise<StatementFetch> {
      const bounds = statementDayBounds(day, UNIONPAY_STATEMENT_UTC_OFFSET_HOURS);
      if (bounds === null) return { kind: 'failed', reason: `not a day: ${JSON.stringify(day)}` };
      if (!isPublished(bounds, 0, now())) return { kind: 'not_ready', reason: `${day} is not over yet` };
      const { credentials } = context;
      let answer: Record<string, string> | null;
      try {
        const signed = signFields(fileTransferFields(credentials, day, now()), credentials.merchantPrivateKeyPem);
        const response = await doFetch(fileTransferUrl(context.endpoint), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
          body: new URLSearchParams(signed).toString(),
          signal: AbortSignal.timeout(context.timeoutMs),
        });
        const body = await response.text();
        if (!response.ok) return { kind: 'failed', reason: `file transfer: HTTP ${response.status}` };
        answer = parseAnswer(body);
      } catch (error) {
        return { kind: 'failed', reason: `file transfer: ${describeCallError(error, context.timeoutMs)}` };
      }
      if (answer === null) return { kind: 'failed', reason: 'file transfer: unparsable answer' };
      const verified = verifyUnionPayMessage(answer, credentials, now());
      if (!verified.ok) return { kind: 'failed', reason: `file transfer answer: ${verified.detail}` };
      if (answer['merId'] !== undefined && answer['merId'] !== credentials.merId) return { kind: 'failed', reason: 'file transfer answer names another merId' };
      const respCode = answer['respCode'] ?? '';
      if (respCode === RESP_FILE_NOT_FOUND) return { kind: 'not_ready', reason: `UnionPay has no file for ${day} yet (respCode 98)` };
      if (respCode !== '00') return { kind: 'failed', reason: `file transfer refused: respCode ${respCode} ${answer['respMsg'] ?? ''}`.trim() };
      const unpacked = unpackFileContent(answer['fileContent'] ?? '');
      if (!unpacked.ok) return { kind: 'failed', reason: unpacked.reason };
      const zm = unpacked.files.get(zmFileName(day, credentials.merId));
      if (zm === undefined)
        return { kind: 'failed', reason: `the files hold no ${zmFileName(day, credentials.merId)} (another day's, or another merchant's?)` };
      const parsed = parseZmFile(zm, day);
      if (!parsed.ok) return { kind: 'failed', reason: parsed.reason };
      return parsed.lines.length === 0 ? { kind: 'empty' } : { kind: 'statement', statement: { lines: parsed.lines, totals: [] } };
    },
  };
}
