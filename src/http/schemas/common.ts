/** Pieces the POS and CHOP schemas share: references, authentication, response shapes. */

/** A reference to a shared schema (its `$id`); a component of the OpenAPI document. */
export const ref = (id: string) => ({ $ref: `${id}#` });

/** How both APIs authenticate (src/http/auth.ts): the API key in `Authorization`, with or without `Bearer `. */
export const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description: 'Your API key (`sk_test_…` routes every payment to the built-in simulators, `sk_live_…` to the providers): `Authorization: Bearer <key>`.',
  },
  bareToken: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: "The same API key without the `Bearer ` prefix, as Citcon's CHOP clients and some POS systems send it: `Authorization: <key>`.",
  },
} as const;

/** Either scheme is enough. */
export const API_SECURITY: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { bareToken: [] }];

/** A JSON response (fastify's per-content-type form, which @fastify/swagger documents as is). */
export function jsonResponse(description: string, schema: object, headers?: Record<string, object>) {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } };
}
