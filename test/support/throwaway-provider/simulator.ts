/**
 * The throwaway provider's simulator: orders in memory, paid at once at a
 * point of sale (authorisation codes ending 0000 are refused), paid by a call
 * to /approve for a checkout QR. GET /orders shows what it holds, with the
 * calls it answered.
 */
import type { FastifyPluginAsync } from 'fastify';
import { THROWAWAY_SANDBOX_CREDENTIALS } from './adapter.js';

interface Order {
  orderNo: string;
  amount: number;
  currency: string;
  status: 'created' | 'paid' | 'closed' | 'reversed';
  refunds: string[];
}

export function throwawaySimulator(): FastifyPluginAsync {
  const orders = new Map<string, Order>();
  const calls: string[] = [];
  return async (server) => {
    server.addHook('onRequest', async (request, reply) => {
      if (request.method === 'POST' && request.url.endsWith('/approve')) return;
      if (request.method === 'POST' && request.headers.authorization !== `Bearer ${THROWAWAY_SANDBOX_CREDENTIALS.token}`) {
        return reply.code(401).send({ status: 'unauthorized' });
      }
    });
    const body = (raw: unknown) => raw as Record<string, string | number>;
    server.post('/pay', async (request) => {
      const { orderNo, amount, currency, authCode } = body(request.body);
      calls.push('pay');
      if (String(authCode).endsWith('0000')) return { status: 'declined', code: 'NO_FUNDS' };
      orders.set(String(orderNo), { orderNo: String(orderNo), amount: Number(amount), currency: String(currency), status: 'paid', refunds: [] });
      return { status: 'paid', txnId: `TW-${String(orderNo)}` };
    });
    server.post('/order', async (request) => {
      const { orderNo, amount, currency } = body(request.body);
      calls.push('order');
      orders.set(String(orderNo), { orderNo: String(orderNo), amount: Number(amount), currency: String(currency), status: 'created', refunds: [] });
      return { status: 'created' };
    });
    server.post('/query', async (request) => {
      calls.push('query');
      const order = orders.get(String(body(request.body).orderNo));
      return order ? { status: order.status, txnId: `TW-${order.orderNo}` } : { status: 'not_found' };
    });
    server.post('/close', async (request) => {
      calls.push('close');
      const order = orders.get(String(body(request.body).orderNo));
      if (order?.status === 'paid') return { status: 'paid' };
      if (order) order.status = 'closed';
      return { status: 'closed' };
    });
    server.post('/reverse', async (request) => {
      calls.push('reverse');
      const order = orders.get(String(body(request.body).orderNo));
      if (order) order.status = 'reversed';
      return { status: 'reversed' };
    });
    server.post('/refund', async (request) => {
      calls.push('refund');
      const { orderNo, refundNo } = body(request.body);
      orders.get(String(orderNo))?.refunds.push(String(refundNo));
      return { status: 'refunded' };
    });
    server.post('/refund-query', async (request) => {
      calls.push('refund-query');
      const refundNo = String(body(request.body).refundNo);
      return [...orders.values()].some((o) => o.refunds.includes(refundNo)) ? { status: 'refunded' } : { status: 'not_found' };
    });
    // The shopper pays a checkout QR.
    server.post('/approve', async (request, reply) => {
      const order = orders.get(String(body(request.body).orderNo));
      if (order?.status !== 'created') return reply.code(409).send({ status: order?.status ?? 'not_found' });
      order.status = 'paid';
      return { status: 'paid' };
    });
    server.get('/orders', async () => ({ orders: [...orders.values()], calls }));
  };
}
