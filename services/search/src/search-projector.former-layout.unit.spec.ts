/**
 * The projector on the embedded search file as the releases before rows wrote it (each
 * document holding its package's whole view, no rows table): the file is served as it is at
 * start, and each package moves to rows on its next event. No migration, no replay needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteSearchIndex } from '@wharf/adapters/search-sqlite';
import { EventEnvelope, StoredEvent, validateForProduce } from '@wharf/contracts';
import { PackageEvent, searchDocumentFrom } from '@wharf/domain';
import { InMemoryEventLog, chartMetadata, deleted, packageView, published } from '@wharf/testing';
import { SearchProjector } from './search-projector';

describe('SearchProjector on a search file of the former layout', () => {
  let dir: string;
  let index: SqliteSearchIndex;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-search-former-'));
  });

  afterEach(async () => {
    await index?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should serve it as it is, and move a package to rows on its next event', async () => {
    const old = join(dir, 'former.db');
    writeFormerLayout(old, [
      formerDocument('acme/web', [
        { release: '1.0.0', description: 'first web' },
        { release: '2.0.0', description: 'second web' },
      ]),
      formerDocument('acme/db', [{ release: '1.0.0', description: 'a database' }]),
    ]);
    index = new SqliteSearchIndex({ path: old });
    expect(await index.search({ text: 'second', limit: 10 })).toEqual(['acme/web']);
    expect(await index.search({ text: 'database', limit: 10 })).toEqual(['acme/db']);
    expect(await index.count()).toBe(2);

    // The delete of its newest release: the description falls back to 1.0.0's, found in the rows the move wrote.
    const projector = new SearchProjector(new InMemoryEventLog(), index);
    await projector.handle([storedEvent('acme/web', 3, deleted({ release: '2.0.0' }))]);
    expect(await index.search({ text: 'second', limit: 10 })).toEqual([]);
    expect(await index.search({ text: 'first', limit: 10 })).toEqual(['acme/web']);
    const moved = (await index.getMany(['acme/web'])).get('acme/web')!;
    expect(moved).not.toHaveProperty('view');
    expect(moved).toMatchObject({ sequence: 3, describedBy: { release: '1.0.0', mediaType: 'helm' } });
    expect((await index.newestRows([{ package: 'acme/web', excluding: [] }])).get('acme/web')?.newest?.release).toBe(
      '1.0.0',
    );

    await projector.handle([storedEvent('acme/web', 4, deleted({ release: '1.0.0' }))]);
    expect(await index.search({ text: 'web', limit: 10 })).toEqual([]);
    expect(await index.count()).toBe(1);
  });
});

/** The stored event `sequence` of `pkg` (its stream's earlier events being those the document folded). */
function storedEvent(pkg: string, sequence: number, event: PackageEvent): StoredEvent {
  const envelope = validateForProduce({
    type: event.type,
    version: 1,
    id: `event-${sequence}`,
    occurredAt: new Date(Date.UTC(2026, 0, 2, 0, 0, sequence)).toISOString(),
    correlationId: `request-${sequence}`,
    causationId: `${pkg}#${sequence}`,
    package: pkg,
    sequence,
    data: event.data,
  } as EventEnvelope);
  return { ...envelope, position: String(sequence) };
}

/** A document as the releases before rows wrote it: the whole view, no manifest counts. */
function formerDocument(pkg: string, releases: { release: string; description: string }[]) {
  const view = packageView(
    pkg,
    releases.map((r) => published({ release: r.release, chart: chartMetadata({ description: r.description }) })),
  );
  const { manifestCounts: _counts, describedBy: _by, ...fields } = searchDocumentFrom(view);
  return { ...fields, releases: releases.map((r) => r.release).reverse(), view };
}

/** A search file with the schema and the documents of the releases before rows. */
function writeFormerLayout(path: string, docs: ReturnType<typeof formerDocument>[]): void {
  const db = new Database(path);
  db.exec(`CREATE TABLE search_docs (id INTEGER PRIMARY KEY, package TEXT NOT NULL UNIQUE, namespace TEXT NOT NULL,
      name TEXT NOT NULL, sequence INTEGER NOT NULL, active INTEGER NOT NULL, visibility TEXT NOT NULL,
      media_types TEXT NOT NULL, doc TEXT NOT NULL, released_at TEXT);
    CREATE VIRTUAL TABLE search_fts USING fts5(name, namespace, keywords, description,
      tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4');
    CREATE INDEX search_docs_listing ON search_docs (active, package, name, namespace, visibility, media_types, released_at);`);
  const insert =
    db.prepare(`INSERT INTO search_docs (package, namespace, name, sequence, active, visibility, media_types, doc, released_at)
    VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)`);
  for (const doc of docs) {
    const id = insert.run(
      doc.package,
      doc.namespace,
      doc.name,
      doc.sequence,
      doc.visibility,
      `,${doc.mediaTypes.join(',')},`,
      JSON.stringify(doc),
      doc.releasedAt ?? null,
    ).lastInsertRowid;
    db.prepare('INSERT INTO search_fts (rowid, name, namespace, keywords, description) VALUES (?, ?, ?, ?, ?)').run(
      id,
      doc.name,
      doc.namespace,
      doc.keywords.join(' '),
      doc.description,
    );
  }
  db.close();
}
