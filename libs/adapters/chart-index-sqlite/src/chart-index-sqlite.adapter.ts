/**
 * The embedded chart index projection: one row per chart version (package, version) holding its
 * record as JSON, one head per package (the sequence its versions are as of, its visibility), and
 * one revision counter per namespace, bumped in the same transaction as every change of the
 * namespace's versions (so `read` and `revision` agree). A push (`applyChanges`) writes its own
 * rows and the head; a read joins the namespace's rows with their heads' visibility, so a
 * visibility change moves every version of the package in or out by writing the head alone.
 *
 * Migration: a `charts.db` of the layout before rows (`chart_packages`, one row per package
 * with its versions as one JSON array) is rewritten as heads and rows in one transaction when
 * the store opens, and the old table is dropped.
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
import type { ChartVersionRecord, PackageChartChanges, PackageChartVersions, Visibility } from '@wharf/domain';
import type { ChartChangesOutcome, ChartIndexStore, NamespaceCharts, ProjectionRebuild } from '@wharf/ports';

export type SqliteChartIndexStoreOptions = SqliteFileOptions;

const TABLES: SqliteProjectionTables = {
  tables: ['chart_heads', 'chart_rows', 'chart_namespaces'],
  schema: (suffix) => `
    CREATE TABLE IF NOT EXISTS chart_heads${suffix} (
      package    TEXT PRIMARY KEY,
      namespace  TEXT NOT NULL,
      sequence   INTEGER NOT NULL,
      visibility TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS chart_rows${suffix} (
      package   TEXT NOT NULL,
      version   TEXT NOT NULL,
      namespace TEXT NOT NULL,
      record    TEXT NOT NULL,
      PRIMARY KEY (namespace, package, version)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS chart_namespaces${suffix} (
      namespace TEXT PRIMARY KEY,
      revision  INTEGER NOT NULL
    );`,
  // Rows are clustered by namespace (the primary key), so a namespace's read is one range scan.
  indexes: '',
  // `WHERE true`: an upsert's SELECT needs a WHERE clause to parse (SQLite's "parsing ambiguity").
  carryOver: `
    INSERT INTO chart_namespaces${REBUILD_SUFFIX} (namespace, revision)
      SELECT namespace, revision + 1 FROM chart_namespaces WHERE true
      ON CONFLICT (namespace) DO UPDATE SET revision = chart_namespaces${REBUILD_SUFFIX}.revision + excluded.revision;`,
};

/** The layout before rows: one row per package, its versions as one JSON array (read once, by `migrate`). */
const PACKAGES_TABLE = 'chart_packages';

/**
 * Rewrites a store of the layout before rows as heads and rows, in one transaction, and drops
 * the old table (and an unfinished rebuild's copy of it). Every namespace's revision moves on.
 */
function migrate(db: Database.Database): void {
  const old = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(PACKAGES_TABLE);
  if (!old) return;
  db.transaction(() => {
    const insertHead = db.prepare(
      'INSERT INTO chart_heads (package, namespace, sequence, visibility) VALUES (?, ?, ?, ?)',
    );
    const insertRow = db.prepare(
      'INSERT OR REPLACE INTO chart_rows (package, version, namespace, record) VALUES (?, ?, ?, ?)',
    );
    const packages = db.prepare(`SELECT package, namespace, sequence, visibility, versions FROM ${PACKAGES_TABLE}`);
    for (const row of packages.all() as (PackageChartVersions & { versions: string })[]) {
      insertHead.run(row.package, row.namespace, row.sequence, row.visibility);
      for (const version of JSON.parse(row.versions) as ChartVersionRecord[])
        insertRow.run(row.package, version.version, row.namespace, JSON.stringify(version));
    }
    db.exec(`UPDATE chart_namespaces SET revision = revision + 1;
      DROP TABLE ${PACKAGES_TABLE}; DROP TABLE IF EXISTS ${PACKAGES_TABLE}${REBUILD_SUFFIX};`);
  })();
}

interface HeadRow {
  sequence: number;
  visibility: Visibility;
}

export class SqliteChartIndexStore implements ChartIndexStore {
  private readonly db: Database.Database;
  /** The table names' suffix: '' for the live store, REBUILD_SUFFIX for a rebuild's. */
  private readonly suffix: string;
  private readonly ownsConnection: boolean;

