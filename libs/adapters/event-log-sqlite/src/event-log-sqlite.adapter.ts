/**
 * The embedded event log: one SQLite table in append order. `position` is SQLite's rowid
 * (monotonic with AUTOINCREMENT); the UNIQUE (package, sequence) constraint backs the
 * optimistic concurrency check even if two processes ever opened the same file.
 */
import type Database from 'better-sqlite3';
import { openSqlite, prepared, translateSqliteOutages } from '@wharf/adapters/sqlite';
import { EventEmitter } from 'node:events';
import { ConcurrencyConflictError } from '@wharf/domain';
import { EventEnvelope, StoredEvent, deepFreeze, validateOnConsume } from '@wharf/contracts';
import {
  DEFAULT_MAX_ATTEMPTS,
  DeadLetter,
  EventLog,
  SubscribeOptions,
  Subscription,
  deliverBounded,
} from '@wharf/ports';

export interface SqliteEventLogOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** 'full' fsyncs every commit: an acknowledged push survives power loss, not only a crash. */
  synchronous?: 'full' | 'normal';
  /** How long an idle subscription sleeps before looking again (it is also woken on append). */
  pollIntervalMs?: number;
  /** Pause before a failed batch is handed over again. */
  retryDelayMs?: number;
  /** Called for each event a group sets aside (failed validation, or its handler could not apply it). */
  onDeadLetter?: (group: string, position: string, reason: string) => void;
}

interface PendingAppend {
  pkg: string;
  expectedSequence: number;
  events: EventEnvelope[];
  resolve: (stored: StoredEvent[]) => void;
  reject: (error: unknown) => void;
}

type Decoded = { event: StoredEvent } | { reason: string };

/** Decoded rows kept for the other groups (see `decode`). */
const DECODED_KEPT = 4096;

interface EventRow {
  position: number;
  envelope: string;
}

export class SqliteEventLog implements EventLog {
  private readonly db: Database.Database;
  private readonly appended = new EventEmitter();
  private readonly subscriptions = new Set<SqliteSubscription>();
  private closed = false;
  private pendingAppends: PendingAppend[] = [];
  private readonly decoded = new Map<number, Decoded>();

