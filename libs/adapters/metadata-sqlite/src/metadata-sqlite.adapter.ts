/**
 * The embedded metadata projection: per package a head row (`package_heads`: the view without
 * its manifests as JSON, the listing's summary as JSON, and the columns listing filters on;
 * `sequence` doubles as the compare-and-set guard) and one row per (release, media type)
 * (`package_rows`: the manifest as JSON and the sequence of the event that published it, its
 * order in the view). A put writes the head and the rows its changes name in one transaction,
 * so a reader sees a package's head and rows of one state, and `getRelease` reads both in one.
 *
 * The OCI manifest digest of each helm release is a row of its own (`package_digests`, keyed by
 * (package, release), indexed by (package, digest)), written and deleted with the helm release's
 * row, so a `/v2/` read by digest finds its release by key and a push never rewrites an index
 * that grows with the package.
 *
 * Heads and whole views read or written are kept parsed in memory (LruBySize, weighed by the
 * length of their JSON, none over a quarter of the bound), so a push or a show does not parse
 * them again. Both caches are dropped whenever another connection (the replay command, a second
 * process) committed to the file (`PRAGMA data_version`) and when a rebuild of this store
 * switches over.
 *
 * Migration: a file of the layout before rows (one `packages` table holding each package's view)
 * is migrated when the store opens, in one transaction: each view becomes its head and rows, and
 * the old table is dropped. A file written before the digests had their table (the head held
 * them, or no index at all) gets the table made and filled from its helm rows when the store
 * opens, and its heads rewritten without the index, in one transaction with the table's making
 * (an open interrupted before the fill leaves no table, so the next open migrates).
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
  HeadFields,
  ManifestChanges,
  HELM_MEDIA_TYPE,
  ManifestRow,
  PackageHead,
  PackageSummary,
  PackageView,
  ReleaseManifest,
  assembleView,
  headFieldsOfHead,
  headHasReleases,
  helmDigestOfRow,
  helmReleaseOfDigest,
  headIsOciRepository,
  joinHead,
  mediaTypesOfHead,
  packageHead,
  rowsOfView,
  summaryOfHead,
  viewAfterChanges,
} from '@wharf/domain';
import type { HeadAndManifest, MetadataStore, PackageListFilter, ProjectionRebuild, ReleaseOfHead } from '@wharf/ports';

export interface SqliteMetadataStoreOptions extends SqliteFileOptions {
  /** Bytes of stored JSON the in-memory caches of views and heads may hold each (default 32 MiB; 0 turns them off). */
  viewCacheBytes?: number;
}

const DEFAULT_VIEW_CACHE_BYTES = 32 * 1024 * 1024;

const TABLES: SqliteProjectionTables = {
  tables: ['package_heads', 'package_rows', 'package_digests'],
  schema: (suffix) => `
    CREATE TABLE IF NOT EXISTS package_heads${suffix} (
      package     TEXT PRIMARY KEY,
      namespace   TEXT NOT NULL,
      sequence    INTEGER NOT NULL,
      active      INTEGER NOT NULL,
      visibility  TEXT NOT NULL,
      media_types TEXT NOT NULL,
      head        TEXT NOT NULL,
      summary     TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS package_rows${suffix} (
      package    TEXT NOT NULL,
      release    TEXT NOT NULL,
      media_type TEXT NOT NULL,
      sequence   INTEGER NOT NULL,
      manifest   TEXT NOT NULL,
      PRIMARY KEY (package, release, media_type)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS package_digests${suffix} (
      package TEXT NOT NULL,
      release TEXT NOT NULL,
      digest  TEXT NOT NULL,
      PRIMARY KEY (package, release)
    ) WITHOUT ROWID;`,
  indexes: `
    CREATE INDEX IF NOT EXISTS package_heads_by_namespace ON package_heads (namespace, package) WHERE active = 1;
    CREATE INDEX IF NOT EXISTS package_digests_by_digest ON package_digests (package, digest);`,
};

/** The table of the layout before rows: one row per package with its whole view. */
const LEGACY_TABLE = 'packages';

interface CachedView {
  view: PackageView;
  /** Characters of JSON it was read from or written as (its weight in the cache). */
  size: number;
}

