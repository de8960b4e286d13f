/**
 * Dashboard: reconciliation (issue 18). The list of reconciled days with each
 * provider's state and counts per class, a page per day and provider with
 * the figures per currency and the differences (linked to their
 * transactions), and that day's items as CSV. Readable by every role, in the
 * mode shown; operators see every account.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DashContext } from './context.js';
import { type DashKit, type DashboardModule, textField } from './kit.js';
import { listDays, providerDayDetail, providerDayItems, providerDayExists } from './reconciliation-data.js';
import { isDay } from '../reconcile/days.js';
import { reconCsvStream } from './reconciliation-csv.js';
import { RECONCILIATION_CSS, dayView, listView } from './reconciliation-view.js';

const PROVIDER_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;

/** The route's day and provider when well-formed (anything else is a page that does not exist). */
function dayAndProvider(request: FastifyRequest): { day: string; provider: string } | null {
  const day = textField(request.params, 'day');
  const provider = textField(request.params, 'provider');
  return isDay(day) && PROVIDER_PATTERN.test(provider) ? { day, provider } : null;
}

async function merchantNames(kit: DashKit, ctx: DashContext, ids: readonly (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (!ctx.isOperator || wanted.length === 0) return new Map();
  const rows = await kit.deps.store.db.selectFrom('merchants').select(['id', 'name']).where('id', 'in', wanted).execute();
  return new Map(rows.map((row) => [row.id, row.name]));
}

async function listPage(kit: DashKit, ctx: DashContext, request: FastifyRequest, reply: FastifyReply): Promise<string | FastifyReply> {
  const query = request.query as Record<string, unknown>;
  const before = query.before === undefined ? null : textField(query, 'before');
  if (before !== null && !isDay(before)) {
    return kit.sendHtml(reply, listView(ctx, { days: [], olderBefore: null }, null, true), 400);
  }
  const list = await listDays(kit.deps.store.db, ctx, before);
  return listView(ctx, list, before, false);
}

async function dayPage(kit: DashKit, ctx: DashContext, request: FastifyRequest, reply: FastifyReply): Promise<string | FastifyReply> {
  const target = dayAndProvider(request);
  const detail = target && (await providerDayDetail(kit.deps.store.db, ctx, target.day, target.provider));
  if (!target || !detail) return kit.notFound(ctx, reply);
  const names = await merchantNames(kit, ctx, [...detail.runs.map((run) => run.merchantId), ...detail.differences.map((item) => item.merchantId)]);
  return dayView(ctx, target.day, target.provider, detail, names);
}

async function exportCsv(kit: DashKit, ctx: DashContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const target = dayAndProvider(request);
  if (!target || !(await providerDayExists(kit.deps.store.db, ctx, target.day, target.provider))) return kit.notFound(ctx, reply);
  const { day, provider } = target;
  const filename = `cancan-reconciliation-${ctx.mode}-${target.provider}-${target.day}.csv`;
  return reply
    .code(200)
    .type('text/csv; charset=utf-8')
    .header('Content-Disposition', `attachment; filename="${filename}"`)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Cache-Control', 'no-store')
    .send(reconCsvStream({ ...target, mode: ctx.mode }, providerDayItems(kit.deps.store.db, ctx, day, provider)));
}

export const reconciliationPage: DashboardModule = {
  css: RECONCILIATION_CSS,
  register(kit) {
    kit.get('/reconciliation', (ctx, request, reply) => listPage(kit, ctx, request, reply));
    kit.get('/reconciliation/:day/:provider', (ctx, request, reply) => dayPage(kit, ctx, request, reply));
    kit.get('/reconciliation/:day/:provider/items.csv', (ctx, request, reply) => exportCsv(kit, ctx, request, reply));
  },
};
