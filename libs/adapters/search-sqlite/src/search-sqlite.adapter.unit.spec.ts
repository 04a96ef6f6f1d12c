/**
 * What the contract does not show: how a search and the projector read the file. A search's
 * substring match on "namespace/name" has to look at every active document; it must do so
 * through the narrow `search_docs_listing` index, not the table. `newestRows` must walk an
 * index of the package's rows from its end, never scan them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SearchQuery } from '@wharf/ports';
import { searchDocument } from '@wharf/testing';
import { SqliteSearchIndex, newestRowsStatements, searchStatement } from './search-sqlite.adapter';

describe('SqliteSearchIndex (adapter specifics)', () => {
  let dir: string;
  let index: SqliteSearchIndex;
  const file = () => join(dir, 'search.db');
  /** The plan SQLite makes for the search query, read through a connection of its own. */
  const plan = (query: SearchQuery) => {
    const db = new Database(file(), { readonly: true });
    try {
      const statement = searchStatement(query)!;
      return (db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(statement.params) as { detail: string }[])
        .map((row) => row.detail)
        .join(' | ');
    } finally {
      db.close();
    }
  };
  const rowPlan = (sql: string) => {
    const db = new Database(file(), { readonly: true });
    try {
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ package: 'a/b', excluding: '[]' }) as { detail: string }[])
        .map((row) => row.detail)
        .join(' | ');
    } finally {
      db.close();
    }
  };
  const queries: SearchQuery[] = [
    { text: 'nginx', limit: 1000 },
    { text: 'nginx', namespace: 'web', mediaType: 'helm', visibleNamespaces: ['web'], limit: 10 },
    { text: 'nginx', sort: 'recent', limit: 10 },
  ];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-search-plan-'));
    index = new SqliteSearchIndex({ path: file() });
  });

  afterEach(async () => {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should scan the documents through the covering listing index, never the table', () => {
    for (const query of queries) {
      expect(plan(query)).toContain('COVERING INDEX search_docs_listing');
      expect(plan(query)).not.toMatch(/SCAN d\b/);
    }
  });

  it('should find the newest rows through their indexes, in order, with no sort', async () => {
    const { newest, described } = newestRowsStatements();
    expect(rowPlan(newest)).toMatch(/SEARCH r USING INDEX search_rows_created \(package=\?\)/);
    expect(rowPlan(described)).toMatch(/SEARCH r USING INDEX search_rows_described \(package=\?\)/);
    for (const sql of [newest, described]) expect(rowPlan(sql)).not.toMatch(/TEMP B-TREE|SCAN r\b/);
  });

  it('should have the rows indexes under their live names again after a rebuild switches over', async () => {
    const rebuild = await index.rebuild();
    await rebuild.switchOver();
    const { newest, described } = newestRowsStatements();
    expect(rowPlan(newest)).toContain('USING INDEX search_rows_created ');
    expect(rowPlan(described)).toContain('USING INDEX search_rows_described ');
    // The next rebuild's rows have their indexes while it folds (the names are free again).
    const again = await index.rebuild();
    const fresh = newestRowsStatements('search_rows_rebuild');
    expect(rowPlan(fresh.newest)).toContain('USING INDEX search_rows_created_rebuild ');
    expect(rowPlan(fresh.described)).toContain('USING INDEX search_rows_described_rebuild ');
    await again.switchOver();
    expect(rowPlan(newest)).toContain('USING INDEX search_rows_created ');
  });

  it('should have the listing index again after a rebuild switches over', async () => {
    const rebuild = await index.rebuild();
    await rebuild.switchOver();
    for (const query of queries) expect(plan(query)).toContain('COVERING INDEX search_docs_listing');
  });

  it('should add the released_at column to a file written without it, its old rows sorting last by recency', async () => {
    await index.close();
    const old = join(dir, 'old.db');
    const db = new Database(old);
    db.exec(`CREATE TABLE search_docs (id INTEGER PRIMARY KEY, package TEXT NOT NULL UNIQUE, namespace TEXT NOT NULL,
        name TEXT NOT NULL, sequence INTEGER NOT NULL, active INTEGER NOT NULL, visibility TEXT NOT NULL,
        media_types TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX search_docs_listing ON search_docs (active, package, name, namespace, visibility, media_types);`);
    db.close();
    index = new SqliteSearchIndex({ path: old });
    const { releasedAt: _none, ...undated } = searchDocument('acme/aaa-web', { description: 'web' });
    await index.putMany([{ document: undated }, { document: searchDocument('acme/zzz-web', { description: 'web' }) }]);

    expect(await index.search({ text: 'web', sort: 'recent', limit: 10 })).toEqual(['acme/zzz-web', 'acme/aaa-web']);
    expect((await index.getMany(['acme/aaa-web'])).get('acme/aaa-web')).toEqual(undated);
  });
});
