/**
 * Antom's daily statement for reconciliation: the settlement details report.
 *
 * Antom publishes its reports on its SFTP server (and the Antom Dashboard),
 * not over its HTTP API. CanCan does not download over SFTP yet: the source
 * asks for the report over HTTP at `<endpoint>/v1/settlements/<clientId>/<YYYYMMDD>/settlement_details.csv`
 * (the SFTP folder's layout), which the Antom simulator serves. Antom itself
 * has no such HTTP interface, so the source is `sandboxOnly`: live days are
 * reconciled from Antom's inquiry API (src/reconcile/query-source.ts). The HTTP form is signed both ways like every
 * AMS call (sign.ts) over `GET <path>` and an empty request body.
 */
import { describeCallError } from '../call-errors.js';
import { providerFetch, type ProviderFetch } from '../http-client.js';
import type { AdapterContext } from '../descriptor.js';
import type { StatementFetch, StatementSource } from '../statements.js';
import { isPublished, statementDayBounds } from '../statement-day.js';
import type { AlipayPlusCredentials } from './adapter.js';
import { requestTime, signMessage, verifyMessage } from './sign.js';
import { parseSettlementReport } from './statement-file.js';

/** Antom's report day: UTC+8 (Singapore), generated the next morning. */
export const ANTOM_STATEMENT_UTC_OFFSET_HOURS = 8;
export const ANTOM_STATEMENT_PUBLICATION = { timeZone: 'Asia/Singapore', hoursAfterDay: 9 } as const;

/** The result code of "no report for that day yet". */
export const REPORT_NOT_READY = 'FILE_NOT_EXIST';

export const SFTP_ONLY_REASON =
  'Antom publishes settlement reports on its SFTP server only; CanCan does not download them over SFTP yet (reconcile Antom from the Antom Dashboard meanwhile)';

/** The report's path under the endpoint: the SFTP folder layout, YYYYMMDD the report day. */
export function settlementReportPath(clientId: string, day: string): string {
  return `/v1/settlements/${encodeURIComponent(clientId)}/${day.replace(/-/g, '')}/settlement_details.csv`;
}

export interface AntomStatementOptions {
  fetch?: ProviderFetch;
  now?: () => number;
}

export function createAntomStatementSource(options: AntomStatementOptions = {}): StatementSource<AlipayPlusCredentials> {
  const doFetch = options.fetch ?? providerFetch('alipayplus');
  const now = options.now ?? Date.now;
  return {
    publication: ANTOM_STATEMENT_PUBLICATION,
    sandboxOnly: true,
    async fetch(context: AdapterContext<AlipayPlusCredentials>, day: string): Promise<StatementFetch> {
      const bounds = statementDayBounds(day, ANTOM_STATEMENT_UTC_OFFSET_HOURS);
      if (bounds === null) return { kind: 'failed', reason: `not a day: ${JSON.stringify(day)}` };
      if (!isPublished(bounds, 0, now())) return { kind: 'not_ready', reason: `${day} is not over yet` };
      const { clientId, merchantPrivateKeyPem, providerPublicKeyPem } = context.credentials;
      const path = settlementReportPath(clientId, day);
      let status: number;
      let body: string;
      let headers: Pick<Headers, 'get'>;
      try {
        const time = requestTime(now());
        const response = await doFetch(`${context.endpoint.replace(/\/+$/, '')}${path}`, {
          method: 'GET',
          headers: {
            'client-id': clientId,
            'request-time': time,
            signature: signMessage({ httpMethod: 'GET', path, clientId, time, body: '' }, merchantPrivateKeyPem),
          },
          signal: AbortSignal.timeout(context.timeoutMs),
        });
        status = response.status;
        headers = response.headers;
        body = await response.text();
      } catch (error) {
        return { kind: 'failed', reason: `settlement report: ${describeCallError(error, context.timeoutMs)}` };
      }
      const signed = verifyMessage(
        { httpMethod: 'GET', path, clientId: headers.get('client-id') ?? '', time: headers.get('response-time') ?? '', body },
        headers.get('signature'),
        providerPublicKeyPem,
      );
      if (!signed) {
        // Antom's own hosts serve no reports over HTTP: whatever answered is not a report CanCan can trust.
        return { kind: 'failed', reason: status === 200 ? 'the settlement report answer is not signed by Antom' : `${SFTP_ONLY_REASON} (HTTP ${status})` };
      }
      if (headers.get('client-id') !== clientId) return { kind: 'failed', reason: 'the settlement report answer names another client-id' };
      if (status === 404 && resultCodeOf(body) === REPORT_NOT_READY) return { kind: 'not_ready', reason: `Antom has no settlement report for ${day} yet` };
      if (status !== 200) return { kind: 'failed', reason: `settlement report: HTTP ${status} ${resultCodeOf(body) ?? ''}`.trim() };
      const parsed = parseSettlementReport(body);
      if (!parsed.ok) return { kind: 'failed', reason: parsed.reason };
      return parsed.statement.lines.length === 0 ? { kind: 'empty' } : { kind: 'statement', statement: parsed.statement };
    },
  };
}

function resultCodeOf(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null || !('result' in parsed)) return null;
    const { result } = parsed;
    return typeof result === 'object' && result !== null && 'resultCode' in result && typeof result.resultCode === 'string' ? result.resultCode : null;
  } catch {
    return null;
  }
}
