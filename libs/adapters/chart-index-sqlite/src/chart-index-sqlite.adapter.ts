/**
 * The embedded chart index projection: one row per package holding its chart versions as JSON
 * with the sequence they were taken at, and one revision counter per namespace, bumped in the
 * same transaction as every change of the namespace's rows (so `read` and `revision` agree).
 */
import type Database from 'better-sqlite3';
import { SqliteFileOptions, openSqlite, prepared } from '@wharf/adapters/sqlite';
import type { ChartVersionRecord, PackageChartVersions, Visibility } from '@wharf/domain';
import type { ChartIndexStore, NamespaceCharts } from '@wharf/ports';

export type SqliteChartIndexStoreOptions = SqliteFileOptions;

export class SqliteChartIndexStore implements ChartIndexStore {
  private readonly db: Database.Database;

  constructor(options: SqliteChartIndexStoreOptions) {
    this.db = openSqlite(options.path, options.synchronous ?? 'normal');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS chart_packages (
        package    TEXT PRIMARY KEY,
        namespace  TEXT NOT NULL,
        sequence   INTEGER NOT NULL,
        visibility TEXT NOT NULL,
        versions   TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS chart_packages_by_namespace ON chart_packages (namespace);
      CREATE TABLE IF NOT EXISTS chart_namespaces (
        namespace TEXT PRIMARY KEY,
        revision  INTEGER NOT NULL
      );
    `);
  }

  async sync(charts: PackageChartVersions): Promise<boolean> {
    return this.db.transaction(() => {
      const row = prepared(this.db, 'SELECT sequence FROM chart_packages WHERE package = ?').get(charts.package) as { sequence: number } | undefined;
      if ((row?.sequence ?? 0) >= charts.sequence) return false;
      prepared(
        this.db,
        `INSERT INTO chart_packages (package, namespace, sequence, visibility, versions) VALUES (@package, @namespace, @sequence, @visibility, @versions)
         ON CONFLICT (package) DO UPDATE SET sequence = excluded.sequence, visibility = excluded.visibility, versions = excluded.versions`,
      ).run({ ...charts, versions: JSON.stringify(charts.versions) });
      prepared(
        this.db,
        `INSERT INTO chart_namespaces (namespace, revision) VALUES (?, 1)
         ON CONFLICT (namespace) DO UPDATE SET revision = revision + 1`,
      ).run(charts.namespace);
      return true;
    })();
  }

  async revision(namespace: string): Promise<string> {
    return String(this.revisionNumber(namespace));
  }

  async read(namespace: string): Promise<NamespaceCharts> {
    return this.db.transaction(() => {
      const rows = prepared(this.db, 'SELECT visibility, versions FROM chart_packages WHERE namespace = ?').all(namespace) as {
        visibility: Visibility;
        versions: string;
      }[];
      const versions = rows.flatMap((row) => (JSON.parse(row.versions) as ChartVersionRecord[]).map((v) => ({ ...v, visibility: row.visibility })));
      return { namespace, revision: String(this.revisionNumber(namespace)), versions };
    })();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private revisionNumber(namespace: string): number {
    const row = prepared(this.db, 'SELECT revision FROM chart_namespaces WHERE namespace = ?').get(namespace) as { revision: number } | undefined;
    return row?.revision ?? 0;
  }
}