export class SqliteMetadataStore implements MetadataStore {
  private readonly db: Database.Database;
  private readonly heads: string;
  private readonly rows: string;
  private readonly digests: string;
  private readonly ownsConnection: boolean;
  private readonly views: LruBySize<string, CachedView>;
  private readonly headCache: LruBySize<string, PackageHead>;
  /**
   * Manifests `getRelease` read, by package, release and media type, with the head's sequence
   * they were read at: a head is never stored twice at one sequence, so while it has that
   * sequence the row is what it was (no second query for a release read again).
   */
  private readonly releaseRows: LruBySize<string, { sequence: number; manifest: ReleaseManifest }>;
  private dataVersion = -1;

  constructor(options: SqliteMetadataStoreOptions, rebuildOf?: Database.Database) {
    this.ownsConnection = !rebuildOf;
    this.db = rebuildOf ?? openSqlite(options.path, options.synchronous ?? 'normal');
    const suffix = rebuildOf ? REBUILD_SUFFIX : '';
    this.heads = `package_heads${suffix}`;
    this.rows = `package_rows${suffix}`;
    this.digests = `package_digests${suffix}`;
    const cacheBytes = rebuildOf ? 0 : (options.viewCacheBytes ?? DEFAULT_VIEW_CACHE_BYTES);
    this.views = new LruBySize({ maxTotalSize: cacheBytes, maxEntrySize: cacheBytes / 4 });
    this.headCache = new LruBySize({ maxTotalSize: cacheBytes, maxEntrySize: cacheBytes / 4 });
    this.releaseRows = new LruBySize({ maxTotalSize: cacheBytes, maxEntrySize: cacheBytes / 4 });
    if (!rebuildOf) {
      this.createTables();
      this.migrateLegacyLayout();
    }
  }

  async rebuild(): Promise<ProjectionRebuild<MetadataStore>> {
    createRebuildTables(this.db, TABLES);
    return new SqliteProjectionRebuild(this.db, TABLES, new SqliteMetadataStore({ path: ':rebuild:' }, this.db), () =>
      this.dropCaches(),
    );
  }

  /** The returned view may be shared with other callers: never mutate it (the domain never does). */
  async get(pkg: string): Promise<PackageView | null> {
    this.dropCacheIfChangedElsewhere();
    const cached = this.views.get(pkg);
    if (cached) return cached.view;
    return this.db.transaction(() => {
      const head = prepared(this.db, `SELECT head FROM ${this.heads} WHERE package = ?`).get(pkg) as
        { head: string } | undefined;
      if (!head) return null;
      const rows = prepared(this.db, `SELECT sequence, manifest FROM ${this.rows} WHERE package = ?`).all(pkg) as {
        sequence: number;
        manifest: string;
      }[];
      let size = head.head.length;
      const manifests: ManifestRow[] = rows.map((r) => {
        size += r.manifest.length;
        return { sequence: r.sequence, manifest: JSON.parse(r.manifest) as ReleaseManifest };
      });
      const view = assembleView(JSON.parse(head.head) as HeadFields, manifests);
      this.views.set(pkg, { view, size }, size);
      return view;
    })();
  }

  /** The returned head may be shared with other callers: never mutate it. */
  async getHead(pkg: string): Promise<PackageHead | null> {
    this.dropCacheIfChangedElsewhere();
    return this.readHead(pkg);
  }

  private readHead(pkg: string, fresh = false): PackageHead | null {
    const cached = fresh ? undefined : this.headCache.get(pkg);
    if (cached) return cached;
    const row = prepared(this.db, `SELECT head, summary FROM ${this.heads} WHERE package = ?`).get(pkg) as
      { head: string; summary: string } | undefined;
    if (!row) return null;
    const head = joinHead(JSON.parse(row.head) as HeadFields, JSON.parse(row.summary) as PackageSummary);
    this.headCache.set(pkg, head, row.head.length + row.summary.length);
    return head;
  }

