/**
 * Alipay's daily statement: `alipay.data.dataservice.bill.downloadurl.query`
 * (bill_type=trade, bill_date yyyy-MM-dd) answers, signed, a
 * `bill_download_url` good for 30 seconds; the file there is a zip of the
 * day's GBK CSVs (statement-format.ts). The answer's RSA2 signature is
 * checked like every gateway answer (a tampered answer is refused); the zip's
 * CRCs and the files' own counts check the file.
 *
 * `isp.bill_not_exist` means no bill: until noon of the next day in China
 * (bills are generated from about 09:00) that is "not ready yet", later an
 * empty day. A refusal of a day not yet over is "not ready" too.
 */
import { crc32 } from 'node:zlib';
import { unzipSync } from 'fflate';
import { describeCallError, redactSecrets } from '../call-errors.js';
import { providerFetch } from '../http-client.js';
import { beijingTimestamp, CHINA_OFFSET_MS } from '../china-time.js';
import type { AdapterContext } from '../descriptor.js';
import type { StatementFetch, StatementSource } from '../statements.js';
import type { AlipayCredentials } from './adapter.js';
import { openSignedResponse, signParams } from './sign.js';
import { parseTradeBill } from './statement-format.js';

export const ALIPAY_BILL_METHOD = 'alipay.data.dataservice.bill.downloadurl.query';
export const BILL_NOT_EXIST = 'isp.bill_not_exist';

/** A missing bill is "not ready" until this long after the day ends (China time). */
const NOT_READY_UNTIL_MS = 12 * 3_600_000;

export const alipayStatements: StatementSource<AlipayCredentials> = {
  publication: { timeZone: 'Asia/Shanghai', hoursAfterDay: 9 },
  fetch: (context, day) => downloadTradeBill(context, day),
};

export async function downloadTradeBill(
  { endpoint, credentials, timeoutMs }: AdapterContext<AlipayCredentials>,
  day: string,
  now: () => number = Date.now,
): Promise<StatementFetch> {
  const dayStart = Date.parse(`${day}T00:00:00Z`) - CHINA_OFFSET_MS;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(dayStart)) return { kind: 'failed', reason: `not a day: ${JSON.stringify(day)}` };
  const dayEnd = dayStart + 86_400_000;
  const secrets = [credentials.appPrivateKeyPem];
  const params = signParams(
    {
      app_id: credentials.appId,
      method: ALIPAY_BILL_METHOD,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: beijingTimestamp(now()),
      version: '1.0',
      biz_content: JSON.stringify({ bill_type: 'trade', bill_date: day }),
    },
    credentials.appPrivateKeyPem,
  );
  let answer: string;
  try {
    const response = await providerFetch('alipay')(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', accept: 'application/json' },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(timeoutMs),
    });
    answer = await response.text();
    if (!response.ok) return { kind: 'failed', reason: `${ALIPAY_BILL_METHOD} answered HTTP ${response.status}` };
  } catch (error) {
    return { kind: 'failed', reason: redactSecrets(`${ALIPAY_BILL_METHOD}: ${describeCallError(error, timeoutMs)}`, secrets) };
  }
  const opened = openSignedResponse(answer, ALIPAY_BILL_METHOD, credentials.alipayPublicKeyPem);
  if (!opened.ok) {
    const refusal =
      opened.unsigned === undefined ? '' : `: ${opened.unsigned['sub_code'] ?? opened.unsigned['code'] ?? ''} ${opened.unsigned['sub_msg'] ?? ''}`;
    return { kind: 'failed', reason: redactSecrets(`${ALIPAY_BILL_METHOD}: ${opened.reason}${refusal}`.trim(), secrets) };
  }
  const fields = opened.fields;
  const url = fields['bill_download_url'];
  if (fields['code'] === '10000' && url !== undefined && url !== '') return downloadZip(url, timeoutMs);
  const subCode = fields['sub_code'] ?? '';
  const dayNotOver = now() < dayEnd;
  if (subCode === BILL_NOT_EXIST)
    return now() < dayEnd + NOT_READY_UNTIL_MS ? { kind: 'not_ready', reason: 'Alipay has no bill for the day yet' } : { kind: 'empty' };
  if (dayNotOver) return { kind: 'not_ready', reason: `the day is not over (Alipay: ${subCode || (fields['code'] ?? '')})` };
  return {
    kind: 'failed',
    reason: redactSecrets(`${ALIPAY_BILL_METHOD} refused: ${fields['code'] ?? ''} ${subCode} ${fields['sub_msg'] ?? ''}`.trim(), secrets),
  };
}

async function downloadZip(url: string, timeoutMs: number): Promise<StatementFetch> {
  let bytes: Uint8Array;
  try {
    // Global fetch here: the file URL Alipay hands out is on another host and may redirect, which fetch follows.
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    bytes = new Uint8Array(await response.arrayBuffer());
    if (!response.ok) return { kind: 'failed', reason: `the bill download answered HTTP ${response.status}` };
  } catch (error) {
    return { kind: 'failed', reason: `the bill download: ${describeCallError(error, timeoutMs)}` };
  }
  return readZip(bytes);
}

/** The downloaded bytes → the day's statement. */
export function readZip(bytes: Uint8Array): StatementFetch {
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) return { kind: 'failed', reason: 'the bill download is not a zip' };
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (error) {
    return { kind: 'failed', reason: `the bill zip does not open (${error instanceof Error ? error.message : String(error)})` };
  }
  // fflate does not check the entries' CRC-32: compare with the central directory's.
  const expected = centralDirectoryCrcs(bytes);
  const entries = Object.values(files);
  if (expected === null || expected.length !== entries.length || entries.some((entry, index) => crc32(entry) !== expected[index])) {
    return { kind: 'failed', reason: 'the bill zip fails its CRC check' };
  }
  const parsed = parseTradeBill(files);
  return parsed.ok ? { kind: 'statement', statement: parsed.statement } : { kind: 'failed', reason: parsed.reason };
}

/** The CRC-32 of each entry, in central-directory order; null when the directory does not read. */
function centralDirectoryCrcs(bytes: Uint8Array): number[] | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record: 22 bytes plus a comment of up to 65535.
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 65_535); at -= 1) {
    if (view.getUint32(at, true) === 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end === -1) return null;
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const crcs: number[] = [];
  for (let index = 0; index < count; index += 1) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) return null;
    crcs.push(view.getUint32(at + 16, true));
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return crcs;
}
