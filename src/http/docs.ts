/**
 * The OpenAPI 3.1 document of the public APIs, built by @fastify/swagger from
 * the routes' own schemas (src/http/schemas), served at /docs/json and shown
 * at /docs by Swagger UI, whose assets come from this server only.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../core/deps.js';
import { SECURITY_SCHEMES } from './schemas/common.js';
import { WEBHOOKS } from './schemas/webhooks.js';

export const DOCS_PATH = '/docs';

/** Swagger UI loads its scripts, styles and the document from here; its icons are data: URIs. */
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const DESCRIPTION = `Two APIs, one API key per merchant.

**POS API** (\`/api/v2\`, the CANCAN v2 blueprint): JSON:API-style documents. Errors are
\`{"errors":[{"status","code","detail","source"}]}\`; validation errors name the attribute in
\`source.pointer\` (or the query parameter in \`source.parameter\`), all problems at once.
Retrying with the same \`id\` and body is safe (\`200\`, \`Idempotent-Replayed: true\`); the same
\`id\` with another body is \`409\`. \`Prefer: wait=N\` (N ≤ 30) holds the answer until the
transaction is final.

**CHOP API** (\`/chop\`) and **Online API** (\`/payment\`), Citcon-compatible: form fields
(JSON works too), answers in JSON. Errors are \`{"result":"fail","error","code"}\` with a 4xx status.
Charges, pay_qr, refunds and cancels take an optional \`Idempotency-Key\` header: the same key
and parameters answer the first answer again for 24 hours (\`Idempotent-Replayed: true\`); other
parameters: \`422 idempotency_key_reused\`; while the first runs: \`409 idempotency_key_in_progress\`.

**Authentication**: \`Authorization: Bearer <key>\`; the bare key without \`Bearer \` works too.
Test keys (\`sk_test_…\`) use the built-in provider simulators.

**Rate limits**: a token bucket per API key (\`CANCAN_RATE_LIMIT_PER_SECOND\`,
\`CANCAN_RATE_LIMIT_BURST\`), shared by every server process when \`REDIS_URL\` is set;
over the limit: \`429\` with \`Retry-After\` (seconds).

**Provider notifications** (not for merchants): the wallet providers post their payment results to
\`<CANCAN_PUBLIC_URL>/notify/<provider>\` (\`wechatpay\`, \`alipay\`, \`alipayplus\`, \`unionpay\`),
in each provider's own format. CanCan sends that URL with every order it creates (WeChat Pay's and
Alipay's \`notify_url\`, Antom's \`paymentNotifyUrl\`, UnionPay's \`backUrl\`), so nothing is
registered with the provider; \`CANCAN_PUBLIC_URL\` must be the root address the providers reach.
A notification is verified with the credentials of its order's merchant and mode and only wakes the
charge, which CanCan confirms by querying the provider; the merchant's IPN follows as usual.
POS sales take \`"payment_gateway": "auto"\` (beyond the blueprint): the gateway is chosen by the
shape of the customer's code (see \`payment_gateway\`).`;

/** Registered before the API routes, so the document sees their schemas. */
export async function registerDocs(app: FastifyInstance, deps: CoreDeps): Promise<void> {
  const { publicUrl } = deps.config;
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'CanCan API', version: '2', description: DESCRIPTION },
      // Without CANCAN_PUBLIC_URL, the server the document was read from (a relative URL).
      servers: [{ url: publicUrl ?? '/', description: 'This CanCan server' }],
      // openapi-types cannot hold 3.1 schemas inside a 3.1 path item; the tests validate the entry instead.
      webhooks: WEBHOOKS as never,
      tags: [
        { name: 'POS API', description: 'Point-of-sale payments: sale, void, refund, retrieve, list.' },
        { name: 'CHOP API', description: 'Hosted checkout (Citcon CHOP).' },
        { name: 'Online API', description: 'QR codes for your own checkout page.' },
      ],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    // Only the public APIs, whose routes carry tags; not health, metrics, dashboard, checkout pages or simulators.
    hideUntagged: true,
    // The server URL is the whole origin: the paths are not to be shortened by it.
    stripBasePath: false,
    // Components keep the names of the shared schemas ($id), not def-0, def-1, ….
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    staticCSP: DOCS_CSP,
    theme: { title: 'CanCan API' },
    // BaseLayout: no top bar (its logo SVG carries an inline <style> the CSP refuses, and its URL box could only load this server's document anyway).
    uiConfig: { layout: 'BaseLayout', deepLinking: true, defaultModelsExpandDepth: 0, docExpansion: 'list' },
  });
}
