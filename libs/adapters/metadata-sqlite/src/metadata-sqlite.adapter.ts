/**
 * The embedded metadata projection: one row per package holding its view as JSON, with the
 * columns listing filters on. `sequence` doubles as the compare-and-set guard.
 *
 * Views read or written are kept parsed in memory (an LruBySize weighed by the length of their
 * JSON, no view over a quarter of the bound), so a push or a pull does not parse the package's
 * whole document again. The cache is dropped whenever another connection (the replay command, a
 * second process) committed to the file (`PRAGMA data_version`) and when a rebuild of this store
 * switches over.
 */
import type Database from 'better-sqlite3';
import { LruBySize } from '@wharf/collections';
import {
  SqliteFileOptions,
  SqliteProjectionRebuild,
  SqliteProjectionTables,
  createRebuildTables,
  openSqlite,
  REBUILD_SUFFIX,
  prepared,
  translateSqliteOutages,
} from '@wharf/adapters/sqlite';
import {
  PackageSummary,
  PackageView,
  mediaTypesOf,
  ociRepositoryExists,
  packageExists,
  summarizePackage,
} from '@wharf/domain';
import type { MetadataStore, PackageListFilter, ProjectionRebuild } from '@wharf/ports';

export interface SqliteMetadataStoreOptions extends SqliteFileOptions {
  /** Bytes of stored JSON the in-memory view cache may hold (default 32 MiB; 0 turns it off). */
  viewCacheBytes?: number;
}

const DEFAULT_VIEW_CACHE_BYTES = 32 * 1024 * 1024;

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
  private readonly views: LruBySize<string, PackageView>;
  private dataVersion = -1;

  constructor(options: SqliteMetadataStoreOptions, rebuildOf?: Database.Database) {
    this.ownsConnection = !rebuildOf;
    this.db = rebuildOf ?? openSqlite(options.path, options.synchronous ?? 'normal');
    this.table = rebuildOf ? `packages${REBUILD_SUFFIX}` : 'packages';
    const viewCacheBytes = rebuildOf ? 0 : (options.viewCacheBytes ?? DEFAULT_VIEW_CACHE_BYTES);
    this.views = new LruBySize({ maxTotalSize: viewCacheBytes, maxEntrySize: viewCacheBytes / 4 });
    if (!rebuildOf) this.db.exec(TABLES.schema('') + TABLES.indexes);
  }

  async rebuild(): Promise<ProjectionRebuild<MetadataStore>> {
    createRebuildTables(this.db, TABLES);
    return new SqliteProjectionRebuild(this.db, TABLES, new SqliteMetadataStore({ path: ':rebuild:' }, this.db), () =>
      this.views.clear(),
    );
  }

  /** The returned view may be shared with other callers: never mutate it (the domain never does). */
  async get(pkg: string): Promise<PackageView | null> {
    this.dropCacheIfChangedElsewhere();
    const cached = this.views.get(pkg);
    if (cached) return cached;
    const row = prepared(this.db, `SELECT view FROM ${this.table} WHERE package = ?`).get(pkg) as
      { view: string } | undefined;
    if (!row) return null;
    const view = JSON.parse(row.view) as PackageView;
    this.views.set(pkg, view, row.view.length);
    return view;
  }

  private dropCacheIfChangedElsewhere(): void {
    if (!this.views.enabled) return;
    const version = prepared(this.db, 'PRAGMA data_version').pluck().get() as number;
    if (version !== this.dataVersion) {
      this.views.clear();
      this.dataVersion = version;
    }
  }

  async put(view: PackageView, expectedSequence: number): Promise<boolean> {
    this.dropCacheIfChangedElsewhere();
    const json = JSON.stringify(view);
    const values = {
      package: view.package,
      namespace: view.namespace,
      sequence: view.sequence,
      // 1: listed (has a release); 2: only the /v2 catalog lists it (OCI artifacts alone); 0: neither.
      active: packageExists(view) ? 1 : ociRepositoryExists(view) ? 2 : 0,
      visibility: view.visibility,
      media_types: ',' + mediaTypesOf(view).join(',') + ',',
      view: json,
      summary: JSON.stringify(summarizePackage(view)),
      expected: expectedSequence,
    };
    const result =
      expectedSequence === 0
        ? prepared(
            this.db,
            `INSERT INTO ${this.table} (package, namespace, sequence, active, visibility, media_types, view, summary)
               VALUES (@package, @namespace, @sequence, @active, @visibility, @media_types, @view, @summary)
               ON CONFLICT (package) DO NOTHING`,
          ).run(values)
        : prepared(
            this.db,
            `UPDATE ${this.table} SET sequence = @sequence, active = @active, visibility = @visibility,
                 media_types = @media_types, view = @view, summary = @summary
               WHERE package = @package AND sequence = @expected`,
          ).run(values);
    if (result.changes !== 1) {
      this.views.delete(view.package);
      return false;
    }
    this.views.set(view.package, view, json.length);
    return true;
  }

  async list(filter: PackageListFilter): Promise<PackageSummary[]> {
    const where = [filter.includeOciOnly ? 'active IN (1, 2)' : 'active = 1'];
    const params: unknown[] = [];
    if (filter.after !== undefined) {
      where.push('package > ?');
      params.push(filter.after);
    }
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
    const rows = prepared(
      this.db,
      `SELECT summary FROM ${this.table} WHERE ${where.join(' AND ')} ORDER BY package LIMIT ? OFFSET ?`,
    ).all(...params) as { summary: string }[];
    return rows.map((r) => JSON.parse(r.summary) as PackageSummary);
  }

  async count(): Promise<number> {
    return (prepared(this.db, `SELECT COUNT(*) AS n FROM ${this.table} WHERE active = 1`).get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.ownsConnection && this.db.open) this.db.close();
  }
}

// SQLite's busy, locked, full and I/O errors leave every method as the ports' DependencyUnavailableError (sqlite-outage.ts in libs/adapters/sqlite).
translateSqliteOutages(SqliteMetadataStore);