  /**
   * The head and the row by its key, in one read transaction. The cached head is used when the
   * transaction's head row has its sequence (a head is never stored twice at one sequence).
   */
  async getRelease(pkg: string, releaseOf: ReleaseOfHead, mediaType: string): Promise<HeadAndManifest | null> {
    this.dropCacheIfChangedElsewhere();
    return this.db.transaction(() => {
      const sequence = prepared(this.db, `SELECT sequence FROM ${this.heads} WHERE package = ?`).pluck().get(pkg) as
        number | undefined;
      if (sequence === undefined) return null;
      const cached = this.headCache.get(pkg);
      const head = cached?.sequence === sequence ? cached : this.readHead(pkg, true)!;
      if (releaseOf === null) return { head, manifest: null };
      if (typeof releaseOf !== 'string') return this.byDigest(pkg, head, releaseOf.helmManifestDigest, mediaType);
      const key = `${pkg}\0${releaseOf}\0${mediaType}`;
      const kept = this.releaseRows.get(key);
      if (kept?.sequence === sequence) return { head, manifest: kept.manifest };
      const row = this.readRow(pkg, releaseOf, mediaType);
      if (row) this.releaseRows.set(key, { sequence, manifest: row.manifest }, row.size);
      return { head, manifest: row?.manifest ?? null };
    })();
  }

  private readRow(pkg: string, release: string, mediaType: string): { manifest: ReleaseManifest; size: number } | null {
    const row = prepared(
      this.db,
      `SELECT manifest FROM ${this.rows} WHERE package = ? AND release = ? AND media_type = ?`,
    ).get(pkg, release, mediaType) as { manifest: string } | undefined;
    return row ? { manifest: JSON.parse(row.manifest) as ReleaseManifest, size: row.manifest.length } : null;
  }

  /** The helm release of `digest` at `head` (inside getRelease's read transaction): its digest rows, then its row. */
  private byDigest(pkg: string, head: PackageHead, digest: string, mediaType: string): HeadAndManifest {
    if (mediaType !== HELM_MEDIA_TYPE) return { head, manifest: null };
    const candidates = prepared(this.db, `SELECT release FROM ${this.digests} WHERE package = ? AND digest = ?`)
      .pluck()
      .all(pkg, digest) as string[];
    const manifest = helmReleaseOfDigest(
      head,
      candidates,
      digest,
      (release) => this.readRow(pkg, release, HELM_MEDIA_TYPE)?.manifest ?? null,
    );
    return { head, manifest };
  }

  private dropCacheIfChangedElsewhere(): void {
    if (!this.views.enabled) return;
    const version = prepared(this.db, 'PRAGMA data_version').pluck().get() as number;
    if (version !== this.dataVersion) {
      this.dropCaches();
      this.dataVersion = version;
    }
  }

  private dropCaches(): void {
    this.views.clear();
    this.headCache.clear();
    this.releaseRows.clear();
  }

  async put(view: PackageView, expectedSequence: number, changes?: ManifestChanges): Promise<boolean> {
    this.dropCacheIfChangedElsewhere();
    const head = packageHead(view);
    const stored = this.write(
      head,
      expectedSequence,
      changes ?? { published: rowsOfView(view), deleted: [] },
      !changes,
    );
    if (!stored) return false;
    // The view's weight: what it weighed before plus the rows written (exact for a whole rewrite).
    const before = changes ? this.views.get(view.package) : undefined;
    if (changes && !before) this.views.delete(view.package);
    else {
      const size = (before?.size ?? stored.headSize) + stored.rowsSize;
      this.views.set(view.package, { view, size }, size);
    }
    return true;
  }

  async putHead(head: PackageHead, expectedSequence: number, changes: ManifestChanges): Promise<boolean> {
    this.dropCacheIfChangedElsewhere();
    const before = this.views.get(head.package);
    const stored = this.write(head, expectedSequence, changes, false);
    if (!stored) return false;
    // A view cached at the previous sequence stays cached with the changes (for the readers of whole views).
    if (before && before.view.sequence === expectedSequence && expectedSequence > 0) {
      const size = before.size + stored.rowsSize;
      this.views.set(head.package, { view: viewAfterChanges(before.view, head, changes), size }, size);
    } else this.views.delete(head.package);
    return true;
  }

