/**
 * The operator console: every merchant, creating one (its test key shown
 * once), and per merchant its gateways, settings and write-only live
 * credentials. Operators only: for anyone else these pages do not exist (404).
 * Validation is shared with the CLI (core/merchant-settings.ts); every change
 * is audited, never with a secret in the detail.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { applySettings, checkGatewayCodes, checkNewMerchant, checkSettings, createMerchantWithTestKey, setGateways } from '../../core/merchant-settings.js';
import { isProviderName, parseCredentials } from '../../providers/credentials.js';
import { saveProviderCredentials } from '../../store/credentials.js';
import { findMerchant } from '../../store/merchants.js';
import { audit } from '../accounts.js';
import type { DashContext } from '../context.js';
import { notice } from '../html.js';
import { type Access, type DashboardModule, textField } from '../kit.js';
import { listNeedingAttention } from '../attention-view.js';
import { listMerchants, merchantDetail } from '../operator-data.js';
import { OPERATOR_CSS, checkedCodes } from '../operator-fields.js';
import { blankCreateForm, createdView, merchantsView } from '../operator-list-view.js';
import { type MerchantViewState, merchantView } from '../operator-merchant-view.js';
import { providerName, words } from '../operator-words.js';

const OPERATOR: Access = { operatorOnly: true };

type Body = Readonly<Record<string, unknown>>;
const bodyOf = (request: FastifyRequest): Body => (request.body ?? {}) as Body;
const merchantPath = (id: string, done?: string) => `/dashboard/merchants/${encodeURIComponent(id)}${done ? `?done=${done}` : ''}`;

/** The notice for `?done=` after a save (unknown codes show nothing). */
function doneNotice(ctx: DashContext, done: string): MerchantViewState['done'] {
  if (done === 'gateways' || done === 'settings') return notice('ok', words(ctx.lang, `done_${done}`));
  const provider = done.startsWith('credentials-') ? done.slice('credentials-'.length) : '';
  return isProviderName(provider) ? notice('ok', words(ctx.lang, 'done_credentials', { provider: providerName(ctx.lang, provider) })) : undefined;
}

export const operatorPage: DashboardModule = {
  css: OPERATOR_CSS,
  register(kit) {
    const { db } = kit.deps.store;

    async function showMerchant(ctx: DashContext, reply: FastifyReply, id: string, state: MerchantViewState, status = 200) {
      const detail = await merchantDetail(db, id, ctx.mode);
      return detail ? kit.sendHtml(reply, merchantView(ctx, detail, state), status) : kit.notFound(ctx, reply);
    }

    kit.get(
      '/merchants',
      async (ctx) => merchantsView(ctx, await listMerchants(db, ctx.mode, ctx.now), blankCreateForm(), await listNeedingAttention(db, ctx.mode)),
      OPERATOR,
    );

    kit.post(
      '/merchants',
      async (ctx, request, reply) => {
        const body = bodyOf(request);
        const input = { name: textField(body, 'name'), timezone: textField(body, 'timezone'), gateways: checkedCodes(body) };
        const checked = checkNewMerchant(input);
        if (!checked.ok) {
          const form = { ...input, gateways: new Set(input.gateways), problems: checked.problems };
          return kit.sendHtml(reply, merchantsView(ctx, await listMerchants(db, ctx.mode, ctx.now), form), 422);
        }
        const { name, timezone, gateways } = checked.value;
        const { merchant, apiKey } = await createMerchantWithTestKey(db, kit.deps.secrets, checked.value, ctx.now, (trx, created) =>
          audit(
            trx,
            {
              userId: ctx.user.id,
              merchantId: created.merchant.id,
              action: 'merchant.created',
              target: created.merchant.id,
              detail: { name, timezone, gateways, api_key_id: created.keyId },
            },
            ctx.now,
          ),
        );
        return kit.sendHtml(reply, createdView(ctx, merchant, apiKey), 201);
      },
      OPERATOR,
    );

    kit.get(
      '/merchants/:id',
      async (ctx, request, reply) => showMerchant(ctx, reply, textField(request.params, 'id'), { done: doneNotice(ctx, textField(request.query, 'done')) }),
      OPERATOR,
    );

    kit.post(
      '/merchants/:id/gateways',
      async (ctx, request, reply) => {
        const id = textField(request.params, 'id');
        if (!(await findMerchant(db, id))) return kit.notFound(ctx, reply);
        const checked = checkGatewayCodes(checkedCodes(bodyOf(request)));
        if (!checked.ok) return showMerchant(ctx, reply, id, { gatewayProblems: checked.problems }, 422);
        await db.transaction().execute(async (trx) => {
          const { added, removed } = await setGateways(trx, id, checked.value);
          if (added.length + removed.length > 0) {
            await audit(trx, { userId: ctx.user.id, merchantId: id, action: 'merchant.gateways_changed', target: id, detail: { added, removed } }, ctx.now);
          }
        });
        return kit.seeOther(reply, merchantPath(id, 'gateways'));
      },
      OPERATOR,
    );

    kit.post(
      '/merchants/:id/settings',
      async (ctx, request, reply) => {
        const id = textField(request.params, 'id');
        if (!(await findMerchant(db, id))) return kit.notFound(ctx, reply);
        const body = bodyOf(request);
        // An unchecked checkbox is not posted at all: absent means off.
        const exempt = textField(body, 'refund_balance_exempt') === 'on';
        const input = { timezone: textField(body, 'timezone'), voidWindow: textField(body, 'void_window'), cancelWindow: textField(body, 'cancel_window') };
        const checked = checkSettings({ ...input, refundBalanceExempt: exempt ? 'on' : 'off' });
        if (!checked.ok) return showMerchant(ctx, reply, id, { settings: { ...input, exempt, problems: checked.problems } }, 422);
        await db.transaction().execute(async (trx) => {
          const changed = await applySettings(trx, id, checked.value);
          if (Object.keys(changed).length > 0) {
            await audit(trx, { userId: ctx.user.id, merchantId: id, action: 'merchant.settings_changed', target: id, detail: changed }, ctx.now);
          }
        });
        return kit.seeOther(reply, merchantPath(id, 'settings'));
      },
      OPERATOR,
    );

    kit.post(
      '/merchants/:id/credentials/:provider',
      async (ctx, request, reply) => {
        const id = textField(request.params, 'id');
        const provider = textField(request.params, 'provider');
        if (!isProviderName(provider) || !(await findMerchant(db, id))) return kit.notFound(ctx, reply);
        let input: unknown;
        try {
          input = JSON.parse(textField(bodyOf(request), 'credentials'));
        } catch {
          input = null;
        }
        // The problems name fields, never their values; the input is not rendered back.
        const parsed = parseCredentials(provider, input);
        if (!parsed.ok) return showMerchant(ctx, reply, id, { credentialsError: { provider, problems: parsed.problems } }, 422);
        await db.transaction().execute(async (trx) => {
          await saveProviderCredentials(trx, kit.deps.secrets, id, provider, parsed.value, ctx.now);
          await audit(trx, { userId: ctx.user.id, merchantId: id, action: 'provider_credentials.set', target: id, detail: { provider } }, ctx.now);
        });
        kit.deps.log.info({ merchant: id, provider, user: ctx.user.id }, 'live provider credentials stored');
        return kit.seeOther(reply, merchantPath(id, `credentials-${provider}`));
      },
      OPERATOR,
    );
  },
};
