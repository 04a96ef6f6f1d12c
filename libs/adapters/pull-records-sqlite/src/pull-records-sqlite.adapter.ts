/**
 * The embedded profile's pull records: one row per (package, release), upserted with the later
 * of the two times (ISO instants of one format compare as text). A batch is one transaction, so
 * a flush of a minute's pulls is one fsync (`synchronous` as the other stores: losing the last
 * flush in a power cut costs a minute of pull times, which retention measures in days). The
 * instant recording began is one row of its own table, written by the first open. Token last
 * uses are a table of the same shape, (account, token_id) → used_at, upserted the same way.
 */
import type Database from 'better-sqlite3';
import { SqliteFileOptions, openSqlite, prepared, translateSqliteOutages } from '@wharf/adapters/sqlite';
import type { PullRecord, PullRecordStore, TokenUse } from '@wharf/ports';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS pulls (
    package   TEXT NOT NULL,
    release   TEXT NOT NULL,
    pulled_at TEXT NOT NULL,
    PRIMARY KEY (package, release)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS token_uses (
    account  TEXT NOT NULL,
    token_id TEXT NOT NULL,
    used_at  TEXT NOT NULL,
    PRIMARY KEY (account, token_id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS pulls_recorded_since (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    since TEXT NOT NULL
  );
`;

/** SQLite's bound on host parameters is 32766; a page of packages stays far below it. */
const LOOKUP_PAGE = 500;

export class SqlitePullRecordStore implements PullRecordStore {
  private readonly db: Database.Database;
  private readonly recordTx: (pulls: readonly PullRecord[]) => void;
  private readonly tokenUsesTx: (uses: readonly TokenUse[]) => void;

  constructor(options: SqliteFileOptions) {
    this.db = openSqlite(options.path, options.synchronous ?? 'normal');
    this.db.exec(SCHEMA);
    // The first open fixes it; every later open keeps it.
    prepared(this.db, 'INSERT OR IGNORE INTO pulls_recorded_since (id, since) VALUES (1, ?)').run(
      new Date().toISOString(),
    );
    this.recordTx = this.db.transaction((pulls: readonly PullRecord[]) => {
      const upsert = prepared(
        this.db,
        `INSERT INTO pulls (package, release, pulled_at) VALUES (?, ?, ?)
         ON CONFLICT (package, release) DO UPDATE SET pulled_at = MAX(pulled_at, excluded.pulled_at)`,
      );
      for (const p of pulls) upsert.run(p.package, p.release, p.pulledAt);
    });
    this.tokenUsesTx = this.db.transaction((uses: readonly TokenUse[]) => {
      const upsert = prepared(
        this.db,
        `INSERT INTO token_uses (account, token_id, used_at) VALUES (?, ?, ?)
         ON CONFLICT (account, token_id) DO UPDATE SET used_at = MAX(used_at, excluded.used_at)`,
      );
      for (const u of uses) upsert.run(u.account, u.tokenId, u.usedAt);
    });
  }

  async recordTokenUses(uses: readonly TokenUse[]): Promise<void> {
    if (uses.length > 0) this.tokenUsesTx(uses);
  }

  async lastTokenUses(accounts: readonly string[]): Promise<TokenUse[]> {
    const out: TokenUse[] = [];
    for (let i = 0; i < accounts.length; i += LOOKUP_PAGE) {
      const page = accounts.slice(i, i + LOOKUP_PAGE);
      const rows = this.db
        .prepare(
          `SELECT account, token_id, used_at FROM token_uses WHERE account IN (${page.map(() => '?').join(', ')})`,
        )
        .all(...page) as { account: string; token_id: string; used_at: string }[];
      for (const r of rows) out.push({ account: r.account, tokenId: r.token_id, usedAt: r.used_at });
    }
    return out;
  }

  async record(pulls: readonly PullRecord[]): Promise<void> {
    if (pulls.length > 0) this.recordTx(pulls);
  }

  async lastPulls(packages: readonly string[]): Promise<PullRecord[]> {
    const out: PullRecord[] = [];
    for (let i = 0; i < packages.length; i += LOOKUP_PAGE) {
      const page = packages.slice(i, i + LOOKUP_PAGE);
      const rows = this.db
        .prepare(`SELECT package, release, pulled_at FROM pulls WHERE package IN (${page.map(() => '?').join(', ')})`)
        .all(...page) as { package: string; release: string; pulled_at: string }[];
      for (const r of rows) out.push({ package: r.package, release: r.release, pulledAt: r.pulled_at });
    }
    return out;
  }

  async recordedSince(): Promise<string> {
    return (prepared(this.db, 'SELECT since FROM pulls_recorded_since WHERE id = 1').get() as { since: string }).since;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

translateSqliteOutages(SqlitePullRecordStore);