  /**
   * The head's compare-and-set and the rows in one transaction: the rows `changes` name (with
   * `replaceAll`, the package's other rows are deleted first). Null when the compare-and-set
   * failed; then neither cache holds the package.
   */
  private write(
    head: PackageHead,
    expectedSequence: number,
    changes: ManifestChanges,
    replaceAll: boolean,
  ): { headSize: number; rowsSize: number } | null {
    const headJson = JSON.stringify(headFieldsOfHead(head));
    const summaryJson = JSON.stringify(summaryOfHead(head));
    let rowsSize = 0;
    const stored = this.db.transaction(() => {
      if (!this.putHeadRow(head, headJson, summaryJson, expectedSequence)) return false;
      const upsert = prepared(
        this.db,
        `INSERT INTO ${this.rows} (package, release, media_type, sequence, manifest) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (package, release, media_type) DO UPDATE SET sequence = excluded.sequence, manifest = excluded.manifest`,
      );
      if (replaceAll) {
        prepared(this.db, `DELETE FROM ${this.rows} WHERE package = ?`).run(head.package);
        prepared(this.db, `DELETE FROM ${this.digests} WHERE package = ?`).run(head.package);
      } else {
        const remove = prepared(
          this.db,
          `DELETE FROM ${this.rows} WHERE package = ? AND release = ? AND media_type = ?`,
        );
        for (const d of changes.deleted) {
          remove.run(head.package, d.release, d.mediaType);
          if (d.mediaType === HELM_MEDIA_TYPE) this.removeDigest(head.package, d.release);
        }
      }
      for (const { manifest, sequence } of changes.published) {
        const json = JSON.stringify(manifest);
        rowsSize += json.length;
        upsert.run(head.package, manifest.release, manifest.mediaType, sequence, json);
        if (manifest.mediaType === HELM_MEDIA_TYPE) this.writeDigest(head.package, manifest);
      }
      return true;
    })();
    if (!stored) {
      this.views.delete(head.package);
      this.headCache.delete(head.package);
      return null;
    }
    this.headCache.set(head.package, head, headJson.length + summaryJson.length);
    return { headSize: headJson.length, rowsSize };
  }

  /** The digest row of a helm release's manifest (replacing the release's earlier one). */
  private writeDigest(pkg: string, manifest: ReleaseManifest): void {
    const entry = helmDigestOfRow(manifest);
    if (!entry) return this.removeDigest(pkg, manifest.release);
    prepared(this.db, `INSERT OR REPLACE INTO ${this.digests} (package, release, digest) VALUES (?, ?, ?)`).run(
      pkg,
      entry.release,
      entry.digest,
    );
  }

  private removeDigest(pkg: string, release: string): void {
    prepared(this.db, `DELETE FROM ${this.digests} WHERE package = ? AND release = ?`).run(pkg, release);
  }

