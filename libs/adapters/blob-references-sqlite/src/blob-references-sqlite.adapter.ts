/**
 * The embedded blob reference counts: one row per digest, and per package the last sequence
 * folded in (what makes redelivery harmless).
 */
import type Database from 'better-sqlite3';
import { RecordedEvent, blobReferenceChanges } from '@wharf/domain';
import type { BlobReferenceStore } from '@wharf/ports';
import { SqliteFileOptions, openSqlite, prepared } from '@wharf/adapters/sqlite';

export type SqliteBlobReferenceStoreOptions = SqliteFileOptions;

export class SqliteBlobReferenceStore implements BlobReferenceStore {
  private readonly db: Database.Database;

  constructor(options: SqliteBlobReferenceStoreOptions) {
    this.db = openSqlite(options.path, options.synchronous ?? 'normal');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS blob_references (digest TEXT PRIMARY KEY, count INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS applied_sequences (package TEXT PRIMARY KEY, sequence INTEGER NOT NULL);
    `);
  }

  async apply(events: readonly RecordedEvent[]): Promise<void> {
    const applied = prepared(this.db, 'SELECT sequence FROM applied_sequences WHERE package = ?');
    const record = prepared(this.db, 
      'INSERT INTO applied_sequences (package, sequence) VALUES (?, ?) ON CONFLICT (package) DO UPDATE SET sequence = excluded.sequence',
    );
    const change = prepared(this.db, 
      'INSERT INTO blob_references (digest, count) VALUES (?, ?) ON CONFLICT (digest) DO UPDATE SET count = count + excluded.count',
    );
    const ordered = [...events].sort((a, b) => (a.package === b.package ? a.sequence - b.sequence : a.package < b.package ? -1 : 1));
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
    const rows = prepared(this.db, 'SELECT digest, count FROM blob_references WHERE digest IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(digests)) as { digest: string; count: number }[];
    for (const row of rows) counts.set(row.digest, row.count);
    return counts;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