  constructor(options: SqliteChartIndexStoreOptions, rebuildOf?: Database.Database) {
    this.ownsConnection = !rebuildOf;
    this.db = rebuildOf ?? openSqlite(options.path, options.synchronous ?? 'normal');
    this.suffix = rebuildOf ? REBUILD_SUFFIX : '';
    if (rebuildOf) return;
    this.db.exec(TABLES.schema('') + TABLES.indexes);
    migrate(this.db);
  }

  async rebuild(): Promise<ProjectionRebuild<ChartIndexStore>> {
    createRebuildTables(this.db, TABLES);
    return new SqliteProjectionRebuild(this.db, TABLES, new SqliteChartIndexStore({ path: ':rebuild:' }, this.db));
  }

  async sync(charts: PackageChartVersions): Promise<boolean> {
    return this.db.transaction(() => {
      if ((this.head(charts.package)?.sequence ?? 0) >= charts.sequence) return false;
      prepared(this.db, `DELETE FROM chart_rows${this.suffix} WHERE namespace = ? AND package = ?`).run(
        charts.namespace,
        charts.package,
      );
      for (const version of charts.versions) this.putRow(charts.package, charts.namespace, version);
      this.putHead(charts);
      this.bump(charts.namespace);
      return true;
    })();
  }

  async applyChanges(changes: PackageChartChanges): Promise<ChartChangesOutcome> {
    return this.db.transaction((): ChartChangesOutcome => {
      const head = this.head(changes.package);
      const at = head?.sequence ?? 0;
      if (at >= changes.sequence) return 'stale';
      const moves = changes.published.length > 0 || changes.deleted.length > 0;
      if (at !== changes.fromSequence) return 'behind';
      const remove = prepared(
        this.db,
        `DELETE FROM chart_rows${this.suffix} WHERE namespace = ? AND package = ? AND version = ?`,
      );
      for (const version of changes.deleted) remove.run(changes.namespace, changes.package, version);
      for (const version of changes.published) this.putRow(changes.package, changes.namespace, version);
      this.putHead(changes);
      if (moves || head?.visibility !== changes.visibility) this.bump(changes.namespace);
      return 'applied';
    })();
  }

  private head(pkg: string): HeadRow | undefined {
    return prepared(this.db, `SELECT sequence, visibility FROM chart_heads${this.suffix} WHERE package = ?`).get(
      pkg,
    ) as HeadRow | undefined;
  }

  private putHead(head: Pick<PackageChartVersions, 'package' | 'namespace' | 'sequence' | 'visibility'>): void {
    prepared(
      this.db,
      `INSERT INTO chart_heads${this.suffix} (package, namespace, sequence, visibility) VALUES (?, ?, ?, ?)
       ON CONFLICT (package) DO UPDATE SET sequence = excluded.sequence, visibility = excluded.visibility`,
    ).run(head.package, head.namespace, head.sequence, head.visibility);
  }

  private putRow(pkg: string, namespace: string, version: ChartVersionRecord): void {
    prepared(
      this.db,
      `INSERT OR REPLACE INTO chart_rows${this.suffix} (package, version, namespace, record) VALUES (?, ?, ?, ?)`,
    ).run(pkg, version.version, namespace, JSON.stringify(version));
  }

  private bump(namespace: string): void {
    prepared(
      this.db,
      `INSERT INTO chart_namespaces${this.suffix} (namespace, revision) VALUES (?, 1)
       ON CONFLICT (namespace) DO UPDATE SET revision = revision + 1`,
    ).run(namespace);
  }

  async revision(namespace: string): Promise<string> {
    return String(this.revisionNumber(namespace));
  }

  async read(namespace: string): Promise<NamespaceCharts> {
    return this.db.transaction(() => {
      // One JSON array per package, joined by SQLite: parsing one array costs less than a parse per row.
      const packages = prepared(
        this.db,
        `SELECT h.visibility, '[' || group_concat(r.record, ',') || ']' AS versions FROM chart_rows${this.suffix} r
           JOIN chart_heads${this.suffix} h ON h.package = r.package
         WHERE r.namespace = ? GROUP BY r.package`,
      ).all(namespace) as { visibility: Visibility; versions: string }[];
      const versions = packages.flatMap((row) =>
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
