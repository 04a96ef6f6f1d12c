/**
 * The embedded webhook outbox and delivery log (`<data>/webhooks.db`). Deliveries get an
 * INTEGER PRIMARY KEY in the order they were enqueued, which is the log's order within a lane
 * (one enqueuer, in log order), so a lane's head is its smallest pending id. Attempts are rows of their own (the delivery log);
 * package marks and the subscriptions' failing marks are small tables beside them.
 */
import type Database from 'better-sqlite3';
import { SqliteFileOptions, openSqlite, prepared, translateSqliteOutages } from '@wharf/adapters/sqlite';
import { laneShard } from '@wharf/domain';
import type {
  AttemptOutcome,
  Delivery,
  DeliveryAttempt,
  DeliveryRecord,
  LaneShard,
  NewDelivery,
  PackageMark,
  SubscriptionHealth,
  WebhookDeliveryStore,
} from '@wharf/ports';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription    TEXT NOT NULL,
    namespace       TEXT NOT NULL,
    package         TEXT NOT NULL,
    sequence        INTEGER NOT NULL,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    state           TEXT NOT NULL,
    tries           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    UNIQUE (subscription, event_id)
  );
  CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (state, subscription, package, id);
  CREATE TABLE IF NOT EXISTS delivery_attempts (
    delivery   INTEGER NOT NULL,
    at         TEXT NOT NULL,
    status     INTEGER,
    latency_ms INTEGER NOT NULL,
    error      TEXT,
    response   TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS delivery_attempts_by_delivery ON delivery_attempts (delivery);
  CREATE TABLE IF NOT EXISTS package_marks (
    package   TEXT PRIMARY KEY,
    sequence  INTEGER NOT NULL,
    manifests INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS failing_subscriptions (
    subscription TEXT PRIMARY KEY,
    since        TEXT NOT NULL
  );`;

/** Attempts shown per delivery in a listing (all of them in `get`). */
const LISTED_ATTEMPTS = 5;

interface DeliveryRow {
  id: number;
  subscription: string;
  namespace: string;
  package: string;
  sequence: number;
  event_id: string;
  event_type: string;
  body: string;
  created_at: string;
  state: Delivery['state'];
  tries: number;
  next_attempt_at: string;
  delivered_at: string | null;
}

interface AttemptRow {
  at: string;
  status: number | null;
  latency_ms: number;
  error: string | null;
  response: string;
}

export class SqliteWebhookDeliveryStore implements WebhookDeliveryStore {
  private readonly db: Database.Database;

  constructor(options: SqliteFileOptions) {
    this.db = openSqlite(options.path, options.synchronous ?? 'full');
    this.db.exec(SCHEMA);
  }

  async marks(packages: readonly string[]): Promise<Map<string, PackageMark>> {
    const result = new Map<string, PackageMark>();
    const statement = prepared(this.db, 'SELECT package, sequence, manifests FROM package_marks WHERE package = ?');
    for (const pkg of packages) {
      const row = statement.get(pkg) as PackageMark | undefined;
      if (row) result.set(pkg, { ...row });
    }
    return result;
  }

  async enqueue(deliveries: readonly NewDelivery[], marks: readonly PackageMark[]): Promise<void> {
    this.db.transaction(() => {
      const insert = prepared(
        this.db,
        `INSERT OR IGNORE INTO deliveries (subscription, namespace, package, sequence, event_id, event_type, body, created_at, state, next_attempt_at)
         VALUES (@subscription, @namespace, @package, @sequence, @eventId, @eventType, @body, @createdAt, 'pending', @createdAt)`,
      );
      for (const d of deliveries) insert.run(d);
      const mark = prepared(
        this.db,
        `INSERT INTO package_marks (package, sequence, manifests) VALUES (@package, @sequence, @manifests)
         ON CONFLICT (package) DO UPDATE SET sequence = excluded.sequence, manifests = excluded.manifests`,
      );
      for (const m of marks) mark.run(m);
    })();
  }

  async due(now: string, limit: number, busy: ReadonlySet<string>, shard?: LaneShard): Promise<Delivery[]> {
    // The hash is not SQL: with shards, every due head is read and the shard kept before the limit.
    const sharded = shard !== undefined && shard.count > 1;
    const rows = prepared(
      this.db,
      `SELECT d.* FROM deliveries d
         JOIN (SELECT MIN(id) AS id FROM deliveries WHERE state = 'pending' GROUP BY subscription, package) heads
           ON heads.id = d.id
        WHERE d.next_attempt_at <= ?
          AND d.subscription NOT IN (SELECT subscription FROM failing_subscriptions)
        ORDER BY d.next_attempt_at, d.id
        LIMIT ?`,
    ).all(now, sharded ? -1 : limit + busy.size) as DeliveryRow[];
    return rows
      .map(toDelivery)
      .filter((d) => !busy.has(d.id) && (!sharded || laneShard(d, shard.count) === shard.index))
      .slice(0, limit);
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void> {
    this.db.transaction(() => {
      prepared(
        this.db,
        `INSERT INTO delivery_attempts (delivery, at, status, latency_ms, error, response)
         VALUES (@delivery, @at, @status, @latencyMs, @error, @response)`,
      ).run({ delivery: Number(id), ...attempt });
      if (outcome.state === 'delivered') {
        prepared(
          this.db,
          `UPDATE deliveries SET state = 'delivered', tries = tries + 1, delivered_at = ? WHERE id = ? AND state = 'pending'`,
        ).run(attempt.at, Number(id));
      } else if (outcome.state === 'retry') {
        prepared(this.db, `UPDATE deliveries SET tries = tries + 1, next_attempt_at = ? WHERE id = ?`).run(
          outcome.nextAttemptAt,
          Number(id),
        );
      } else {
        prepared(this.db, `UPDATE deliveries SET tries = tries + 1 WHERE id = ?`).run(Number(id));
        const row = prepared(this.db, 'SELECT subscription FROM deliveries WHERE id = ?').get(Number(id)) as
          { subscription: string } | undefined;
        if (row)
          prepared(this.db, `INSERT OR IGNORE INTO failing_subscriptions (subscription, since) VALUES (?, ?)`).run(
            row.subscription,
            attempt.at,
          );
        if (row && outcome.drop)
          prepared(this.db, `UPDATE deliveries SET state = 'dropped' WHERE subscription = ? AND state = 'pending'`).run(
            row.subscription,
          );
      }
    })();
  }

  async resume(subscription: string, now: string): Promise<void> {
    this.db.transaction(() => {
      prepared(this.db, 'DELETE FROM failing_subscriptions WHERE subscription = ?').run(subscription);
      prepared(
        this.db,
        `UPDATE deliveries SET tries = 0, next_attempt_at = ? WHERE subscription = ? AND state = 'pending'`,
      ).run(now, subscription);
    })();
  }

  async redeliver(subscription: string, id: string, now: string): Promise<Delivery | null> {
    if (!/^\d{1,15}$/.test(id)) return null;
    return this.db.transaction(() => {
      const changed = prepared(
        this.db,
        `UPDATE deliveries SET state = 'pending', tries = 0, next_attempt_at = ?, delivered_at = NULL
          WHERE id = ? AND subscription = ?`,
      ).run(now, Number(id), subscription);
      if (changed.changes === 0) return null;
      prepared(this.db, 'DELETE FROM failing_subscriptions WHERE subscription = ?').run(subscription);
      return toDelivery(prepared(this.db, 'SELECT * FROM deliveries WHERE id = ?').get(Number(id)) as DeliveryRow);
    })();
  }

  async cancel(subscription: string): Promise<void> {
    this.db.transaction(() => {
      prepared(this.db, `UPDATE deliveries SET state = 'cancelled' WHERE subscription = ? AND state = 'pending'`).run(
        subscription,
      );
      prepared(this.db, 'DELETE FROM failing_subscriptions WHERE subscription = ?').run(subscription);
    })();
  }

  async health(subscriptions: readonly string[]): Promise<Map<string, SubscriptionHealth>> {
    const result = new Map<string, SubscriptionHealth>();
    for (const subscription of subscriptions) {
      const failing = prepared(this.db, 'SELECT since FROM failing_subscriptions WHERE subscription = ?').get(
        subscription,
      ) as { since: string } | undefined;
      const pending = prepared(
        this.db,
        `SELECT COUNT(*) AS n FROM deliveries WHERE subscription = ? AND state = 'pending'`,
      ).get(subscription) as { n: number };
      result.set(subscription, { failingSince: failing?.since ?? null, pending: pending.n });
    }
    return result;
  }

  async pending(): Promise<number> {
    return (prepared(this.db, `SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending'`).get() as { n: number }).n;
  }

  async list(subscription: string, options: { limit: number; before?: string }): Promise<DeliveryRecord[]> {
    const before = options.before !== undefined && /^\d{1,15}$/.test(options.before) ? Number(options.before) : null;
    const rows = prepared(
      this.db,
      `SELECT * FROM deliveries WHERE subscription = ? AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?`,
    ).all(subscription, before, before, options.limit) as DeliveryRow[];
    return rows.map((row) => ({ ...toDelivery(row), attempts: this.attemptsOf(row.id, LISTED_ATTEMPTS) }));
  }

  async get(subscription: string, id: string): Promise<DeliveryRecord | null> {
    if (!/^\d{1,15}$/.test(id)) return null;
    const row = prepared(this.db, 'SELECT * FROM deliveries WHERE id = ? AND subscription = ?').get(
      Number(id),
      subscription,
    ) as DeliveryRow | undefined;
    return row ? { ...toDelivery(row), attempts: this.attemptsOf(row.id, -1) } : null;
  }

  async prune(before: string): Promise<number> {
    return this.db.transaction(() => {
      prepared(
        this.db,
        `DELETE FROM delivery_attempts WHERE delivery IN
           (SELECT id FROM deliveries WHERE state != 'pending' AND created_at < ?)`,
      ).run(before);
      return prepared(this.db, `DELETE FROM deliveries WHERE state != 'pending' AND created_at < ?`).run(before)
        .changes;
    })();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private attemptsOf(delivery: number, limit: number): DeliveryAttempt[] {
    const rows = prepared(
      this.db,
      'SELECT at, status, latency_ms, error, response FROM delivery_attempts WHERE delivery = ? ORDER BY rowid DESC LIMIT ?',
    ).all(delivery, limit) as AttemptRow[];
    return rows.map((r) => ({
      at: r.at,
      status: r.status,
      latencyMs: r.latency_ms,
      error: r.error,
      response: r.response,
    }));
  }
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: String(row.id),
    subscription: row.subscription,
    namespace: row.namespace,
    package: row.package,
    sequence: row.sequence,
    eventId: row.event_id,
    eventType: row.event_type,
    body: row.body,
    createdAt: row.created_at,
    state: row.state,
    tries: row.tries,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
  };
}

translateSqliteOutages(SqliteWebhookDeliveryStore);
