/** Transaction rows → the blueprint's JSON:API resource objects. */
import { isoSeconds } from '../domain/clock.js';
import type { TransactionRow } from '../store/transactions.js';

export interface Resource {
  id: string;
  type: string;
  attributes: Record<string, string | number | boolean | null>;
}

export function renderTransaction(row: TransactionRow): Resource {
  const common = {
    description: row.description,
    pos_id: row.pos_id,
    mch_level_1: row.mch_level_1,
    mch_level_2: row.mch_level_2,
    mch_level_3: row.mch_level_3,
    failure_code: row.failure_code,
    failure_detail: row.failure_detail,
    livemode: row.mode === 'live',
    created_at: isoSeconds(row.created_at),
    updated_at: isoSeconds(row.updated_at),
  };
  switch (row.type) {
    case 'sale':
      return {
        id: row.client_id,
        type: 'sale',
        attributes: {
          state: row.state,
          payment_gateway: row.gateway,
          amount: row.amount,
          currency: row.currency,
          ...common,
          refunded_amount: row.refunded_amount,
          voided: row.voided === 1,
        },
      };
    case 'void':
      return { id: row.client_id, type: 'void', attributes: { state: row.state, sale: row.sale_client_id, ...common } };
    case 'refund':
      return {
        id: row.client_id,
        type: 'refund',
        attributes: { state: row.state, sale: row.sale_client_id, amount: row.amount, currency: row.currency, ...common },
      };
    case 'charge':
    case 'cancel':
      throw new Error(`${row.type} ${row.ref} is a hosted-checkout transaction, not a POS resource`);
    default: {
      const unreachable: never = row.type;
      throw new Error(`unknown type ${String(unreachable)}`);
    }
  }
}
