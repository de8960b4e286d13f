/**
 * WeChat Pay's daily statement: `POST /pay/downloadbill` (bill_type=ALL,
 * tar_type=GZIP), signed like every v2 call. The answer is the bill itself
 * (gzip of the text in statement-format.ts), or an XML error: "No Bill Exist"
 * (no business that day) → empty, "Bill Creating" (not generated yet) →
 * not_ready. WeChat starts generating at 09:00 China time and recommends
 * fetching after 10:00.
 *
 * The bill is not signed (WeChat documents no signature for it); what CanCan
 * can check is the gzip's CRC, the layout, and that the summary counts the
 * lines the file holds. Fees come from the bill's 手续费 column.
 * `downloadfundflow` (account movements, HMAC-SHA256 and the API
 * certificate) is not used: it names WeChat's own business numbers, not
 * CanCan's order numbers, and adds no fee the trade bill lacks.
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describeCallError, redactSecrets } from '../call-errors.js';
import { providerFetch } from '../http-client.js';
import type { AdapterContext } from '../descriptor.js';
import type { StatementFetch, StatementSource } from '../statements.js';
import { WECHATPAY_LIVE_BASE_URL } from './adapter.js';
import { liveBaseUrl, type WeChatPayCredentials } from './credentials.js';
import { withSignature } from './sign.js';
import { parseAllBill } from './statement-format.js';
import { buildXml, field, parseXml, WeChatXmlError } from './xml.js';

/** The error answers that say what the day is, not that the call failed. */
export const NO_BILL_MESSAGE = 'No Bill Exist';
export const BILL_CREATING_MESSAGE = 'Bill Creating';

export const wechatPayStatements: StatementSource<WeChatPayCredentials> = {
  publication: { timeZone: 'Asia/Shanghai', hoursAfterDay: 10 },
  fetch: (context, day) => downloadBill(context, day),
};

export async function downloadBill({ endpoint, credentials, timeoutMs }: AdapterContext<WeChatPayCredentials>, day: string): Promise<StatementFetch> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return { kind: 'failed', reason: `not a day: ${JSON.stringify(day)}` };
  const baseUrl = liveBaseUrl(endpoint, WECHATPAY_LIVE_BASE_URL, credentials).replace(/\/+$/, '');
  const request: Record<string, string> = {
    appid: credentials.appId,
    mch_id: credentials.mchId,
    nonce_str: randomBytes(16).toString('hex'),
    sign_type: credentials.signType,
    bill_date: day.replace(/-/g, ''),
    bill_type: 'ALL',
    tar_type: 'GZIP',
  };
  if (credentials.subMchId !== undefined) request['sub_mch_id'] = credentials.subMchId;
  if (credentials.subAppId !== undefined) request['sub_appid'] = credentials.subAppId;
  let body: Buffer;
  try {
    const response = await providerFetch('wechatpay')(`${baseUrl}/pay/downloadbill`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      body: buildXml(withSignature(request, credentials.apiKey, credentials.signType)),
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = Buffer.from(await response.arrayBuffer());
    if (!response.ok) return { kind: 'failed', reason: `downloadbill answered HTTP ${response.status}` };
  } catch (error) {
    return { kind: 'failed', reason: redactSecrets(`downloadbill: ${describeCallError(error, timeoutMs, WeChatXmlError)}`, [credentials.apiKey]) };
  }
  return readAnswer(body);
}

/** The answer's bytes → the day's statement, or what the error answer says. */
export function readAnswer(body: Buffer): StatementFetch {
  const isGzip = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
  if (!isGzip) {
    const text = body.toString('utf8');
    if (text.trimStart().startsWith('<xml')) return errorAnswer(text);
    // Without tar_type the bill comes as plain text; accept it the same way.
    return statementOf(text);
  }
  let text: string;
  try {
    text = gunzipSync(body).toString('utf8');
  } catch (error) {
    return { kind: 'failed', reason: `the WeChat Pay bill does not unzip (${error instanceof Error ? error.message : String(error)})` };
  }
  return statementOf(text);
}

function statementOf(text: string): StatementFetch {
  const parsed = parseAllBill(text);
  return parsed.ok ? { kind: 'statement', statement: parsed.statement } : { kind: 'failed', reason: parsed.reason };
}

function errorAnswer(text: string): StatementFetch {
  let fields: Record<string, string>;
  try {
    fields = parseXml(text);
  } catch (error) {
    return { kind: 'failed', reason: `downloadbill answered unreadable XML (${error instanceof Error ? error.message : String(error)})` };
  }
  const message = field(fields, 'return_msg') ?? '';
  // WeChat's spelling varies in case ("No Bill Exist", "NO Bill Exist").
  if (message.toLowerCase() === NO_BILL_MESSAGE.toLowerCase()) return { kind: 'empty' };
  if (message.toLowerCase() === BILL_CREATING_MESSAGE.toLowerCase()) return { kind: 'not_ready', reason: 'WeChat Pay is still creating the bill' };
  const code = field(fields, 'error_code') ?? field(fields, 'return_code') ?? 'FAIL';
  return { kind: 'failed', reason: `downloadbill refused: ${code} ${message}`.trim() };
}