  /** The head's compare-and-set: inserts (expected 0) or moves it from `expectedSequence`. */
  private putHeadRow(head: PackageHead, headJson: string, summaryJson: string, expectedSequence: number): boolean {
    const values = {
      package: head.package,
      namespace: head.namespace,
      sequence: head.sequence,
      // 1: listed (has a release); 2: only the /v2 catalog lists it (OCI artifacts alone); 0: neither.
      active: headHasReleases(head) ? 1 : headIsOciRepository(head) ? 2 : 0,
      visibility: head.visibility,
      media_types: ',' + mediaTypesOfHead(head).join(',') + ',',
      head: headJson,
      summary: summaryJson,
      expected: expectedSequence,
    };
    const result =
      expectedSequence === 0
        ? prepared(
            this.db,
            `INSERT INTO ${this.heads} (package, namespace, sequence, active, visibility, media_types, head, summary)
               VALUES (@package, @namespace, @sequence, @active, @visibility, @media_types, @head, @summary)
               ON CONFLICT (package) DO NOTHING`,
          ).run(values)
        : prepared(
            this.db,
            `UPDATE ${this.heads} SET sequence = @sequence, active = @active, visibility = @visibility,
                 media_types = @media_types, head = @head, summary = @summary
               WHERE package = @package AND sequence = @expected`,
          ).run(values);
    return result.changes === 1;
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
      `SELECT summary FROM ${this.heads} WHERE ${where.join(' AND ')} ORDER BY package LIMIT ? OFFSET ?`,
    ).all(...params) as { summary: string }[];
    return rows.map((r) => JSON.parse(r.summary) as PackageSummary);
  }

  async count(): Promise<number> {
    return (prepared(this.db, `SELECT COUNT(*) AS n FROM ${this.heads} WHERE active = 1`).get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.ownsConnection && this.db.open) this.db.close();
  }

  private tableExists(name: string): boolean {
    return prepared(this.db, `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
  }

  /**
   * Makes the tables and indexes a file lacks. A file without `package_digests` (new, or of the
   * layout whose heads held the index of helm manifest digests) gets the table made and filled in
   * one immediate transaction, which checks for the table again once it holds the write lock: the
   * table's existence is what says the file was migrated, so it is never committed empty (a crash
   * or SQLITE_BUSY before the fill rolls the table back, and the next open migrates), and a
   * second process opening the file at the same moment waits, then finds it made.
   */
  private createTables(): void {
    if (this.tableExists(this.digests)) {
      this.db.exec(TABLES.schema('') + TABLES.indexes);
      return;
    }
    this.db
      .transaction(() => {
        const digestsHadTable = this.tableExists(this.digests);
        this.db.exec(TABLES.schema('') + TABLES.indexes);
        if (!digestsHadTable) this.migrateDigestsOutOfHeads();
      })
      .immediate();
  }

  /**
   * For a file whose `package_digests` was just made (createTables' transaction): fills it from
   * the helm rows and stores each head without the index of helm manifest digests.
   */
  private migrateDigestsOutOfHeads(): void {
    const helmRows = this.db
      .prepare(`SELECT package, manifest FROM ${this.rows} WHERE media_type = ?`)
      .all(HELM_MEDIA_TYPE) as { package: string; manifest: string }[];
    for (const row of helmRows) this.writeDigest(row.package, JSON.parse(row.manifest) as ReleaseManifest);
    const heads = this.db.prepare(`SELECT package, head FROM ${this.heads}`).all() as {
      package: string;
      head: string;
    }[];
    const rewrite = this.db.prepare(`UPDATE ${this.heads} SET head = ? WHERE package = ?`);
    for (const { package: pkg, head } of heads) {
      const { helmManifestDigests, ...fields } = JSON.parse(head) as HeadFields & { helmManifestDigests?: unknown };
      if (helmManifestDigests !== undefined) rewrite.run(JSON.stringify(fields), pkg);
    }
  }

  /**
   * Turns a file of the layout before rows into heads and rows, in one transaction (another
   * process opening the file at the same moment waits, then finds nothing left to migrate).
   */
  private migrateLegacyLayout(): void {
    const exists = () =>
      prepared(this.db, `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(LEGACY_TABLE) !==
      undefined;
    if (!exists()) return;
    this.db
      .transaction(() => {
        if (!exists()) return;
        const packages = this.db.prepare(`SELECT package FROM ${LEGACY_TABLE}`).pluck().all() as string[];
        const read = this.db.prepare(`SELECT sequence, view FROM ${LEGACY_TABLE} WHERE package = ?`);
        for (const pkg of packages) {
          const { view } = read.get(pkg) as { view: string };
          const parsed = JSON.parse(view) as PackageView;
          const head = packageHead(parsed);
          // Whatever the new tables hold of it (an upgrade after a downgrade) gives way to the view.
          prepared(this.db, `DELETE FROM ${this.heads} WHERE package = ?`).run(pkg);
          prepared(this.db, `DELETE FROM ${this.rows} WHERE package = ?`).run(pkg);
          this.putHeadRow(head, JSON.stringify(headFieldsOfHead(head)), JSON.stringify(summaryOfHead(head)), 0);
          const upsert = prepared(
            this.db,
            `INSERT OR REPLACE INTO ${this.rows} (package, release, media_type, sequence, manifest) VALUES (?, ?, ?, ?, ?)`,
          );
          prepared(this.db, `DELETE FROM ${this.digests} WHERE package = ?`).run(pkg);
          for (const { manifest, sequence } of rowsOfView(parsed)) {
            upsert.run(pkg, manifest.release, manifest.mediaType, sequence, JSON.stringify(manifest));
            if (manifest.mediaType === HELM_MEDIA_TYPE) this.writeDigest(pkg, manifest);
          }
        }
        this.db.exec(`DROP TABLE ${LEGACY_TABLE}; DROP TABLE IF EXISTS ${LEGACY_TABLE}${REBUILD_SUFFIX};`);
      })
      .immediate();
  }
}

// SQLite's busy, locked, full and I/O errors leave every method as the ports' DependencyUnavailableError (sqlite-outage.ts in libs/adapters/sqlite).
translateSqliteOutages(SqliteMetadataStore);
