/**
 * The embedded account store: the account events (one stream per namespace, primary key
 * (namespace, version), so a second writer of the same version fails) and the folded views,
 * written in one transaction; a table of memberships, rewritten with each organisation's view,
 * answers "which organisations is this user in".
 */
import type Database from 'better-sqlite3';
import { SqliteFileOptions, openSqlite, prepared, translateSqliteOutages } from '@wharf/adapters/sqlite';
import { AccountView, RecordedAccountEvent, isRole } from '@wharf/domain';
import type { AccountEntry, AccountStore, Membership } from '@wharf/ports';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS account_events (
    namespace   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    type        TEXT NOT NULL,
    data        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    PRIMARY KEY (namespace, version)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS accounts (
    namespace TEXT PRIMARY KEY,
    version   INTEGER NOT NULL,
    view      TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS account_members (
    user      TEXT NOT NULL,
    namespace TEXT NOT NULL,
    role      TEXT NOT NULL,
    PRIMARY KEY (user, namespace)
  ) WITHOUT ROWID;
`;

interface EventRow {
  namespace: string;
  version: number;
  type: string;
  data: string;
  actor: string;
  occurred_at: string;
}

export class SqliteAccountStore implements AccountStore {
  private readonly db: Database.Database;
  private readonly appendTx: (events: readonly RecordedAccountEvent[], view: AccountView, expected: number) => boolean;

  constructor(options: SqliteFileOptions) {
    this.db = openSqlite(options.path, options.synchronous ?? 'full');
    this.db.exec(SCHEMA);
    this.appendTx = this.db.transaction(
      (events: readonly RecordedAccountEvent[], view: AccountView, expected: number) => {
        const row = prepared(this.db, 'SELECT MAX(version) AS version FROM account_events WHERE namespace = ?').get(
          view.namespace,
        ) as { version: number | null };
        if ((row.version ?? 0) !== expected) return false;
        const insert = prepared(
          this.db,
          'INSERT INTO account_events (namespace, version, type, data, actor, occurred_at) VALUES (?, ?, ?, ?, ?, ?)',
        );
        for (const e of events)
          insert.run(e.namespace, e.version, e.type, JSON.stringify(e.data), e.actor, e.occurredAt);
        prepared(
          this.db,
          'INSERT INTO accounts (namespace, version, view) VALUES (?, ?, ?) ON CONFLICT (namespace) DO UPDATE SET version = excluded.version, view = excluded.view',
        ).run(view.namespace, view.version, JSON.stringify(view));
        prepared(this.db, 'DELETE FROM account_members WHERE namespace = ?').run(view.namespace);
        const member = prepared(this.db, 'INSERT INTO account_members (user, namespace, role) VALUES (?, ?, ?)');
        for (const m of view.members) member.run(m.user, view.namespace, m.role);
        return true;
      },
    );
  }

  async get(namespace: string): Promise<AccountView | null> {
    const row = prepared(this.db, 'SELECT view FROM accounts WHERE namespace = ?').get(namespace) as
      { view: string } | undefined;
    return row ? (JSON.parse(row.view) as AccountView) : null;
  }

  async append(events: readonly RecordedAccountEvent[], view: AccountView, expectedVersion: number): Promise<boolean> {
    return this.appendTx(events, view, expectedVersion);
  }

  async list(options: { after?: string; limit: number }): Promise<AccountEntry[]> {
    // The primary key (namespace, version) orders the scan; version 1 is the creating event.
    const rows = prepared(
      this.db,
      'SELECT namespace, type FROM account_events WHERE version = 1 AND namespace > ? ORDER BY namespace LIMIT ?',
    ).all(options.after ?? '', options.limit) as { namespace: string; type: string }[];
    return rows.map((r) => ({ namespace: r.namespace, kind: kindOf(r.type) }));
  }

  async memberships(user: string): Promise<Membership[]> {
    const rows = prepared(this.db, 'SELECT namespace, role FROM account_members WHERE user = ? ORDER BY namespace').all(
      user,
    ) as { namespace: string; role: string }[];
    return rows
      .filter((r) => isRole(r.role))
      .map((r) => ({ namespace: r.namespace, role: r.role as Membership['role'] }));
  }

  async history(namespace: string, options: { limit: number; before?: number }): Promise<RecordedAccountEvent[]> {
    const rows = prepared(
      this.db,
      'SELECT * FROM account_events WHERE namespace = ? AND version < ? ORDER BY version DESC LIMIT ?',
    ).all(namespace, options.before ?? Number.MAX_SAFE_INTEGER, options.limit) as EventRow[];
    return rows.map(
      (r) =>
        ({
          namespace: r.namespace,
          version: r.version,
          type: r.type,
          data: JSON.parse(r.data),
          actor: r.actor,
          occurredAt: r.occurred_at,
        }) as RecordedAccountEvent,
    );
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** The kind an account's creating event gives it. */
function kindOf(type: string): AccountEntry['kind'] {
  return type === 'OrganizationCreated' ? 'organization' : 'user';
}

// SQLite's busy, locked, full and I/O errors leave every method as the ports' DependencyUnavailableError (sqlite-outage.ts in libs/adapters/sqlite).
translateSqliteOutages(SqliteAccountStore);
