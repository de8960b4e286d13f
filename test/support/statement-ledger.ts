/**
 * What the statement contract tests share: putting simulator ledger entries
 * on a chosen past day (a second connection to the ledger file moves their
 * paid / settled times), and planting statement differences through the
 * sandbox route, as a person or a reconciliation test would.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';

/** Moves an order's payment time (and, with `refundNo`, a refund's settlement time) to `at`. */
export function moveLedgerTimes(ledgerFile: string, provider: string, change: { orderNo?: string; refundNo?: string; at: number }): void {
  const db = new Database(ledgerFile);
  try {
    if (change.orderNo !== undefined) {
      const moved = db.prepare('UPDATE sim_orders SET paid_at = ? WHERE provider = ? AND order_no = ?').run(change.at, provider, change.orderNo);
      assert.equal(moved.changes, 1, `order ${change.orderNo} moved`);
    }
    if (change.refundNo !== undefined) {
      const moved = db.prepare('UPDATE sim_refunds SET settled_at = ? WHERE provider = ? AND refund_no = ?').run(change.at, provider, change.refundNo);
      assert.equal(moved.changes, 1, `refund ${change.refundNo} moved`);
    }
  } finally {
    db.close();
  }
}

export interface PlantBody {
  provider: string;
  day: string;
  kind: string;
  order_no: string;
  amount?: number;
  currency?: string;
}

/** POST /_sandbox/statements/plants; asserts the 201 and its echo. */
export async function plantOverHttp(origin: string, plant: PlantBody): Promise<void> {
  const response = await fetch(`${origin}/_sandbox/statements/plants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(plant),
  });
  assert.equal(response.status, 201);
  assert.deepEqual(await response.json(), { amount: null, currency: null, ...plant });
}
