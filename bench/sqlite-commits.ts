/**
 * The experiment behind the group-commit proposal: raw better-sqlite3 rates of
 * sale-shaped writes (a transaction row, its event, its job) when every sale is
 * its own durable commit, against several sales sharing one commit.
 * Standalone: `node dist/bench/sqlite-commits.js [seconds per variant]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';

export interface CommitRate {
  readonly synchronous: 'FULL' | 'NORMAL';
  readonly salesPerCommit: number;
  readonly salesPerSecond: number;
  readonly commitsPerSecond: number;
}

const VARIANTS: readonly { synchronous: 'FULL' | 'NORMAL'; salesPerCommit: number }[] = [
  { synchronous: 'FULL', salesPerCommit: 1 },
  { synchronous: 'FULL', salesPerCommit: 4 },
  { synchronous: 'FULL', salesPerCommit: 16 },
  { synchronous: 'FULL', salesPerCommit: 50 },
  { synchronous: 'NORMAL', salesPerCommit: 1 },
];

const SCHEMA = `
  create table transactions (seq integer primary key autoincrement, ref text not null, merchant_id text not null, client_id text not null,
    type text not null, state text not null, step text not null, gateway text, amount integer, currency text, description text,
    request_digest text not null, provider_order_no text, auth_code_sealed text, created_at integer not null, updated_at integer not null,
    version integer not null default 0, unique (merchant_id, client_id));
  create index transactions_merchant_created on transactions (merchant_id, created_at);
  create index transactions_client_id on transactions (client_id);
  create table transaction_events (id integer primary key autoincrement, transaction_seq integer not null references transactions (seq),
    at integer not null, kind text not null, data text not null);
  create index transaction_events_tx on transaction_events (transaction_seq);
  create table jobs (id integer primary key autoincrement, transaction_seq integer not null references transactions (seq),
    run_at integer not null, attempts integer not null default 0, lease_owner text, lease_until integer, done_at integer, created_at integer not null);
  create index jobs_due on jobs (run_at) where done_at is null;`;

export function measureCommitRates(secondsPerVariant: number): CommitRate[] {
  return VARIANTS.map((variant) => measure(variant.synchronous, variant.salesPerCommit, secondsPerVariant));
}

function measure(synchronous: 'FULL' | 'NORMAL', salesPerCommit: number, seconds: number): CommitRate {
  const dir = mkdtempSync(join(tmpdir(), 'cancan-commits-'));
  const db = new BetterSqlite3(join(dir, 'commits.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    const insertSale = db.prepare(`insert into transactions (ref, merchant_id, client_id, type, state, step, gateway, amount, currency, description,
      request_digest, provider_order_no, auth_code_sealed, created_at, updated_at) values (?, 'mch_bench', ?, 'sale', 'pending', 'pay',
      'wechatpay_cn_domestic', 1000, 'CNY', 'Bench', ?, ?, ?, ?, ?)`);
    const insertEvent = db.prepare("insert into transaction_events (transaction_seq, at, kind, data) values (?, ?, 'created', ?)");
    const insertJob = db.prepare('insert into jobs (transaction_seq, run_at, created_at) values (?, ?, ?)');
    let sales = 0;
    const commit = db.transaction((count: number) => {
      for (let i = 0; i < count; i += 1) {
        const now = Date.now();
        const ref = `ref${sales}`;
        const { lastInsertRowid } = insertSale.run(ref, `sale-${sales}`, 'd'.repeat(64), ref, 's'.repeat(80), now, now);
        insertEvent.run(lastInsertRowid, now, '{"type":"sale","gateway":"wechatpay_cn_domestic","amount":1000,"currency":"CNY"}');
        insertJob.run(lastInsertRowid, now, now);
        sales += 1;
      }
    });
    const start = performance.now();
    const end = start + seconds * 1000;
    let commits = 0;
    while (performance.now() < end) {
      commit(salesPerCommit);
      commits += 1;
    }
    const elapsedS = (performance.now() - start) / 1000;
    return { synchronous, salesPerCommit, salesPerSecond: sales / elapsedS, commitsPerSecond: commits / elapsedS };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const rate of measureCommitRates(Number(process.argv[2] ?? 2))) {
    process.stdout.write(
      `synchronous=${rate.synchronous}, ${rate.salesPerCommit} sale(s)/commit: ${Math.round(rate.salesPerSecond)} sales/s, ${Math.round(rate.commitsPerSecond)} commits/s\n`,
    );
  }
}
