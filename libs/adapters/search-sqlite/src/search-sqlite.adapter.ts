/**
 * The embedded search projection on SQLite FTS5. User text is reduced to word tokens and each
 * is quoted as a prefix term, so query syntax in the input (`name:* OR *`) is searched for as
 * words, never interpreted. Ranking: exact name first, then names containing the text, then
 * FTS relevance (bm25, name weighted above keywords above description). Sorted by recency, the
 * same matches come newest release first (`released_at`, an ISO time, so text order is time
 * order), rows without one (stored before the column existed: NULL) last.
 *
 * A package is a row of `search_docs` (its document, a few hundred bytes, in `doc`) and one row
 * of `search_rows` per (release, media type), which `newestRows` reads through two indexes
 * (by time; by release among those with a chart), so neither a push nor a delete reads more
 * than a few rows. Files written before rows existed hold the whole view in `doc`: they are
 * read as they are (`getMany` gives the view back) and the projector moves each package to
 * rows on its next event, so they need no migration at start.
 */
import type Database from 'better-sqlite3';
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
import type {
  ProjectionRebuild,
  SearchDocument,
  SearchIndex,
  SearchQuery,
  NewestRowsRequest,
  SearchRow,
  SearchUpdate,
  StoredSearchRows,
} from '@wharf/ports';

export type SqliteSearchIndexOptions = SqliteFileOptions;

/** The listing index: what a search scans, see TABLES. */
const LISTING_INDEX =
  'CREATE INDEX IF NOT EXISTS search_docs_listing ON search_docs (active, package, name, namespace, visibility, media_types, released_at);';

/**
 * The indexes of the rows, by suffix: created with the tables (a rebuild's fold reads them,
 * too); SQLite cannot rename an index, so after a switch the live table's are made again under
 * the live names (TABLES.indexes).
 */
const rowIndexes = (suffix: string) => `
    CREATE INDEX IF NOT EXISTS search_rows_created${suffix} ON search_rows${suffix} (package, created_at);
    CREATE INDEX IF NOT EXISTS search_rows_described${suffix}
      ON search_rows${suffix} (package, release_key DESC, sequence) WHERE chart IS NOT NULL;`;

const TABLES: SqliteProjectionTables = {
  tables: ['search_docs', 'search_fts', 'search_rows'],
  schema: (suffix) => `
    CREATE TABLE IF NOT EXISTS search_docs${suffix} (
      id          INTEGER PRIMARY KEY,
      package     TEXT NOT NULL UNIQUE,
      namespace   TEXT NOT NULL,
      name        TEXT NOT NULL,
      sequence    INTEGER NOT NULL,
      active      INTEGER NOT NULL,
      visibility  TEXT NOT NULL,
      media_types TEXT NOT NULL,
      doc         TEXT NOT NULL,
      released_at TEXT
    );
    CREATE VIRTUAL TABLE IF NOT EXISTS search_fts${suffix} USING fts5(
      name, namespace, keywords, description,
      tokenize = 'unicode61 remove_diacritics 2',
      prefix = '2 3 4'
    );
    CREATE TABLE IF NOT EXISTS search_rows${suffix} (
      package     TEXT NOT NULL,
      media_type  TEXT NOT NULL,
      release     TEXT NOT NULL,
      sequence    INTEGER NOT NULL,
      created_at  TEXT NOT NULL,
      release_key TEXT NOT NULL,
      chart       TEXT,
      PRIMARY KEY (package, media_type, release)
    ) WITHOUT ROWID;
    ${rowIndexes(suffix)}`,
  // What a search scans for its substring match on "namespace/name" (and filters and sorts on),
  // so that the scan reads this index and not the documents' rows: documents of the former
  // layout held their package's whole view, a page or more, and at 10,000 packages the scan of
  // the table took ~36 ms a query against ~3 ms for the index.
  indexes: `${LISTING_INDEX}
    DROP INDEX IF EXISTS search_rows_created${REBUILD_SUFFIX};
    DROP INDEX IF EXISTS search_rows_described${REBUILD_SUFFIX};
    ${rowIndexes('')}`,
};

export class SqliteSearchIndex implements SearchIndex {
  private readonly db: Database.Database;
  /** `search_docs` and `search_fts`, or a rebuild's (suffixed) on the live index's connection. */
  private readonly docs: string;
  private readonly fts: string;
  private readonly rows: string;
  private readonly ownsConnection: boolean;

  constructor(options: SqliteSearchIndexOptions, rebuildOf?: Database.Database) {
    this.ownsConnection = !rebuildOf;
    this.db = rebuildOf ?? openSqlite(options.path, options.synchronous ?? 'normal');
    const suffix = rebuildOf ? REBUILD_SUFFIX : '';
    this.docs = `search_docs${suffix}`;
    this.fts = `search_fts${suffix}`;
    this.rows = `search_rows${suffix}`;
    if (!rebuildOf) {
      this.db.exec(TABLES.schema(''));
      addReleasedAtColumn(this.db);
      this.db.exec(LISTING_INDEX);
    }
  }

