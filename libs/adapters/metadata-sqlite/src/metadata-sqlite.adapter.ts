/**
 * The embedded metadata projection: one row per package holding its view as JSON, with the
 * columns listing filters on. `sequence` doubles as the compare-and-set guard.
 */
import type Database from 'better-sqlite3';
import { SqliteFileOptions, SqliteProjectionRebuild, SqliteProjectionTables, createRebuildTables, openSqlite, REBUILD_SUFFIX, prepared } from '@wharf/adapters/sqlite';
import { PackageSummary, PackageView, mediaTypesOf, packageExists, summarizePackage } from '@wharf/domain';
import type { MetadataStore, PackageListFilter, ProjectionRebuild } from '@wharf/ports';

export type SqliteMetadataStoreOptions = SqliteFileOptions;

const TABLES: SqliteProjectionTables = {
  tables: ['packages'],
  schema: (suffix) => `
    CREATE TABLE IF NOT EXISTS packages${suffix} (
      package     TEXT PRIMARY KEY,
      namespace   TEXT NOT NULL,
      sequence    INTEGER NOT NULL,
      active      INTEGER NOT NULL,
      visibility  TEXT NOT NULL,
      media_types TEXT NOT NULL,
      view        TEXT NOT NULL,
      summary     TEXT NOT NULL
    );`,
  indexes: 'CREATE INDEX IF NOT EXISTS packages_by_namespace ON packages (namespace, package) WHERE active = 1;',
};

export class SqliteMetadataStore implements MetadataStore {
  private readonly db: Database.Database;
  /** `packages`, or a rebuild's `packages_rebuild` on the live store's connection. */
  private readonly table: string;
  private readonly ownsConnection: boolean;

  constructor(options: SqliteMetadataStoreOptions, rebuildOf?: Database.Database) {
    this.ownsConnection = !rebuildOf;
    this.db = rebuildOf ?? openSqlite(options.path, options.synchronous ?? 'normal');
    this.table = rebuildOf ? `packages${REBUILD_SUFFIX}` : 'packages';
    if (!rebuildOf) this.db.exec(TABLES.schema('') + TABLES.indexes);
  }

  async rebuild(): Promise<ProjectionRebuild<MetadataStore>> {
    createRebuildTables(this.db, TABLES);
    return new SqliteProjectionRebuild(this.db, TABLES, new SqliteMetadataStore({ path: ':rebuild:' }, this.db));
  }

  async get(pkg: string): Promise<PackageView | null> {
    const row = prepared(this.db, `SELECT view FROM ${this.table} WHERE package = ?`).get(pkg) as { view: string } | undefined;
    return row ? (JSON.parse(row.view) as PackageView) : null;
  }

  async put(view: PackageView, expectedSequence: number): Promise<boolean> {
    const values = {
      package: view.package,
      namespace: view.namespace,
      sequence: view.sequence,
      active: packageExists(view) ? 1 : 0,
      visibility: view.visibility,
      media_types: ',' + mediaTypesOf(view).join(',') + ',',
      view: JSON.stringify(view),
      summary: JSON.stringify(summarizePackage(view)),
      expected: expectedSequence,
    };
    const result =
      expectedSequence === 0
        ? prepared(this.db, 
              `INSERT INTO ${this.table} (package, namespace, sequence, active, visibility, media_types, view, summary)
               VALUES (@package, @namespace, @sequence, @active, @visibility, @media_types, @view, @summary)
               ON CONFLICT (package) DO NOTHING`,
            )
            .run(values)
        : prepared(this.db, 
              `UPDATE ${this.table} SET sequence = @sequence, active = @active, visibility = @visibility,
                 media_types = @media_types, view = @view, summary = @summary
               WHERE package = @package AND sequence = @expected`,
            )
            .run(values);
    return result.changes === 1;
  }

  async list(filter: PackageListFilter): Promise<PackageSummary[]> {
    const where = ['active = 1'];
    const params: unknown[] = [];
    if (filter.namespace !== undefined) {
      where.push('namespace = ?');
      params.push(filter.namespace);
    }
    if (filter.mediaType !== undefined) {
      where.push('instr(media_types, ?) > 0');
      params.push(`,${filter.mediaType},`);
    }
    if (filter.nameContains !== undefined) {
      where.push('instr(package, ?) > 0');
      params.push(filter.nameContains);
    }
    if (filter.visibleNamespaces !== undefined && filter.visibleNamespaces !== 'all') {
      where.push(`(visibility = 'public' OR namespace IN (SELECT value FROM json_each(?)))`);
      params.push(JSON.stringify(filter.visibleNamespaces));
    }
    params.push(filter.limit, filter.offset ?? 0);
    const rows = prepared(this.db, `SELECT summary FROM ${this.table} WHERE ${where.join(' AND ')} ORDER BY package LIMIT ? OFFSET ?`)
      .all(...params) as { summary: string }[];
    return rows.map((r) => JSON.parse(r.summary) as PackageSummary);
  }

  async count(): Promise<number> {
    return (prepared(this.db, `SELECT COUNT(*) AS n FROM ${this.table} WHERE active = 1`).get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.ownsConnection && this.db.open) this.db.close();
  }
}
