/**
 * The ceiling: a bare fastify server with one JSON POST endpoint that parses
 * the body and answers 201 with a small JSON. Run as a child by the bench.
 */
import Fastify from 'fastify';

interface SaleBody {
  readonly data?: { readonly id?: string };
}

const server = Fastify({ logger: false });
server.get('/healthz', async () => ({ status: 'ok' }));
server.post<{ Body: SaleBody }>('/api/v2/transactions', async (request, reply) =>
  reply.code(201).send({ data: { id: request.body.data?.id ?? null, type: 'sale', attributes: { state: 'pending' } } }),
);

await server.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
