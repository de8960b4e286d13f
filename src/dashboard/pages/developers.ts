/**
 * Dashboard: developers (merchant users only; the page does not exist for
 * operators). API keys (create, shown once; revoke after a confirmation),
 * the webhook signing secret (reveal, rotate after a confirmation) and curl
 * examples. Staff read; only owners act (the kit refuses staff POSTs).
 * Every change is audited, never with a secret in the detail.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { webhookSecret } from '../../chop/ipn.js';
import type { KeyMode } from '../../domain/secrets.js';
import { type ApiKeyRow, createApiKey, revokeApiKey } from '../../store/merchants.js';
import { audit } from '../accounts.js';
import type { DashContext } from '../context.js';
import { DEVELOPERS_CSS, type DevelopersState, developersHtml, revokeConfirmHtml, revokedNotice, rotateConfirmHtml } from '../developers-view.js';
import { type DashKit, type DashboardModule, textField } from '../kit.js';
import { rotateWebhookSecret } from '../webhook-secret.js';
import { latestTestIpnUrl, sendTestIpn } from '../developers-test-ipn.js';

const KEY_ID_PATTERN = /^key_[0-9a-f]{16}$/;

type Extra = Omit<DevelopersState, 'keys' | 'timeZone' | 'publicUrl'>;

function register(kit: DashKit): void {
  const { db } = kit.deps.store;

  /** Active keys first, newest first. */
  const keysOf = async (merchantId: string): Promise<ApiKeyRow[]> => {
    const rows = await db.selectFrom('api_keys').selectAll().where('merchant_id', '=', merchantId).orderBy('created_at', 'desc').orderBy('id').execute();
    return rows.sort((a, b) => Number(a.revoked_at !== null) - Number(b.revoked_at !== null));
  };

  const render = async (ctx: DashContext, merchantId: string, extra: Extra = {}): Promise<string> =>
    developersHtml(ctx, {
      keys: await keysOf(merchantId),
      timeZone: ctx.timeZone,
      publicUrl: kit.deps.publicUrl(),
      testIpn: { url: await latestTestIpnUrl(kit.deps, merchantId) },
      ...extra,
    });

  /** The merchant's own key, or undefined (another merchant's key looks like no key at all). */
  const ownKey = async (merchantId: string, id: string): Promise<ApiKeyRow | undefined> =>
    KEY_ID_PATTERN.test(id) ? db.selectFrom('api_keys').selectAll().where('id', '=', id).where('merchant_id', '=', merchantId).executeTakeFirst() : undefined;

  /** Runs a handler for merchant users; operators get the 404 page. */
  const merchantOnly =
    (handler: (ctx: DashContext, merchantId: string, request: FastifyRequest, reply: FastifyReply) => Promise<string | FastifyReply>) =>
    async (ctx: DashContext, request: FastifyRequest, reply: FastifyReply) =>
      ctx.merchantId === null ? kit.notFound(ctx, reply) : handler(ctx, ctx.merchantId, request, reply);

  kit.get(
    '/developers',
    merchantOnly(async (ctx, merchantId, request) => {
      const revoked = textField(request.query, 'done') === 'revoked' ? await ownKey(merchantId, textField(request.query, 'key')) : undefined;
      return render(ctx, merchantId, revoked ? { notices: [revokedNotice(ctx, revoked.prefix)] } : {});
    }),
  );

  kit.post(
    '/developers/keys',
    merchantOnly(async (ctx, merchantId, request, reply) => {
      const mode = textField(request.body, 'mode');
      if (mode !== 'test' && mode !== 'live') return kit.sendHtml(reply, await render(ctx, merchantId, { modeError: true }), 400);
      const created = await db.transaction().execute(async (trx) => {
        const key = await createApiKey(trx, kit.deps.secrets, { merchantId, mode: mode satisfies KeyMode, now: ctx.now });
        await audit(trx, { userId: ctx.user.id, merchantId, action: 'api_key.created', target: key.id, detail: { mode, prefix: key.prefix } }, ctx.now);
        return key;
      });
      // Shown in this answer only (no redirect: the key must not travel in a URL); sendHtml sets no-store.
      return kit.sendHtml(reply, await render(ctx, merchantId, { newKey: { apiKey: created.apiKey, mode } }), 201);
    }),
  );

  kit.get(
    '/developers/keys/:id/revoke',
    merchantOnly(async (ctx, merchantId, request, reply) => {
      const key = await ownKey(merchantId, textField(request.params, 'id'));
      if (!key) return kit.notFound(ctx, reply);
      if (!ctx.canAct) return kit.forbidden(ctx, reply);
      if (key.revoked_at !== null) return kit.seeOther(reply, `/dashboard/developers?done=revoked&key=${key.id}`);
      return revokeConfirmHtml(ctx, key);
    }),
  );

  kit.post(
    '/developers/keys/:id/revoke',
    merchantOnly(async (ctx, merchantId, request, reply) => {
      const key = await ownKey(merchantId, textField(request.params, 'id'));
      if (!key) return kit.notFound(ctx, reply);
      if (key.revoked_at === null) {
        await db.transaction().execute(async (trx) => {
          await revokeApiKey(trx, key.id, ctx.now);
          await audit(
            trx,
            { userId: ctx.user.id, merchantId, action: 'api_key.revoked', target: key.id, detail: { mode: key.mode, prefix: key.prefix } },
            ctx.now,
          );
        });
      }
      return kit.seeOther(reply, `/dashboard/developers?done=revoked&key=${key.id}`);
    }),
  );

  kit.post(
    '/developers/test-ipn',
    merchantOnly(async (ctx, merchantId, request, reply) => {
      // Test mode only: the sample is a test-mode IPN, signed with a test key.
      if (ctx.mode !== 'test') return kit.sendHtml(reply, await render(ctx, merchantId), 409);
      const url = textField(request.body, 'url');
      const outcome = await sendTestIpn(kit.deps, merchantId, url);
      const host = 'url' in outcome ? (URL.canParse(outcome.url) ? new URL(outcome.url).host : null) : null;
      await audit(db, { userId: ctx.user.id, merchantId, action: 'ipn.test_sent', target: merchantId, detail: { host, outcome: outcome.kind } }, ctx.now);
      const status =
        outcome.kind === 'delivered' || outcome.kind === 'rejected' || outcome.kind === 'unreachable' ? 200 : outcome.kind === 'no_test_key' ? 409 : 400;
      return kit.sendHtml(reply, await render(ctx, merchantId, { testIpn: { url, outcome } }), status);
    }),
  );

  kit.post(
    '/developers/webhook-secret/reveal',
    merchantOnly(async (ctx, merchantId) => {
      const secret = await webhookSecret(kit.deps, merchantId);
      await audit(db, { userId: ctx.user.id, merchantId, action: 'webhook_secret.revealed', target: merchantId }, ctx.now);
      return render(ctx, merchantId, { secret: { value: secret, rotated: false } });
    }),
  );

  kit.get(
    '/developers/webhook-secret/rotate',
    merchantOnly(async (ctx, _merchantId, _request, reply) => (ctx.canAct ? rotateConfirmHtml(ctx) : kit.forbidden(ctx, reply))),
  );

  kit.post(
    '/developers/webhook-secret/rotate',
    merchantOnly(async (ctx, merchantId, request, reply) => {
      // Without the confirmation field (a hand-made post), ask again rather than rotate.
      if (textField(request.body, 'confirm') !== 'yes') return kit.sendHtml(reply, rotateConfirmHtml(ctx), 400);
      const secret = await db.transaction().execute(async (trx) => {
        const fresh = await rotateWebhookSecret(kit.deps, trx, merchantId);
        await audit(trx, { userId: ctx.user.id, merchantId, action: 'webhook_secret.rotated', target: merchantId }, ctx.now);
        return fresh;
      });
      return render(ctx, merchantId, { secret: { value: secret, rotated: true } });
    }),
  );
}

export const developersPage: DashboardModule = { register, css: DEVELOPERS_CSS };
