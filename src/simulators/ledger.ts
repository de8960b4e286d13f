/**
 * What the simulated providers know: their orders and refunds, in a SQLite
 * file of their own. The simulators play the provider, so this must survive a
 * kill -9 of the process exactly like the provider's books would: WAL, and
 * every write committed before the simulator answers (better-sqlite3 is
 * synchronous, so a method that returns has committed). Statements are
 * prepared once per ledger, so an answer costs what a remote provider costs
 * CanCan: the wire, not SQL compilation.
 *
 * Provider-neutral: `provider` is a plain column, and the provider-specific
 * bits (behaviour, provider_state) are opaque strings to this module.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export const SIM_ORDER_STATUSES = ['paid', 'unpaid', 'closed', 'reversed', 'refunded', 'partially_refunded'] as const;
export type SimOrderStatus = (typeof SIM_ORDER_STATUSES)[number];

export const SIM_REFUND_STATUSES = ['processing', 'succeeded', 'failed'] as const;
export type SimRefundStatus = (typeof SIM_REFUND_STATUSES)[number];

export interface SimOrder {
  readonly provider: string;
  readonly orderNo: string;
  /** Minor units. */
  readonly amount: number;
  readonly currency: string;
  readonly status: SimOrderStatus;
  /** Minor units refunded so far (settled refunds only). */
  readonly refundedAmount: number;
  readonly providerTxnId: string | null;
  /** The test-value behaviour the simulator chose for this order (opaque here). */
  readonly behaviour: string | null;
  /** Epoch ms at which a waiting order confirms by itself, if it ever does. */
  readonly confirmAt: number | null;
  /** The provider's own status word (e.g. WeChat trade_state), opaque here. */
  readonly providerState: string | null;
}

export type NewSimOrder = Pick<SimOrder, 'provider' | 'orderNo' | 'amount' | 'currency' | 'status'> &
  Partial<Pick<SimOrder, 'providerTxnId' | 'behaviour' | 'confirmAt' | 'providerState'>>;

export type SimOrderChanges = Partial<Pick<SimOrder, 'status' | 'refundedAmount' | 'providerTxnId' | 'confirmAt' | 'providerState'>>;

export interface SimRefund {
  readonly provider: string;
  readonly refundNo: string;
  readonly orderNo: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: SimRefundStatus;
  readonly providerRefundId: string;
}

export interface SettledPayment extends SimOrder {
  readonly paidAt: number;
}

export interface SettledRefund extends SimRefund {
  readonly settledAt: number;
}

/**
 * A difference planted in a statement: `extra_payment` adds a payment CanCan
 * never made (orderNo, amount, currency as given); `drop` leaves the order's
 * lines out; `amount` prints `amount` instead of the order's amount; `status`
 * prints the payment as not settled; `fee` prints a fee of `amount`.
 */
export const STATEMENT_PLANT_KINDS = ['extra_payment', 'drop', 'amount', 'status', 'fee'] as const;
export type StatementPlantKind = (typeof STATEMENT_PLANT_KINDS)[number];

export interface StatementPlant {
  readonly provider: string;
  /** YYYY-MM-DD in the provider's statement time zone. */
  readonly day: string;
  readonly kind: StatementPlantKind;
  readonly orderNo: string;
  readonly amount?: number | null;
  readonly currency?: string | null;
}

/** One row of `GET /_sandbox/ledger`. */
export interface LedgerEntry {
  readonly provider: string;
  readonly order_no: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: SimOrderStatus;
  readonly refunded_amount: number;
}

interface OrderRow {
  provider: string;
  order_no: string;
  amount: number;
  currency: string;
  status: string;
  refunded_amount: number;
  provider_txn_id: string | null;
  behaviour: string | null;
  confirm_at: number | null;
  provider_state: string | null;
}