  async rebuild(): Promise<ProjectionRebuild<SearchIndex>> {
    createRebuildTables(this.db, TABLES);
    return new SqliteProjectionRebuild(this.db, TABLES, new SqliteSearchIndex({ path: ':rebuild:' }, this.db));
  }

  async getMany(packages: readonly string[]): Promise<Map<string, SearchDocument>> {
    const found = new Map<string, SearchDocument>();
    if (packages.length === 0) return found;
    const rows = prepared(
      this.db,
      `SELECT doc FROM ${this.docs} WHERE package IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(packages)) as { doc: string }[];
    for (const row of rows) {
      const doc = JSON.parse(row.doc) as SearchDocument;
      found.set(doc.package, doc);
    }
    return found;
  }

  async putMany(updates: readonly SearchUpdate[]): Promise<void> {
    const current = prepared(this.db, `SELECT id, sequence FROM ${this.docs} WHERE package = ?`);
    const insert = prepared(
      this.db,
      `INSERT INTO ${this.docs} (package, namespace, name, sequence, active, visibility, media_types, doc, released_at)
       VALUES (@package, @namespace, @name, @sequence, @active, @visibility, @media_types, @doc, @released_at)`,
    );
    const update = prepared(
      this.db,
      `UPDATE ${this.docs} SET sequence = @sequence, active = @active, visibility = @visibility,
         media_types = @media_types, doc = @doc, released_at = @released_at WHERE id = @id`,
    );
    const deleteText = prepared(this.db, `DELETE FROM ${this.fts} WHERE rowid = ?`);
    const insertText = prepared(
      this.db,
      `INSERT INTO ${this.fts} (rowid, name, namespace, keywords, description) VALUES (?, ?, ?, ?, ?)`,
    );
    const putRow = prepared(
      this.db,
      `INSERT OR REPLACE INTO ${this.rows} (package, media_type, release, sequence, created_at, release_key, chart)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const deleteRow = prepared(
      this.db,
      `DELETE FROM ${this.rows} WHERE package = ? AND media_type = ? AND release = ?`,
    );
    this.db.transaction(() => {
      for (const { document, rows = [], deletedRows = [] } of updates) {
        const { view: _view, ...doc } = document;
        const existing = current.get(doc.package) as { id: number; sequence: number } | undefined;
        if (existing && existing.sequence >= doc.sequence) continue;
        for (const row of deletedRows) deleteRow.run(doc.package, row.mediaType, row.release);
        for (const row of rows) {
          const chart = row.chart === null ? null : JSON.stringify(row.chart);
          putRow.run(doc.package, row.mediaType, row.release, row.sequence, row.createdAt, row.releaseKey, chart);
        }
        const values = {
          package: doc.package,
          namespace: doc.namespace,
          name: doc.name,
          sequence: doc.sequence,
          active: doc.active ? 1 : 0,
          visibility: doc.visibility,
          media_types: ',' + doc.mediaTypes.join(',') + ',',
          doc: JSON.stringify(doc),
          released_at: doc.releasedAt ?? null,
        };
        let id: number;
        if (existing) {
          update.run({ ...values, id: existing.id });
          deleteText.run(existing.id);
          id = existing.id;
        } else {
          id = Number(insert.run(values).lastInsertRowid);
        }
        if (doc.active) insertText.run(id, doc.name, doc.namespace, doc.keywords.join(' '), doc.description);
      }
    })();
  }

  async newestRows(requests: readonly NewestRowsRequest[]): Promise<Map<string, StoredSearchRows>> {
    const statements = newestRowsStatements(this.rows);
    const [newestOf, describedOf] = [prepared(this.db, statements.newest), prepared(this.db, statements.described)];
    const found = new Map<string, StoredSearchRows>();
    for (const request of requests) {
      const params = { package: request.package, excluding: JSON.stringify(request.excluding) };
      const newest = newestOf.get(params) as StoredRow | undefined;
      const described = describedOf.get(params) as StoredRow | undefined;
      found.set(request.package, {
        newest: newest ? rowOf(newest) : null,
        described: described ? rowOf(described) : null,
      });
    }
    return found;
  }

  async listRows(packages: readonly string[]): Promise<Map<string, SearchRow[]>> {
    const found = new Map<string, SearchRow[]>(packages.map((pkg) => [pkg, []]));
    if (packages.length === 0) return found;
    const rows = prepared(
      this.db,
      `SELECT * FROM ${this.rows} WHERE package IN (SELECT value FROM json_each(?)) ORDER BY package, media_type, release`,
    ).all(JSON.stringify(packages)) as (StoredRow & { package: string })[];
    for (const row of rows) found.get(row.package)!.push(rowOf(row));
    return found;
  }

  async search(query: SearchQuery): Promise<string[]> {
    const statement = searchStatement(query, this.docs, this.fts);
    if (!statement) return [];
    const rows = prepared(this.db, statement.sql).all(statement.params) as { package: string }[];
    return rows.map((r) => r.package);
  }

  async count(): Promise<number> {
    return (prepared(this.db, `SELECT COUNT(*) AS n FROM ${this.docs} WHERE active = 1`).get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.ownsConnection && this.db.open) this.db.close();
  }
}

/**
 * The two queries of `newestRows` (parameters: package, excluding as JSON): each walks an index
 * of the rows in order from its end, skipping only the excluded rows (a fold's few).
 */
export function newestRowsStatements(rows = 'search_rows'): { newest: string; described: string } {
  const notExcluded = `NOT EXISTS (SELECT 1 FROM json_each(@excluding) x
      WHERE json_extract(x.value, '$.release') = r.release AND json_extract(x.value, '$.mediaType') = r.media_type)`;
  return {
    newest: `SELECT * FROM ${rows} r WHERE package = @package AND ${notExcluded} ORDER BY created_at DESC LIMIT 1`,
    described: `SELECT * FROM ${rows} r WHERE package = @package AND chart IS NOT NULL AND ${notExcluded}
      ORDER BY release_key DESC, sequence LIMIT 1`,
  };
}

interface StoredRow {
  media_type: string;
  release: string;
  sequence: number;
  created_at: string;
  release_key: string;
  chart: string | null;
}

function rowOf(row: StoredRow): SearchRow {
  return {
    release: row.release,
    mediaType: row.media_type,
    sequence: row.sequence,
    createdAt: row.created_at,
    releaseKey: row.release_key,
    chart: row.chart === null ? null : (JSON.parse(row.chart) as SearchRow['chart']),
  };
}

const RELEVANCE_ORDER = `CASE WHEN d.name = @text OR d.package = @text THEN 0 WHEN instr(d.package, @text) > 0 THEN 1 ELSE 2 END,
                coalesce(f.rank, 0), d.package`;
const RECENT_ORDER = 'd.released_at IS NULL, d.released_at DESC, d.package';

/**
 * Index files written before documents carried `releasedAt` lack its column: it is added, NULL
 * in the old rows (they sort last by recency until a replay rewrites them), and the listing
 * index is made again with it.
 */
function addReleasedAtColumn(db: Database.Database): void {
  const columns = db.prepare(`SELECT name FROM pragma_table_info('search_docs')`).all() as { name: string }[];
  if (columns.some((c) => c.name === 'released_at')) return;
  db.exec('DROP INDEX IF EXISTS search_docs_listing; ALTER TABLE search_docs ADD COLUMN released_at TEXT;');
}

/** The query `search` runs (null: no words to look for), over the given tables. */
export function searchStatement(
  query: SearchQuery,
  docs = 'search_docs',
  fts = 'search_fts',
): { sql: string; params: Record<string, unknown> } | null {
  const text = query.text.trim().toLowerCase();
  const tokens = text.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (tokens.length === 0) return null;
  const ftsQuery = tokens.map((t) => `"${t.replace(/"/g, '""')}"*`).join(' ');
  const where = ['d.active = 1', '(f.id IS NOT NULL OR instr(d.package, @text) > 0)'];
  const params: Record<string, unknown> = { text, fts: ftsQuery, limit: query.limit };
  if (query.namespace !== undefined) {
    where.push('d.namespace = @namespace');
    params.namespace = query.namespace;
  }
  if (query.mediaType !== undefined) {
    where.push('instr(d.media_types, @mediaType) > 0');
    params.mediaType = `,${query.mediaType},`;
  }
  if (query.visibleNamespaces !== undefined && query.visibleNamespaces !== 'all') {
    where.push(`(d.visibility = 'public' OR d.namespace IN (SELECT value FROM json_each(@visible)))`);
    params.visible = JSON.stringify(query.visibleNamespaces);
  }
  // The full-text matches are computed once (MATERIALIZED): as a plain subquery SQLite ran
  // the MATCH again for every document row, which made a search cost O(documents) FTS queries.
  const sql = `WITH f AS MATERIALIZED (SELECT rowid AS id, bm25(${fts}, 10.0, 2.0, 4.0, 1.0) AS rank FROM ${fts} WHERE ${fts} MATCH @fts)
       SELECT d.package FROM ${docs} d
       LEFT JOIN f ON f.id = d.id
       WHERE ${where.join(' AND ')}
       ORDER BY ${query.sort === 'recent' ? RECENT_ORDER : RELEVANCE_ORDER}
       LIMIT @limit`;
  return { sql, params };
}

// SQLite's busy, locked, full and I/O errors leave every method as the ports' DependencyUnavailableError (sqlite-outage.ts in libs/adapters/sqlite).
translateSqliteOutages(SqliteSearchIndex);