  constructor(private readonly options: SqliteEventLogOptions) {
    this.db = openSqlite(options.path, options.synchronous ?? 'full');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        package  TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        id       TEXT NOT NULL UNIQUE,
        envelope TEXT NOT NULL,
        UNIQUE (package, sequence)
      );
      CREATE TABLE IF NOT EXISTS checkpoints (grp TEXT PRIMARY KEY, position INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS dead_letters (
        grp TEXT NOT NULL, position INTEGER NOT NULL, reason TEXT NOT NULL, envelope TEXT NOT NULL,
        PRIMARY KEY (grp, position)
      );
    `);
    this.appended.setMaxListeners(0);
  }

  /**
   * Appends wait for the next turn of the event loop and are committed together, each inside a
   * savepoint of one transaction: concurrent pushes share one fsync (group commit), and one
   * append's conflict rolls back only its own savepoint.
   */
  async append(pkg: string, expectedSequence: number, events: EventEnvelope[]): Promise<StoredEvent[]> {
    this.assertOpen();
    return new Promise<StoredEvent[]>((resolve, reject) => {
      this.pendingAppends.push({ pkg, expectedSequence, events, resolve, reject });
      if (this.pendingAppends.length === 1) setImmediate(() => this.commitPendingAppends());
    });
  }

  private commitPendingAppends(): void {
    const batch = this.pendingAppends;
    this.pendingAppends = [];
    if (batch.length === 0) return;
    if (this.closed) {
      for (const item of batch) item.reject(new Error('event log is closed'));
      return;
    }
    const outcomes: ({ stored: StoredEvent[] } | { error: unknown })[] = [];
    const appendOne = this.db.transaction((item: PendingAppend) =>
      this.insertStream(item.pkg, item.expectedSequence, item.events),
    );
    try {
      this.db
        .transaction(() => {
          for (const item of batch) {
            try {
              outcomes.push({ stored: appendOne(item) });
            } catch (error) {
              outcomes.push({ error });
            }
          }
        })
        .immediate();
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if ('stored' in outcome) item.resolve(outcome.stored);
      else item.reject(outcome.error);
    });
    this.appended.emit('append');
  }

  /** Inside a transaction: checks the stream's last sequence and inserts the events after it. */
  private insertStream(pkg: string, expectedSequence: number, events: EventEnvelope[]): StoredEvent[] {
    const last = prepared(this.db, 'SELECT MAX(sequence) AS last FROM events WHERE package = ?');
    const insert = prepared(this.db, 'INSERT INTO events (package, sequence, id, envelope) VALUES (?, ?, ?, ?)');
    const actual = (last.get(pkg) as { last: number | null }).last ?? 0;
    if (actual !== expectedSequence) throw new ConcurrencyConflictError(pkg, expectedSequence, actual);
    return events.map((event, i) => {
      if (event.package !== pkg || event.sequence !== expectedSequence + i + 1) {
        throw new Error(`event ${event.id} does not continue ${pkg} at sequence ${expectedSequence + i + 1}`);
      }
      const info = insert.run(pkg, event.sequence, event.id, JSON.stringify(event));
      return { ...event, position: String(info.lastInsertRowid) };
    });
  }

  async subscribe(options: SubscribeOptions, handler: (events: StoredEvent[]) => Promise<void>): Promise<Subscription> {
    this.assertOpen();
    const subscription = new SqliteSubscription(this, options, handler);
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  async count(): Promise<number> {
    this.assertOpen();
    return (prepared(this.db, 'SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  }

  /** Events the group set aside: they failed validation, or its handler could not apply them. */
  async deadLetters(group: string): Promise<DeadLetter[]> {
    return (
      prepared(this.db, 'SELECT position, reason, envelope FROM dead_letters WHERE grp = ? ORDER BY position').all(
        group,
      ) as { position: number; reason: string; envelope: string }[]
    ).map((r) => ({ position: String(r.position), reason: r.reason, record: r.envelope }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commitPendingAppends();
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.closed = true;
    this.db.close();
  }

  /** @internal used by subscriptions */
  readBatch(afterPosition: number, limit: number): EventRow[] {
    return prepared(this.db, 'SELECT position, envelope FROM events WHERE position > ? ORDER BY position LIMIT ?').all(
      afterPosition,
      limit,
    ) as EventRow[];
  }

  /**
   * @internal The row as delivered: parsed, validated and upcast, or why it cannot be. Every
   * group reads the same new rows within moments of each other, so the last few thousand are
   * decoded once for all of them. The events handed out are shared, so they are frozen, deeply
   * and once, here: a handler that mutates one throws instead of changing what the other groups see.
   */
  decode(row: EventRow): Decoded {
    const cached = this.decoded.get(row.position);
    if (cached) return cached;
    let decoded: Decoded;
    try {
      decoded = {
        event: deepFreeze({ ...validateOnConsume(JSON.parse(row.envelope)), position: String(row.position) }),
      };
    } catch (error) {
      decoded = { reason: (error as Error).message };
    }
    this.decoded.set(row.position, decoded);
    if (this.decoded.size > DECODED_KEPT) this.decoded.delete(this.decoded.keys().next().value!);
    return decoded;
  }

  /** @internal */
  checkpoint(group: string): number {
    const row = prepared(this.db, 'SELECT position FROM checkpoints WHERE grp = ?').get(group) as
      { position: number } | undefined;
    return row?.position ?? 0;
  }

  /**
   * @internal Committed without an fsync of its own (synchronous=NORMAL for this transaction):
   * a checkpoint lost to a power cut only makes the group handle some events again, which every
   * handler must tolerate anyway; the next append's fsync makes it durable too (one WAL). With
   * FULL, every group's every batch cost an fsync: most of a push's time under load.
   */
  saveCheckpoint(
    group: string,
    position: number,
    deadLetters: { position: number; reason: string; envelope: string }[],
  ): void {
    const durable = this.options.synchronous !== 'normal';
    if (durable) prepared(this.db, 'PRAGMA synchronous = normal').run();
    try {
      this.db.transaction(() => {
        const dead = prepared(
          this.db,
          'INSERT OR IGNORE INTO dead_letters (grp, position, reason, envelope) VALUES (?, ?, ?, ?)',
        );
        for (const d of deadLetters) dead.run(group, d.position, d.reason, d.envelope);
        prepared(
          this.db,
          'INSERT INTO checkpoints (grp, position) VALUES (?, ?) ON CONFLICT (grp) DO UPDATE SET position = excluded.position',
        ).run(group, position);
      })();
    } finally {
      if (durable) prepared(this.db, 'PRAGMA synchronous = full').run();
    }
    for (const d of deadLetters) this.options.onDeadLetter?.(group, String(d.position), d.reason);
  }

  /** @internal */
  countAfter(position: number): number {
    return (prepared(this.db, 'SELECT COUNT(*) AS n FROM events WHERE position > ?').get(position) as { n: number }).n;
  }

  /** @internal resolves on the next append or after the poll interval */
  waitForAppend(): { promise: Promise<void>; cancel: () => void } {
    let cancel = () => {};
    const promise = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appended.off('append', done);
        resolve();
      };
      const timer = setTimeout(done, this.options.pollIntervalMs ?? 250);
      this.appended.once('append', done);
      cancel = done;
    });
    return { promise, cancel };
  }

  /** @internal */
  retryDelayMs(): number {
    return this.options.retryDelayMs ?? 1000;
  }

  /** @internal */
  forget(subscription: SqliteSubscription) {
    this.subscriptions.delete(subscription);
  }

  private assertOpen() {
    if (this.closed) throw new Error('event log is closed');
  }
}

class SqliteSubscription implements Subscription {
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private wake: () => void = () => {};

  constructor(
    private readonly log: SqliteEventLog,
    private readonly options: SubscribeOptions,
    private readonly handler: (events: StoredEvent[]) => Promise<void>,
  ) {}

  start() {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
    this.log.forget(this);
  }

  async lag(): Promise<number> {
    return this.log.countAfter(this.log.checkpoint(this.options.group));
  }

  private async loop() {
    const group = this.options.group;
    while (!this.stopped) {
      const after = this.log.checkpoint(group);
      const rows = this.log.readBatch(after, this.options.batchSize ?? 500);
      if (rows.length === 0) {
        await this.sleep(this.log.waitForAppend());
        continue;
      }
      const valid: StoredEvent[] = [];
      const dead: { position: number; reason: string; envelope: string }[] = [];
      const rowOf = new Map<string, EventRow>();
      for (const row of rows) {
        const decoded = this.log.decode(row);
        if ('event' in decoded) {
          valid.push(decoded.event);
          rowOf.set(decoded.event.id, row);
        } else {
          dead.push({ position: row.position, reason: decoded.reason, envelope: row.envelope });
        }
      }
      const outcome =
        valid.length === 0
          ? { delivered: true as const, setAside: [] }
          : await deliverBounded(valid, this.handler, {
              maxAttempts: this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
              pause: async () => {
                await this.sleep(cancellableDelay(this.log.retryDelayMs()));
                return !this.stopped;
              },
            });
      if (!outcome.delivered) continue;
      for (const { event, reason } of outcome.setAside) {
        const row = rowOf.get(event.id)!;
        dead.push({ position: row.position, reason, envelope: row.envelope });
      }
      try {
        this.log.saveCheckpoint(group, rows[rows.length - 1]!.position, dead);
      } catch {
        await this.sleep(cancellableDelay(this.log.retryDelayMs()));
      }
      // A turn of the event loop between batches: reads and handlers on in-process stores settle
      // on promises alone, so a backlog (a start after an import, a group far behind) would
      // otherwise hold timers and sockets, the server's HTTP with them, until it is all handled.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async sleep(wait: { promise: Promise<void>; cancel: () => void }) {
    this.wake = wait.cancel;
    if (this.stopped) wait.cancel();
    await wait.promise;
  }
}

function cancellableDelay(ms: number): { promise: Promise<void>; cancel: () => void } {
  let cancel = () => {};
  const promise = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    cancel = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { promise, cancel };
}

// SQLite's busy, locked, full and I/O errors leave every method as the ports' DependencyUnavailableError (sqlite-outage.ts in libs/adapters/sqlite).
translateSqliteOutages(SqliteEventLog);
