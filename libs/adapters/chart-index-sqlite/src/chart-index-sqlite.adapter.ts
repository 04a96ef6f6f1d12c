/**
 * The embedded chart index projection: one row per package holding its chart versions as JSON
 * with the sequence they were taken at, and one revision counter per namespace, bumped in the
 * same transaction as every change of the namespace's rows (so `read` and `revision` agree).
 *
 * Rebuilds (ProjectionRebuild) use the shared SQLite helpers (libs/adapters/sqlite): fresh
 * `_rebuild` tables on the live store's connection, swapped in one transaction. The fresh
 * counters start from nothing, so the swap first raises each of them above the live one (live +
 * fresh + 1, live + 1 for a namespace the rebuild has no versions for): a counter value never
 * names two contents, before and after the switch alike.
 */
import type Database from 'better-sqlite3';
import {
  SqliteFileOptions,
  SqliteProjectionRebuild,
  SqliteProjectionTables,
  createRebuildTables,
  openSqlite,
  prepared,
  REBUILD_SUFFIX,
  translateSqliteOutages,
} from '@wharf/adapters/sqlite';
import type { ChartVersionRecord, PackageChartVersions, Visibility } from '@wharf/domain';
import type { ChartIndexStore, NamespaceCharts, ProjectionRebuild } from '@wharf/ports';

export type SqliteChartIndexStoreOptions = SqliteFileOptions;

const TABLES: SqliteProjectionTables = {
  tables: ['chart_packages', 'chart_namespaces'],
  schema: (suffix) => `
    CREATE TABLE IF NOT EXISTS chart_packages${suffix} (
      package    TEXT PRIMARY KEY,
      namespace  TEXT NOT NULL,
      sequence   INTEGER NOT NULL,
      visibility TEXT NOT NULL,
      versions   TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS chart_namespaces${suffix} (
      namespace TEXT PRIMARY KEY,
      revision  INTEGER NOT NULL
    );`,
  indexes: 'CREATE INDEX IF NOT EXISTS chart_packages_by_namespace ON chart_packages (namespace);',
  // `WHERE true`: an upsert's SELECT needs a WHERE clause to parse (SQLite's "parsing ambiguity").
  carryOver: `
    INSERT INTO chart_namespaces${REBUILD_SUFFIX} (namespace, revision)
      SELECT namespace, revision + 1 FROM chart_namespaces WHERE true
      ON CONFLICT (namespace) DO UPDATE SET revision = chart_namespaces${REBUILD_SUFFIX}.revision + excluded.revision;`,
};

export class SqliteChartIndexStore implements ChartIndexStore {
  private readonly db: Database.Database;
  /** The table names' suffix: '' for the live store, REBUILD_SUFFIX for a rebuild's. */
  private readonly suffix: string;
  private readonly ownsConnection: boolean;

  constructor(options: SqliteChartIndexStoreOptions, rebuildOf?: Database.Database) {
    this.ownsConnection = !rebuildOf;
    this.db = rebuildOf ?? openSqlite(options.path, options.synchronous ?? 'normal');
    this.suffix = rebuildOf ? REBUILD_SUFFIX : '';
    if (!rebuildOf) this.db.exec(TABLES.schema('') + TABLES.indexes);
  }

  async rebuild(): Promise<ProjectionRebuild<ChartIndexStore>> {
    createRebuildTables(this.db, TABLES);
    return new SqliteProjectionRebuild(this.db, TABLES, new SqliteChartIndexStore({ path: ':rebuild:' }, this.db));
  }

  async sync(charts: PackageChartVersions): Promise<boolean> {
    return this.db.transaction(() => {
      const row = prepared(this.db, `SELECT sequence FROM chart_packages${this.suffix} WHERE package = ?`).get(
        charts.package,
      ) as { sequence: number } | undefined;
      if ((row?.sequence ?? 0) >= charts.sequence) return false;
      prepared(
        this.db,
        `INSERT INTO chart_packages${this.suffix} (package, namespace, sequence, visibility, versions) VALUES (@package, @namespace, @sequence, @visibility, @versions)
         ON CONFLICT (package) DO UPDATE SET sequence = excluded.sequence, visibility = excluded.visibility, versions = excluded.versions`,
      ).run({ ...charts, versions: JSON.stringify(charts.versions) });
      prepared(
        this.db,
        `INSERT INTO chart_namespaces${this.suffix} (namespace, revision) VALUES (?, 1)
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
      const rows = prepared(
        this.db,
        `SELECT visibility, versions FROM chart_packages${this.suffix} WHERE namespace = ?`,
      ).all(namespace) as {
        visibility: Visibility;
        versions: string;
      }[];
      const versions = rows.flatMap((row) =>
        (JSON.parse(row.versions) as ChartVersionRecord[]).map((v) => ({ ...v, visibility: row.visibility })),
      );
      return { namespace, revision: String(this.revisionNumber(namespace)), versions };
    })();
  }

  async close(): Promise<void> {
    if (this.ownsConnection && this.db.open) this.db.close();
  }

  private revisionNumber(namespace: string): number {
    const row = prepared(this.db, `SELECT revision FROM chart_namespaces${this.suffix} WHERE namespace = ?`).get(
      namespace,
    ) as { revision: number } | undefined;
    return row?.revision ?? 0;
  }
}

// SQLite's busy, locked, full and I/O errors leave every method as the ports' DependencyUnavailableError (sqlite-outage.ts in libs/adapters/sqlite).
translateSqliteOutages(SqliteChartIndexStore);
