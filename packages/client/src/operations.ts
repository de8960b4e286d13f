/**
 * The API operations this client calls, by the operationId the OpenAPI
 * document (/docs/json) gives them; the repository's tests check each is
 * there with this method and path.
 */
export const CLIENT_OPERATIONS = [
  { operationId: 'createTransaction', method: 'post', path: '/api/v2/transactions', calls: ['pos.sale', 'pos.void', 'pos.refund'] },
  { operationId: 'getTransaction', method: 'get', path: '/api/v2/transactions/{id}', calls: ['pos.retrieve'] },
  { operationId: 'listTransactions', method: 'get', path: '/api/v2/transactions', calls: ['pos.list'] },
  { operationId: 'chopCharge', method: 'post', path: '/chop/chop', calls: ['chop.chop'] },
  { operationId: 'onlinePayQr', method: 'post', path: '/payment/pay_qr', calls: ['chop.payQr'] },
  { operationId: 'chopInquire', method: 'post', path: '/chop/inquire', calls: ['chop.inquire'] },
  { operationId: 'chopRefund', method: 'post', path: '/chop/refund', calls: ['chop.refund'] },
  { operationId: 'chopCancel', method: 'post', path: '/chop/cancel', calls: ['chop.cancel'] },
] as const;
