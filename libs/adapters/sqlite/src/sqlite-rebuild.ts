/**
 * Rebuilds of embedded projections (ProjectionRebuild): the fresh projection lives in tables of
 * its own in the same SQLite file (the live names with REBUILD_SUFFIX), written through the
 * live store's connection; the switch drops the live tables and renames the fresh ones in one
 * transaction, so another connection (the server, while the replay command runs) sees the old
 * tables or the new ones, never neither. SQLite re-prepares statements after a schema change,
 * so the live store's cached statements read the new tables without being told.
 */
import type Database from 'better-sqlite3';
import type { ProjectionRebuild } from '@wharf/ports';

export const REBUILD_SUFFIX = '_rebuild';

/** A store's tables and indexes: created by `schema(suffix)`, in dependency order. */
export interface SqliteProjectionTables {
  /** Table names (virtual tables included) without suffix. */
  tables: readonly string[];
  /** The CREATE statements of the tables (IF NOT EXISTS, no secondary indexes), for the given suffix. */
  schema: (suffix: string) => string;
  /**
   * The CREATE INDEX IF NOT EXISTS statements of the live tables. Fresh tables get them only
   * after the switch (in the same transaction): SQLite cannot rename an index.
   */
  indexes: string;
  /**
   * Run in the switch's transaction first, while the live and the fresh tables both exist: for
   * what the fresh content must carry over from the live one (a revision that must keep
   * moving forward). Optional.
   */
  carryOver?: string;
}

/** Drops the fresh tables an unfinished rebuild left, and creates them empty. */
export function createRebuildTables(db: Database.Database, layout: SqliteProjectionTables): void {
  db.transaction(() => {
    for (const table of layout.tables) db.exec(`DROP TABLE IF EXISTS "${table}${REBUILD_SUFFIX}"`);
    db.exec(layout.schema(REBUILD_SUFFIX));
  })();
}

export class SqliteProjectionRebuild<S> implements ProjectionRebuild<S> {
  private state: 'open' | 'switched' | 'aborted' = 'open';

  constructor(
    private readonly db: Database.Database,
    private readonly layout: SqliteProjectionTables,
    readonly store: S,
    /** Called after the switch: for what the live store keeps about its old tables (a cache). */
    private readonly onSwitched: () => void = () => {},
  ) {}

  async switchOver(): Promise<number> {
    if (this.state !== 'open') throw new Error(`this rebuild was already ${this.state}`);
    this.db
      .transaction(() => {
        if (this.layout.carryOver) this.db.exec(this.layout.carryOver);
        for (const table of this.layout.tables) this.db.exec(`DROP TABLE IF EXISTS "${table}"`);
        for (const table of this.layout.tables)
          this.db.exec(`ALTER TABLE "${table}${REBUILD_SUFFIX}" RENAME TO "${table}"`);
        this.db.exec(this.layout.indexes);
      })
      .immediate();
    this.state = 'switched';
    this.onSwitched();
    return 0;
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    if (!this.db.open) return;
    this.db.transaction(() => {
      for (const table of this.layout.tables) this.db.exec(`DROP TABLE IF EXISTS "${table}${REBUILD_SUFFIX}"`);
    })();
  }
}
