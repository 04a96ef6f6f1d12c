/**
 * The embedded blob reference counts: one row per digest, and per package the last sequence
 * folded in (what makes redelivery harmless).
 */
import type Database from 'better-sqlite3';
import { RecordedEvent, blobReferenceChanges } from '@wharf/domain';
import type { BlobReferenceStore, ProjectionRebuild } from '@wharf/ports';
import {
  REBUILD_SUFFIX,
  SqliteFileOptions,
  SqliteProjectionRebuild,
  SqliteProjectionTables,
  createRebuildTables,
  openSqlite,
  prepared,
  translateSqliteOutages,
} from '@wharf/adapters/sqlite';

export type SqliteBlobReferenceStoreOptions = SqliteFileOptions;

const TABLES: SqliteProjectionTables = {
  tables: ['blob_references', 'applied_sequences'],
  schema: (suffix) => `
    CREATE TABLE IF NOT EXISTS blob_references${suffix} (digest TEXT PRIMARY KEY, count INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS applied_sequences${suffix} (package TEXT PRIMARY KEY, sequence INTEGER NOT NULL);`,
  indexes: '',
};

export class SqliteBlobReferenceStore implements BlobReferenceStore {
  private readonly db: Database.Database;
  /** The live tables, or a rebuild's (suffixed) on the live store's connection. */
  private readonly references: string;
  private readonly sequences: string;
  private readonly ownsConnection: boolean;

  constructor(options: SqliteBlobReferenceStoreOptions, rebuildOf?: Database.Database) {
    this.ownsConnection = !rebuildOf;
    this.db = rebuildOf ?? openSqlite(options.path, options.synchronous ?? 'normal');
    const suffix = rebuildOf ? REBUILD_SUFFIX : '';
    this.references = `blob_references${suffix}`;
    this.sequences = `applied_sequences${suffix}`;
    if (!rebuildOf) this.db.exec(TABLES.schema(''));
  }

  async rebuild(): Promise<ProjectionRebuild<BlobReferenceStore>> {
    createRebuildTables(this.db, TABLES);
    return new SqliteProjectionRebuild(this.db, TABLES, new SqliteBlobReferenceStore({ path: ':rebuild:' }, this.db));
  }

  async apply(events: readonly RecordedEvent[]): Promise<void> {
    const applied = prepared(this.db, `SELECT sequence FROM ${this.sequences} WHERE package = ?`);
    const record = prepared(
      this.db,
      `INSERT INTO ${this.sequences} (package, sequence) VALUES (?, ?) ON CONFLICT (package) DO UPDATE SET sequence = excluded.sequence`,
    );
    const change = prepared(
      this.db,
      `INSERT INTO ${this.references} (digest, count) VALUES (?, ?) ON CONFLICT (digest) DO UPDATE SET count = count + excluded.count`,
    );
    const ordered = [...events].sort((a, b) =>
      a.package === b.package ? a.sequence - b.sequence : a.package < b.package ? -1 : 1,
    );
    this.db.transaction(() => {
      for (const event of ordered) {
        const last = (applied.get(event.package) as { sequence: number } | undefined)?.sequence ?? 0;
        if (event.sequence <= last) continue;
        for (const { digest, delta } of blobReferenceChanges(event)) change.run(digest, delta);
        record.run(event.package, event.sequence);
      }
    })();
  }

  async counts(digests: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map(digests.map((d) => [d, 0]));
    const rows = prepared(
      this.db,
      `SELECT digest, count FROM ${this.references} WHERE digest IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(digests)) as { digest: string; count: number }[];
    for (const row of rows) counts.set(row.digest, row.count);
    return counts;
  }

  async close(): Promise<void> {
    if (this.ownsConnection && this.db.open) this.db.close();
  }
}

// SQLite's busy, locked, full and I/O errors leave every method as the ports' DependencyUnavailableError (sqlite-outage.ts in libs/adapters/sqlite).
translateSqliteOutages(SqliteBlobReferenceStore);