interface RefundRow {
  provider: string;
  refund_no: string;
  order_no: string;
  amount: number;
  currency: string;
  status: string;
  provider_refund_id: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS sim_orders (
    provider TEXT NOT NULL,
    order_no TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    refunded_amount INTEGER NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
    provider_txn_id TEXT,
    behaviour TEXT,
    confirm_at INTEGER,
    provider_state TEXT,
    PRIMARY KEY (provider, order_no)
  );
  CREATE TABLE IF NOT EXISTS sim_refunds (
    provider TEXT NOT NULL,
    refund_no TEXT NOT NULL,
    order_no TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    provider_refund_id TEXT NOT NULL,
    PRIMARY KEY (provider, refund_no)
  );
  CREATE INDEX IF NOT EXISTS sim_refunds_by_order ON sim_refunds (provider, order_no);
  CREATE TABLE IF NOT EXISTS sim_statement_plants (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    order_no TEXT NOT NULL,
    amount INTEGER,
    currency TEXT
  );
  CREATE TABLE IF NOT EXISTS sim_qr_codes (
    qr_code TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    order_no TEXT NOT NULL
  );
`;

const ORDER_COLUMNS = 'provider, order_no, amount, currency, status, refunded_amount, provider_txn_id, behaviour, confirm_at, provider_state';

export class SimulatorLedger {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(private readonly db: Database.Database) {}

  /** `sql` prepared once for this ledger. */
  private prepared<P extends unknown[] | object = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }

  static open(file: string): SimulatorLedger {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    // In WAL, NORMAL writes each commit to the log before the answer leaves and fsyncs at checkpoints: a kill -9
    // of the process loses nothing committed (the log is in the OS's cache); only a power cut could, as for a
    // provider's own replicas. FULL's fsync per commit made every simulated answer cost a disk flush.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    addColumnIfMissing(db, 'sim_orders', 'paid_at', 'INTEGER');
    addColumnIfMissing(db, 'sim_refunds', 'settled_at', 'INTEGER');
    return new SimulatorLedger(db);
  }

  close(): void {
    this.db.close();
  }

  /** Runs `work` atomically (several writes that must land together, or not at all). */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  findOrder(provider: string, orderNo: string): SimOrder | null {
    const row = this.prepared<[string, string], OrderRow>(`SELECT ${ORDER_COLUMNS} FROM sim_orders WHERE provider = ? AND order_no = ?`).get(provider, orderNo);
    return row === undefined ? null : toOrder(row);
  }

  /** Records a new order; throws if (provider, orderNo) already exists. */
  insertOrder(order: NewSimOrder): SimOrder {
    const row: OrderRow = {
      provider: order.provider,
      order_no: order.orderNo,
      amount: order.amount,
      currency: order.currency,
      status: order.status,
      refunded_amount: 0,
      provider_txn_id: order.providerTxnId ?? null,
      behaviour: order.behaviour ?? null,
      confirm_at: order.confirmAt ?? null,
      provider_state: order.providerState ?? null,
    };
    // The statement's payment time, in the same write: an order born paid was paid now.
    this.prepared<[OrderRow & { paid_at: number | null }], void>(
      `INSERT INTO sim_orders (${ORDER_COLUMNS}, paid_at) VALUES
        (@provider, @order_no, @amount, @currency, @status, @refunded_amount, @provider_txn_id, @behaviour, @confirm_at, @provider_state, @paid_at)`,
    ).run({ ...row, paid_at: row.status === 'paid' ? Date.now() : null });
    return toOrder(row);
  }

  updateOrder(provider: string, orderNo: string, changes: SimOrderChanges): SimOrder {
    const current = this.findOrder(provider, orderNo);
    if (current === null) throw new Error(`no simulator order ${provider}/${orderNo}`);
    const next: SimOrder = { ...current, ...changes };
    // The statement's payment time, in the same write: the first time the order became paid.
    const becamePaid = next.status === 'paid' && current.status !== 'paid' ? Date.now() : null;
    this.prepared<[OrderRow & { became_paid: number | null }], void>(
      `UPDATE sim_orders SET status = @status, refunded_amount = @refunded_amount,
        provider_txn_id = @provider_txn_id, confirm_at = @confirm_at, provider_state = @provider_state,
        paid_at = coalesce(paid_at, @became_paid)
        WHERE provider = @provider AND order_no = @order_no`,
    ).run({ ...toOrderRow(next), became_paid: becamePaid });
    return next;
  }

  findRefund(provider: string, refundNo: string): SimRefund | null {
    const row = this.prepared<[string, string], RefundRow>('SELECT * FROM sim_refunds WHERE provider = ? AND refund_no = ?').get(provider, refundNo);
    return row === undefined ? null : toRefund(row);
  }

  refundsOf(provider: string, orderNo: string): SimRefund[] {
    return this.prepared<[string, string], RefundRow>('SELECT * FROM sim_refunds WHERE provider = ? AND order_no = ? ORDER BY rowid')
      .all(provider, orderNo)
      .map(toRefund);
  }

  /** Records a new refund; throws if (provider, refundNo) already exists. */
  insertRefund(refund: SimRefund): SimRefund {
    this.prepared<[RefundRow & { settled_at: number | null }], void>(
      `INSERT INTO sim_refunds (provider, refund_no, order_no, amount, currency, status, provider_refund_id, settled_at)
        VALUES (@provider, @refund_no, @order_no, @amount, @currency, @status, @provider_refund_id, @settled_at)`,
    ).run({
      provider: refund.provider,
      refund_no: refund.refundNo,
      order_no: refund.orderNo,
      amount: refund.amount,
      currency: refund.currency,
      status: refund.status,
      provider_refund_id: refund.providerRefundId,
      settled_at: refund.status === 'succeeded' ? Date.now() : null,
    });
    return refund;
  }

  updateRefundStatus(provider: string, refundNo: string, status: SimRefundStatus): void {
    this.prepared<[SimRefundStatus, number | null, string, string], void>(
      'UPDATE sim_refunds SET status = ?, settled_at = coalesce(settled_at, ?) WHERE provider = ? AND refund_no = ?',
    ).run(status, status === 'succeeded' ? Date.now() : null, provider, refundNo);
  }

  /**
   * What a provider's statement covers: its orders paid and its refunds
   * settled in [fromMs, toMs), oldest first. Each provider's simulator prints
   * them in its own statement format (after `plantsFor`).
   */
  settledBetween(provider: string, fromMs: number, toMs: number): { payments: SettledPayment[]; refunds: SettledRefund[] } {
    const payments = this.prepared<[string, number, number], OrderRow & { paid_at: number }>(
      `SELECT ${ORDER_COLUMNS}, paid_at FROM sim_orders WHERE provider = ? AND paid_at >= ? AND paid_at < ? ORDER BY paid_at, rowid`,
    )
      .all(provider, fromMs, toMs)
      .map((row) => ({ ...toOrder(row), paidAt: row.paid_at }));
    const refunds = this.prepared<[string, number, number], RefundRow & { settled_at: number }>(
      `SELECT * FROM sim_refunds WHERE provider = ? AND status = 'succeeded' AND settled_at >= ? AND settled_at < ? ORDER BY settled_at, rowid`,
    )
      .all(provider, fromMs, toMs)
      .map((row) => ({ ...toRefund(row), settledAt: row.settled_at }));
    return { payments, refunds };
  }

  /** Plants a difference in a provider's statement of `day` (sandbox: tests of reconciliation). */
  plant(plant: StatementPlant): void {
    this.prepared('INSERT INTO sim_statement_plants (provider, day, kind, order_no, amount, currency) VALUES (?, ?, ?, ?, ?, ?)').run(
      plant.provider,
      plant.day,
      plant.kind,
      plant.orderNo,
      plant.amount ?? null,
      plant.currency ?? null,
    );
  }

  plantsFor(provider: string, day: string): StatementPlant[] {
    return this.prepared<[string, string], { provider: string; day: string; kind: string; order_no: string; amount: number | null; currency: string | null }>(
      'SELECT provider, day, kind, order_no, amount, currency FROM sim_statement_plants WHERE provider = ? AND day = ? ORDER BY id',
    )
      .all(provider, day)
      .map((row) => ({
        provider: row.provider,
        day: row.day,
        kind: parseStatus(STATEMENT_PLANT_KINDS, row.kind),
        orderNo: row.order_no,
        amount: row.amount,
        currency: row.currency,
      }));
  }

  /** Remembers which order a merchant-presented code (QR content or pay URL) belongs to, for the sandbox wallet. */
  registerQrCode(provider: string, orderNo: string, qrCode: string): void {
    this.prepared<[string, string, string], void>('INSERT OR REPLACE INTO sim_qr_codes (qr_code, provider, order_no) VALUES (?, ?, ?)').run(
      qrCode,
      provider,
      orderNo,
    );
  }

  findQrCode(qrCode: string): { provider: string; orderNo: string } | null {
    const row = this.prepared<[string], { provider: string; order_no: string }>('SELECT provider, order_no FROM sim_qr_codes WHERE qr_code = ?').get(qrCode);
    return row === undefined ? null : { provider: row.provider, orderNo: row.order_no };
  }

  /** Every order of every provider, oldest first. */
  entries(): LedgerEntry[] {
    return this.prepared<[], OrderRow>(`SELECT ${ORDER_COLUMNS} FROM sim_orders ORDER BY rowid`)
      .all()
      .map(toOrder)
      .map((order) => ({
        provider: order.provider,
        order_no: order.orderNo,
        amount: order.amount,
        currency: order.currency,
        status: order.status,
        refunded_amount: order.refundedAmount,
      }));
  }
}

function addColumnIfMissing(db: Database.Database, table: string, column: string, type: string): void {
  const columns = db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all();
  if (!columns.some((existing) => existing.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}

function toOrder(row: OrderRow): SimOrder {
  return {
    provider: row.provider,
    orderNo: row.order_no,
    amount: row.amount,
    currency: row.currency,
    status: parseStatus(SIM_ORDER_STATUSES, row.status),
    refundedAmount: row.refunded_amount,
    providerTxnId: row.provider_txn_id,
    behaviour: row.behaviour,
    confirmAt: row.confirm_at,
    providerState: row.provider_state,
  };
}

function toOrderRow(order: SimOrder): OrderRow {
  return {
    provider: order.provider,
    order_no: order.orderNo,
    amount: order.amount,
    currency: order.currency,
    status: order.status,
    refunded_amount: order.refundedAmount,
    provider_txn_id: order.providerTxnId,
    behaviour: order.behaviour,
    confirm_at: order.confirmAt,
    provider_state: order.providerState,
  };
}

function toRefund(row: RefundRow): SimRefund {
  return {
    provider: row.provider,
    refundNo: row.refund_no,
    orderNo: row.order_no,
    amount: row.amount,
    currency: row.currency,
    status: parseStatus(SIM_REFUND_STATUSES, row.status),
    providerRefundId: row.provider_refund_id,
  };
}

function parseStatus<S extends string>(allowed: readonly S[], value: string): S {
  const status = allowed.find((candidate) => candidate === value);
  if (status === undefined) throw new Error(`corrupt simulator ledger: unknown status ${JSON.stringify(value)}`);
  return status;
}
